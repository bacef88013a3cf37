import pytest

from rag_agent.errors import ConfigError
from rag_agent.eval.runner import evaluate, run_eval
from rag_agent.eval.types import CorpusDoc, EvalQuery, EvalSet, Passage

DATA = EvalSet(
    "sec10q", [CorpusDoc(k, k, f"text of {k}") for k in ("a", "b", "c")],
    [EvalQuery("1", "find a", {"a": 1}, "single"),
     EvalQuery("2", "find b", {"b": 1}, "single"),
     EvalQuery("3", "find a and c", {"a": 1, "c": 1}, "multi")], depth=5)


def always(*keys: str):
    return lambda query, k: [Passage(key, "t") for key in keys][:k]


def test_evaluate_means_per_type_counts_and_warmup() -> None:
    warmed = []
    out = evaluate(DATA, {"a first": always("a", "b", "c")}, warm=warmed.append)
    assert warmed == ["find a", "find b", "find a and c"]
    s = out["a first"]
    assert s["all"]["recall@1"] == pytest.approx((1 + 0 + 0.5) / 3)
    assert s["all"]["top1_exact"] == 0.5 and s["all"]["n:top1_exact"] == 2
    assert s["by_type"]["multi"] == {"recall@1": 0.5, "recall@4": 1.0, "recall@10": 1.0,
                                     "n:recall@1": 1, "n:recall@4": 1, "n:recall@10": 1}
    assert set(s["latency_ms"]) == {"p50", "p95"}


def test_unknown_strategy_group_is_named(tmp_path) -> None:
    with pytest.raises(ConfigError, match="unknown strategy group.*nope.*use any of ours"):
        run_eval("sec10q", tmp_path, workdir=tmp_path, systems=["ours", "nope"])
