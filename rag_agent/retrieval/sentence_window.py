"""Sentence-window retrieval: match single sentences, return each with its neighbours.

Sentences are embedded alone; the window (+-`window` sentences) is read from the docstore at
query time, never stored. Hits are taken best first; windows of the same document that overlap
(share a sentence) are merged into one passage carrying the best score, so k results are k distinct
passages with no sentence twice. With `hybrid`, "best" is the fused (RRF) rank of dense and
keyword sentence hits, and each passage keeps its best hit's cosine as score.

With `context` (the default) a sentence hit is judged with the text around it before windows
are chosen: its cosine plus `CHILD_WEIGHT` x the cosine of the child chunk holding it plus
`SUMMARY_WEIGHT` x its document summary's, all from vectors the index already stores, over a
pool of `POOL_PER_RESULT` x k best sentences. "It was founded in 1870" then ranks by what its
paragraph and document are about (`bench/window_context_probe.py`, docs/BENCHMARKS.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from langchain_core.documents import Document

from rag_agent.index.records import Hit
from rag_agent.retrieval.base import IndexRetriever
from rag_agent.retrieval.fusion import search_ranked

__all__ = ["CHILD_WEIGHT", "SUMMARY_WEIGHT", "SentenceWindowRetriever", "merge_windows"]

CHILD_WEIGHT = 0.5
SUMMARY_WEIGHT = 0.25
"""Weights of a sentence's child and summary cosines, the best of the probe's grid on SciFact
and within 0.015 of the best on 10-Q and HotpotQA (bench/results/window_context_*.json)."""
POOL_PER_RESULT = 10
"""Sentence hits judged in context per passage asked for (at least `MIN_POOL`)."""
MIN_POOL = 100
MIN_ANCHOR_WORDS = 3
"""A sentence with fewer words (of two letters or more) never anchors a window, though it
may sit inside one: a fragment such as '"Chicago" .' or "1922." embedded under its title is
little more than the title, and would match any question naming it."""
_WORD = re.compile(r"[^\W\d_]{2,}")


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


def _by_context(hit: Any) -> float:
    return hit.metadata["context_score"]


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
    context: bool = True
    """Judge each sentence hit with its child and summary (module doc); False: its cosine."""

    def _retrieve(self, query: str, k: int, flt: dict[str, Any] | None, tenant: str,
                  hybrid: bool, adapter: bool | None) -> list[Document]:
        if k <= 0:
            return []
        vec = self.index.embed_query(query, adapter=adapter)
        rank = _by_rrf if hybrid else _by_context if self.context else _by_score
        fetch = max(k * POOL_PER_RESULT, MIN_POOL) if self.context else k * 3
        rerank = (lambda hits: self._in_context(hits, vec, tenant)) if self.context else None
        while True:
            hits = search_ranked(self.index, query, kind="sentence", k=fetch, filter=flt,
                                 tenant=tenant, hybrid=hybrid, vector=vec, rerank=rerank)
            anchors = [h for h in hits if len(_WORD.findall(h.text)) >= MIN_ANCHOR_WORDS]
            windows = merge_windows(anchors, self.window, k, rank)
            if len(windows) >= k or len(hits) < fetch:
                break
            fetch *= 2
        return [self._document(w) for w in windows[:k]]

    def _in_context(self, hits: list[Hit], vec: Any, tenant: str) -> list[Hit]:
        """`hits` best first by cosine + CHILD_WEIGHT x child's + SUMMARY_WEIGHT x summary's
        (metadata["context_score"]); `score` stays the sentence's own cosine."""
        docs = list(dict.fromkeys(h.doc_id for h in hits))
        if not docs:
            return hits
        row = np.asarray(vec, dtype=np.float32).reshape(-1)
        around = {uid: float(v @ row) for uid, v in self.index.child_vectors(
            [h.unit_id for h in hits], tenant=tenant).items()}
        summary = {h.doc_id: h.score for h in self.index.search(
            vec, kind="summary", k=len(docs), doc_ids=docs, tenant=tenant)}

        def judged(hit: Hit) -> Hit:
            value = (hit.score + CHILD_WEIGHT * around.get(hit.unit_id, 0.0)
                     + SUMMARY_WEIGHT * summary.get(hit.doc_id, 0.0))
            return replace(hit, metadata={**hit.metadata, "context_score": value})

        return sorted(map(judged, hits), key=lambda h: (-h.metadata["context_score"], h.unit_id))

    def _document(self, w: Window) -> Document:
        sentences = self.index.sentences(w.doc_id, w.first, w.last, tenant=w.hit.tenant)
        last = sentences[-1][0] if sentences else w.last
        doc = w.hit.to_document()
        doc.page_content = " ".join(text for _, text in sentences)
        doc.metadata.update({
            "kind": "sentence_window", "window_start": w.first, "window_end": last,
            "matched_sentence": w.hit.text, "hit_positions": sorted(w.hits),
        })
        doc.id = f"{w.doc_id}:s{w.first}-{last}"
        return doc
