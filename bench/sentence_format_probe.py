"""How the sentence text embedded under its title is written, measured on SciFact.

Ranks documents by their best sentence (what the sentence-window retriever does) with the
index's stored sentence vectors ("<title>\\n<sentence>") and with the same sentences
re-embedded as LlamaIndex writes a node with its metadata ("title: <title>\\n\\n<sentence>"),
and prints nDCG@10 of each over the SciFact test claims.

    .venv/bin/python bench/sentence_format_probe.py --index /tmp/rag_agent_eval/scifact/ours

It re-embeds every sentence of the index once (about 7 minutes for SciFact's 44,571).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from rag_agent.eval.datasets import SPECS, load_dataset
from rag_agent.eval.types import Passage
from rag_agent.index.store import RagIndex
from rag_agent.ingest.split import embed_header


def _ndcg(spec, queries, index, sources: list[str], vectors: np.ndarray) -> float:
    scores = []
    for q in queries:
        sims = vectors @ index.embed_query(q.text)[0]
        top = np.argpartition(-sims, 2000)[:2000]
        ranked: list[str] = []
        for i in top[np.argsort(-sims[top])]:
            if sources[i] not in ranked:
                ranked.append(sources[i])
            if len(ranked) >= 100:
                break
        scores.append(spec.score(q, [Passage(s, "") for s in ranked], None)["ndcg@10"])
    return round(float(np.mean(scores)), 4)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--index", type=Path, required=True, help="a SciFact index of ours")
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    spec, data = SPECS["scifact"], load_dataset("scifact", args.data)
    index = RagIndex.open(args.index, create=False)
    rows = index.conn.execute(
        "SELECT d.source_id, d.title, u.text, u.vector FROM units u JOIN documents d "
        "ON d.doc_id = u.doc_id WHERE u.kind = 'sentence' ORDER BY u.id").fetchall()
    sources = [r[0] for r in rows]
    stored = np.stack([np.frombuffer(r[3], dtype=np.float32) for r in rows])
    heads: dict[str, str] = {}
    for _, title, _, _ in rows:
        if title not in heads:
            heads[title] = embed_header(title, index.embedder.count_tokens, 200)[0]
    llama = index.embedder.encode([f"title: {heads[t]}\n\n{text}" for _, t, text, _ in rows])
    result = {"sentences": len(rows),
              "ndcg@10": {"<title>\\n<sentence> (ours, stored)":
                          _ndcg(spec, data.queries, index, sources, stored),
                          "title: <title>\\n\\n<sentence> (LlamaIndex's layout)":
                          _ndcg(spec, data.queries, index, sources, llama)}}
    print(json.dumps(result, indent=1))
    if args.out:
        args.out.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
