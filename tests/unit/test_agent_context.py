"""`Context`: every numeric setting is checked on construction, by name, with what it takes."""

from __future__ import annotations

import pytest

from rag_agent.agent.context import Context
from rag_agent.errors import ConfigError


@pytest.mark.parametrize(("setting", "value", "message"), [
    ("k", 0, "k=0 must be at least 1"),
    ("k", -5, "k=-5 must be at least 1"),
    ("budget_chars", -5, r"budget_chars=-5 must be at least 1 \(None: no character budget"),
    ("budget_chars", 0, "budget_chars=0 must be at least 1"),
    ("max_hops", -1, r"max_hops=-1 must be at least 0 \(0: no second hop\)"),
    ("window", -2, "window=-2 must be at least 0"),
    ("route_docs", 0, "route_docs=0 must be at least 1"),
    ("answer_sentences", 0, "answer_sentences=0 must be at least 1"),
    ("max_retries", -1, "max_retries=-1 must be at least 0"),
    ("min_score", float("nan"), "min_score=nan must be a finite number"),
    ("llm_timeout", 0, "llm_timeout=0 must be a finite number of seconds above 0"),
    ("llm_timeout", -1.5, "llm_timeout=-1.5 must be"),
    ("llm_timeout", float("inf"), "llm_timeout=inf must be"),
])
def test_out_of_range_settings_are_named(setting: str, value: object, message: str) -> None:
    with pytest.raises(ConfigError, match=f"agent context setting {message}"):
        Context(**{setting: value})


def test_the_edges_of_each_range_are_accepted() -> None:
    ctx = Context(k=1, budget_chars=1, max_hops=0, window=0, route_docs=1,
                  answer_sentences=1, max_retries=0, min_score=-1.0, llm_timeout=0.01)
    assert (ctx.k, ctx.budget_chars, ctx.max_hops, ctx.llm_timeout) == (1, 1, 0, 0.01)
    assert Context(budget_chars=None).budget_chars is None
