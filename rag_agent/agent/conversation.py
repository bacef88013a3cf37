"""The agent as a chat participant: a question from `question` or from `messages`, the answer
appended to `messages` as an AI message with its citations, and a clean slate each run.

A thread kept by a checkpointer (LangGraph Studio, a chat UI) carries the previous run's state;
`intake` empties what one run accumulates, so a second question never sees the first one's
evidence, notes or retry count. A question with no word in it (empty, blank, "?") is answered
by `empty_question` without retrieval: there is nothing to search for, and retrieval would
answer it from whatever passages rank first.
"""

from __future__ import annotations

from typing import Any, Literal

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage

from rag_agent.agent.state import Citation, State
from rag_agent.errors import ConfigError
from rag_agent.ingest.clean import has_words

__all__ = ["EMPTY_ANSWER", "answer_message", "empty_question", "has_words", "intake",
           "pending_question", "route_intake"]

AGENT_NAME = "rag_agent"
EMPTY_ANSWER = ("The question is empty: ask about something in the indexed documents, e.g. "
                "\"What does the report say about revenue?\"")

# what one run builds up; `None` empties a list kept by the `run_list` reducer
_RESET: dict[str, Any] = {
    "evidence": None, "notes": None, "documents": [], "hops": [], "plan": [], "targets": [],
    "retry": False, "retries": 0, "filter_fallback": None, "tool": "", "task": "", "shape": "",
    "answer": "", "citations": [], "passages": [], "inferred_filter": None, "filter_trace": [],
    "target_filters": [],
}


def pending_question(messages: list[AnyMessage]) -> str | None:
    """The newest user message that no AI message has answered yet, as text ("" for an empty
    one), or None when every user message is answered."""
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            return message.text.strip()
        if isinstance(message, AIMessage):
            return None
    return None


def intake(state: State) -> dict[str, Any]:
    """The run's question (an unanswered user message wins over `question`, which may be
    the previous run's), recorded as a user message, with the per-run fields emptied."""
    messages = list(state.get("messages") or [])
    question = pending_question(messages)
    update: dict[str, Any] = dict(_RESET)
    if question is None:
        if not isinstance(state.get("question"), str):
            raise ConfigError('the agent needs a question: give {"question": "..."} or '
                              '{"messages": [...]} ending with a user message')
        question = state["question"].strip()
        update["messages"] = [HumanMessage(content=question)]
    update["question"] = question
    return update


def route_intake(state: State) -> Literal["classify", "empty_question"]:
    """On to classification, or straight to the answer that the question is empty."""
    return "classify" if has_words(state["question"]) else "empty_question"


def empty_question(state: State) -> dict[str, Any]:
    """The answer to a question with nothing in it to search for: no retrieval, no passages."""
    return {"answer": EMPTY_ANSWER, "citations": [], "passages": [],
            "messages": [answer_message(EMPTY_ANSWER, [])],
            "notes": ["empty question: nothing retrieved"]}


def answer_message(answer: str, citations: list[Citation]) -> AIMessage:
    """The answer as an AI message: the text, then its numbered sources; the citations
    themselves ride along in `response_metadata["citations"]`."""
    lines = [f"[{c['n']}] {c['title'] or c['source_id']} ({c['source_id']})" for c in citations]
    content = answer + ("\n\nSources:\n" + "\n".join(lines) if lines else "")
    return AIMessage(content=content, name=AGENT_NAME,
                     response_metadata={"citations": [dict(c) for c in citations]})
