"""A question with nothing in it to search for is answered at intake, without retrieval."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from rag_agent.agent.conversation import (
    EMPTY_ANSWER,
    empty_question,
    has_words,
    intake,
    pending_question,
    route_intake,
)


@pytest.mark.parametrize("question", ["", "   ", "\n\t", "?", "?!...", "-- _ --"])
def test_questions_without_a_word_go_to_the_empty_answer(question: str) -> None:
    assert not has_words(question)
    state = {"question": question}
    update = intake(state)  # type: ignore[arg-type]
    assert update["question"] == question.strip()
    assert route_intake(update) == "empty_question"  # type: ignore[arg-type]


@pytest.mark.parametrize("question", ["Where is Boston?", "2023", "Q3", "Qué?", "東京"])
def test_questions_with_a_word_are_classified(question: str) -> None:
    assert has_words(question)
    assert route_intake(intake({"question": question})) == "classify"  # type: ignore[arg-type]


def test_an_empty_user_message_is_the_question_not_the_previous_one() -> None:
    """In a chat thread, an empty message must not re-ask the last run's question."""
    state = {"question": "Compare Avalon and Brightwater.", "messages": [
        HumanMessage("Compare Avalon and Brightwater."), AIMessage("..."), HumanMessage("  ")]}
    assert pending_question(state["messages"]) == ""
    update = intake(state)  # type: ignore[arg-type]
    assert update["question"] == "" and route_intake(update) == "empty_question"


def test_the_empty_answer_has_no_passages_and_clears_the_last_runs() -> None:
    update = intake({"question": " ", "answer": "old", "passages": ["old"],  # type: ignore
                     "citations": [{"n": 1}], "inferred_filter": {"year": 2023}})
    assert (update["answer"], update["passages"], update["citations"]) == ("", [], [])
    assert update["inferred_filter"] is None
    out = empty_question({**update})  # type: ignore[arg-type]
    assert out["answer"] == EMPTY_ANSWER and out["passages"] == [] and out["citations"] == []
    assert out["messages"][0].content == EMPTY_ANSWER
