"""Ranking metrics over document ids, as BEIR computes them (binary or graded relevance)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

__all__ = [
    "dedupe",
    "hit_at_k",
    "merge_spans",
    "mrr_at_k",
    "ndcg_at_k",
    "recall_at_k",
    "span_coverage",
    "topic_coverage",
]


def dedupe(ids: Sequence[str]) -> list[str]:
    """Ids in first-seen order (several passages of one document count once)."""
    seen: set[str] = set()
    return [i for i in ids if not (i in seen or seen.add(i))]


def hit_at_k(ranked: Sequence[str], relevant: Mapping[str, int], k: int) -> float:
    """1 if any relevant id is in the top k."""
    return float(any(relevant.get(i, 0) > 0 for i in ranked[:k]))


def recall_at_k(ranked: Sequence[str], relevant: Mapping[str, int], k: int) -> float:
    """Share of the relevant ids found in the top k."""
    gold = {i for i, r in relevant.items() if r > 0}
    return len(gold & set(ranked[:k])) / len(gold) if gold else 0.0


def mrr_at_k(ranked: Sequence[str], relevant: Mapping[str, int], k: int = 10) -> float:
    """Reciprocal rank of the first relevant id in the top k."""
    for rank, i in enumerate(ranked[:k], 1):
        if relevant.get(i, 0) > 0:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranked: Sequence[str], relevant: Mapping[str, int], k: int = 10) -> float:
    """nDCG@k with gains equal to the relevance grades (BEIR / trec_eval convention)."""
    dcg = sum(relevant.get(i, 0) / math.log2(rank + 1) for rank, i in enumerate(ranked[:k], 1))
    ideal = sorted((r for r in relevant.values() if r > 0), reverse=True)[:k]
    idcg = sum(r / math.log2(rank + 1) for rank, r in enumerate(ideal, 1))
    return dcg / idcg if idcg else 0.0


# ----- spans: how much of a gold location the retrieved text covers ---------------------------

Span = tuple[int, int]


def merge_spans(spans: Sequence[Span]) -> list[Span]:
    """Sorted, non-overlapping spans covering the same characters."""
    out: list[Span] = []
    for a, b in sorted(s for s in spans if s[1] > s[0]):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _overlap(a: Span, spans: list[Span]) -> int:
    return sum(max(0, min(a[1], b) - max(a[0], s)) for s, b in spans)


def span_coverage(gold: Sequence[Span], got: Sequence[Span]) -> float:
    """Share of the gold characters that lie inside the retrieved spans."""
    gold_m, got_m = merge_spans(gold), merge_spans(got)
    total = sum(b - a for a, b in gold_m)
    return sum(_overlap(g, got_m) for g in gold_m) / total if total else 0.0


def topic_coverage(topics: Sequence[Span], got: Sequence[Span]) -> float:
    """Share of the topics (each a span) that the retrieved spans touch at all."""
    got_m = merge_spans(got)
    return sum(_overlap(t, got_m) > 0 for t in topics) / len(topics) if topics else 0.0
