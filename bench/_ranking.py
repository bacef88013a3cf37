"""Shared by the sentence probes: documents ranked by their best-scoring sentence."""

from __future__ import annotations

import numpy as np

POOL = 3000
"""Best sentences read to find the first `depth` distinct documents."""


def documents_by_best_unit(scores: np.ndarray, sources: list[str], depth: int = 100) -> list[str]:
    """Source ids in order of their best unit's score, at most `depth` of them."""
    pool = min(POOL, len(scores))
    top = np.argpartition(-scores, pool - 1)[:pool]
    ranked: list[str] = []
    for i in top[np.argsort(-scores[top])]:
        if sources[i] not in ranked:
            ranked.append(sources[i])
        if len(ranked) >= depth:
            break
    return ranked
