"""`merge_windows` ordered by a rank other than the score (hybrid: the fused RRF value)."""

from types import SimpleNamespace

from rag_agent.retrieval.sentence_window import merge_windows


def _hit(doc: str, pos: int, score: float, rrf: float) -> SimpleNamespace:
    return SimpleNamespace(doc_id=doc, position=pos, score=score, metadata={"rrf": rrf}, text="")


HITS = [_hit("a", 5, 0.2, 0.40), _hit("b", 0, 0.9, 0.30), _hit("a", 6, 0.8, 0.20),
        _hit("c", 9, 0.5, 0.10)]


def test_default_rank_is_the_score() -> None:
    merged = merge_windows(HITS, window=1)
    assert [(w.doc_id, w.first, w.last, w.score) for w in merged] == [
        ("b", 0, 1, 0.9), ("c", 8, 10, 0.5), ("a", 4, 6, 0.2)]


def test_rank_by_rrf_orders_and_represents_passages_by_rrf() -> None:
    merged = merge_windows(HITS, window=1, rank=lambda h: h.metadata["rrf"])
    # a:[4,6] covers position 6, so hit (a, 6) joins it; the passage keeps hit 5 (best rrf)
    # and its cosine 0.2, although hit 6 has the higher cosine
    assert [(w.doc_id, w.first, w.last, w.score, sorted(w.hits)) for w in merged] == [
        ("a", 4, 6, 0.2, [5, 6]), ("b", 0, 1, 0.9, [0]), ("c", 8, 10, 0.5, [9])]


def test_merged_windows_keep_the_best_ranked_hit() -> None:
    hits = [_hit("a", 2, 0.9, 0.1), _hit("a", 5, 0.1, 0.3)]  # [1,3] and [4,6]: apart
    assert [w.score for w in merge_windows(hits, 1, rank=lambda h: h.metadata["rrf"])] == [
        0.1, 0.9]
    hits = [_hit("a", 2, 0.9, 0.1), _hit("a", 4, 0.1, 0.3)]  # [1,3] and [3,5] share 3: one
    [w] = merge_windows(hits, 1, rank=lambda h: h.metadata["rrf"])
    assert (w.first, w.last, w.score, w.hit.position) == (1, 5, 0.1, 4)
    [w] = merge_windows(hits, 1)
    assert (w.first, w.last, w.score, w.hit.position) == (1, 5, 0.9, 2)
