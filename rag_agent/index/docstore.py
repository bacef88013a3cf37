"""SQLite-backed LangChain stores, so a `MultiVectorRetriever` can read parents from the index.

`SQLiteDocStore` and `SQLiteStringStore` are plain key-value stores over one namespace of the
`kv` table. The index's parents are read through `TenantDocStore`, which sees only the parents
of one tenant's documents: an id of another tenant's parent reads as missing, so an application
that forwards ids from its users cannot leak another tenant's text.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from typing import Any, Generic, TypeVar

from langchain_core.documents import Document
from langchain_core.stores import BaseStore

from rag_agent.errors import ConfigError
from rag_agent.index.db import select_in, write

__all__ = ["SQLiteDocStore", "SQLiteStringStore", "TenantDocStore", "document_to_json",
           "json_to_document"]

V = TypeVar("V")


def document_to_json(doc: Document) -> str:
    return json.dumps(
        {"page_content": doc.page_content, "metadata": doc.metadata, "id": doc.id},
        default=str,
        ensure_ascii=False,
    )


def json_to_document(raw: str) -> Document:
    data = json.loads(raw)
    return Document(page_content=data["page_content"], metadata=data["metadata"], id=data["id"])


class _SQLiteStore(BaseStore[str, V], Generic[V]):
    """Key-value rows of one namespace of the index's `kv` table; writes are transactions."""

    def __init__(self, conn: sqlite3.Connection, namespace: str, lock: threading.RLock) -> None:
        self.conn = conn
        self.namespace = namespace
        self.lock = lock

    def _dump(self, value: V) -> str:
        raise NotImplementedError

    def _load(self, raw: str) -> V:
        raise NotImplementedError

    def mget(self, keys: Sequence[str]) -> list[V | None]:
        with self.lock:
            found = dict(select_in(self.conn, "SELECT key, value FROM kv WHERE namespace = ? "
                                   "AND key IN ({keys})", (self.namespace,), keys))
        return [self._load(found[k]) if k in found else None for k in keys]

    def mset(self, key_value_pairs: Sequence[tuple[str, V]]) -> None:
        with self.lock, write(self.conn):
            self.write(key_value_pairs)

    def write(self, pairs: Sequence[tuple[str, V]], doc_id: str | None = None) -> None:
        """Upsert rows inside the caller's open transaction."""
        self.conn.executemany(
            "INSERT INTO kv VALUES (?, ?, ?, ?) ON CONFLICT(namespace, key) "
            "DO UPDATE SET value = excluded.value, doc_id = excluded.doc_id",
            [(self.namespace, k, doc_id, self._dump(v)) for k, v in pairs],
        )

    def mdelete(self, keys: Sequence[str]) -> None:
        with self.lock, write(self.conn):
            self.conn.executemany("DELETE FROM kv WHERE namespace = ? AND key = ?",
                                  [(self.namespace, k) for k in keys])

    def yield_keys(self, *, prefix: str | None = None) -> Iterator[str]:
        with self.lock:
            if prefix:
                rows = self.conn.execute(
                    "SELECT key FROM kv WHERE namespace = ? AND substr(key, 1, ?) = ? "
                    "ORDER BY key",
                    (self.namespace, len(prefix), prefix),
                ).fetchall()
            else:
                rows = self.conn.execute(
                    "SELECT key FROM kv WHERE namespace = ? ORDER BY key", (self.namespace,)
                ).fetchall()
        for (key,) in rows:
            yield key


class SQLiteDocStore(_SQLiteStore[Document]):
    """`BaseStore[str, Document]` over SQLite: the index keeps its parents here."""

    def _dump(self, value: Document) -> str:
        return document_to_json(value)

    def _load(self, raw: str) -> Document:
        return json_to_document(raw)


class SQLiteStringStore(_SQLiteStore[str]):
    """`BaseStore[str, str]` over SQLite: a cache (LLM summaries) that lives with the index."""

    def _dump(self, value: str) -> str:
        return json.dumps(value)

    def _load(self, raw: str) -> Any:
        return json.loads(raw)


class TenantDocStore(BaseStore[str, Document]):
    """The index's parents of one tenant, as a read-only LangChain `BaseStore`.

    Parents are written and deleted with their documents (`RagIndex.add_documents`,
    `delete_source`), never one by one, so `mset` and `mdelete` refuse.
    """

    def __init__(self, conn: sqlite3.Connection, tenant: str, lock: threading.RLock,
                 namespace: str = "parent") -> None:
        self.conn = conn
        self.tenant = tenant
        self.lock = lock
        self.namespace = namespace

    def mget(self, keys: Sequence[str]) -> list[Document | None]:
        with self.lock:
            found = dict(select_in(
                self.conn, "SELECT kv.key, kv.value FROM kv JOIN documents d ON d.doc_id = "
                "kv.doc_id WHERE kv.namespace = ? AND d.tenant = ? AND kv.key IN ({keys})",
                (self.namespace, self.tenant), keys))
        return [json_to_document(found[k]) if k in found else None for k in keys]

    def mset(self, key_value_pairs: Sequence[tuple[str, Document]]) -> None:
        raise ConfigError("the index's parents are written with their documents: use "
                          "RagIndex.add_documents (or add_paths)")

    def mdelete(self, keys: Sequence[str]) -> None:
        raise ConfigError("the index's parents are deleted with their documents: use "
                          "RagIndex.delete_source")

    def write(self, pairs: Sequence[tuple[str, Document]], doc_id: str) -> None:
        """Upsert the parents of `doc_id` (a document of this tenant inserted in the caller's
        open transaction)."""
        self.conn.executemany(
            "INSERT INTO kv VALUES (?, ?, ?, ?) ON CONFLICT(namespace, key) "
            "DO UPDATE SET value = excluded.value, doc_id = excluded.doc_id",
            [(self.namespace, k, doc_id, document_to_json(v)) for k, v in pairs])

    def yield_keys(self, *, prefix: str | None = None) -> Iterator[str]:
        with self.lock:
            rows = self.conn.execute(
                "SELECT kv.key FROM kv JOIN documents d ON d.doc_id = kv.doc_id WHERE "
                "kv.namespace = ? AND d.tenant = ? AND substr(kv.key, 1, ?) = ? ORDER BY kv.key",
                (self.namespace, self.tenant, len(prefix or ""), prefix or "")).fetchall()
        for (key,) in rows:
            yield key
