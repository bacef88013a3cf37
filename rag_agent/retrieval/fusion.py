"""Hybrid ranking: dense and BM25 keyword lists fused by reciprocal rank (Cormack et al., 2009).

RRF needs no score calibration: a unit's fused value is the sum of 1 / (k + rank) over the lists
it appears in (rank from 1). Returned hits keep a dense cosine `score`, so thresholds on the
cosine scale still hold; the fused value goes to `metadata["rrf"]`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from rag_agent.index.protocol import SearchIndex
from rag_agent.index.records import Hit

__all__ = ["RRF_K", "rrf", "search_ranked"]

RRF_K = 60
"""The usual RRF constant: damps the weight of the very top ranks."""


def rrf(rankings: list[list[Hit]], k: int = RRF_K) -> list[Hit]:
    """Units of all `rankings` (each best first) ordered by reciprocal-rank fusion.

    A unit in several lists is returned once, as the `Hit` of the first list holding it, with
    its fused value in `metadata["rrf"]`. Ties keep first-seen order (list by list, rank by rank).
    """
    fused: dict[int, float] = {}
    first: dict[int, Hit] = {}
    for ranking in rankings:
        for rank, hit in enumerate(ranking, start=1):
            fused[hit.unit_id] = fused.get(hit.unit_id, 0.0) + 1.0 / (k + rank)
            first.setdefault(hit.unit_id, hit)
    order = sorted(fused, key=lambda uid: -fused[uid])  # stable: ties stay first-seen
    return [replace(first[u], metadata={**first[u].metadata, "rrf": fused[u]}) for u in order]


def search_ranked(
    index: SearchIndex,
    query: str,
    *,
    kind: str,
    k: int,
    filter: dict[str, Any] | None,
    tenant: str,
    doc_ids: list[str] | None = None,
    hybrid: bool = False,
    vector: np.ndarray | None = None,
    rerank: Callable[[list[Hit]], list[Hit]] | None = None,
) -> list[Hit]:
    """Top-k units of `kind` under one restriction: dense only, or (`hybrid`) the RRF of the
    dense and keyword top-k lists, cut to k. `rerank` reorders the dense list before fusion.

    A unit found only by keywords gets the cosine of its stored vector with the query as score.
    """
    vec = index.embed_query(query) if vector is None else vector
    dense = index.search(vec, kind=kind, k=k, filter=filter, tenant=tenant, doc_ids=doc_ids)
    if rerank is not None:
        dense = rerank(dense)
    if not hybrid:
        return dense
    keyword = index.keyword_search(query, kind=kind, k=k, filter=filter, tenant=tenant,
                                   doc_ids=doc_ids)
    fused = rrf([dense, keyword])[:k]
    seen = {h.unit_id for h in dense}
    vectors = index.unit_vectors([h.unit_id for h in fused if h.unit_id not in seen],
                                 tenant=tenant)
    query_row = np.asarray(vec, dtype=np.float32).reshape(-1)
    out = []
    for hit in fused:
        if hit.unit_id not in seen:
            stored = vectors.get(hit.unit_id)
            if stored is None:  # deleted between the two searches
                continue
            hit = replace(hit, score=float(stored @ query_row))
        out.append(hit)
    return out
