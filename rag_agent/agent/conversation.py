"""The agent as a chat participant: a question from `question` or from `messages`, the answer
appended to `messages` as an AI message with its citations, and a clean slate each run.

A thread kept by a checkpointer (LangGraph Studio, a chat UI) carries the previous run's state;
`intake` empties what one run accumulates, so a second question never sees the first one's
evidence, notes or retry count.
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage

from rag_agent.agent.state import Citation, State
from rag_agent.errors import ConfigError

__all__ = ["answer_message", "intake", "pending_question"]

AGENT_NAME = "rag_agent"

# what one run builds up; `None` empties a list kept by the `run_list` reducer
_RESET: dict[str, Any] = {
    "evidence": None, "notes": None, "documents": [], "hops": [], "plan": [], "targets": [],
    "retry": False, "retries": 0, "filter_fallback": None, "tool": "",
}


def pending_question(messages: list[AnyMessage]) -> str | None:
    """The newest user message that no AI message has answered yet, as text."""
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            return message.text.strip() or None
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
        question = (state.get("question") or "").strip()
        if not question:
            raise ConfigError('the agent needs a question: give {"question": "..."} or '
                              '{"messages": [...]} ending with a user message')
        update["messages"] = [HumanMessage(content=question)]
    update["question"] = question
    return update


def answer_message(answer: str, citations: list[Citation]) -> AIMessage:
    """The answer as an AI message: the text, then its numbered sources; the citations
    themselves ride along in `response_metadata["citations"]`."""
    lines = [f"[{c['n']}] {c['title'] or c['source_id']} ({c['source_id']})" for c in citations]
    content = answer + ("\n\nSources:\n" + "\n".join(lines) if lines else "")
    return AIMessage(content=content, name=AGENT_NAME,
                     response_metadata={"citations": [dict(c) for c in citations]})
