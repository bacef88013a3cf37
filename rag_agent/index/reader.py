"""The reading half of `RagIndex`: exact, pre-filtered dense and keyword search, and what
retrievers read back."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from rag_agent.errors import ConfigError
from rag_agent.index import db
from rag_agent.index.embedded import unit_texts
from rag_agent.index.filters import Filter, compile_filter
from rag_agent.index.keyword import document_frequency, keyword_ids, query_words
from rag_agent.index.records import Hit, StoredUnit
from rag_agent.index.rows import stored_or_embedded
from rag_agent.index.scope import KINDS, Scope
from rag_agent.ingest.clean import has_words
from rag_agent.models import encode_query
from rag_agent.settings import DEFAULT_TENANT

if TYPE_CHECKING:
    from rag_agent.index.store import RagIndex

__all__ = ["IndexReader"]


class IndexReader:
    """Searches of one index's units and reads back by id; `RagIndex` forwards its methods
    here. It owns the memory of recent query vectors; the connection, vectors and model are
    the index's."""

    def __init__(self, index: RagIndex) -> None:
        self.index = index
        self.queries: dict[str, np.ndarray] = {}
        """Recent query vectors by model and text (a question is embedded once)."""

    def search(
        self,
        query: str | np.ndarray,
        *,
        kind: str = "child",
        k: int = 4,
        filter: Filter | None = None,
        tenant: str = DEFAULT_TENANT,
        doc_ids: Sequence[str] | None = None,
    ) -> list[Hit]:
        """Exact top-k units of `kind` among those matching tenant, filter and `doc_ids`.

        The restriction is applied before ranking, so k hits come back whenever k match. A
        text query with no word in it (empty, blank, "?") returns [], as `keyword_search`
        does: there is nothing to search for, and the nearest units would be noise.
        """
        if kind not in KINDS:
            raise ConfigError(f"unknown unit kind {kind!r}; use one of {', '.join(KINDS)}")
        if k <= 0 or (isinstance(query, str) and not has_words(query)):
            return []
        embedder = self.index.embedder
        vec = self.embed_query(query) if isinstance(query, str) else query
        with self.index.lock:  # a search never sees a half-applied write of another thread
            self.index.refresh()
            if isinstance(query, str) and self.index.embedder is not embedder:  # a model switch
                vec = self.embed_query(query)
            scope = Scope.of(kind, tenant, filter, doc_ids, db.dialect(self.index.conn))
            scores, ids = self.index.vectors.search(vec, k, scope)
        return self._hits(kind, ids, scores)

    def keyword_search(
        self,
        query: str,
        *,
        kind: str = "child",
        k: int = 4,
        filter: Filter | None = None,
        tenant: str = DEFAULT_TENANT,
        doc_ids: Sequence[str] | None = None,
    ) -> list[Hit]:
        """Top-k units of `kind` by BM25 over their text, among those matching tenant, filter
        and `doc_ids` (the same pre-filter as `search`); `Hit.score` is -bm25, higher is better.

        Any word of `query` may match (see `rag_agent.index.keyword`); a query with no word
        returns [].
        """
        if kind not in KINDS:
            raise ConfigError(f"unknown unit kind {kind!r}; use one of {', '.join(KINDS)}")
        with self.index.lock:
            ranked = keyword_ids(self.index.conn, query, kind=kind, k=k, filter=filter,
                                 tenant=tenant, doc_ids=doc_ids)
        ids = np.array([i for i, _ in ranked], dtype=np.int64)
        return self._hits(kind, ids, np.array([s for _, s in ranked], dtype=np.float64))

    def rarest_word_share(self, query: str, *, tenant: str = DEFAULT_TENANT) -> float | None:
        """The smallest share of the tenant's documents holding one of the query's words
        (its most telling word: IDF), or None if no word of it is in the index."""
        words = query_words(query)
        if not words:
            return None
        with self.index.lock:
            total = self.index.conn.execute("SELECT count(*) FROM documents WHERE tenant = ?",
                                      (tenant,)).fetchone()[0]
            counts = [n for n in document_frequency(self.index.conn, words, tenant=tenant).values()
                      if n]
        if not counts or not total:
            return None
        return min(counts) / total

    def unit_vectors(self, unit_ids: Sequence[int], *,
                     tenant: str = DEFAULT_TENANT) -> dict[int, np.ndarray]:
        """Stored vectors of the tenant's units among these ids (others, and ids that no longer
        exist, are left out)."""
        ids = [int(i) for i in unit_ids]
        if not ids:
            return {}
        with self.index.lock:
            rows = self.index.conn.execute(
                "SELECT u.id, u.vector FROM units u JOIN documents d ON d.doc_id = u.doc_id "
                f"WHERE d.tenant = ? AND u.id IN ({','.join('?' * len(ids))})", [tenant, *ids])
            return {i: np.frombuffer(v, dtype=np.float32) for i, v in rows}

    def embedded_texts(self, unit_ids: Sequence[int], *,
                       tenant: str = DEFAULT_TENANT) -> dict[int, str]:
        """What was embedded for the tenant's units among these ids (their text under the
        document header where the split settings put one); extractive summaries, which embed
        no text, and other tenants' units are left out."""
        if not unit_ids:
            return {}
        with self.index.lock:
            units = unit_texts(self.index.conn, self.index.config, self.index.embedder.count_tokens,
                               unit_ids=unit_ids, tenant=tenant)
        return {u.unit_id: u.embedded for u in units if u.embedded is not None}

    def units(self, kind: str | None = None, *, tenant: str = DEFAULT_TENANT) -> list[StoredUnit]:
        """Every stored unit of the tenant (of one `kind`, or all), in id order: the whole
        collection as rows, for probes and exports that score every unit themselves."""
        if kind is not None and kind not in KINDS:
            raise ConfigError(f"unknown unit kind {kind!r}; use one of {', '.join(KINDS)}")
        sql = ("SELECT u.id, u.kind, u.doc_id, d.source_id, d.title, u.position, u.parent_id, "
               "u.child, u.text, u.vector FROM units u JOIN documents d ON d.doc_id = u.doc_id "
               "WHERE d.tenant = ?" + (" AND u.kind = ?" if kind else "") + " ORDER BY u.id")
        with self.index.lock:
            rows = self.index.conn.execute(sql, [tenant, *([kind] if kind else [])]).fetchall()
        return [StoredUnit(*r[:9], np.frombuffer(r[9], dtype=np.float32)) for r in rows]

    def forget_queries(self) -> None:
        """Drop the remembered query vectors, so the next call embeds its query (a cold call,
        as benchmarks time it)."""
        self.queries.clear()

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        """Vectors of `texts`: stored ones (same sentence or child text) reused, others embedded."""
        index = self.index
        return stored_or_embedded(index.conn, index.lock, index.embedder, texts, index.dim).rows

    def embed_query(self, query: str, *, adapter: bool | None = None) -> np.ndarray:
        """The normalized query row (1, dim); the last few queries are remembered, so a
        question classified, searched and answered is embedded once.

        `adapter`: None maps the row with the installed query adapter if there is one, False
        never does (the model's own vector), True requires one (ConfigError without)."""
        with self.index.lock:
            self.index.refresh()  # a model switched by another process is followed before encoding
            embedder = self.index.embedder
        key = f"{embedder.model_id}\x00{query}"
        vec = self.queries.get(key)
        if vec is None:
            vec = encode_query(embedder, query)
            self.queries[key] = vec
            if len(self.queries) > 256:
                self.queries.pop(next(iter(self.queries)))
        if adapter is False:
            return vec
        if self.index.adapter is None:
            if adapter:
                raise ConfigError(f"adapter=True, but index {self.index.location!r} has no query "
                                  "adapter; train one with 'rag-agent finetune --adapter "
                                  f"--index {self.index.location} --pairs FILE'")
            return vec
        return self.index.adapter.apply(vec)

    def _hits(self, kind: str, ids: np.ndarray, scores: np.ndarray) -> list[Hit]:
        if len(ids) == 0:
            return []
        with self.index.lock:
            rows = self.index.conn.execute(
                "SELECT u.id, u.text, u.doc_id, u.position, u.parent_id, d.source_id, d.title, "
                "d.tenant, d.metadata FROM units u JOIN documents d ON d.doc_id = u.doc_id "
                f"WHERE u.id IN ({','.join('?' * len(ids))})", [int(i) for i in ids]).fetchall()
        by_id = {r[0]: r for r in rows}
        return [
            Hit(int(i), kind, float(s), r[1], r[2], r[3], r[4], r[5], r[6], r[7], json.loads(r[8]))
            for i, s in zip(ids, scores, strict=True) if (r := by_id.get(int(i)))
        ]

    def centroid(self, *, kind: str = "summary", filter: Filter | None = None,
                 tenant: str = DEFAULT_TENANT) -> np.ndarray | None:
        """The normalized mean vector of the tenant's units of `kind` matching `filter` (what
        the documents are about together), or None if there are none."""
        where, params = compile_filter(filter, dialect=db.dialect(self.index.conn))
        with self.index.lock:
            rows = self.index.conn.execute(
                "SELECT u.vector FROM units u JOIN documents d ON d.doc_id = u.doc_id "
                f"WHERE u.kind = ? AND d.tenant = ? AND {where}", [kind, tenant, *params])
            total = np.zeros(self.index.dim, dtype=np.float64)
            n = 0
            for (blob,) in rows:
                total += np.frombuffer(blob, dtype=np.float32)
                n += 1
        if n == 0:
            return None
        norm = np.linalg.norm(total)
        return (total / (norm or 1.0)).astype(np.float32).reshape(1, -1)
