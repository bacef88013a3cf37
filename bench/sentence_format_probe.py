"""How the sentence text embedded under its title is written, measured on a ranking set.

Ranks documents by their best sentence with the index's stored sentence vectors
("<title>\\n<sentence>") and with the same sentences re-embedded as LlamaIndex writes a node
with its metadata ("title: <title>\\n\\n<sentence>"), each by the sentence's cosine alone and
judged in context as `SentenceWindowRetriever` does (+ 0.5 x its child's cosine + 0.25 x its
document summary's), and prints the set's headline metric for each (SciFact nDCG@10, SEC 10-Q
recall@4, HotpotQA recall@5).

    .venv/bin/python bench/sentence_format_probe.py scifact --workdir /tmp/rag_agent_eval

It re-embeds every sentence of the index once (about 7 minutes for SciFact's 44,571).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _emit import emit  # noqa: E402
from _ranking import documents_by_best_unit, probe_setup  # noqa: E402

from rag_agent.eval.types import Passage  # noqa: E402
from rag_agent.ingest.split import embed_header  # noqa: E402
from rag_agent.retrieval.sentence_window import CHILD_WEIGHT, SUMMARY_WEIGHT  # noqa: E402


def _metric(spec, queries, index, sources: list[str], vectors: np.ndarray,
            context: tuple[np.ndarray, np.ndarray] | None = None) -> float:
    """The headline metric with documents ranked by their best sentence, judged in `context`
    (each sentence's child and summary vectors) if given."""
    scores = []
    for q in queries:
        v = index.embed_query(q.text)[0]
        judged = vectors @ v
        if context is not None:
            judged = judged + CHILD_WEIGHT * (context[0] @ v) + SUMMARY_WEIGHT * (context[1] @ v)
        ranked = documents_by_best_unit(judged, sources)
        scores.append(spec.score(q, [Passage(s, "") for s in ranked], None)[spec.headline])
    return round(float(np.mean(scores)), 4)


def main() -> int:
    args, spec, data, index = probe_setup(__doc__)
    rows = index.units("sentence")
    children = {(c.doc_id, c.position): c.vector for c in index.units("child")}
    summaries = {s.doc_id: s.vector for s in index.units("summary")}
    context = (np.stack([children[(r.doc_id, r.child)] for r in rows]),
               np.stack([summaries[r.doc_id] for r in rows]))
    sources = [r.source_id for r in rows]
    stored = np.stack([r.vector for r in rows])
    heads: dict[str, str] = {}
    for r in rows:
        if r.title not in heads:
            heads[r.title] = embed_header(r.title, index.embedder.count_tokens, 200)[0]
    llama = index.embedder.encode([f"title: {heads[r.title]}\n\n{r.text}" for r in rows])
    result = {"dataset": args.dataset, "sentences": len(rows), spec.headline: {
        "<title>\\n<sentence> (ours, stored)":
            _metric(spec, data.queries, index, sources, stored),
        "title: <title>\\n\\n<sentence> (LlamaIndex's layout)":
            _metric(spec, data.queries, index, sources, llama),
        "<title>\\n<sentence>, judged in context":
            _metric(spec, data.queries, index, sources, stored, context),
        "title: <title>\\n\\n<sentence>, judged in context":
            _metric(spec, data.queries, index, sources, llama, context)}}
    emit(result, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
