"""Chat-model calls that can only make answers better: any error, timeout or malformed output
returns None and the caller takes the offline path.

Every call runs as a task on one background event loop (a daemon thread of its own) under
`asyncio.wait_for`, and the caller waits on a concurrent future. A call that times out is
cancelled on that loop (an HTTP request is closed), so it holds nothing: the next call is sent
at once, however many hung before it. Nodes may run sync (`graph.invoke`) or async
(`graph.ainvoke`, which runs sync nodes on worker threads), inside a running event loop
(LangGraph Studio, Jupyter) or not: the call never runs on the caller's loop.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pydantic import BaseModel, Field

__all__ = ["FollowUp", "TargetList", "TaskChoice", "call_or_none", "make_chat_model"]

T = TypeVar("T")
_loop: asyncio.AbstractEventLoop | None = None
_loop_lock = threading.Lock()


class TaskChoice(BaseModel):
    """The task of a question."""

    task: str = Field(description="one of: fact, summary, comparison")


class FollowUp(BaseModel):
    """The search that finds what the first passages leave open (a multi-hop question)."""

    query: str = Field(description="one short search query for the missing fact, or empty")


class TargetList(BaseModel):
    """What a comparison question compares."""

    targets: list[str] = Field(description="short names of the things compared")


def _background_loop() -> asyncio.AbstractEventLoop:
    """The loop every chat-model call runs on, started on first use."""
    global _loop
    with _loop_lock:
        if _loop is None:
            _loop = asyncio.new_event_loop()
            threading.Thread(target=_loop.run_forever, name="rag-agent-llm",
                             daemon=True).start()
        return _loop


def _forget_loop() -> None:
    """A forked child inherits the loop object but not its thread: it starts its own."""
    global _loop, _loop_lock
    _loop, _loop_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_loop)


def call_or_none(call: Callable[[], Awaitable[T]],
                 timeout: float) -> tuple[T | None, str | None]:
    """(result, None), or (None, why) on any exception or after `timeout` seconds.

    Args:
        call: makes the awaitable, e.g. `lambda: model.ainvoke(prompt)`; it runs on the
            background loop, so an error in building the runnable (a model without tool
            calling) is caught too.
        timeout: seconds before the call is cancelled and None returned.

    The task runs in a copy of the caller's context (`call_soon_threadsafe` and
    `create_task` copy the current one), so LangChain callbacks, tracing and LangGraph token
    streaming still see the call. A model with no native async support runs its sync call on
    the loop's executor, where a timed-out call cannot be stopped, only abandoned.
    """

    async def bounded() -> T:
        made = call()
        if not inspect.isawaitable(made):
            raise TypeError(f"call_or_none needs a call that returns an awaitable (use "
                            f"ainvoke, not invoke); got {type(made).__name__}")
        return await asyncio.wait_for(made, timeout)

    future = asyncio.run_coroutine_threadsafe(bounded(), _background_loop())
    try:
        return future.result(timeout=timeout), None
    except TimeoutError:  # the loop's wait_for, or ours if it fired first
        future.cancel()  # cancels the task on the loop (a no-op once it is done)
        return None, f"timed out after {timeout:g} s"
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
    return ChatOpenAI(
        base_url=base_url or os.environ.get("RAG_AGENT_LLM_BASE_URL")
        or os.environ.get("OPENAI_BASE_URL"),
        model=model or os.environ.get("RAG_AGENT_LLM_MODEL") or "gpt-4o-mini",
        api_key=api_key or os.environ.get("OPENAI_API_KEY") or "not-needed",
        extra_body={"max_tokens": max_tokens},
        temperature=0,
        **{"max_retries": 1, "timeout": 60, **kwargs},
    )
