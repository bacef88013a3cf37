"""Ingestion into a `RagIndex`: split, embed only what is new, commit a batch atomically.

A large source comes as parts (`rag_agent.ingest.parts`), each a document here: batches are
bounded by characters as well as by count, so memory is bounded by a batch, not by a file. After
the last batch, what a source held before and no longer has (a part beyond its new last one, its
parts once it fits in one document, its single document once it has parts) is deleted in one
transaction.

Per batch of documents: skip the ones whose content hash is already stored, split the rest,
reuse any stored vector of an identical text, embed the remaining texts in one call, then write
documents, parents, units and vectors in one SQLite transaction. Only after COMMIT are the
documents acknowledged and the in-memory FAISS collections updated.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from rag_agent.index.filters import normalize_value
from rag_agent.index.records import IngestReport
from rag_agent.index.rows import (
    commit_batch,
    delete_documents,
    existing_hashes,
    family_documents,
    stored_or_embedded,
    text_hash,
)
from rag_agent.ingest.clean import clean_text
from rag_agent.ingest.loaders import Skipped, SourceDocument
from rag_agent.ingest.parts import PART_MARK, SOURCE_KEY
from rag_agent.ingest.split import SplitDocument, split_document
from rag_agent.ingest.summarize import extractive_summary

if TYPE_CHECKING:
    from rag_agent.index.store import RagIndex

__all__ = ["Pending", "content_hash", "ingest", "make_doc_id", "progress_bar"]

LOOKAHEAD_DOCS = 64
"""Documents planned (hashed, looked up, split) together."""
CHARS_PER_TEXT = 200
"""A planning batch is also closed at `batch_texts * CHARS_PER_TEXT` characters (819,200 by
default: a 1,000,000-character part is planned alone), so it never holds many large parts."""


def content_hash(doc: SourceDocument) -> str:
    """Hash of everything that shapes a document's units: text, title and metadata."""
    meta = json.dumps(doc.metadata, sort_keys=True, default=str)
    raw = "\x00".join([doc.title, meta, doc.text])
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def make_doc_id(tenant: str, source_id: str, chash: str) -> str:
    """Content-hash id, scoped by tenant and source so equal texts never collide."""
    raw = "\x00".join([tenant, source_id, chash])
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:32]


@dataclass
class Pending:
    doc: SourceDocument
    doc_id: str
    chash: str
    old_doc_id: str | None
    split: SplitDocument
    summary: str = ""
    summary_kind: str = "extractive"
    raced: bool = False
    """True if another writer committed this very content first (nothing left to write)."""


def _batches(docs: Iterable[SourceDocument], size: int,
             max_chars: int) -> Iterator[list[SourceDocument]]:
    """`docs` in lists of at most `size` documents, closed once they reach `max_chars`."""
    batch: list[SourceDocument] = []
    chars = 0
    for doc in docs:
        batch.append(doc)
        chars += len(doc.text)
        if len(batch) >= size or chars >= max_chars:
            yield batch
            batch, chars = [], 0
    if batch:
        yield batch


@contextmanager
def progress_bar(shown: bool, total: int | None) -> Iterator[Any]:
    """A documents progress bar for an ingest (None when not `shown`), closed at the end."""
    if not shown:
        yield None
        return
    from tqdm.auto import tqdm

    bar = tqdm(total=total, unit="doc", desc="ingest", dynamic_ncols=True)
    try:
        yield bar
    finally:
        bar.close()


def original_source(doc: SourceDocument) -> str:
    """The source a part was cut from; a whole document's own source id."""
    source = doc.metadata.get(SOURCE_KEY)
    if isinstance(source, str) and doc.source_id.startswith(source + PART_MARK):
        return source
    return doc.source_id


class _Families:
    """What each source of a run held before it (itself and its parts), to delete after the
    run what the source no longer has. Only sources holding something else are remembered."""

    def __init__(self, index: RagIndex, tenant: str) -> None:
        self.index, self.tenant = index, tenant
        self.checked: set[str] = set()
        self.stored: dict[str, dict[str, str]] = {}

    def note(self, doc: SourceDocument) -> None:
        source = original_source(doc)
        if source in self.checked:
            return
        self.checked.add(source)
        held = family_documents(self.index.conn, self.tenant, source)
        if set(held) - {doc.source_id}:
            self.stored[source] = held

    def delete_stale(self, seen: set[str], report: IngestReport) -> None:
        """Delete what the run's sources held and no longer have, in one transaction."""
        stale = [doc_id for held in self.stored.values()
                 for source_id, doc_id in held.items() if source_id not in seen]
        if stale:
            delete_documents(self.index, stale)
            report.deleted += len(stale)


def ingest(
    index: RagIndex,
    docs: Iterable[SourceDocument],
    *,
    tenant: str,
    report: IngestReport,
    progress: Any = None,
    on_commit: Callable[[list[str]], None] | None = None,
) -> IngestReport:
    """Ingest `docs` into `index`, filling `report`; see the module docstring."""
    started = time.perf_counter()
    seen: set[str] = set()
    pending: list[Pending] = []
    n_texts = 0

    def tick(done: int) -> None:
        """`done` more documents are finished: committed, or unchanged / skipped."""
        if progress is not None and done:
            progress.update(done)
            elapsed = time.perf_counter() - started
            progress.set_postfix(units_s=f"{report.units / max(elapsed, 1e-9):.0f}", refresh=False)

    def flush() -> None:
        nonlocal pending, n_texts
        if pending:
            _write(index, pending, tenant, report)
            if on_commit is not None:
                on_commit([p.doc_id for p in pending])
            tick(len(pending))
        pending, n_texts = [], 0

    cfg = index.config
    families = _Families(index, tenant)
    for batch in _batches(docs, LOOKAHEAD_DOCS, cfg.batch_texts * CHARS_PER_TEXT):
        for doc in batch:
            families.note(doc)
        planned = _plan(index, batch, tenant, seen, report)
        tick(len(batch) - len(planned))  # unchanged, duplicate or empty: nothing left to do
        for p in planned:
            pending.append(p)
            n_texts += len(p.split.sentences) + len(p.split.children)
            if n_texts >= cfg.batch_texts or len(pending) >= cfg.batch_docs:
                flush()
        del batch, planned  # not held while the next batch is read
    flush()
    families.delete_stale(seen, report)
    report.seconds += time.perf_counter() - started
    return report


def _plan(
    index: RagIndex, batch: list[SourceDocument], tenant: str, seen: set[str], report: IngestReport
) -> list[Pending]:
    pending = []
    existing = existing_hashes(index.conn, tenant, [d.source_id for d in batch])
    for doc in batch:
        if doc.source_id in seen:
            report.skipped.append(Skipped(doc.source_id, "duplicate source id in this run; "
                                          "the first one was kept, give each record its own id"))
            continue
        seen.add(doc.source_id)
        doc.metadata = {k: normalize_value(v) for k, v in doc.metadata.items()}
        chash = content_hash(doc)
        old = existing.get(doc.source_id)
        if old is not None and old[1] == chash:
            report.unchanged += 1
            continue
        cfg = index.config
        split = split_document(
            doc.text, doc.title, index.embedder.count_tokens,
            parent_chars=cfg.parent_chars, child_tokens=cfg.child_tokens,
            sentence_max_chars=cfg.sentence_max_chars, embed_title=cfg.embed_title,
            sentence_context=cfg.sentence_context,
        )
        if not split.sentences:
            report.skipped.append(Skipped(doc.source_id, "no sentences found; nothing to index"))
            continue
        doc_id = make_doc_id(tenant, doc.source_id, chash)
        pending.append(Pending(doc, doc_id, chash, old[0] if old else None, split))
    return pending


def _embed(index: RagIndex, texts: list[str], report: IngestReport) -> np.ndarray:
    """Vectors for `texts`: stored ones reused, the rest embedded once in one call."""
    got = stored_or_embedded(index.conn, index.lock, index.embedder, texts, index.dim)
    report.reused_vectors += got.reused
    report.embedded += got.embedded
    return got.rows


def _write(index: RagIndex, pending: list[Pending], tenant: str, report: IngestReport) -> None:
    index.refresh()  # a model switched by another process is followed (or refused) first
    texts: list[str] = []
    for p in pending:
        texts += p.split.sentence_embed_texts + p.split.child_embed_texts
    vectors = _embed(index, texts, report)
    offset = 0
    rows_per_doc = []
    for p in pending:
        n_s, n_c = len(p.split.sentences), len(p.split.children)
        sent_vecs = vectors[offset:offset + n_s]
        child_vecs = vectors[offset + n_s:offset + n_s + n_c]
        offset += n_s + n_c
        p.summary = extractive_summary(
            [s.text for s in p.split.sentences], sent_vecs, n=index.config.summary_sentences,
            code=[s.code for s in p.split.sentences])
        centroid = child_vecs.mean(axis=0)
        summary_vec = centroid / (np.linalg.norm(centroid) or 1.0)
        rows_per_doc.append((sent_vecs, child_vecs, summary_vec))
    _llm_summaries(index, pending, rows_per_doc, report)
    commit_batch(index, pending, rows_per_doc, tenant, report, text_hash)


def _llm_summaries(index: RagIndex, pending: list[Pending], vectors: list,
                   report: IngestReport) -> None:
    """Replace extractive summaries by the index's LLM summarizer, where it answers."""
    if index.summarizer is None:
        return
    summaries = index.summarizer.summarize([(p.doc.title, p.doc.text) for p in pending],
                                           index.cache)
    done = [(i, clean_text(s)) for i, s in enumerate(summaries) if s]
    if done:
        vecs = index.embedder.encode([s for _, s in done])
        report.embedded += len(done)
        for (i, text), vec in zip(done, vecs, strict=True):
            pending[i].summary, pending[i].summary_kind = text, "llm"
            vectors[i] = (vectors[i][0], vectors[i][1], vec)
