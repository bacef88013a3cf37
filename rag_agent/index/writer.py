"""Ingestion into a `RagIndex`: split, embed only what is new, commit a batch atomically.

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
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, Any

import numpy as np

from rag_agent.index.filters import normalize_value
from rag_agent.index.records import IngestReport
from rag_agent.ingest.loaders import Skipped, SourceDocument
from rag_agent.ingest.split import SplitDocument, split_document
from rag_agent.ingest.summarize import extractive_summary

if TYPE_CHECKING:
    from rag_agent.index.store import RagIndex

__all__ = ["commit_batch", "content_hash", "delete_documents", "ingest", "make_doc_id"]


def content_hash(doc: SourceDocument) -> str:
    """Hash of everything that shapes a document's units: text, title and metadata."""
    meta = json.dumps(doc.metadata, sort_keys=True, default=str)
    raw = "\x00".join([doc.title, meta, doc.text])
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def make_doc_id(tenant: str, source_id: str, chash: str) -> str:
    """Content-hash id, scoped by tenant and source so equal texts never collide."""
    raw = "\x00".join([tenant, source_id, chash])
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _text_hash(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


@dataclass
class _Pending:
    doc: SourceDocument
    doc_id: str
    chash: str
    old_doc_id: str | None
    split: SplitDocument
    summary: str = ""
    summary_kind: str = "extractive"


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


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
    pending: list[_Pending] = []
    n_texts = waiting = 0

    def tick() -> None:
        nonlocal waiting
        if progress is not None and waiting:
            progress.update(waiting)
            elapsed = time.perf_counter() - started
            progress.set_postfix(units_s=f"{report.units / max(elapsed, 1e-9):.0f}", refresh=False)
        waiting = 0

    def flush() -> None:
        nonlocal pending, n_texts
        if pending:
            _write(index, pending, tenant, report)
            if on_commit is not None:
                on_commit([p.doc_id for p in pending])
        pending, n_texts = [], 0
        tick()

    cfg = index.config
    for batch in _batches(docs, 64):
        for p in _plan(index, batch, tenant, seen, report):
            pending.append(p)
            n_texts += len(p.split.sentences) + len(p.split.children)
            if n_texts >= cfg.batch_texts or len(pending) >= cfg.batch_docs:
                flush()
        waiting += len(batch)
        if not pending:
            tick()
    flush()
    report.seconds += time.perf_counter() - started
    return report


def _plan(
    index: RagIndex, batch: list[SourceDocument], tenant: str, seen: set[str], report: IngestReport
) -> list[_Pending]:
    pending = []
    existing = index._existing_hashes(tenant, [d.source_id for d in batch])
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
        )
        if not split.sentences:
            report.skipped.append(Skipped(doc.source_id, "no sentences found; nothing to index"))
            continue
        doc_id = make_doc_id(tenant, doc.source_id, chash)
        pending.append(_Pending(doc, doc_id, chash, old[0] if old else None, split))
    return pending


def _embed(index: RagIndex, texts: list[str], report: IngestReport) -> np.ndarray:
    """Vectors for `texts`: stored ones reused, the rest embedded once in one call."""
    hashes = [_text_hash(t) for t in texts]
    known = index._vectors_by_hash(set(hashes))
    report.reused_vectors += sum(1 for h in hashes if h in known)
    todo: dict[bytes, str] = {}
    for h, t in zip(hashes, texts, strict=True):
        if h not in known:
            todo.setdefault(h, t)
    if todo:
        vecs = index.embedder.encode(list(todo.values()))
        known.update(zip(todo.keys(), vecs, strict=True))
        report.embedded += len(todo)
    return np.stack([known[h] for h in hashes]) if hashes else np.zeros((0, index.dim), "float32")


def _write(index: RagIndex, pending: list[_Pending], tenant: str, report: IngestReport) -> None:
    texts: list[str] = []
    for p in pending:
        texts += [s.text for s in p.split.sentences] + p.split.child_embed_texts
    vectors = _embed(index, texts, report)
    offset = 0
    rows_per_doc = []
    for p in pending:
        n_s, n_c = len(p.split.sentences), len(p.split.children)
        sent_vecs = vectors[offset:offset + n_s]
        child_vecs = vectors[offset + n_s:offset + n_s + n_c]
        offset += n_s + n_c
        p.summary = extractive_summary(
            [s.text for s in p.split.sentences], sent_vecs, n=index.config.summary_sentences
        )
        centroid = child_vecs.mean(axis=0)
        summary_vec = centroid / (np.linalg.norm(centroid) or 1.0)
        rows_per_doc.append((sent_vecs, child_vecs, summary_vec))
    index._apply_summarizer(pending, rows_per_doc, report)
    commit_batch(index, pending, rows_per_doc, tenant, report, _text_hash)


def _unit_rows(p: _Pending, vecs: tuple[np.ndarray, np.ndarray, np.ndarray], hasher: Any) -> list:
    """(kind, position, parent_id, child, start, end, text, text_hash, vector) per unit."""
    sent_vecs, child_vecs, summary_vec = vecs
    split = p.split
    pid = [f"{p.doc_id}:p{i}" for i in range(len(split.parents))]
    rows = [("summary", 0, None, None, None, None, p.summary, hasher("summary\x00" + p.summary),
             summary_vec)]
    for i, (c, text) in enumerate(zip(split.children, split.child_embed_texts, strict=True)):
        rows.append(("child", i, pid[split.child_parent[i]], i, c.start, c.end, c.text,
                     hasher(text), child_vecs[i]))
    for i, s in enumerate(split.sentences):
        rows.append(("sentence", i, pid[split.sentence_parent[i]], split.sentence_child[i],
                     s.start, s.end, s.text, hasher(s.text), sent_vecs[i]))
    return rows


def _transaction(index: RagIndex, body: Callable[[], None],
                 added: dict[str, list], removed: dict[str, list[int]]) -> None:
    """Run `body` in one write transaction that bumps the generation, then update FAISS."""
    conn = index.conn
    with index.lock:
        conn.execute("BEGIN IMMEDIATE")
        try:
            before = int(conn.execute(
                "SELECT value FROM meta WHERE key = 'generation'").fetchone()[0])
            body()
            conn.execute("UPDATE meta SET value = ? WHERE key = 'generation'", (before + 1,))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        index._after_write(added, removed, before, before + 1)


def commit_batch(
    index: RagIndex, pending: list[_Pending], vectors: list, tenant: str, report: IngestReport,
    hasher: Any,
) -> None:
    """Write a batch in one transaction, then update the in-memory collections."""
    conn = index.conn
    added: dict[str, list[tuple[int, np.ndarray]]] = {k: [] for k in index.collections}
    removed: dict[str, list[int]] = {k: [] for k in index.collections}

    def body() -> None:
        next_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM units").fetchone()[0]
        for p, vecs in zip(pending, vectors, strict=True):
            if p.old_doc_id is not None:
                for kind, ids in _delete_doc(conn, p.old_doc_id).items():
                    removed[kind] += ids
            _insert_doc(index, p, tenant)
            rows = _unit_rows(p, vecs, hasher)
            conn.executemany(
                "INSERT INTO units VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(next_id + j, r[0], p.doc_id, *r[1:8], np.asarray(r[8], "float32").tobytes())
                 for j, r in enumerate(rows)],
            )
            for j, r in enumerate(rows):
                added[r[0]].append((next_id + j, r[8]))
            next_id += len(rows)

    _transaction(index, body, added, removed)
    for p in pending:
        report.updated += p.old_doc_id is not None
        report.added += p.old_doc_id is None
        report.parents += len(p.split.parents)
        report.children += len(p.split.children)
        report.sentences += len(p.split.sentences)
        report.summaries += 1
        report.acknowledged.append(p.doc_id)


def _insert_doc(index: RagIndex, p: _Pending, tenant: str) -> None:
    doc, split = p.doc, p.split
    meta = {**doc.metadata, "source_id": doc.source_id, "title": doc.title}
    index.conn.execute(
        "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (p.doc_id, tenant, doc.source_id, doc.title, p.chash, json.dumps(meta, default=str),
         len(doc.text), len(split.parents), len(split.children), len(split.sentences),
         p.summary_kind, time.time()),
    )
    from langchain_core.documents import Document

    parents = []
    for i, span in enumerate(split.parents):
        pid = f"{p.doc_id}:p{i}"
        parents.append((pid, Document(
            page_content=span.text, id=pid,
            metadata={**meta, "doc_id": p.doc_id, "parent_id": pid, "position": i,
                      "start": span.start, "end": span.end, "tenant": tenant},
        )))
    index.docstore.write(parents, doc_id=p.doc_id)


def _delete_doc(conn: Any, doc_id: str) -> dict[str, list[int]]:
    """Delete a document and every unit it has, inside the caller's transaction."""
    ids: dict[str, list[int]] = {}
    for uid, kind in conn.execute("SELECT id, kind FROM units WHERE doc_id = ?", (doc_id,)):
        ids.setdefault(kind, []).append(uid)
    conn.execute("DELETE FROM units WHERE doc_id = ?", (doc_id,))
    conn.execute("DELETE FROM kv WHERE doc_id = ?", (doc_id,))
    conn.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))
    return ids


def delete_documents(index: RagIndex, doc_ids: list[str]) -> int:
    """Delete documents with all their units in one transaction; returns units removed."""
    removed: dict[str, list[int]] = {k: [] for k in index.collections}

    def body() -> None:
        for doc_id in doc_ids:
            for kind, ids in _delete_doc(index.conn, doc_id).items():
                removed[kind] += ids

    _transaction(index, body, {k: [] for k in index.collections}, removed)
    return sum(len(v) for v in removed.values())
