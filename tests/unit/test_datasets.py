import json
from pathlib import Path

import pytest

from rag_agent.cli_parser import build_parser
from rag_agent.errors import ConfigError
from rag_agent.eval.datasets import SPECS, load_dataset


@pytest.mark.parametrize("name", list(SPECS))
def test_every_spec_is_complete(name: str) -> None:
    spec = SPECS[name]
    assert spec.name == name
    assert spec.headline in spec.columns
    assert len(set(spec.columns)) == len(spec.columns)
    assert spec.columns[: len(spec.metrics)] == list(spec.metrics)  # answer metrics last
    assert spec.route_docs > 0 and spec.answer_chars > 0
    assert spec.agent_context["k"] == 10


def test_specs_hold_what_the_harness_knows() -> None:
    assert {n: s.route_docs for n, s in SPECS.items()} == {
        "scifact": 100, "sec10q": 10, "hotpotqa": 10, "qmsum": 1}
    assert SPECS["qmsum"].agent_context == {"k": 10, "budget_chars": 4000}
    assert [n for n, s in SPECS.items() if s.needs_locator] == ["qmsum"]
    assert SPECS["hotpotqa"].columns[-2:] == ["answer_in@600", "span_answer_in@600"]
    assert SPECS["qmsum"].columns[-1] == "rougeL@600"
    assert not SPECS["scifact"].answer_metrics and not SPECS["sec10q"].answer_metrics


def test_cli_and_loader_read_the_registry(tmp_path: Path) -> None:
    assert [build_parser().parse_args(["eval", name]).dataset for name in SPECS] == list(SPECS)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["eval", "nope"])
    with pytest.raises(ConfigError, match="unknown dataset 'nope'; use one of scifact, sec10q"):
        load_dataset("nope", tmp_path)


def test_hotpotqa_and_qmsum_queries_carry_gold_answers(tmp_path: Path) -> None:
    hot = tmp_path / "hotpotqa_dev_103"
    hot.mkdir()
    (hot / "hotpot_dev_distractor_v1_first103.json").write_text(json.dumps([{
        "_id": "h1", "question": "Who?", "answer": "Chief of Protocol", "type": "bridge",
        "supporting_facts": [["Ann", 0]], "context": [["Ann", ["Ann was Chief of Protocol."]]]}]))
    (tmp_path / "qmsum").mkdir()
    (tmp_path / "qmsum" / "val.jsonl").write_text(json.dumps({
        "topic_list": [], "meeting_transcripts": [{"speaker": "A", "content": "Hello there."}],
        "general_query_list": [{"query": "Summarize the meeting", "answer": "A greeted."}],
        "specific_query_list": [{"query": "What did A say?", "answer": "Hello.",
                                 "relevant_text_span": [["0", "0"]]}]}) + "\n")
    [h] = load_dataset("hotpotqa", tmp_path).queries
    assert h.answer == "Chief of Protocol"
    assert [q.answer for q in load_dataset("qmsum", tmp_path).queries] == ["A greeted.", "Hello."]
