"""The records every part of the evaluation harness shares: corpus, queries, passages, strategies."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["SYSTEMS", "CorpusDoc", "EvalQuery", "EvalSet", "Passage", "Retrieve"]

SYSTEMS = ("ours", "hybrid", "agent", "auto", "langchain", "bm25", "llamaindex")
"""Groups of strategies an evaluation run can select (`rag-agent eval --strategy`)."""


@dataclass(frozen=True)
class CorpusDoc:
    """One document of an evaluation corpus, as every system under test receives it."""

    key: str
    """The id the gold labels refer to (a BEIR `_id`, a 10-Q file stem, a HotpotQA title...)."""
    title: str
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EvalQuery:
    """One question with what counts as finding it."""

    qid: str
    text: str
    gold: dict[str, int]
    """Document key -> relevance grade (> 0 is relevant)."""
    qtype: str = ""
    """The set's own question type, for per-type breakdowns ("bridge", "Multi-Doc RAG"...)."""
    task: str | None = None
    """fact, summary or comparison where the set maps one (../shared/data/README.md)."""
    scope: tuple[str, ...] | None = None
    """Retrieve only inside these documents (QMSum: the meeting the query is about)."""
    spans: tuple[tuple[int, int], ...] = ()
    """Gold character spans in the scoped document (QMSum's relevant turns)."""
    topics: tuple[tuple[int, int], ...] = ()
    """Character spans of the scoped document's topics (QMSum), for topic coverage."""
    answer: str | None = None
    """Gold answer text where the set has one (HotpotQA, QMSum), for the answer metrics."""


@dataclass
class EvalSet:
    """A corpus and its queries; `depth` passages are retrieved per query and strategy."""

    name: str
    docs: list[CorpusDoc]
    queries: list[EvalQuery]
    depth: int = 100
    notes: list[str] = field(default_factory=list)
    template: str | None = None
    """File-name template of the corpus's document keys, for metadata at ingest."""


@dataclass(frozen=True)
class Passage:
    """A retrieved passage, traced back to its document."""

    key: str
    """`CorpusDoc.key` of the document it came from."""
    text: str
    start: int | None = None
    """Character offset of the passage in `CorpusDoc.text`, where the system knows it."""
    end: int | None = None


Retrieve = Callable[[EvalQuery, int], list[Passage]]
"""A strategy under test: (query, how many passages) -> passages, best first. It must honour
`query.scope` (retrieve only inside those documents) when the query has one.

A strategy that also answers (the agent) keeps an `answers` dict, query id -> answer text,
filled by its calls; the answer metrics score that answer instead of a lead answer built from
its passages (`rag_agent.eval.scoring.lead_answer`)."""
