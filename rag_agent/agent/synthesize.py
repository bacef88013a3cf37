"""What synthesis works with: numbered passages, prompts' source blocks, citations, and the
merge of a comparison's per-target evidence (the extractive answer is in `extractive.py`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import zip_longest

from langchain_core.documents import Document

from rag_agent.agent.state import Citation, Evidence
from rag_agent.retrieval.budget import fit_budget

__all__ = ["best_score", "cited_numbers", "citations_for", "citations_in_order",
           "format_context", "merge_evidence",
           "number_passages", "unique_passages"]


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


def citations_in_order(passages: list[tuple[int, Document]],
                       cited: Sequence[int]) -> list[Citation]:
    """Citations [1], [2], ... of the passages numbered `cited[0]`, `cited[1]`, ... (an
    answer that numbers its sources in the order it uses them)."""
    by_n = dict(passages)
    return [Citation(n=i + 1, source_id=str(by_n[n].metadata.get("source_id", "")),
                     doc_id=str(by_n[n].metadata.get("doc_id", "")),
                     title=str(by_n[n].metadata.get("title", "")), passage=by_n[n].page_content)
            for i, n in enumerate(cited)]


def cited_numbers(answer: str, passages: list[tuple[int, Document]]) -> set[int]:
    """The [n] an answer cites that exist; all passages if it cites none."""
    valid = {n for n, _ in passages}
    found = {int(m) for m in re.findall(r"\[(\d+)\]", answer)} & valid
    return found or valid


def _overlaps(a: Document, b: Document) -> bool:
    """Same passage, or two windows of one document that share a sentence."""
    if (a.id or a.page_content) == (b.id or b.page_content):
        return True
    ma, mb = a.metadata, b.metadata
    if ma.get("doc_id") is None or ma.get("doc_id") != mb.get("doc_id"):
        return False
    if ma.get("parent_id") and ma.get("kind") == mb.get("kind") == "parent":
        return ma["parent_id"] == mb["parent_id"]
    spans = [(m.get("window_start"), m.get("window_end")) for m in (ma, mb)]
    if any(x is None for span in spans for x in span):
        return False
    (a0, a1), (b0, b1) = spans
    return a0 <= b1 and b0 <= a1


def _mentions(text: str, name: str) -> int:
    """How often `text` names `name` (any of its words of three letters or more)."""
    words = [w for w in re.findall(r"[\w'’-]+", name) if len(w) >= 3]
    return sum(len(re.findall(rf"(?<!\w){re.escape(w)}(?!\w)", text, re.I)) for w in words)


def merge_evidence(evidence: list[Evidence], budget_chars: int | None,
                   k: int | None) -> list[Document]:
    """A comparison's passages: per target, its own passages, cut to its share of the budget
    and of k; then the targets' passages taken in turn, in plan order (never in the order the
    parallel branches finished).

    A passage found for several targets (or overlapping one found for another) stays with one:
    the target it names most, then the one that ranked it higher, then the earlier target; so
    no two targets are answered from the same passage.
    """
    ordered = sorted(evidence, key=lambda e: e.get("order", 0))
    claims = [(-_mentions(doc.page_content, ev["target"]), rank, t, doc)
              for t, ev in enumerate(ordered) for rank, doc in enumerate(ev["documents"])]
    kept: list[tuple[int, int, Document]] = []
    for _, rank, t, doc in sorted(claims, key=lambda c: c[:3]):
        if not any(_overlaps(doc, other) for _, _, other in kept):
            kept.append((rank, t, doc))
    parts = max(1, len(ordered))
    share = None if budget_chars is None else max(1, budget_chars // parts)
    per_k = None if k is None else max(1, k // parts)
    lists = [fit_budget([d for _, tt, d in sorted(kept, key=lambda c: c[0]) if tt == t],
                        share, per_k) for t in range(len(ordered))]
    return [d for row in zip_longest(*lists) for d in row if d is not None]


def best_score(documents: list[Document]) -> float:
    """The highest retrieval score among the documents (0 when there are none)."""
    return max((float(d.metadata.get("score") or 0.0) for d in documents), default=0.0)
