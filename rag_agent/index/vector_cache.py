"""The embedded backend's vector search: FAISS collections kept at the SQLite generation they
hold.

SQLite is the source of truth; the collections are a cache of its vectors, loaded from the
generation-stamped FAISS files when those match (`index.vectors`), else rebuilt. A write updates
them with its own deltas after COMMIT (`applied`); a write by another process is caught up with
by a reload (`stale`, `load`). `save` writes them back when they are ahead of the files.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rag_agent.index import db
from rag_agent.index.scope import Scope
from rag_agent.index.vectors import VectorCollection, load_collections, save_collections

__all__ = ["VectorCache"]


class VectorCache:
    """The FAISS collections of one embedded index and the generation they hold."""

    def __init__(self, folder: Path, conn: Any, lock: threading.RLock, dim: int, *,
                 read_only: bool = False) -> None:
        self.folder, self.conn, self.lock, self.dim = folder, conn, lock, dim
        self.read_only = read_only
        self.collections: dict[str, VectorCollection] = {}
        self.rebuilt: list[str] = []
        """Kinds rebuilt from SQLite by the last load (their files were stale or damaged)."""
        self.generation = -1
        self.saved_generation = -1
        self.load()
        self.saved_generation = self.generation if not self.rebuilt else -1

    # ----- keeping up with SQLite ----------------------------------------------------------
    def load(self) -> None:
        """Collections as of the current generation (files if they match, else rebuilt)."""
        with self.lock, db.read(self.conn):  # one snapshot: the generation and its unit rows
            generation = db.get_meta(self.conn, "generation", 0)
            self.dim = int(db.get_meta(self.conn, "dim", self.dim))  # a model switch moves it
            self.collections, self.rebuilt = load_collections(
                self.folder, self.conn, self.dim, generation)
            self.generation = generation

    def stale(self) -> bool:
        """True if another process committed since the collections were built."""
        return db.get_meta(self.conn, "generation", 0) != self.generation

    def applied(self, added: dict[str, list], removed: dict[str, list[int]], before: int,
                after: int) -> None:
        """Apply this process's committed write (from generation `before` to `after`): its
        rows added and removed, or a reload if another process wrote in between."""
        with self.lock:
            if before != self.generation:
                self.load()
                return
            for kind, coll in self.collections.items():
                coll.remove(removed.get(kind, []))
                rows = added.get(kind) or []
                if rows:
                    coll.add(np.array([r[0] for r in rows], dtype=np.int64),
                             np.stack([r[1] for r in rows]))
            self.generation = after

    def save(self) -> bool:
        """Write the FAISS files if they are behind (atomic); True if it wrote them."""
        with self.lock:
            if self.read_only or self.generation == self.saved_generation:
                return False
            save_collections(self.folder, self.collections, self.generation)
            self.saved_generation = self.generation
            return True

    # ----- searching -----------------------------------------------------------------------
    def search(self, query: np.ndarray, k: int, scope: Scope) -> tuple[np.ndarray, np.ndarray]:
        """Exact top-k (scores, unit ids) within `scope`: the ids it allows are read from
        SQLite first and FAISS ranks only those."""
        with self.lock:
            within = self._candidates(scope)
            return self.collections[scope.kind].search(query, k, within)

    def scores(self, kind: str, query: np.ndarray, ids: Sequence[int]
               ) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) of the query against exactly these units of `kind` (every one)."""
        within = np.asarray(list(ids), dtype=np.int64)
        with self.lock:
            return self.collections[kind].search(query, len(within), within)

    def _candidates(self, scope: Scope) -> np.ndarray | None:
        """Unit ids the search may return, or None when every unit of the kind qualifies."""
        if scope.everything:
            other = self.conn.execute(
                "SELECT 1 FROM documents WHERE tenant != ? LIMIT 1", (scope.tenant,)).fetchone()
            if other is None:
                present = self.conn.execute(
                    "SELECT 1 FROM documents WHERE tenant = ? LIMIT 1",
                    (scope.tenant,)).fetchone()
                return None if present else np.zeros(0, dtype=np.int64)
        # the filter is read once per document, then its units found by the (doc_id, kind) index
        where, args = scope.documents_sql()
        ids = np.fromiter((r[0] for r in self.conn.execute(
            f"SELECT u.id FROM units u WHERE u.kind = '{scope.kind}' AND u.doc_id IN "
            f"(SELECT d.doc_id FROM documents d WHERE {where})", args)), dtype=np.int64)
        return None if len(ids) == self.collections[scope.kind].ntotal else ids
