"""Sentence hits judged with their context at query time, measured on a ranking set.

Ranks documents by their best sentence (what the sentence-window retriever does) with the
sentence's cosine alone and with the cosines of its child (weight `c`) and of its document's
summary (weight `s`) added, from the index's stored vectors, and prints the set's headline
metric for each weighting (SciFact nDCG@10, SEC 10-Q recall@4, HotpotQA recall@5). Nothing is
embedded but the queries.

    .venv/bin/python bench/window_context_probe.py scifact --workdir /tmp/rag_agent_eval
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _emit import emit  # noqa: E402
from _ranking import documents_by_best_unit  # noqa: E402

from rag_agent.eval.datasets import SPECS, load_dataset  # noqa: E402
from rag_agent.eval.types import Passage  # noqa: E402
from rag_agent.index.store import RagIndex  # noqa: E402

WEIGHTS = [(0.0, 0.0), (0.0, 0.25), (0.0, 0.5), (0.5, 0.0), (0.5, 0.25), (0.5, 0.5)]
"""(child weight, summary weight) pairs."""


def _matrix(blobs: list[bytes]) -> np.ndarray:
    return np.stack([np.frombuffer(b, dtype=np.float32) for b in blobs])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dataset", choices=["scifact", "sec10q", "hotpotqa"])
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/rag_agent_eval"))
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    spec, data = SPECS[args.dataset], load_dataset(args.dataset, args.data)
    index = RagIndex.open(args.workdir / args.dataset / "ours", create=False)
    conn = index.conn
    rows = conn.execute(
        "SELECT u.doc_id, d.source_id, u.child, u.vector FROM units u JOIN documents d ON "
        "d.doc_id = u.doc_id WHERE u.kind = 'sentence' ORDER BY u.id").fetchall()
    children = conn.execute("SELECT doc_id, position, vector FROM units WHERE kind = 'child'"
                            ).fetchall()
    summaries = conn.execute("SELECT doc_id, vector FROM units WHERE kind = 'summary'"
                             ).fetchall()
    child_row = {(d, p): i for i, (d, p, _) in enumerate(children)}
    summary_row = {d: i for i, (d, _) in enumerate(summaries)}
    sentences = _matrix([r[3] for r in rows])
    child_of = np.array([child_row[(r[0], r[2])] for r in rows])
    summary_of = np.array([summary_row[r[0]] for r in rows])
    child_vecs, summary_vecs = _matrix([c[2] for c in children]), _matrix([s[1] for s in summaries])
    sources = [r[1] for r in rows]
    scores: dict[tuple[float, float], list[float]] = {w: [] for w in WEIGHTS}
    for q in data.queries:
        v = index.embed_query(q.text)[0]
        own = sentences @ v
        child, summary = (child_vecs @ v)[child_of], (summary_vecs @ v)[summary_of]
        for c, s in WEIGHTS:
            ranked = documents_by_best_unit(own + c * child + s * summary, sources)
            scores[(c, s)].append(
                spec.score(q, [Passage(k, "") for k in ranked], None)[spec.headline])
    result = {"dataset": args.dataset, "metric": spec.headline, "sentences": len(rows),
              "by_weights": {f"child {c}, summary {s}": round(float(np.mean(v)), 4)
                             for (c, s), v in scores.items()}}
    emit(result, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
