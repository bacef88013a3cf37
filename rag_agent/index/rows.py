"""The rows of an index: one write transaction per batch or delete, and the look-ups ingestion needs.

Every write bumps `meta.generation` inside its transaction; the in-memory FAISS collections are
updated only after COMMIT (or reloaded, if another process wrote in between).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from langchain_core.documents import Document

from rag_agent.errors import IndexMismatchError
from rag_agent.index import db
from rag_agent.index.records import IngestReport
from rag_agent.index.scope import KINDS
from rag_agent.ingest.parts import family_range

if TYPE_CHECKING:
    from rag_agent.index.store import RagIndex
    from rag_agent.index.writer import Pending

__all__ = [
    "Vectors", "commit_batch", "delete_documents", "existing_hashes", "family_documents",
    "stored_or_embedded", "text_hash", "transaction", "vectors_by_hash",
]


def text_hash(text: str) -> bytes:
    """The key under which a unit's embedded text is stored (for reuse of its vector)."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def existing_hashes(conn: sqlite3.Connection, tenant: str,
                    sources: Sequence[str]) -> dict[str, tuple[str, str]]:
    """source id -> (doc id, content hash) of what the tenant already holds."""
    rows = db.select_in(conn, "SELECT source_id, doc_id, content_hash FROM documents WHERE "
                     "tenant = ? AND source_id IN ({keys})", (tenant,), sources)
    return {s: (d, h) for s, d, h in rows}


def family_documents(conn: sqlite3.Connection, tenant: str, source: str) -> dict[str, str]:
    """source id -> doc id of what the tenant holds of `source`: itself and its parts."""
    lo, hi = family_range(source)
    rows = conn.execute(
        "SELECT source_id, doc_id FROM documents WHERE tenant = ? AND (source_id = ? OR "
        "(source_id >= ? AND source_id < ?))", (tenant, source, lo, hi))
    return dict(rows.fetchall())


def vectors_by_hash(conn: sqlite3.Connection, hashes: set[bytes]) -> dict[bytes, np.ndarray]:
    """Stored vectors of sentences and children whose embedded text has one of these hashes."""
    # One row per hash, chosen on the index alone: a text repeated in many documents (the
    # parts of a file made of repeated blocks) must not read every copy of its vector.
    rows = db.select_in(conn, "SELECT text_hash, vector FROM units WHERE kind != 'summary' AND id "
                     "IN (SELECT min(id) FROM units WHERE text_hash IN ({keys}) GROUP BY "
                     "text_hash)", (), list(hashes))
    return {h: np.frombuffer(v, dtype=np.float32) for h, v in rows}


@dataclass
class Vectors:
    """Rows for some texts, and how they were got."""

    rows: np.ndarray
    reused: int
    """Texts whose vector the index already stored (the same embedded text)."""
    embedded: int
    """Distinct texts the model embedded."""


def stored_or_embedded(conn: Any, lock: Any, embedder: Any, texts: list[str], dim: int, *,
                       batch: int | None = None, progress: Any = None) -> Vectors:
    """Vectors of `texts`: a stored vector of the same embedded text is reused, every other
    distinct text embedded once (in calls of `batch` texts, each ticking `progress`)."""
    hashes = [text_hash(t) for t in texts]
    with lock:
        known = vectors_by_hash(conn, set(hashes))
    todo: dict[bytes, str] = {}
    for h, t in zip(hashes, texts, strict=True):
        if h not in known:
            todo.setdefault(h, t)
    keys, values = list(todo), list(todo.values())
    step = batch or max(len(values), 1)
    for i in range(0, len(values), step):
        vecs = embedder.encode(values[i:i + step])
        known.update(zip(keys[i:i + step], vecs, strict=True))
        if progress is not None:
            progress.update(len(vecs))
    rows = (np.stack([known[h] for h in hashes]).astype(np.float32, copy=False) if hashes
            else np.zeros((0, dim), dtype=np.float32))
    return Vectors(rows, sum(1 for h in hashes if h not in todo), len(todo))


def _unit_rows(p: Pending, vecs: tuple[np.ndarray, np.ndarray, np.ndarray], hasher: Any) -> list:
    """(kind, position, parent_id, child, start, end, text, text_hash, vector) per unit."""
    sent_vecs, child_vecs, summary_vec = vecs
    split = p.split
    pid = [f"{p.doc_id}:p{i}" for i in range(len(split.parents))]
    rows = [("summary", 0, None, None, None, None, p.summary, hasher("summary\x00" + p.summary),
             summary_vec)]
    for i, (c, text) in enumerate(zip(split.children, split.child_embed_texts, strict=True)):
        rows.append(("child", i, pid[split.child_parent[i]], i, c.start, c.end, c.text,
                     hasher(text), child_vecs[i]))
    for i, (s, text) in enumerate(zip(split.sentences, split.sentence_embed_texts, strict=True)):
        rows.append(("sentence", i, pid[split.sentence_parent[i]], split.sentence_child[i],
                     s.start, s.end, s.text, hasher(text), sent_vecs[i]))
    return rows


def transaction(index: RagIndex, body: Callable[[], None],
                 added: dict[str, list], removed: dict[str, list[int]]) -> None:
    """Run `body` in one write transaction that bumps the generation, then update FAISS."""
    conn = index.conn
    index.ensure_writable()
    with index.lock:
        with db.write(conn):
            before = int(db.get_meta(conn, "generation", 0))
            stored = db.get_meta(conn, "model_id")
            if stored is not None and stored != index.embedder.model_id:
                raise IndexMismatchError(
                    f"index {index.location!r} now uses embedding model {stored!r} (switched "
                    f"by a fine-tune since this process opened it with "
                    f"{index.embedder.model_id!r}); nothing of this write was stored: open the "
                    "index again and repeat it")
            body()
            db.set_meta(conn, "generation", before + 1)
        index.vectors.applied(added, removed, before, before + 1)


def commit_batch(
    index: RagIndex, pending: list[Pending], vectors: list, tenant: str, report: IngestReport,
    hasher: Any,
) -> None:
    """Write a batch in one transaction, then update the in-memory collections."""
    conn = index.conn
    added: dict[str, list[tuple[int, np.ndarray]]] = {k: [] for k in KINDS}
    removed: dict[str, list[int]] = {k: [] for k in KINDS}

    def body() -> None:
        next_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM units").fetchone()[0]
        for p, vecs in zip(pending, vectors, strict=True):
            # What the source holds now, read inside this transaction: another writer may have
            # committed it since the batch was planned. The last writer wins; the same content
            # committed by another writer is already there.
            current = conn.execute("SELECT doc_id FROM documents WHERE tenant = ? AND "
                                   "source_id = ?", (tenant, p.doc.source_id)).fetchone()
            p.old_doc_id = current[0] if current else None
            if p.old_doc_id == p.doc_id:
                p.raced = True
                continue
            if p.old_doc_id is not None:
                for kind, ids in _delete_doc(conn, p.old_doc_id).items():
                    removed[kind] += ids
            _insert_doc(index, p, tenant)
            rows = _unit_rows(p, vecs, hasher)
            conn.executemany(
                "INSERT INTO units VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(next_id + j, r[0], p.doc_id, *r[1:8], db.vector_param(conn, r[8]))
                 for j, r in enumerate(rows)],
            )
            for j, r in enumerate(rows):
                added[r[0]].append((next_id + j, r[8]))
            next_id += len(rows)

    transaction(index, body, added, removed)
    for p in pending:
        if p.raced:
            report.unchanged += 1
            report.acknowledged.append(p.doc_id)
            continue
        report.updated += p.old_doc_id is not None
        report.added += p.old_doc_id is None
        report.parents += len(p.split.parents)
        report.children += len(p.split.children)
        report.sentences += len(p.split.sentences)
        report.summaries += 1
        report.acknowledged.append(p.doc_id)


def _insert_doc(index: RagIndex, p: Pending, tenant: str) -> None:
    doc, split = p.doc, p.split
    meta = {**doc.metadata, "source_id": doc.source_id, "title": doc.title}
    index.conn.execute(
        "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (p.doc_id, tenant, doc.source_id, doc.title, p.chash, json.dumps(meta, default=str),
         len(doc.text), len(split.parents), len(split.children), len(split.sentences),
         p.summary_kind, time.time()),
    )
    parents = []
    for i, span in enumerate(split.parents):
        pid = f"{p.doc_id}:p{i}"
        parents.append((pid, Document(
            page_content=span.text, id=pid,
            metadata={**meta, "doc_id": p.doc_id, "parent_id": pid, "position": i,
                      "start": span.start, "end": span.end, "tenant": tenant},
        )))
    index.docstore_for(tenant).write(parents, doc_id=p.doc_id)


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
    removed: dict[str, list[int]] = {k: [] for k in KINDS}

    def body() -> None:
        for doc_id in doc_ids:
            for kind, ids in _delete_doc(index.conn, doc_id).items():
                removed[kind] += ids

    transaction(index, body, {k: [] for k in KINDS}, removed)
    return sum(len(v) for v in removed.values())
