"""Reciprocal-rank fusion, and hybrid search keeping cosine scores."""

from pathlib import Path

import pytest

from rag_agent import RagIndex, SourceDocument
from rag_agent.index.records import Hit
from rag_agent.retrieval.fusion import RRF_K, rrf, search_ranked


def _hit(uid: int, score: float) -> Hit:
    return Hit(uid, "child", score, f"text {uid}", f"d{uid}", 0, None, f"s{uid}", "T", "t",
               {"m": uid})


def test_rrf_on_a_hand_made_example() -> None:
    dense = [_hit(1, 0.9), _hit(2, 0.8), _hit(3, 0.7)]
    keyword = [_hit(3, 12.0), _hit(4, 11.0)]
    fused = rrf([dense, keyword], k=1)
    # 3: 1/4 + 1/2 = .75; 1: 1/2; 2: 1/3; 4: 1/3 (tie: 2 was seen first)
    assert [(h.unit_id, h.metadata["rrf"]) for h in fused] == [
        (3, 0.75), (1, 0.5), (2, pytest.approx(1 / 3)), (4, pytest.approx(1 / 3))]
    # a unit in both lists is the first list's hit: its score stays the dense one
    assert [h.score for h in fused] == [0.7, 0.9, 0.8, 11.0]
    assert fused[0].metadata == {"m": 3, "rrf": 0.75} and dense[2].metadata == {"m": 3}


def test_rrf_default_constant_and_edge_cases() -> None:
    assert RRF_K == 60
    fused = rrf([[_hit(5, 0.1), _hit(6, 0.2)], [_hit(6, 3.0)]])
    assert [(h.unit_id, h.metadata["rrf"]) for h in fused] == [
        (6, pytest.approx(1 / 62 + 1 / 61)), (5, pytest.approx(1 / 61))]
    assert rrf([]) == [] and rrf([[], []]) == []


@pytest.fixture
def index(tmp_path: Path, fake_embedder: object) -> RagIndex:
    ix = RagIndex.open(tmp_path / "ix", embedder=fake_embedder)
    docs = [SourceDocument(f"doc{i}", f"Plain filler sentence number {i}. Another line {i}.",
                           f"Doc {i}", {"group": i % 2}) for i in range(12)]
    docs.append(SourceDocument("rare", "The part XJ-9042 failed. Replace the part.", "Rare",
                               {"group": 0}))
    ix.add_documents(docs)
    yield ix
    ix.close()


def test_hybrid_off_is_dense_search(index: RagIndex) -> None:
    query = "which part failed?"
    plain = search_ranked(index, query, kind="sentence", k=5, filter=None, tenant="default")
    assert plain == index.search(query, kind="sentence", k=5)


def test_hybrid_is_the_rrf_of_both_lists_with_cosine_scores(index: RagIndex) -> None:
    query = "XJ-9042"
    opts = {"kind": "sentence", "k": 3, "filter": {"group": 0}, "tenant": "default"}
    dense = index.search(query, **opts)
    keyword = index.keyword_search(query, **opts)
    assert [h.source_id for h in keyword] == ["rare"]
    assert keyword[0].unit_id not in {h.unit_id for h in dense}  # the fake embedder misses it
    hybrid = search_ranked(index, query, hybrid=True, **opts)
    assert [h.unit_id for h in hybrid] == [h.unit_id for h in rrf([dense, keyword])][:3]
    assert keyword[0].unit_id in {h.unit_id for h in hybrid}
    every = {h.unit_id: h.score for h in index.search(query, kind="sentence", k=1000)}
    for hit in hybrid:  # cosine, also for the unit only keywords found
        assert hit.score == pytest.approx(every[hit.unit_id], abs=1e-6)
        assert hit.metadata["group"] == 0 and hit.metadata["rrf"] > 0
