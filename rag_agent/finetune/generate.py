"""Training pairs written by a chat model: questions that each child of the index answers.

As LlamaIndex's `generate_qa_embedding_pairs`: for each chosen child, any LangChain chat model
writes `per_child` questions the passage answers; (question, child) is a pair. Calls are
batched and concurrent, and every reply is cached in the index under a hash of (model, prompt,
title, text), so a child is never paid for twice, whatever the run. A call that fails or
answers nothing gives no pair for that child and never fails the batch.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from rag_agent.finetune.pairs import Pair
from rag_agent.index.protocol import SearchIndex
from rag_agent.ingest.summarize import cached_replies, model_name, run_blocking
from rag_agent.settings import DEFAULT_TENANT

__all__ = ["QUESTION_PROMPT", "GenerationReport", "generate_pairs"]

QUESTION_PROMPT = (
    "Write {n} short, specific question(s) that the passage below answers, one per line, with "
    "no numbering and nothing else. Do not mention 'the passage'.\n\n"
    "Title: {title}\n\n{text}"
)
_MARKER = re.compile(r"^\s*(?:[-*\u2022]|\(?\d+[.):]|Q\d*[.:])\s*", re.I)


@dataclass
class GenerationReport:
    """What `generate_pairs` did."""

    children: int = 0
    asked: int = 0
    """Chat-model calls made (children not in the cache)."""
    cached: int = 0
    failed: int = 0
    """Children whose call failed or gave no usable question."""
    pairs: int = 0


def questions_of(reply: str, n: int) -> list[str]:
    """Up to `n` distinct questions of a reply: one per line, list markers cut, lines of fewer
    than 3 words or over 300 characters dropped."""
    out: list[str] = []
    for line in reply.splitlines():
        text = _MARKER.sub("", line).strip().strip('"').strip()
        if 3 <= len(text.split()) and len(text) <= 300 and text.lower() not in (
                q.lower() for q in out):
            out.append(text)
    return out[:n]


def generate_pairs(index: SearchIndex, chat_model: Any, *, tenant: str = DEFAULT_TENANT,
                   children: int | None = 500, per_child: int = 1,
                   prompt: str = QUESTION_PROMPT, max_concurrency: int = 4,
                   timeout: float = 120.0) -> tuple[list[Pair], GenerationReport]:
    """Questions for up to `children` children of the tenant (spread over its documents:
    every document's first child first), `per_child` each, as (question, child) pairs."""
    rows = index.child_texts(tenant=tenant, limit=children)
    name = model_name(chat_model)
    keyed = []
    for _, _, title, text in rows:
        raw = "\x00".join([name, prompt, str(per_child), title, text])
        keyed.append(("questions:" + hashlib.sha256(raw.encode()).hexdigest(),
                      prompt.format(n=per_child, title=title, text=text)))
    report = GenerationReport(children=len(rows))
    known = index.cache.mget([k for k, _ in keyed])
    report.cached = sum(v is not None for v in known)
    report.asked = len(rows) - report.cached
    replies = run_blocking(cached_replies(chat_model, keyed, index.cache,
                                          max_concurrency=max_concurrency, timeout=timeout))
    pairs: list[Pair] = []
    for (unit_id, source_id, _, text), reply in zip(rows, replies, strict=True):
        found = questions_of(reply or "", per_child)
        if not found:
            report.failed += 1
        pairs += [Pair(q, text, source_id, unit_id) for q in found]
    report.pairs = len(pairs)
    return pairs, report
