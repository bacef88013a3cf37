import math

import pytest

from rag_agent.eval.beir import load_beir
from rag_agent.eval.metrics import (
    dedupe,
    hit_at_k,
    merge_spans,
    mrr_at_k,
    ndcg_at_k,
    recall_at_k,
    span_coverage,
    topic_coverage,
)

GOLD = {"a": 1, "b": 1}


def test_ranking_metrics_exact_values() -> None:
    ranked = ["x", "a", "y", "b"]
    assert hit_at_k(ranked, GOLD, 1) == 0.0 and hit_at_k(ranked, GOLD, 2) == 1.0
    assert recall_at_k(ranked, GOLD, 2) == 0.5 and recall_at_k(ranked, GOLD, 4) == 1.0
    assert mrr_at_k(ranked, GOLD, 10) == 0.5 and mrr_at_k(["x"], GOLD, 10) == 0.0
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    idcg = 1 / math.log2(2) + 1 / math.log2(3)
    assert ndcg_at_k(ranked, GOLD, 10) == pytest.approx(dcg / idcg)
    assert ndcg_at_k(["a", "b"], GOLD, 10) == pytest.approx(1.0)
    assert ndcg_at_k(ranked, {}, 10) == 0.0


def test_dedupe_keeps_first_occurrence() -> None:
    assert dedupe(["d1", "d2", "d1", "d3", "d2"]) == ["d1", "d2", "d3"]


def test_load_beir(tmp_path) -> None:
    (tmp_path / "qrels").mkdir()
    (tmp_path / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n1\t10\t1\n1\t11\t2\n")
    (tmp_path / "queries.jsonl").write_text('{"_id": "1", "text": "q one"}\n'
                                            '{"_id": "2", "text": "q two"}\n')
    data = load_beir(tmp_path)
    assert data.queries == {"1": "q one"}
    assert data.qrels == {"1": {"10": 1, "11": 2}}


def test_merge_spans_folds_overlaps_and_drops_empty() -> None:
    assert merge_spans([(5, 8), (0, 3), (2, 4), (8, 9), (7, 7)]) == [(0, 4), (5, 9)]


def test_span_coverage_counts_gold_characters_inside() -> None:
    gold = [(0, 10), (20, 30)]
    assert span_coverage(gold, [(5, 25)]) == pytest.approx(10 / 20)
    assert span_coverage(gold, [(0, 10), (0, 10), (20, 30)]) == 1.0  # repeats count once
    assert span_coverage(gold, [(10, 20)]) == 0.0
    assert span_coverage([], [(0, 5)]) == 0.0


def test_topic_coverage_counts_topics_touched() -> None:
    topics = [(0, 100), (100, 200), (200, 300)]
    assert topic_coverage(topics, [(150, 160)]) == pytest.approx(1 / 3)
    assert topic_coverage(topics, [(99, 201)]) == 1.0
    assert topic_coverage(topics, []) == 0.0
