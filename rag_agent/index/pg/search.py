"""The server backend's vector search: pgvector, exact by default, HNSW as an option.

Exact: every unit in the scope is scored (inner product of normalized vectors = cosine) and the
top k returned, ties by id; the scope (kind, tenant, filter, documents) is in the same query,
so k rows come back whenever k units match.

HNSW (`mode="hnsw"`, one partial index per kind): a filtered HNSW scan can come back short,
since the graph's first `ef_search` candidates may hold fewer than k matching units. pgvector
0.8's iterative scan (`hnsw.iterative_scan = strict_order`) keeps scanning until k match or
`hnsw.max_scan_tuples` were read; if it still returns fewer than k while k units match, the
exact query answers instead. So HNSW trades exactness of order for speed, never the count.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from rag_agent.errors import ConfigError
from rag_agent.index.pg.connection import PgConnection
from rag_agent.index.scope import KINDS, Scope

__all__ = ["MODES", "PgVectors"]

MODES = ("exact", "hnsw")
EF_SEARCH = 100
"""Candidates an HNSW scan keeps (at least k; pgvector's default is 40)."""
FEW_DOCUMENTS = 10_000
"""Up to this many documents kept by a filter are looked up by id (see `_restriction`)."""
HNSW_M, HNSW_EF_CONSTRUCTION = 16, 64
"""pgvector's defaults for building the graph."""


class PgVectors:
    """Vector search in the database itself; nothing to cache, load or save."""

    collections: dict[str, Any] = {}
    rebuilt: list[str] = []

    def __init__(self, conn: PgConnection, lock: threading.RLock, dim: int, *,
                 mode: str = "exact", build: bool = True) -> None:
        if mode not in MODES:
            raise ConfigError(f"unknown vector search {mode!r}; use one of {', '.join(MODES)}")
        self.conn, self.lock, self.dim, self.mode = conn, lock, dim, mode
        if mode == "hnsw" and build:
            self.build_hnsw()

    # ----- the cache protocol of the embedded backend: nothing to do on a server -----------
    def load(self) -> None:
        """Nothing is cached in this process."""

    def stale(self) -> bool:
        return False

    def applied(self, added: dict, removed: dict, before: int, after: int) -> None:
        """A committed write is already what every search reads."""

    def save(self) -> bool:
        return False

    # ----- searching -----------------------------------------------------------------------
    def build_hnsw(self, kinds: Sequence[str] = KINDS) -> None:
        """Make the HNSW index of each kind if it is missing (takes a while on a large table)."""
        with self.lock:
            for kind in kinds:
                if kind not in KINDS:
                    raise ConfigError(f"unknown unit kind {kind!r}")
                self.conn.execute(
                    f"CREATE INDEX IF NOT EXISTS units_hnsw_{kind} ON units USING hnsw "
                    f"(vector vector_ip_ops) WITH (m = {HNSW_M}, ef_construction = "
                    f"{HNSW_EF_CONSTRUCTION}) WHERE kind = '{kind}'")

    def search(self, query: np.ndarray, k: int, scope: Scope) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, unit ids) within `scope`, best first."""
        vec = np.ascontiguousarray(query, dtype=np.float32).reshape(-1)
        with self.lock:
            base, args = self._restriction(scope)
            rows = None
            if self.mode == "hnsw" and k <= 1000:
                rows = self._hnsw(base, args, vec, k)
            if rows is None:
                rows = self.conn.execute(
                    f"SELECT u.id, -(u.vector <#> ?) AS score {base} ORDER BY score DESC, u.id "
                    "LIMIT ?", [vec, *args, k]).fetchall()
        return (np.array([r[1] for r in rows], dtype=np.float32),
                np.array([r[0] for r in rows], dtype=np.int64))

    def _restriction(self, scope: Scope) -> tuple[str, list[Any]]:
        """FROM and WHERE of the units `scope` allows. A filter or a document list is first
        resolved to the documents it keeps, when they are few: the planner cannot tell how many
        documents a JSON filter keeps (it guesses half) and would then score every unit of the
        kind, where reading the few it needs by (doc_id, kind) is what a selective filter wants
        (on 100k units, a 1% filter took 411 ms by a full scan). Between the two reads another
        writer may commit: the search then sees the documents as of the first."""
        if not scope.everything:
            where, args = scope.documents_sql()
            docs = [r[0] for r in self.conn.execute(
                f"SELECT d.doc_id FROM documents d WHERE {where} LIMIT ?",
                [*args, FEW_DOCUMENTS + 1]).fetchall()]
            if len(docs) <= FEW_DOCUMENTS:
                return f"FROM units u WHERE u.kind = '{scope.kind}' AND u.doc_id = ANY(?)", [docs]
        where, args = scope.sql()
        return "FROM units u JOIN documents d ON d.doc_id = u.doc_id WHERE " + where, args

    def _hnsw(self, base: str, args: list[Any], vec: np.ndarray, k: int) -> list | None:
        """The HNSW answer, or None if it came back short while k units match."""
        self.conn.execute("BEGIN")
        try:
            self.conn.execute(f"SET LOCAL hnsw.ef_search = {max(EF_SEARCH, k)}")
            self.conn.execute("SET LOCAL hnsw.iterative_scan = strict_order")
            rows = self.conn.execute(
                f"SELECT u.id, -(u.vector <#> ?) AS score {base} ORDER BY u.vector <#> ? "
                "LIMIT ?", [vec, *args, vec, k]).fetchall()
        finally:
            self.conn.execute("COMMIT")
        if len(rows) < k:
            matching = self.conn.execute(f"SELECT count(*) FROM (SELECT 1 {base} LIMIT ?) s",
                                         [*args, k]).fetchone()[0]
            if matching > len(rows):
                return None
        return rows

    def scores(self, kind: str, query: np.ndarray, ids: Sequence[int]
               ) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) of the query against exactly these units, best first."""
        vec = np.ascontiguousarray(query, dtype=np.float32).reshape(-1)
        with self.lock:
            rows = self.conn.execute(
                "SELECT id, -(vector <#> ?) AS score FROM units WHERE kind = ? AND id = ANY(?) "
                "ORDER BY score DESC, id", [vec, kind, [int(i) for i in ids]]).fetchall()
        return (np.array([r[1] for r in rows], dtype=np.float32),
                np.array([r[0] for r in rows], dtype=np.int64))
