"""The agent as a chat participant: where the question comes from, the answer message, resets."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from rag_agent.agent.context import Context
from rag_agent.agent.conversation import answer_message, intake, pending_question
from rag_agent.agent.state import run_list
from rag_agent.errors import ConfigError

CITE = {"n": 1, "source_id": "a.md", "doc_id": "d1", "title": "Alpha", "passage": "x"}


def test_pending_question_is_the_newest_unanswered_user_message() -> None:
    assert pending_question([SystemMessage("be brief"), HumanMessage("first?")]) == "first?"
    assert pending_question([HumanMessage("q1"), AIMessage("a1")]) is None
    assert pending_question([HumanMessage("q1"), AIMessage("a1"), HumanMessage("q2")]) == "q2"
    blocks = HumanMessage(content=[{"type": "text", "text": "What is FAISS?"}])
    assert pending_question([blocks]) == "What is FAISS?"
    assert pending_question([]) is None


def test_intake_takes_messages_over_a_stale_question_and_resets_the_run() -> None:
    state = {"question": "last run's question", "messages": [
        HumanMessage("q1"), AIMessage("a1"), HumanMessage("  Where is Boston?  ")],
        "notes": ["old note"], "retries": 1, "evidence": [{"target": "x"}]}
    update = intake(state)  # type: ignore[arg-type]
    assert update["question"] == "Where is Boston?" and "messages" not in update
    assert update["notes"] is None and update["evidence"] is None and update["retries"] == 0
    assert run_list(["old note"], update["notes"]) == []  # the reducer empties on None
    assert run_list(["a"], ["b"]) == ["a", "b"]


def test_intake_records_a_plain_question_as_a_user_message() -> None:
    update = intake({"question": "Where is Boston?"})
    assert update["question"] == "Where is Boston?"
    assert [m.content for m in update["messages"]] == ["Where is Boston?"]
    answered = {"question": "new one", "messages": [HumanMessage("old"), AIMessage("a")]}
    assert intake(answered)["question"] == "new one"  # type: ignore[arg-type]


def test_intake_without_a_question_says_what_to_give() -> None:
    with pytest.raises(ConfigError, match='"messages"'):
        intake({"messages": [AIMessage("hello")]})  # type: ignore[typeddict-item]
    with pytest.raises(ConfigError, match='"question"'):
        intake({})  # type: ignore[typeddict-item]


def test_answer_message_lists_sources_and_keeps_citations() -> None:
    msg = answer_message("Boston is in Massachusetts [1].", [CITE])  # type: ignore[list-item]
    assert msg.content == "Boston is in Massachusetts [1].\n\nSources:\n[1] Alpha (a.md)"
    assert msg.name == "rag_agent" and msg.response_metadata["citations"] == [CITE]
    assert answer_message("No passages.", []).content == "No passages."


def test_context_rejects_unknown_keys_and_wrong_types_by_name() -> None:
    with pytest.raises(ConfigError, match="unknown agent context setting 'top_k'.*budget_chars"):
        Context(top_k=3)  # type: ignore[call-arg]
    with pytest.raises(ConfigError, match="k='5' must be int"):
        Context(k="5")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="hybrid=1 must be bool"):
        Context(hybrid=1)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="k=0 must be at least 1"):
        Context(k=0)
    assert Context(budget_chars=None, filter=None, min_score=1).min_score == 1
