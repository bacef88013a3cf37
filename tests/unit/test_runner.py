import pytest

from rag_agent.errors import ConfigError
from rag_agent.eval.runner import evaluate, run_eval
from rag_agent.eval.types import CorpusDoc, EvalQuery, EvalSet, Passage

DATA = EvalSet(
    "sec10q", [CorpusDoc(k, k, f"text of {k}") for k in ("a", "b", "c")],
    [EvalQuery("1", "find a", {"a": 1}, "single"),
     EvalQuery("2", "find b", {"b": 1}, "single"),
     EvalQuery("3", "find a and c", {"a": 1, "c": 1}, "multi")], depth=5)

HOTPOT = EvalSet(
    "hotpotqa", [CorpusDoc("Ann", "Ann", "Ann Smith was Chief of Protocol. She lived in Rome."),
                 CorpusDoc("Bob", "Bob", "Bob Jones was a painter. He was born in 1950.")],
    [EvalQuery("1", "What was Ann's job?", {"Ann": 1}, "bridge", answer="Chief of Protocol"),
     EvalQuery("2", "Were both born in 1950?", {"Ann": 1, "Bob": 1}, "comparison",
               answer="no"),
     EvalQuery("3", "No gold answer", {"Bob": 1}, "bridge")], depth=5)


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
    assert "answer" not in s  # sec10q has no answer metrics


class Answering:
    """A strategy that keeps its own answers, as AgentStrategy does."""

    def __init__(self) -> None:
        self.answers: dict[str, str] = {}

    def __call__(self, query: EvalQuery, k: int) -> list[Passage]:
        self.answers[query.qid] = "No [1], she was Chief of Protocol [1]."
        return [Passage("Bob", HOTPOT.docs[1].text)]


def test_evaluate_scores_lead_answers_and_own_answers() -> None:
    docs = {d.key: d.text for d in HOTPOT.docs}
    lead = lambda query, k: [Passage(key, docs[key]) for key in ("Ann", "Bob")]  # noqa: E731
    out = evaluate(HOTPOT, {"lead": lead, "own": Answering()})
    # lead answer: "Ann Smith was Chief of Protocol. Bob Jones was a painter. She lived ..."
    assert out["lead"]["answer"] == "lead" and out["own"]["answer"] == "own"
    assert out["lead"]["all"]["answer_in@600"] == 0.5  # "no" is not in the lead answer
    assert out["lead"]["all"]["n:answer_in@600"] == 2  # only queries with a gold answer
    assert out["lead"]["all"]["span_answer_in@600"] == 1.0
    assert out["lead"]["all"]["n:span_answer_in@600"] == 1
    assert out["own"]["all"]["answer_in@600"] == 1.0  # its own answer, not its passages'
    assert out["own"]["all"]["recall@2"] == pytest.approx((0 + 0.5 + 1) / 3)
    assert out["own"]["by_type"]["comparison"]["answer_in@600"] == 1.0
    assert "span_answer_in@600" not in out["own"]["by_type"]["comparison"]


def test_unknown_strategy_group_is_named(tmp_path) -> None:
    with pytest.raises(ConfigError, match="unknown strategy group.*nope.*use any of ours"):
        run_eval("sec10q", tmp_path, workdir=tmp_path, systems=["ours", "nope"])
