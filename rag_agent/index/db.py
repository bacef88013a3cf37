"""The SQLite file of an index: schema, connection settings and the meta table.

SQLite is the source of truth. Documents, parents, sentences, children, summaries and every
vector (as float32 bytes) are written in one transaction per batch, so a process killed at any
moment leaves the last committed state. The FAISS files are a cache of the vectors, tagged with
the generation they were saved at and rebuilt from here when they are stale.

The keyword index (`index.keyword_tables`: one FTS5 table per unit kind, kept in sync by
triggers inside every unit write's transaction) is made here when an index is opened writable
without it; an index of schema 2 (one table over all kinds, text alone) gets it on its first
writable open, nothing embedded. `staged_vectors` holds vectors of a model
switch in progress (`index.model_switch`), keyed by model and text. An index made before it
existed gets it (filled from the stored text, nothing embedded) when first opened.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np

from rag_agent.errors import ConfigError
from rag_agent.index.keyword_tables import KEYWORD_DDL, OLD_KEYWORD, fill_keyword_index

__all__ = ["DB_FILE", "SCHEMA_VERSION", "connect", "dialect", "ensure_keyword_index", "get_meta",
           "read", "select_in", "set_meta", "snapshot", "vector_param", "write"]

SCHEMA_VERSION = 3
DB_FILE = "index.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    source_id TEXT NOT NULL,
    title TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    metadata TEXT NOT NULL,
    n_chars INTEGER NOT NULL,
    n_parents INTEGER NOT NULL,
    n_children INTEGER NOT NULL,
    n_sentences INTEGER NOT NULL,
    summary_kind TEXT NOT NULL,
    ingested_at REAL NOT NULL,
    UNIQUE (tenant, source_id)
);
CREATE TABLE IF NOT EXISTS units (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    doc_id TEXT NOT NULL REFERENCES documents(doc_id),
    position INTEGER NOT NULL,
    parent_id TEXT,
    child INTEGER,
    start INTEGER,
    end INTEGER,
    text TEXT NOT NULL,
    text_hash BLOB NOT NULL,
    vector BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS units_doc ON units (doc_id, kind, position);
CREATE INDEX IF NOT EXISTS units_kind ON units (kind);
CREATE INDEX IF NOT EXISTS units_hash ON units (text_hash);
CREATE TABLE IF NOT EXISTS kv (
    namespace TEXT NOT NULL,
    key TEXT NOT NULL,
    doc_id TEXT,
    value TEXT NOT NULL,
    PRIMARY KEY (namespace, key)
);
CREATE INDEX IF NOT EXISTS kv_doc ON kv (doc_id);
CREATE TABLE IF NOT EXISTS staged_vectors (
    model_id TEXT NOT NULL,
    text_hash BLOB NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (model_id, text_hash)
);
"""

def connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    """Open (creating if needed) the index database with durable, crash-safe settings.

    `readonly` writes nothing, not even the schema or the journal mode. In a folder this process
    cannot write, where SQLite cannot make the WAL's shared-memory file, it opens the file as
    immutable (nobody can be writing it from here either).
    """
    if readonly:
        uri = f"file:{quote(str(path.resolve()))}?mode=ro"
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None,
                               timeout=30)
        try:
            conn.execute("SELECT count(*) FROM meta").fetchone()
        except sqlite3.OperationalError:
            conn.close()
            if os.access(path.parent, os.W_OK):
                raise
            conn = sqlite3.connect(uri + "&immutable=1", uri=True, check_same_thread=False,
                                   isolation_level=None)
    else:
        conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None,
                               timeout=30)
        conn.execute("PRAGMA busy_timeout=30000")  # before anything that locks: a concurrent
        _wal(conn)                                 # opener may be creating the same index
        conn.execute("PRAGMA synchronous=FULL")
        conn.executescript(_SCHEMA)
        conn.execute(
            "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?), ('generation', '0')",
            (str(SCHEMA_VERSION),),
        )
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    if not readonly:
        ensure_keyword_index(conn)
    return conn


def _wal(conn: sqlite3.Connection, attempts: int = 300) -> None:
    """Switch to WAL. While another process switches a new database, SQLite answers "database
    is locked" at once, without its busy handler: wait and retry (30 s at most, as busy_timeout)."""
    for attempt in range(attempts):
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.1)


def _has_keyword_index(conn: sqlite3.Connection) -> bool:
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    return set(KEYWORD_DDL) <= names and not names & set(OLD_KEYWORD)


def ensure_keyword_index(conn: sqlite3.Connection) -> bool:
    """Create the keyword index and fill it from `units` if it is missing or of an older schema
    (schema 2: one table over every kind, text without title); True if it was made.

    Runs in one write transaction, so a crash leaves either the old state (made again on the
    next open) or a complete one; a concurrent opener finds it made and does nothing.
    """
    if _has_keyword_index(conn):
        return False
    with write(conn):
        if _has_keyword_index(conn):
            return False
        # Rebuild from scratch: a stale table or trigger (e.g. one dropped by hand) must not
        # leave entries for rows deleted while it was missing.
        for name, what in OLD_KEYWORD.items():
            conn.execute(f"DROP {what} IF EXISTS {name}")
        for name, statement in KEYWORD_DDL.items():
            what = statement.split()[1]
            conn.execute(f"DROP {'TABLE' if what == 'VIRTUAL' else what} IF EXISTS {name}")
        for statement in KEYWORD_DDL.values():
            conn.execute(statement)
        fill_keyword_index(conn)
        set_meta(conn, "schema_version", SCHEMA_VERSION)
    return True


def dialect(conn: Any) -> str:
    """"sqlite" for the embedded backend's connection, else the server backend's name."""
    return getattr(conn, "dialect", "sqlite")


@contextmanager
def write(conn: Any) -> Iterator[Any]:
    """One write transaction, committed if the block ends, rolled back if it raises: the one
    transaction helper of every backend. SQLite takes the database's write lock (BEGIN
    IMMEDIATE); a server backend takes the index's writer lock (`begin_write`). Either way,
    writers of one index commit one at a time, while they embed in parallel."""
    begin = getattr(conn, "begin_write", None)
    if begin is None:
        conn.execute("BEGIN IMMEDIATE")
    else:
        begin()
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@contextmanager
def read(conn: Any) -> Iterator[Any]:
    """One consistent snapshot for several reads (the generation and the rows it counts)."""
    begin = getattr(conn, "begin_read", None)
    if begin is None:
        conn.execute("BEGIN")
    else:
        begin()
    try:
        yield conn
    finally:
        conn.execute("COMMIT")


def vector_param(conn: Any, vector: Any) -> Any:
    """A vector as the backend stores it: float32 bytes in SQLite, a float32 array (pgvector's
    `vector`) on a server."""
    arr = np.asarray(vector, dtype=np.float32)
    return arr.tobytes() if dialect(conn) == "sqlite" else arr


def size_bytes(conn: Any, folder: Path | None) -> int:
    """Bytes the index takes: its folder's files, or its tables on a server."""
    if folder is not None:
        return sum(f.stat().st_size for f in folder.iterdir() if f.is_file())
    return int(conn.execute(
        "SELECT coalesce(sum(pg_total_relation_size(to_regclass(t))), 0) FROM "
        "unnest(ARRAY['units', 'documents', 'kv', 'meta']) AS t").fetchone()[0])


def select_in(conn: Any, sql: str, params: Sequence[Any], keys: Sequence[Any],
              *, size: int = 500) -> list[tuple[Any, ...]]:
    """Every row of `sql` for `keys`, read `size` keys at a time (SQLite bounds the number of
    parameters). `sql` names the key list `{keys}`, e.g. "... AND key IN ({keys})", and takes
    `params` before the keys."""
    rows: list[tuple[Any, ...]] = []
    for i in range(0, len(keys), size):
        chunk = list(keys[i:i + size])
        rows += conn.execute(sql.format(keys=",".join("?" * len(chunk))),
                             (*params, *chunk)).fetchall()
    return rows


def snapshot(conn: sqlite3.Connection, folder: Path) -> Path:
    """A consistent copy of the database in `folder` (SQLite's online backup: the committed
    state as of one moment, while other processes go on writing), written under a temporary
    name and renamed, so a crash never leaves a half copy under the real name."""
    target = folder / DB_FILE
    if target.exists():
        raise ConfigError(f"{str(folder)!r} already holds an index; snapshot into a new folder")
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / (DB_FILE + ".part")
    tmp.unlink(missing_ok=True)
    dest = sqlite3.connect(tmp)
    try:
        conn.backup(dest)
    finally:
        dest.close()
    os.replace(tmp, target)
    return target


def get_meta(conn: Any, key: str, default: Any = None) -> Any:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return json.loads(row[0]) if row else default


def set_meta(conn: Any, key: str, value: Any) -> None:
    conn.execute(
        "INSERT INTO meta VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, json.dumps(value, sort_keys=True)),
    )


def delete_meta(conn: Any, key: str) -> None:
    conn.execute("DELETE FROM meta WHERE key = ?", (key,))
