"""Graph state: a narrow input, the full working state, and what a run returns."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from langchain_core.documents import Document
from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages
from typing_extensions import TypedDict

__all__ = ["Citation", "Evidence", "HopRecord", "InputState", "OutputState", "State",
           "plan_ordered", "run_list"]

T = TypeVar("T")


def run_list(left: list[T] | None, right: list[T] | None) -> list[T]:
    """Appends (parallel branches each add theirs); `None`, written at the start of a run,
    empties it, so a checkpointed thread does not carry one run's items into the next."""
    if right is None:
        return []
    return [*(left or []), *right]


class InputState(TypedDict, total=False):
    """What a caller gives: a `question`, or chat `messages` ending with the user's."""

    question: str
    """The user's question."""
    messages: Annotated[list[AnyMessage], add_messages]
    """The conversation (MessagesState-style); the newest unanswered user message is the
    question, and the answer is appended as an AI message with its sources."""


class Citation(TypedDict):
    """One numbered source of an answer."""

    n: int
    source_id: str
    doc_id: str
    title: str
    passage: str


class Evidence(TypedDict):
    """Retrieved passages for one comparison target."""

    target: str
    order: int
    """The target's place in the plan: evidence is merged in this order, not in the order the
    parallel branches finish."""
    documents: list[Document]


def plan_ordered(left: list[Evidence] | None, right: list[Evidence] | None) -> list[Evidence]:
    """`run_list` kept in plan order (`order`, then target): the state holds the same evidence
    in the same order whichever parallel branch finishes first."""
    return sorted(run_list(left, right), key=lambda e: (e.get("order", 0), e["target"]))


class HopRecord(TypedDict, total=False):
    """One second retrieval hop."""

    via: str
    """"titles named in passages", "follow-up query", or "none"."""
    query: str
    found: list[str]
    """Titles of the documents whose passages the hop added."""
    named: dict[str, list[str]]
    """First-hop passage id -> titles of other documents it names."""
    why: str


class OutputState(TypedDict, total=False):
    """What a run returns."""

    messages: Annotated[list[AnyMessage], add_messages]
    """The conversation, ending with the answer as an AI message."""
    answer: str
    """The answer, citing sources as [n]."""
    citations: list[Citation]
    """The sources [n] refers to."""
    task: str
    """fact, summary or comparison."""
    tool: str
    """The retrieval tool that was used."""
    shape: str
    """The policy's view of the question: fact, topic_summary, whole_summary, comparison."""
    hops: list[HopRecord]
    """Second retrieval hops made for a multi-hop fact question."""
    passages: list[Document]
    """The passages handed to synthesis (within the context budget), numbered from 1."""
    targets: list[str]
    """What a comparison compared."""
    inferred_filter: dict[str, Any] | None
    """The metadata filter inferred from the question (AND-ed with the caller's), or None."""
    filter_trace: list[str]
    """How the filter was inferred: matches, resolved periods, drops and fallbacks."""


class State(InputState, OutputState, total=False):
    """The working state of one run."""

    task_confidence: float
    """Probability of the chosen task."""
    classified_by: str
    """offline, or llm."""
    documents: list[Document]
    """Passages from the tool and its hop, best first (not comparisons); synthesis takes what
    fits the budget."""
    evidence: Annotated[list[Evidence], plan_ordered]
    """Passages per comparison target; each fan-out branch adds its own, kept in plan order."""
    filter_fallback: str | None
    """Why an inferred filter was relaxed or dropped (it matched no document)."""
    target_filters: list[dict[str, Any]]
    """One inferred {"name", "filter"} per compared value (several periods or companies)."""
    plan: list[dict[str, Any]]
    """Comparison targets with the index title each one matched (if any)."""
    retry: bool
    """Set by grading: run another retrieval round before synthesis."""
    retries: int
    """How many times grading sent retrieval round again (at most `Context.max_retries`)."""
    notes: Annotated[list[str], run_list]
    """Fallbacks and decisions taken on the way (for traces and Studio)."""
