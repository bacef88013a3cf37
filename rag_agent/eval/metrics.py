"""Ranking metrics over document ids, as BEIR computes them (binary or graded relevance)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

__all__ = ["dedupe", "hit_at_k", "mrr_at_k", "ndcg_at_k", "recall_at_k"]


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
