"""Answers with [n] citations: extractive and offline by default, from a chat model if given.

The extractive answer ranks the sentences of the retrieved passages against the question with
the index's vectors (stored sentence vectors are reused; nothing is embedded twice) and keeps
the best few, each followed by the number of its passage.
"""

from __future__ import annotations

import re
from typing import Any

from langchain_core.documents import Document

from rag_agent.agent.state import Citation
from rag_agent.ingest.split import split_sentences

__all__ = ["best_score", "cited_numbers", "citations_for", "extractive_answer",
           "format_context", "number_passages", "unique_passages"]

_NEAR_DUPLICATE = 0.95
_MARKUP = re.compile(r"^\s*(\||```|-{3,})")
"""Table rows, code fences and rules are context, not answer sentences."""


def number_passages(documents: list[Document]) -> list[tuple[int, Document]]:
    """Passages numbered from 1 in the order given; a passage found again (say, for a second
    comparison target) keeps its first number."""
    numbers: dict[str, int] = {}
    out = []
    for doc in documents:
        key = doc.id or doc.page_content
        n = numbers.setdefault(key, len(numbers) + 1)
        out.append((n, doc))
    return out


def unique_passages(passages: list[tuple[int, Document]]) -> list[tuple[int, Document]]:
    """Each numbered passage once (for prompts and citations)."""
    seen: set[int] = set()
    return [(n, d) for n, d in passages if not (n in seen or seen.add(n))]


def format_context(passages: list[tuple[int, Document]]) -> str:
    """The numbered sources block of a prompt."""
    blocks = []
    for n, doc in passages:
        label = doc.metadata.get("target")
        head = f"[{n}] {doc.metadata.get('title', '')}" + (f" (about {label})" if label else "")
        blocks.append(f"{head}\n{doc.page_content}")
    return "\n\n".join(blocks)


def citations_for(passages: list[tuple[int, Document]], numbers: set[int]) -> list[Citation]:
    """Citations of the passages whose numbers the answer uses."""
    return [
        Citation(n=n, source_id=str(d.metadata.get("source_id", "")),
                 doc_id=str(d.metadata.get("doc_id", "")), title=str(d.metadata.get("title", "")),
                 passage=d.page_content)
        for n, d in passages if n in numbers
    ]


def cited_numbers(answer: str, passages: list[tuple[int, Document]]) -> set[int]:
    """The [n] an answer cites that exist; all passages if it cites none."""
    valid = {n for n, _ in passages}
    found = {int(m) for m in re.findall(r"\[(\d+)\]", answer)} & valid
    return found or valid


def extractive_answer(
    question: str,
    passages: list[tuple[int, Document]],
    index: Any,
    *,
    sentences: int = 4,
    per_target: bool = False,
) -> str:
    """The best sentences of the passages for the question, each cited as [n].

    With `per_target`, the best sentences of each comparison target are grouped under it.
    """
    rows: list[tuple[int, str, str]] = []  # (passage number, target, sentence)
    for n, doc in passages:
        target = str(doc.metadata.get("target", ""))
        rows += [(n, target, s.text) for s in split_sentences(doc.page_content)
                 if len(s.text) > 2 and not _MARKUP.match(s.text)]
    if not rows:
        return "No passage in the index matches this question."
    vectors = index.embed_texts([r[2] for r in rows])
    scores = vectors @ index.embed_query(question)[0]
    groups = sorted({r[1] for r in rows}, key=[r[1] for r in rows].index) if per_target else [""]
    budget = max(1, sentences // len(groups)) if per_target else sentences
    lines = []
    for group in groups:
        members = [i for i, r in enumerate(rows) if not per_target or r[1] == group]
        picked: list[int] = []
        for i in sorted(members, key=lambda i: -scores[i]):
            if len(picked) >= budget:
                break
            if any(float(vectors[i] @ vectors[j]) > _NEAR_DUPLICATE for j in picked):
                continue
            picked.append(i)
        text = " ".join(f"{rows[i][2]} [{rows[i][0]}]" for i in picked)
        lines.append(f"{group}: {text}" if per_target and group else text)
    return "\n".join(lines)


def best_score(documents: list[Document]) -> float:
    """The highest retrieval score among the documents (0 when there are none)."""
    return max((float(d.metadata.get("score") or 0.0) for d in documents), default=0.0)
