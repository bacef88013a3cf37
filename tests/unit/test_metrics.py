import math

import pytest

from rag_agent.eval.beir import load_beir
from rag_agent.eval.metrics import (
    answer_in,
    dedupe,
    hit_at_k,
    merge_spans,
    mrr_at_k,
    ndcg_at_k,
    normalize_answer,
    percentiles,
    recall_at_k,
    rouge_l,
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


def test_normalize_answer_squad_style() -> None:
    assert normalize_answer("The  Beatles!") == "beatles"
    assert normalize_answer("3,677 seated") == "3677 seated"
    assert normalize_answer("An apple, a pear; the end.") == "apple pear end"
    assert normalize_answer("Theatre") == "theatre"  # articles only as whole words


def test_answer_in_exact_values() -> None:
    assert answer_in("Chief of Protocol", "She was the Chief of Protocol of the US.") == 1.0
    assert answer_in("the Beatles", "Beatles") == 1.0
    assert answer_in("Beatles", "The Beatles.") == 1.0
    assert answer_in("Chief of Protocol", "She was the Chief of Staff.") == 0.0
    assert answer_in("no", "It is not known.") == 0.0  # whole words: "no" is not in "not"
    assert answer_in("yes", "Yes, both are American.") == 1.0
    assert answer_in("", "anything") == 0.0


def test_rouge_l_matches_rouge_score() -> None:
    from rouge_score import rouge_scorer

    gold, answer = "the cats were running home", "a cat ran home running quickly"
    want = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True).score(gold, answer)
    assert rouge_l(gold, answer) == want["rougeL"].fmeasure
    # stemmed tokens: gold (the cat were run home), answer (a cat ran home run quickli);
    # longest common subsequence "cat home" (or "cat run"): P = 2/6, R = 2/5
    assert rouge_l(gold, answer) == pytest.approx(2 * (2 / 6) * (2 / 5) / (2 / 6 + 2 / 5))
    assert rouge_l("same words here", "same words here") == 1.0


def test_percentiles_interpolate_between_ranks() -> None:
    seconds = [i / 1000 for i in range(1, 21)]  # 1..20 ms
    assert percentiles(seconds) == {"p50": 10.5, "p95": 19.05}
    assert percentiles(seconds, digits=1) == {"p50": 10.5, "p95": 19.1}
    assert percentiles([0.002, 0.001, 0.004]) == {"p50": 2.0, "p95": 3.8}
    assert percentiles([0.005]) == {"p50": 5.0, "p95": 5.0}
    assert percentiles([]) == {}
