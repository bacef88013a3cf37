"""`call_or_none`: a timed-out chat-model call is cancelled, never left holding a worker."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.runnables import RunnableLambda

from rag_agent.agent.llm import call_or_none


class HangingModel:
    """An `ainvoke` that never answers: records each call it receives and its cancellation."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.cancelled: list[str] = []
        self._lock = threading.Lock()

    async def ainvoke(self, prompt: str) -> Any:
        with self._lock:
            self.sent.append(prompt)
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            with self._lock:
                self.cancelled.append(prompt)
            raise


def _wait_for(check: Any, seconds: float = 2.0) -> bool:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_timed_out_calls_are_cancelled_and_never_queue_the_next_ones() -> None:
    model = HangingModel()
    for i in range(8):  # more calls than the old pool had workers
        started = time.monotonic()
        out, why = call_or_none(lambda i=i: model.ainvoke(f"call {i}"), 0.2)
        assert (out, why) == (None, "timed out after 0.2 s")
        assert time.monotonic() - started < 1.5
        assert model.sent[-1] == f"call {i}"  # sent at once, not queued behind a hung one
        assert _wait_for(lambda i=i: f"call {i}" in model.cancelled), model.cancelled
    assert model.sent == model.cancelled == [f"call {i}" for i in range(8)]


def test_concurrent_calls_are_all_sent() -> None:
    model = HangingModel()
    results: list[tuple[Any, str | None]] = []
    threads = [threading.Thread(target=lambda i=i: results.append(
        call_or_none(lambda: model.ainvoke(f"call {i}"), 0.5))) for i in range(6)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert time.monotonic() - started < 3.0
    assert sorted(model.sent) == [f"call {i}" for i in range(6)]
    assert results == [(None, "timed out after 0.5 s")] * 6
    assert _wait_for(lambda: len(model.cancelled) == 6)


def test_errors_and_sync_calls_give_none_with_why() -> None:
    async def fail() -> None:
        raise RuntimeError("endpoint down")

    assert call_or_none(fail, 1.0) == (None, "RuntimeError: endpoint down")
    out, why = call_or_none(lambda: "not awaitable", 1.0)  # type: ignore[arg-type,return-value]
    assert out is None and why.startswith("TypeError: call_or_none needs a call that returns")


def test_the_call_sees_the_callers_context_and_callbacks() -> None:
    """Callbacks (LangGraph's token stream, tracing) ride in the caller's context: the call on
    the background loop must still report to them."""
    marker: contextvars.ContextVar[str] = contextvars.ContextVar("marker", default="unset")
    started: list[str] = []

    class Handler(BaseCallbackHandler):
        def on_chat_model_start(self, serialized: Any, messages: Any, **kwargs: Any) -> None:
            started.append(messages[0][0].content)

    model = GenericFakeChatModel(messages=iter([AIMessage("two words")]))

    async def read_marker() -> str:
        return marker.get()

    def node(_: Any) -> Any:
        marker.set("caller")
        assert call_or_none(read_marker, 1.0) == ("caller", None)
        return call_or_none(lambda: model.ainvoke("hi"), 5.0)

    out, why = RunnableLambda(node).invoke("x", {"callbacks": [Handler()]})
    assert why is None and out.content == "two words"
    assert started == ["hi"]


def test_works_from_inside_a_running_event_loop() -> None:
    """Jupyter and LangGraph Studio call sync code from inside a running loop."""
    model = GenericFakeChatModel(messages=iter([AIMessage("fine")]))

    async def main() -> tuple[Any, str | None]:
        return call_or_none(lambda: model.ainvoke("hi"), 5.0)

    out, why = asyncio.run(main())
    assert why is None and out.content == "fine"
