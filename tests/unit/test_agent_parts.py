import pytest

from rag_agent.agent.classify import cue_features, load_examples
from rag_agent.agent.compare import offline_targets
from rag_agent.agent.context import Context
from rag_agent.agent.nodes import (
    AgentNodes,
    route_after_grade,
    route_after_retrieval,
    route_task,
)
from rag_agent.agent.policy import POLICY, Rule


@pytest.mark.parametrize(("task", "question", "tool"), [
    ("summary", "Summarize the meeting.", "fused"),
    ("summary", "Summarize the discussion about the budget.", "fused"),
    ("comparison", "Compare A and B.", "plan_compare"),
    ("fact", "What is the capital?", "fused"),
])
def test_route_task_follows_the_policy(task: str, question: str, tool: str) -> None:
    assert route_task({"question": question, "task": task}) == tool


def test_route_task_reads_a_callers_policy() -> None:
    policy = {**POLICY, "fact": Rule("sentence_window", why="a caller's own table")}
    assert route_task({"question": "What is the capital?", "task": "fact"}, policy) == (
        "sentence_window")
    assert route_after_retrieval({"question": "What is the capital?", "task": "fact"},
                                 policy) == "grade"
    assert route_after_retrieval({"question": "What is the capital?", "task": "fact"}) == (
        "hop" if POLICY["fact"].hops else "grade")
    assert route_after_retrieval({"question": "Who?", "task": "fact",
                                  "hops": [{"via": "none"}]}) == "grade"  # one hop at most


def test_route_task_refuses_unknown_tasks() -> None:
    with pytest.raises(ValueError, match="unknown task 'poem'"):
        route_task({"question": "x", "task": "poem"})


def test_route_after_grade() -> None:
    assert route_after_grade({"question": "q", "tool": "sentence_window", "retry": True}) == (
        "parent_chunk")
    assert route_after_grade({"question": "q", "tool": "summary", "retry": False}) == "synthesize"


@pytest.mark.parametrize(("question", "titles", "expected"), [
    ("Compare Toronto's and Seattle's populations", ["Toronto", "Seattle", "Boston"],
     ["Toronto", "Seattle"]),
    ("Is Seattle bigger than Toronto?", ["Toronto", "Seattle"], ["Seattle", "Toronto"]),
    ("Were Scott Derrickson and Ed Wood of the same nationality?", [],
     ["Scott Derrickson", "Ed Wood"]),
    ("Which magazine was started first, Arthur's Magazine or First for Women?", [],
     ["Arthur's Magazine", "First for Women"]),
    ("How has Apple's total net sales changed over time?", [], []),
])
def test_offline_targets(question: str, titles: list[str], expected: list[str]) -> None:
    assert [t["name"] for t in offline_targets(question, titles)] == expected


def test_examples_cover_every_task_and_cues_fire() -> None:
    tasks = {t for _, t in load_examples()}
    assert tasks == {"fact", "summary", "comparison"}
    assert cue_features("Summarize the meeting").sum() >= 1
    assert cue_features("Which is older, A or B?").sum() >= 1
    assert cue_features("What is the boiling point of water?").sum() == 0


def test_targets_that_are_no_document_each_ask_the_whole_question() -> None:
    nodes = AgentNodes(index=None, classifier=None, chat_model=None)
    question = "Venules have a larger lumen diameter than arterioles."
    aspects = nodes.fan_out({"question": question, "plan": [
        {"name": "Venules", "title": None}, {"name": "arterioles", "title": None}]})
    assert [s.arg["within"] for s in aspects] == [True, True]
    documents = nodes.fan_out({"question": "Compare Boston and Chicago", "plan": [
        {"name": "Boston", "title": "Boston"}, {"name": "Chicago", "title": None}]})
    assert [s.arg["within"] for s in documents] == [False, False]  # one names a document


def test_a_full_stop_is_not_part_of_a_target_name() -> None:
    targets = offline_targets("Boston grew faster than Chicago.", [])
    assert [t["name"] for t in targets] == ["Boston", "Chicago"]
    assert [t["name"] for t in offline_targets("Compare the U.S. and Canada", [])] == [
        "U.S.", "Canada"]


@pytest.mark.parametrize("shape", list(POLICY))
def test_each_rule_reaches_the_retriever_it_builds(shape: str) -> None:
    rule = POLICY[shape]
    fused = AgentNodes(index=None, classifier=None, chat_model=None)._fused(Context(), rule)
    assert (fused.signals, fused.keyword, fused.regions_per_doc, fused.child_context) == (
        rule.signals, rule.keyword, rule.regions_per_doc, rule.child_context)
