"""Sentence hits judged with their context at query time, measured on a ranking set.

Ranks documents by their best sentence (what the sentence-window retriever does) with the
sentence's cosine alone and with the cosines of its child (weight `c`) and of its document's
summary (weight `s`) and the mean cosine of its +-2 neighbours (weight `w`) added, from the index's stored vectors, and prints the set's headline
metric for each weighting (SciFact nDCG@10, SEC 10-Q recall@4, HotpotQA recall@5). Nothing is
embedded but the queries.

    .venv/bin/python bench/window_context_probe.py scifact --workdir /tmp/rag_agent_eval
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _emit import emit  # noqa: E402
from _ranking import documents_by_best_unit, probe_setup  # noqa: E402

from rag_agent.eval.types import Passage  # noqa: E402

WEIGHTS = [(c, s, w) for c in (0.0, 0.5, 1.0) for s in (0.0, 0.25, 0.5) for w in (0.0, 0.5)]
"""(child weight, summary weight, window weight) triples."""
WINDOW = 2
"""Neighbours on each side whose mean cosine is the window signal (the retriever's w)."""


def main() -> int:
    args, spec, data, index = probe_setup(__doc__)
    rows = sorted(index.units("sentence"), key=lambda u: (u.doc_id, u.position))
    children = index.units("child")
    summaries = index.units("summary")
    child_row = {(c.doc_id, c.position): i for i, c in enumerate(children)}
    summary_row = {s.doc_id: i for i, s in enumerate(summaries)}
    sentences = np.stack([r.vector for r in rows])
    child_of = np.array([child_row[(r.doc_id, r.child)] for r in rows])
    summary_of = np.array([summary_row[r.doc_id] for r in rows])
    child_vecs = np.stack([c.vector for c in children])
    summary_vecs = np.stack([s.vector for s in summaries])
    sources = [r.source_id for r in rows]
    docs = np.array([r.doc_id for r in rows])
    neighbours = [(j, docs[j:] == docs[:len(docs) - j]) for j in range(1, WINDOW + 1)]
    scores: dict[tuple[float, float, float], list[float]] = {w: [] for w in WEIGHTS}
    for q in data.queries:
        v = index.embed_query(q.text)[0]
        own = sentences @ v
        child, summary = (child_vecs @ v)[child_of], (summary_vecs @ v)[summary_of]
        total, count = np.zeros_like(own), np.zeros_like(own)
        for j, same in neighbours:  # sentence i+j (and i-j) of the same document
            total[:-j] += own[j:] * same
            count[:-j] += same
            total[j:] += own[:-j] * same
            count[j:] += same
        window = np.where(count > 0, total / np.maximum(count, 1), own)
        for c, s, w in WEIGHTS:
            ranked = documents_by_best_unit(own + c * child + s * summary + w * window,
                                            sources)
            scores[(c, s, w)].append(
                spec.score(q, [Passage(k, "") for k in ranked], None)[spec.headline])
    result = {"dataset": args.dataset, "metric": spec.headline, "sentences": len(rows),
              "by_weights": {f"child {c}, summary {s}, window {w}": round(float(np.mean(v)), 4)
                             for (c, s, w), v in scores.items()}}
    emit(result, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
