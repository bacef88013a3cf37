"""Document summaries: extractive and offline by default, from a chat model on request.

The extractive summary reuses the sentence vectors the index computes anyway (no second pass
over the text): sentences are picked by closeness to the document centroid, with maximal
marginal relevance so that they do not repeat each other, and put back in reading order.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from langchain_core.stores import BaseStore

from rag_agent.ingest.split import is_prose

__all__ = ["DEFAULT_SUMMARY_PROMPT", "LLMSummarizer", "cached_replies", "extractive_summary",
           "model_name", "run_blocking"]

LEAD_WINDOW = 10
"""Sentences at the start of a document searched for its lead sentence."""
_NEAR_DUPLICATE = 0.95
"""Sentences this close to one already picked are never picked (boilerplate, repeats)."""

DEFAULT_SUMMARY_PROMPT = (
    "Summarize the document below in 3 to 5 sentences for a search index. Name its subject, "
    "the entities, dates and figures it is about, and what a reader could look up in it. "
    "Write only the summary.\n\nTitle: {title}\n\n{text}"
)


def _leads_into_code(sentences: Sequence[str], code: Sequence[bool]) -> np.ndarray:
    """Prose sentences cut off by the code block right after them: not ending in terminal
    punctuation (closing quotes, brackets and emphasis aside)."""
    out = np.zeros(len(sentences), dtype=bool)
    for i in range(len(sentences) - 1):
        if code[i + 1] and not code[i]:
            out[i] = not sentences[i].rstrip().rstrip("\"')]*_`").endswith((".", "!", "?"))
    return out


def extractive_summary(
    sentences: Sequence[str],
    vectors: np.ndarray,
    *,
    n: int = 5,
    max_chars: int = 1000,
    diversity: float = 0.3,
    lead: bool = True,
    code: Sequence[bool] | None = None,
) -> str:
    """The `n` most central, mutually distinct prose sentences, in reading order.

    With `lead`, the document's first prose sentence (among its first `LEAD_WINDOW`) is one of
    them when it is at least as central as the median prose sentence: an article, a README or
    a filing usually says what it is about first, while an opening that is far from the rest
    ("What is built today, floor by floor.") is a hook, not a statement of the subject.
    `code` marks sentences inside fenced code blocks (`Span.code`), never picked while prose
    is left, nor is an unfinished sentence that leads into a code block ("... with the command
    that fixes it, and" before the fence; its sentence goes on after the block).
    """
    if len(sentences) == 0:
        return ""
    if len(sentences) <= n:
        return " ".join(sentences)
    centroid = vectors.mean(axis=0)
    centroid /= np.linalg.norm(centroid) or 1.0
    relevance = vectors @ centroid
    markup = np.array([not is_prose(t) for t in sentences])
    if code is not None:
        markup |= np.asarray(code, dtype=bool) | _leads_into_code(sentences, code)
    if (~markup).sum() >= n:  # headings, tables, code and fragments are kept out while prose is left
        relevance = np.where(markup, -np.inf, relevance)
    chosen: list[int] = []
    redundancy = np.full(len(sentences), -1.0, dtype=np.float32)
    used = 0
    prose_relevance = relevance[np.isfinite(relevance)]
    typical = float(np.median(prose_relevance)) if len(prose_relevance) else -np.inf
    opening = next((i for i in range(min(LEAD_WINDOW, len(sentences))) if not markup[i]
                    and len(sentences[i]) <= max_chars // 2), None) if lead else None
    if opening is not None and relevance[opening] < typical:
        opening = None
    if opening is not None:
        chosen.append(opening)
        used += len(sentences[opening]) + 1
        redundancy = np.maximum(redundancy, vectors @ vectors[opening])
    while len(chosen) < n:
        score = (1 - diversity) * relevance - diversity * redundancy
        score[chosen] = -np.inf
        score[redundancy > _NEAR_DUPLICATE] = -np.inf
        best = int(np.argmax(score))
        if not np.isfinite(score[best]):
            break
        if chosen and used + len(sentences[best]) > max_chars:
            score_left = score.copy()
            score_left[[i for i, s in enumerate(sentences) if used + len(s) > max_chars]] = -np.inf
            best = int(np.argmax(score_left))
            if not np.isfinite(score_left[best]):
                break
        chosen.append(best)
        used += len(sentences[best]) + 1
        redundancy = np.maximum(redundancy, vectors @ vectors[best])
    return " ".join(sentences[i] for i in sorted(chosen))


def model_name(chat_model: Any) -> str:
    """The name a chat model's replies are cached under (its model name, else its class)."""
    return str(getattr(chat_model, "model_name", None) or getattr(chat_model, "model", None)
               or type(chat_model).__name__)


async def cached_replies(chat_model: Any, keyed: Sequence[tuple[str, str]],
                         cache: BaseStore[str, str], *, max_concurrency: int = 4,
                         timeout: float = 120.0) -> list[str | None]:
    """The chat model's reply to each (cache key, prompt), from `cache` when it holds the key;
    new replies are stored under their key, so none is paid for twice. A call that fails, times
    out or answers nothing gives None (never an exception: one failure never fails the batch)."""
    keys = [k for k, _ in keyed]
    cached: list[str | None] = list(cache.mget(keys))
    todo = [i for i, hit in enumerate(cached) if hit is None]
    if not todo:
        return cached
    gate = asyncio.Semaphore(max_concurrency)

    async def ask(prompt: str) -> Any:
        async with gate:
            try:
                return await asyncio.wait_for(chat_model.ainvoke(prompt), timeout)
            except Exception as exc:
                return exc

    replies = await asyncio.gather(*(ask(keyed[i][1]) for i in todo))
    fresh = []
    for i, reply in zip(todo, replies, strict=True):
        content = getattr(reply, "content", None)
        if isinstance(content, str) and content.strip():
            cached[i] = content.strip()
            fresh.append((keys[i], cached[i]))
    cache.mset(fresh)
    return cached


def run_blocking(coro: Any) -> Any:
    """Run a coroutine to completion from sync code, also inside a running event loop
    (Jupyter): then on a worker thread with its own loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


class LLMSummarizer:
    """Summaries from any LangChain chat model: batched, async, cached by content hash.

    The cache is any `BaseStore[str, str]` (the index passes its SQLite store), so a summary
    is paid for once per distinct (model, prompt, text), whatever the run. A call that fails or
    times out yields None, and the index keeps the extractive summary for that document.
    """

    def __init__(
        self,
        chat_model: Any,
        *,
        prompt: str = DEFAULT_SUMMARY_PROMPT,
        max_concurrency: int = 4,
        max_input_chars: int = 12000,
        timeout: float = 120.0,
    ) -> None:
        self.chat_model = chat_model
        self.prompt = prompt
        self.max_concurrency = max_concurrency
        self.max_input_chars = max_input_chars
        self.timeout = timeout
        self.model_name = model_name(chat_model)

    def cache_key(self, title: str, text: str) -> str:
        raw = "\x00".join([self.model_name, self.prompt, title, text[: self.max_input_chars]])
        return "summary:" + hashlib.sha256(raw.encode()).hexdigest()

    async def asummarize(
        self, items: Sequence[tuple[str, str]], cache: BaseStore[str, str]
    ) -> list[str | None]:
        """One summary per (title, text); None where the model failed (caller falls back)."""
        return await cached_replies(
            self.chat_model,
            [(self.cache_key(t, x), self.prompt.format(title=t, text=x[: self.max_input_chars]))
             for t, x in items],
            cache, max_concurrency=self.max_concurrency, timeout=self.timeout)

    def summarize(
        self, items: Sequence[tuple[str, str]], cache: BaseStore[str, str]
    ) -> list[str | None]:
        """Blocking form of `asummarize` (also safe inside a running event loop, e.g. Jupyter)."""
        return run_blocking(self.asummarize(items, cache))
