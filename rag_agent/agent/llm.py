"""Chat-model calls that can only make answers better: any error, timeout or malformed output
returns None and the caller takes the offline path."""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

from pydantic import BaseModel, Field

__all__ = ["FollowUp", "TargetList", "TaskChoice", "call_or_none", "make_chat_model"]

T = TypeVar("T")
_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="rag-agent-llm")


class TaskChoice(BaseModel):
    """The task of a question."""

    task: str = Field(description="one of: fact, summary, comparison")


class FollowUp(BaseModel):
    """The search that finds what the first passages leave open (a multi-hop question)."""

    query: str = Field(description="one short search query for the missing fact, or empty")


class TargetList(BaseModel):
    """What a comparison question compares."""

    targets: list[str] = Field(description="short names of the things compared")


def call_or_none(fn: Callable[[], T], timeout: float) -> tuple[T | None, str | None]:
    """(result, None), or (None, why) on any exception or after `timeout` seconds.

    The call runs in a worker thread with the caller's context, so LangChain callbacks (and
    LangGraph token streaming) still see it.
    """
    ctx = contextvars.copy_context()
    future = _POOL.submit(ctx.run, fn)
    try:
        return future.result(timeout=timeout), None
    except FutureTimeout:
        return None, f"timed out after {timeout:.0f} s"
    except Exception as exc:  # the offline path takes over on any failure
        return None, f"{type(exc).__name__}: {exc}"[:300]


def make_chat_model(base_url: str | None = None, model: str | None = None,
                    api_key: str | None = None, max_tokens: int = 512,
                    **kwargs: Any) -> Any:
    """`ChatOpenAI` for any OpenAI-compatible endpoint (needs the `openai` extra)."""
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as exc:
        from rag_agent.errors import MissingExtraError

        raise MissingExtraError("an OpenAI-compatible chat model", "openai") from exc
    import os

    return ChatOpenAI(
        base_url=base_url or os.environ.get("RAG_AGENT_LLM_BASE_URL")
        or os.environ.get("OPENAI_BASE_URL"),
        model=model or os.environ.get("RAG_AGENT_LLM_MODEL") or "gpt-4o-mini",
        api_key=api_key or os.environ.get("OPENAI_API_KEY") or "not-needed",
        extra_body={"max_tokens": max_tokens},
        temperature=0,
        **{"max_retries": 1, "timeout": 60, **kwargs},
    )
