"""Passages sized by a character budget: the stretches of a document that match a question most.

A question about one discussion in a long document (a meeting, a filing) is answered by a stretch
of text, not by isolated sentences. Given every sentence's similarity to the question, in reading
order, each sentence's relevance is how far it stands above the document's usual level (its
`FLOOR_PERCENTILE`); `dense_regions` then takes the run of consecutive sentences that fits the
budget and holds the most relevance, then (for `max_regions` > 1) the best run that does not
touch those already taken, each with an even share of the budget. Many small regions spread a
whole-document summary over the places a document talks about; one large region holds one
discussion.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["FLOOR_PERCENTILE", "Region", "dense_regions"]

FLOOR_PERCENTILE = 90
"""Sentences below this percentile of a document's scores add no relevance: a meeting's "yeah,
okay" lines and a filing's boilerplate must not make a stretch look relevant."""


@dataclass(frozen=True)
class Region:
    """Sentence positions [first, last] of one passage and the relevance it holds."""

    first: int
    last: int
    score: float


def _best_run(relevance: np.ndarray, sizes: np.ndarray, budget: int,
              taken: np.ndarray) -> tuple[int, int, float] | None:
    """The run of untaken sentences within `budget` characters holding the most relevance
    (ties: the earlier run)."""
    best: tuple[int, int, float] | None = None
    start = 0
    total = 0.0
    used = 0
    for end in range(len(relevance)):
        if taken[end]:
            start, total, used = end + 1, 0.0, 0
            continue
        total += relevance[end]
        used += int(sizes[end])
        while used > budget and start < end:
            total -= relevance[start]
            used -= int(sizes[start])
            start += 1
        if used <= budget and (best is None or total > best[2] + 1e-12):
            best = (start, end, total)
    return best


def _centre(relevance: np.ndarray, sizes: np.ndarray, share: int, taken: np.ndarray,
            first: int, last: int) -> tuple[int, int]:
    """The run re-grown around its relevant core, one sentence after it, then one before, in
    turn, so that the matches sit in the middle of their context, not at an edge."""
    core = [i for i in range(first, last + 1) if relevance[i] > 0] or [first]
    lo, hi = core[0], core[-1]
    used = int(sizes[lo:hi + 1].sum())
    grown = True
    while grown:
        grown = False
        for nxt in (hi + 1, lo - 1):
            if 0 <= nxt < len(sizes) and not taken[nxt] and used + sizes[nxt] <= share:
                used += int(sizes[nxt])
                lo, hi = min(lo, nxt), max(hi, nxt)
                grown = True
    return lo, hi


def dense_regions(
    scores: Sequence[float] | np.ndarray,
    lengths: Sequence[int],
    budget: int,
    *,
    max_regions: int = 1,
    floor_percentile: float | None = None,
) -> list[Region]:
    """Up to `max_regions` runs of consecutive sentences, best first, each within an even share
    of `budget` characters (a space joins sentences), none touching another.

    A document with nothing above its floor still gives one region: the run around its best
    sentence.
    """
    n = len(scores)
    if n == 0 or budget <= 0 or max_regions < 1:
        return []
    values = np.asarray(scores, dtype=np.float64)
    floor = FLOOR_PERCENTILE if floor_percentile is None else floor_percentile
    relevance = np.maximum(values - np.percentile(values, floor), 0.0)
    if not relevance.any():  # nothing stands out: the best sentence is the only relevant one
        relevance = np.zeros(n)
        relevance[int(np.argmax(values))] = 1.0
    sizes = np.asarray(lengths, dtype=np.int64) + 1
    share = max(1, budget // max_regions)
    taken = np.zeros(n, dtype=bool)
    regions: list[Region] = []
    for _ in range(max_regions):
        run = _best_run(relevance, sizes, share, taken)
        if run is None and not regions:  # every sentence is longer than the share alone
            best = int(np.argmax(values))
            run = (best, best, float(relevance[best]))
        if run is None or (regions and run[2] <= 0):
            break
        first, last = _centre(relevance, sizes, share, taken, run[0], run[1])
        regions.append(Region(first, last, float(run[2])))
        taken[max(0, first - 1):min(n, last + 2)] = True  # a gap of one sentence between runs
    return regions
