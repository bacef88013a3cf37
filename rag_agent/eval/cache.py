"""Embeddings remembered in a SQLite file, so repeated evaluation runs never embed a text twice."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

__all__ = ["CachedEmbeddings"]


class CachedEmbeddings(Embeddings):
    """Wraps LangChain `Embeddings`; document vectors are stored by (model id, text) hash.

    Only for the baselines of the evaluation harness (our index keeps its own vectors). Counts
    the texts that reached the model in `embedded`. Query vectors handed in with `remember_query`
    are served from memory, so every system of a run searches with the same query vector.
    """

    def __init__(self, inner: Embeddings, path: Path, model_id: str) -> None:
        self.inner = inner
        self.model_id = model_id
        path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(path, check_same_thread=False)
        self.conn.execute("CREATE TABLE IF NOT EXISTS vec (h TEXT PRIMARY KEY, v BLOB NOT NULL)")
        self.embedded = 0
        self.queries: dict[str, list[float]] = {}

    def _hash(self, text: str) -> str:
        return hashlib.sha256(f"{self.model_id}\0{text}".encode()).hexdigest()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        hashes = [self._hash(t) for t in texts]
        known: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(hashes))
        for i in range(0, len(unique), 500):
            chunk = unique[i:i + 500]
            rows = self.conn.execute(
                f"SELECT h, v FROM vec WHERE h IN ({','.join('?' * len(chunk))})", chunk)
            known.update((h, np.frombuffer(v, dtype=np.float32)) for h, v in rows)
        todo = {h: t for h, t in zip(hashes, texts, strict=True) if h not in known}
        if todo:
            vectors = np.asarray(self.inner.embed_documents(list(todo.values())), dtype=np.float32)
            self.embedded += len(todo)
            with self.conn:
                self.conn.executemany("INSERT OR REPLACE INTO vec VALUES (?, ?)",
                                      [(h, v.tobytes()) for h, v in zip(todo, vectors, strict=True)])
            known.update(zip(todo, vectors, strict=True))
        return [known[h].tolist() for h in hashes]

    def remember_query(self, text: str, vector: np.ndarray) -> None:
        """Serve `vector` for `text` from now on (the last 1,024 queries are kept)."""
        self.queries[text] = np.asarray(vector, dtype=np.float32).ravel().tolist()
        if len(self.queries) > 1024:
            self.queries.pop(next(iter(self.queries)))

    def embed_query(self, text: str) -> list[float]:
        if text in self.queries:
            return self.queries[text]
        return self.inner.embed_query(text)
