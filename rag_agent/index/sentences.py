"""Sentence-level reads of `RagIndex`: windows read back by position, every sentence of some
documents scored against a query (alone or by its child), sentence lengths, and the children
listed or read by the sentences they hold. Unit searches are in `reader.py`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from rag_agent.index.records import StoredSentence
from rag_agent.settings import DEFAULT_TENANT

if TYPE_CHECKING:
    from rag_agent.index.store import RagIndex

__all__ = ["SentenceReader"]


class SentenceReader:
    """Sentence-level reads of one index; `RagIndex` forwards its methods here."""

    def __init__(self, index: RagIndex) -> None:
        self.index = index

    def sentences(self, doc_id: str, first: int, last: int, *,
                  tenant: str = DEFAULT_TENANT) -> list[tuple[int, str]]:
        """(position, text) of a document's sentences `first..last` inclusive, in order; a
        document of another tenant reads as empty."""
        with self.index.lock:
            return self.index.conn.execute(
                "SELECT u.position, u.text FROM units u JOIN documents d ON d.doc_id = u.doc_id "
                "WHERE u.doc_id = ? AND d.tenant = ? AND u.kind = 'sentence' AND u.position "
                "BETWEEN ? AND ? ORDER BY u.position", (doc_id, tenant, first, last)).fetchall()

    def sentence_rows(self, doc_id: str, first: int | None = None, last: int | None = None, *,
                      parent_id: str | None = None,
                      tenant: str = DEFAULT_TENANT) -> list[StoredSentence]:
        """A document's stored sentences with their vectors, in order: positions
        `first..last` inclusive, or those of one parent, or (neither given) all of them; a
        document of another tenant reads as empty."""
        sql = ("SELECT u.position, u.text, u.vector FROM units u JOIN documents d ON d.doc_id = "
               "u.doc_id WHERE u.doc_id = ? AND d.tenant = ? AND u.kind = 'sentence'")
        args: list[Any] = [doc_id, tenant]
        if first is not None or last is not None:
            sql += " AND u.position BETWEEN ? AND ?"
            args += [first if first is not None else 0, last if last is not None else 1 << 62]
        if parent_id is not None:
            sql += " AND u.parent_id = ?"
            args.append(parent_id)
        with self.index.lock:
            rows = self.index.conn.execute(sql + " ORDER BY u.position", args).fetchall()
        return [StoredSentence(p, t, np.frombuffer(v, dtype=np.float32)) for p, t, v in rows]

    def sentence_scores(self, query: np.ndarray, doc_ids: Sequence[str], *,
                        tenant: str = DEFAULT_TENANT) -> dict[str, np.ndarray]:
        """Cosine of every sentence of these documents (the tenant's only) with the query row,
        by position: one exact FAISS pass, no vectors read from SQLite."""
        ids = list(dict.fromkeys(doc_ids))
        if not ids:
            return {}
        with self.index.lock:
            self.index.refresh()
            rows = self.index.conn.execute(
                "SELECT u.id, u.doc_id, u.position FROM units u JOIN documents d ON d.doc_id = "
                f"u.doc_id WHERE u.kind = 'sentence' AND d.tenant = ? AND u.doc_id IN "
                f"({','.join('?' * len(ids))})", [tenant, *ids]).fetchall()
            if not rows:
                return {}
            scores, found = self.index.vectors.scores("sentence", query, [r[0] for r in rows])
        place = {r[0]: (r[1], r[2]) for r in rows}
        size: dict[str, int] = {}
        for doc_id, position in place.values():
            size[doc_id] = max(size.get(doc_id, 0), position + 1)
        out = {d: np.full(n, -1.0, dtype=np.float32) for d, n in size.items()}
        for uid, score in zip(found.tolist(), scores.tolist(), strict=True):
            doc_id, position = place[uid]
            out[doc_id][position] = score
        return out

    def sentence_child_scores(self, query: np.ndarray, doc_ids: Sequence[str], *,
                              tenant: str = DEFAULT_TENANT) -> dict[str, np.ndarray]:
        """Per sentence position of these documents, the cosine of the child that holds it
        (one exact FAISS pass over their children): the text around a sentence, scored."""
        ids = list(dict.fromkeys(doc_ids))
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        with self.index.lock:
            self.index.refresh()
            kids = self.index.conn.execute(
                "SELECT u.id, u.doc_id, u.position FROM units u JOIN documents d ON d.doc_id = "
                f"u.doc_id WHERE u.kind = 'child' AND d.tenant = ? AND u.doc_id IN ({marks})",
                [tenant, *ids]).fetchall()
            if not kids:
                return {}
            scores, found = self.index.vectors.scores("child", query, [r[0] for r in kids])
            held = self.index.conn.execute(
                "SELECT u.doc_id, u.position, u.child FROM units u JOIN documents d ON "
                f"d.doc_id = u.doc_id WHERE u.kind = 'sentence' AND d.tenant = ? AND u.doc_id "
                f"IN ({marks})", [tenant, *ids]).fetchall()
        where = {r[0]: (r[1], r[2]) for r in kids}
        child = {where[u]: v for u, v in zip(found.tolist(), scores.tolist(), strict=True)}
        size: dict[str, int] = {}
        for doc_id, position, _ in held:
            size[doc_id] = max(size.get(doc_id, 0), position + 1)
        out = {d: np.full(n, -1.0, dtype=np.float32) for d, n in size.items()}
        for doc_id, position, kid in held:
            out[doc_id][position] = child.get((doc_id, kid), -1.0)
        return out

    def child_texts(self, *, tenant: str = DEFAULT_TENANT, limit: int | None = None
                    ) -> list[tuple[int, str, str, str]]:
        """(unit id, source id, title, text) of the tenant's children, spread over documents:
        every document's first child, then every second one, and so on (at most `limit`)."""
        with self.index.lock:
            return [(int(i), s, t, x) for i, s, t, x in self.index.conn.execute(
                "SELECT u.id, d.source_id, d.title, u.text FROM units u JOIN documents d ON "
                "d.doc_id = u.doc_id WHERE u.kind = 'child' AND d.tenant = ? ORDER BY "
                "u.position, u.doc_id LIMIT ?", (tenant, 1 << 62 if limit is None else limit))]

    def child_vectors(self, sentence_ids: Sequence[int], *,
                      tenant: str = DEFAULT_TENANT) -> dict[int, np.ndarray]:
        """{sentence unit id: stored vector of the child holding it}, for the tenant's
        sentences among `sentence_ids` (others are left out)."""
        ids = [int(i) for i in dict.fromkeys(sentence_ids)]
        if not ids:
            return {}
        with self.index.lock:
            rows = self.index.conn.execute(
                "SELECT s.id, c.vector FROM units s JOIN documents d ON d.doc_id = s.doc_id "
                "JOIN units c ON c.doc_id = s.doc_id AND c.kind = 'child' AND c.position = "
                f"s.child WHERE s.kind = 'sentence' AND d.tenant = ? AND s.id IN "
                f"({','.join('?' * len(ids))})", [tenant, *ids]).fetchall()
        return {int(i): np.frombuffer(v, dtype=np.float32) for i, v in rows}

    def sentence_lengths(self, doc_ids: Sequence[str], *,
                         tenant: str = DEFAULT_TENANT) -> dict[str, np.ndarray]:
        """Characters of every sentence of these documents (the tenant's only), by position
        (no vectors read)."""
        ids = list(dict.fromkeys(doc_ids))
        if not ids:
            return {}
        rows: dict[str, list[tuple[int, int]]] = {d: [] for d in ids}
        with self.index.lock:
            for doc_id, position, size in self.index.conn.execute(
                    "SELECT u.doc_id, u.position, length(u.text) FROM units u JOIN documents d "
                    "ON d.doc_id = u.doc_id WHERE u.kind = 'sentence' AND d.tenant = ? AND "
                    f"u.doc_id IN ({','.join('?' * len(ids))})", [tenant, *ids]):
                rows[doc_id].append((position, size))
        out = {}
        for doc_id, pairs in rows.items():
            sizes = np.zeros(max((p for p, _ in pairs), default=-1) + 1, dtype=np.int64)
            for position, size in pairs:
                sizes[position] = size
            out[doc_id] = sizes
        return out
