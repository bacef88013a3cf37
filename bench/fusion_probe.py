"""Document fusion for fact questions, measured on a ranking set: which rankings, how fused.

The agent's fact rule ranks documents by several rankings of the same question (summaries,
children, sentences by cosine; children by BM25 when a question word is rare) fused by
`rag_agent.retrieval.fused.rank_documents`. This probe runs that stage alone over every query
of a set with candidate variants: more keyword rankings, other weights, other fusion rules
(reciprocal rank; min-max scaling), and prints the set's headline metric on the top documents
(SciFact nDCG@10, SEC 10-Q recall@4, HotpotQA recall@5). The first candidate is the library's
own `rank_documents`, and the probe's own fusion is checked to reproduce it exactly.

    .venv/bin/python bench/fusion_probe.py scifact --workdir /tmp/rag_agent_eval
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from _emit import emit  # noqa: E402
from _ranking import probe_setup  # noqa: E402

from rag_agent.eval.types import Passage  # noqa: E402
from rag_agent.retrieval.fused import UNITS_PER_DOC, FusedRetriever, rank_documents  # noqa: E402

DEPTH = 100
DENSE = ("summary", "child", "sentence")
PER_DOC = {**UNITS_PER_DOC, "summary_keyword": 1}


def rankings(index: Any, query: str, vec: Any, signals: tuple[str, ...]
             ) -> dict[str, list[tuple[str, float]]]:
    """signal -> [(doc id, best unit's score)] of its first DEPTH documents, best first."""
    out = {}
    for signal in signals:
        kind, _, mode = signal.partition("_")
        k = DEPTH * PER_DOC[signal]
        hits = (index.keyword_search(query, kind=kind, k=k) if mode == "keyword"
                else index.search(vec, kind=kind, k=k))
        best: dict[str, float] = {}
        for hit in hits:
            if hit.doc_id not in best and len(best) < DEPTH:
                best[hit.doc_id] = hit.score
        out[signal] = list(best.items())
    return out


def combsum(ranked: dict[str, list[tuple[str, float]]], weights: dict[str, float],
            scale: str = "max") -> list[str]:
    fused: dict[str, float] = {}
    for signal, items in ranked.items():
        if not items:
            continue
        scores = [s for _, s in items]
        top, low = max(scores), min(scores)
        for doc, score in items:
            if scale == "max":
                value = score / top if top > 0 else 0.0
            else:  # min-max
                value = (score - low) / (top - low) if top > low else 1.0
            fused[doc] = fused.get(doc, 0.0) + weights.get(signal, 1.0) * value
    return sorted(fused, key=lambda d: (-fused[d], d))[:DEPTH]


def rrf(ranked: dict[str, list[tuple[str, float]]], weights: dict[str, float],
        k: int = 60) -> list[str]:
    fused: dict[str, float] = {}
    for signal, items in ranked.items():
        for rank, (doc, _) in enumerate(items, start=1):
            fused[doc] = fused.get(doc, 0.0) + weights.get(signal, 1.0) / (k + rank)
    return sorted(fused, key=lambda d: (-fused[d], d))[:DEPTH]


Candidate = tuple[tuple[str, ...], Callable[[dict], list[str]]]
CANDIDATES: dict[str, Candidate] = {
    "dense + child BM25 (the fact rule)": (
        ("child_keyword",), lambda r: combsum(r, {})),
    "+ sentence BM25": (
        ("child_keyword", "sentence_keyword"), lambda r: combsum(r, {})),
    "+ summary BM25": (
        ("child_keyword", "summary_keyword"), lambda r: combsum(r, {})),
    "child + sentence BM25 at 0.5 each": (
        ("child_keyword", "sentence_keyword"),
        lambda r: combsum(r, {"child_keyword": 0.5, "sentence_keyword": 0.5})),
    "child BM25 x0.5": (("child_keyword",), lambda r: combsum(r, {"child_keyword": 0.5})),
    "child BM25 x1.5": (("child_keyword",), lambda r: combsum(r, {"child_keyword": 1.5})),
    "child BM25 x2": (("child_keyword",), lambda r: combsum(r, {"child_keyword": 2.0})),
    "min-max scaling": (("child_keyword",), lambda r: combsum(r, {}, scale="minmax")),
    "reciprocal rank (k=60)": (("child_keyword",), lambda r: rrf(r, {})),
    "reciprocal rank, + sentence BM25": (
        ("child_keyword", "sentence_keyword"), lambda r: rrf(r, {})),
    "dense only": ((), lambda r: combsum(r, {})),
    "summary x0.5": (("child_keyword",), lambda r: combsum(r, {"summary": 0.5})),
    "no summary": (("child_keyword",), lambda r: combsum(r, {"summary": 0.0})),
    "sentence x1.5": (("child_keyword",), lambda r: combsum(r, {"sentence": 1.5})),
    "sentence x0.5": (("child_keyword",), lambda r: combsum(r, {"sentence": 0.5})),
    "child x1.5": (("child_keyword",), lambda r: combsum(r, {"child": 1.5})),
    "summary x0.25": (("child_keyword",), lambda r: combsum(r, {"summary": 0.25})),
    "summary x0.75": (("child_keyword",), lambda r: combsum(r, {"summary": 0.75})),
}
PRF = (0.25, 0.5, 1.0)
"""Weights of the mean summary vector of the first 3 documents added to the query (dense
pseudo-relevance feedback), then every ranking of the fact rule run again."""


def main() -> int:
    args, spec, data, index = probe_setup(__doc__)
    source = {u.doc_id: u.source_id for u in index.units("summary")}
    gate = FusedRetriever(index=index)
    scores: dict[str, list[float]] = {name: [] for name in ["rank_documents", *CANDIDATES]}
    fired = 0
    mismatches = 0
    for q in data.queries:
        vec = index.embed_query(q.text)
        rare = gate.uses_keyword(q.text, gate.tenant)
        fired += rare
        wanted = set(DENSE)
        for extra, _ in CANDIDATES.values():
            wanted |= set(extra)
        ranked = rankings(index, q.text, vec, tuple(sorted(wanted)))

        def score(docs: list[str], q: Any = q) -> float:
            passages = [Passage(key=source[d], text="") for d in docs]
            return spec.score(q, passages, None)[spec.headline]

        lib = [d for d, _, _ in rank_documents(
            index, q.text, vec, signals=[*DENSE, *(["child_keyword"] if rare else [])],
            depth=DEPTH, filter=None, tenant=gate.tenant)]
        scores["rank_documents"].append(score(lib))
        for name, (extra, fuse) in CANDIDATES.items():
            used = {s: ranked[s] for s in (*DENSE, *(extra if rare else ()))}
            docs = fuse(used)
            if name.startswith("dense + child BM25"):
                mismatches += docs != lib
            scores[name].append(score(docs))
        summaries = {h.doc_id: h.unit_id for h in index.search(
            vec, kind="summary", k=3, doc_ids=lib[:3])}
        top = index.unit_vectors(list(summaries.values()))
        mean = np.mean(list(top.values()), axis=0) if top else np.zeros(vec.shape[1])
        for beta in PRF:
            q2 = vec[0] + beta * mean
            q2 = (q2 / np.linalg.norm(q2)).astype(np.float32).reshape(1, -1)
            again = rankings(index, q.text, q2, DENSE)
            used = {**again, **({"child_keyword": ranked["child_keyword"]} if rare else {})}
            scores.setdefault(f"feedback x{beta}", []).append(score(combsum(used, {})))
            scores.setdefault(f"feedback x{beta}, summary x0.5", []).append(
                score(combsum(used, {"summary": 0.5})))
    n = len(data.queries)
    result = {"dataset": args.dataset, "queries": n, "metric": spec.headline,
              "keyword_gate_fired": fired, "probe_differs_from_rank_documents": mismatches,
              "candidates": {name: round(sum(v) / n, 4) for name, v in scores.items()}}
    emit(result, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
