import numpy as np

from rag_agent.retrieval.regions import dense_regions


def _background(n: int = 100) -> list[float]:
    return list(np.linspace(0.10, 0.20, n))


def test_one_region_holds_the_densest_run_with_the_matches_in_the_middle() -> None:
    scores = _background()
    scores[40:44] = [0.8, 0.9, 0.7, 0.6]
    scores[80] = 0.95  # one strong sentence alone holds less than the run of four
    regions = dense_regions(scores, [10] * 100, budget=88, max_regions=1)
    assert [(r.first, r.last) for r in regions] == [(38, 45)]  # 8 x (10 chars + a space)


def test_spread_regions_are_apart_and_share_the_budget() -> None:
    scores = _background()
    scores[10:12] = [0.9, 0.8]
    scores[60:62] = [0.85, 0.8]
    regions = dense_regions(scores, [10] * 100, budget=88, max_regions=2)
    assert [(r.first, r.last) for r in regions] == [(9, 12), (59, 62)]
    assert regions[0].score >= regions[1].score


def test_a_flat_or_empty_document() -> None:
    assert dense_regions([], [], 100) == []
    flat = dense_regions(np.full(50, 0.3), [10] * 50, budget=1000, max_regions=3)
    assert len(flat) == 1  # nothing stands out: one region, no second made of zeros
    long_only = dense_regions([0.2, 0.9], [900, 900], budget=500, max_regions=1)
    assert [(r.first, r.last) for r in long_only] == [(1, 1)]  # the best sentence, alone
