"""Run-time settings of the agent (`context_schema`): what LangGraph Studio shows as a form."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

from rag_agent.agent import prompts
from rag_agent.errors import ConfigError
from rag_agent.settings import DEFAULT_TENANT

__all__ = ["Context"]


@dataclass(kw_only=True)
class Context:
    """Settings of one run; every field has a default.

    LangGraph builds it from the `context=` dict of a run; an unknown key or a value of the
    wrong type is a `ConfigError` naming it, not a bare `TypeError`.
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> Context:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(kwargs) - known)
        if args or unknown:
            given = ", ".join(map(repr, unknown)) or f"{len(args)} positional value(s)"
            raise ConfigError(f"unknown agent context setting {given}: the settings are "
                              f"{', '.join(sorted(known))} (pass them by name)")
        return super().__new__(cls)

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            kind = str if f.name.endswith("_prompt") else _TYPES.get(f.name)
            if kind is None:
                continue
            ok = isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))
            if not ok and not (value is None and f.name in _OPTIONAL):
                raise ConfigError(f"agent context setting {f.name}={value!r} must be "
                                  f"{' or '.join(t.__name__ for t in _as_tuple(kind))}")
        for name, low in _AT_LEAST.items():
            value = getattr(self, name)
            if value is not None and value < low:
                raise ConfigError(f"agent context setting {name}={value!r} must be at least "
                                  f"{low}{_MEANING.get(name, '')}")
        if not math.isfinite(self.min_score):
            raise ConfigError(f"agent context setting min_score={self.min_score!r} must be a "
                              "finite number (a cosine, e.g. 0.2)")
        if not (math.isfinite(self.llm_timeout) and self.llm_timeout > 0):
            raise ConfigError(f"agent context setting llm_timeout={self.llm_timeout!r} must "
                              "be a finite number of seconds above 0")

    k: int = field(default=8, metadata={"description": "Most passages handed to synthesis."})
    budget_chars: int | None = field(default=4000, metadata={
        "description": "Characters of context handed to synthesis: passages in rank order "
                       "while they fit, so long parents and short windows compete at equal "
                       "cost; comparisons share it across targets. None: only k limits."})
    max_hops: int = field(default=1, metadata={
        "description": "Second retrieval hops for multi-hop fact questions (0: none; at most "
                       "1): over titles the first passages name, or a follow-up query the "
                       "chat model writes."})
    window: int = field(default=2, metadata={
        "description": "Sentences on each side of a sentence-window hit."})
    route_docs: int = field(default=10, metadata={
        "description": "Documents the parent_chunk tool picks by summary before searching "
                       "their children."})
    hybrid: bool = field(default=False, metadata={
        "description": "Rank by dense + BM25 keyword search fused by reciprocal rank."})
    adapter: bool | None = field(default=None, metadata={
        "description": "Map query vectors with the index's query adapter (rag-agent finetune "
                       "--adapter): unset uses it when one is installed, false never, true "
                       "requires one."})
    auto_filter: bool = field(default=True, metadata={
        "description": "Infer a metadata filter from the question (companies, periods, "
                       "'latest') over the index's catalogue; AND-ed with `filter`."})
    tenant: str = field(default=DEFAULT_TENANT, metadata={
        "description": "Only this tenant's documents are searched."})
    filter: dict[str, Any] | None = field(default=None, metadata={
        "description": "Metadata filter applied to every search, e.g. {\"year\": 2023}."})
    answer_sentences: int = field(default=4, metadata={
        "description": "Sentences in an extractive answer (no chat model)."})
    min_score: float = field(default=0.2, metadata={
        "description": "Below this best score, grading retries a fact lookup with the other "
                       "tool (summaries are not graded: their scores run low by nature)."})
    max_retries: int = field(default=1, metadata={
        "description": "Grade-and-retry rounds (at most 2)."})
    llm_timeout: float = field(default=60.0, metadata={
        "description": "Seconds before a chat-model call falls back to the offline path."})
    classify_prompt: str = field(default=prompts.CLASSIFY_PROMPT, metadata={
        "description": "Prompt of the LLM task classifier."})
    filter_prompt: str = field(default=prompts.FILTER_PROMPT, metadata={
        "description": "Prompt of the LLM filter inference (answers over the catalogue)."})
    follow_up_prompt: str = field(default=prompts.FOLLOW_UP_PROMPT, metadata={
        "description": "Prompt that writes the second hop's query (with a chat model)."})
    targets_prompt: str = field(default=prompts.TARGETS_PROMPT, metadata={
        "description": "Prompt that lists what a comparison compares."})
    fact_prompt: str = field(default=prompts.FACT_PROMPT, metadata={
        "description": "Answer prompt for fact questions."})
    summary_prompt: str = field(default=prompts.SUMMARY_PROMPT, metadata={
        "description": "Answer prompt for summary questions."})
    comparison_prompt: str = field(default=prompts.COMPARISON_PROMPT, metadata={
        "description": "Answer prompt for comparison questions."})


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


_OPTIONAL = {"budget_chars", "filter", "adapter"}
_AT_LEAST = {"k": 1, "budget_chars": 1, "max_hops": 0, "window": 0, "route_docs": 1,
             "answer_sentences": 1, "max_retries": 0}
"""The smallest value of each whole-number setting (None is allowed where `_OPTIONAL`)."""
_MEANING = {"budget_chars": " (None: no character budget, only k limits)",
            "max_hops": " (0: no second hop)", "max_retries": " (0: no retry)",
            "window": " (0: the hit sentence alone)"}
_TYPES: dict[str, type | tuple[type, ...]] = {
    "k": int, "budget_chars": int, "max_hops": int, "window": int, "route_docs": int,
    "hybrid": bool, "adapter": bool, "auto_filter": bool, "tenant": str, "filter": dict, "answer_sentences": int,
    "min_score": (int, float), "max_retries": int, "llm_timeout": (int, float),
}
