"""Sentence-window retrieval: match single sentences, return each with its neighbours.

Sentences are embedded alone; the window (+-`window` sentences) is read from the docstore at
query time, never stored. Hits are taken best first; windows of the same document that overlap
(share a sentence) are merged into one passage carrying the best score, so k results are k distinct
passages with no sentence twice. With `hybrid`, "best" is the fused (RRF) rank of dense and
keyword sentence hits, and each passage keeps its best hit's cosine as score.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from langchain_core.documents import Document

from rag_agent.retrieval.base import IndexRetriever
from rag_agent.retrieval.fusion import search_ranked

__all__ = ["SentenceWindowRetriever", "merge_windows"]


@dataclass
class Window:
    """A run of sentence positions [first, last] in one document, from one or more hits."""

    doc_id: str
    first: int
    last: int
    score: float
    hits: list[int] = field(default_factory=list)
    hit: Any = None


def _by_score(hit: Any) -> float:
    return hit.score


def _by_rrf(hit: Any) -> float:
    return hit.metadata["rrf"]


def merge_windows(hits: list[Any], window: int, k: int | None = None,
                  rank: Callable[[Any], float] = _by_score) -> list[Window]:
    """Up to k passages from `hits` (best first): each selected hit brings its +-window
    sentences; windows of one document that share a sentence become one passage. A hit already
    inside a selected passage adds nothing, and hits past the k-th passage extend nothing.
    Passages are ordered, and represented, by their best hit under `rank` (default: score)."""
    selected: list[Window] = []
    for hit in hits:
        pos = hit.position
        covering = next((w for w in selected
                         if w.doc_id == hit.doc_id and w.first <= pos <= w.last), None)
        if covering is not None:
            covering.hits.append(pos)
            continue
        new = Window(hit.doc_id, max(0, pos - window), pos + window, hit.score, [pos], hit)
        for w in [w for w in selected if w.doc_id == new.doc_id
                  and new.first <= w.last and w.first <= new.last]:
            selected.remove(w)
            new.first, new.last = min(new.first, w.first), max(new.last, w.last)
            new.hits += w.hits
            if rank(w.hit) > rank(new.hit):
                new.score, new.hit = w.score, w.hit
        selected.append(new)
        if k is not None and len(selected) >= k:
            break
    selected.sort(key=lambda w: -rank(w.hit))
    return selected


class SentenceWindowRetriever(IndexRetriever):
    """k passages, each a matched sentence with its neighbours, for precise fact lookup."""

    window: int = 2
    """Sentences on each side of a hit."""

    def _retrieve(self, query: str, k: int, flt: dict[str, Any] | None, tenant: str,
                  hybrid: bool) -> list[Document]:
        if k <= 0:
            return []
        vec = self.index.embed_query(query)
        rank = _by_rrf if hybrid else _by_score
        fetch = k * 3
        while True:
            hits = search_ranked(self.index, query, kind="sentence", k=fetch, filter=flt,
                                 tenant=tenant, hybrid=hybrid, vector=vec)
            windows = merge_windows(hits, self.window, k, rank)
            if len(windows) >= k or len(hits) < fetch:
                break
            fetch *= 2
        return [self._document(w) for w in windows[:k]]

    def _document(self, w: Window) -> Document:
        sentences = self.index.sentences(w.doc_id, w.first, w.last)
        last = sentences[-1][0] if sentences else w.last
        doc = w.hit.to_document()
        doc.page_content = " ".join(text for _, text in sentences)
        doc.metadata.update({
            "kind": "sentence_window", "window_start": w.first, "window_end": last,
            "matched_sentence": w.hit.text, "hit_positions": sorted(w.hits),
        })
        doc.id = f"{w.doc_id}:s{w.first}-{last}"
        return doc
