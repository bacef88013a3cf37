"""A PostgreSQL connection that the index's shared SQL can use as it uses SQLite's.

The index's readers and writers speak sqlite3's dialect of the DB-API: `?` placeholders,
`conn.execute(sql, params)` returning a cursor, transactions opened by `index.db.write` and
`index.db.read`. `PgConnection` gives exactly that over psycopg 3: placeholders become `%s`
(a literal `%` is escaped), `begin_write` opens a transaction holding the index's writer lock
(`pg_advisory_xact_lock`: writers of one index commit one at a time, as with SQLite, while they
embed in parallel), `begin_read` a repeatable-read snapshot. Vectors are pgvector's `vector`,
read and written as float32 arrays; metadata is JSONB, read back as its JSON text.

The schema (`ensure_schema`) is SQLite's with server types: `vector(dim)` for vectors, `bytea`
for hashes, JSONB for metadata, and a generated `tsvector` column with a GIN index for keyword
search.
"""

from __future__ import annotations

import functools
import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from rag_agent.errors import ConfigError

__all__ = ["PgConnection", "connect", "ensure_schema", "ensure_units", "masked", "is_server_url"]

SCHEMES = ("postgresql://", "postgres://")
LOCK_KEY = 0x7261675F  # "rag_": the writer lock of the index in this schema

_BASE = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    source_id TEXT NOT NULL,
    title TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    metadata JSONB NOT NULL,
    n_chars INTEGER NOT NULL,
    n_parents INTEGER NOT NULL,
    n_children INTEGER NOT NULL,
    n_sentences INTEGER NOT NULL,
    summary_kind TEXT NOT NULL,
    ingested_at DOUBLE PRECISION NOT NULL,
    UNIQUE (tenant, source_id)
);
CREATE TABLE IF NOT EXISTS kv (
    namespace TEXT NOT NULL,
    key TEXT NOT NULL,
    doc_id TEXT,
    value TEXT NOT NULL,
    PRIMARY KEY (namespace, key)
);
CREATE INDEX IF NOT EXISTS kv_doc ON kv (doc_id);
INSERT INTO meta VALUES ('schema_version', '2'), ('generation', '0') ON CONFLICT DO NOTHING;
"""

_UNITS = """
CREATE TABLE IF NOT EXISTS units (
    id BIGINT PRIMARY KEY,
    kind TEXT NOT NULL,
    doc_id TEXT NOT NULL REFERENCES documents(doc_id),
    position INTEGER NOT NULL,
    parent_id TEXT,
    child INTEGER,
    start INTEGER,
    "end" INTEGER,
    text TEXT NOT NULL,
    text_hash BYTEA NOT NULL,
    vector vector({dim}) NOT NULL,
    tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED
);
CREATE INDEX IF NOT EXISTS units_doc ON units (doc_id, kind, position);
CREATE INDEX IF NOT EXISTS units_kind ON units (kind);
CREATE INDEX IF NOT EXISTS units_hash ON units (text_hash);
CREATE INDEX IF NOT EXISTS units_tsv ON units USING gin (tsv);
"""


def is_server_url(location: object) -> bool:
    """True for a PostgreSQL connection string (the server backend), False for a folder."""
    return isinstance(location, str) and location.startswith(SCHEMES)


def masked(url: str) -> str:
    """The URL without its password, for messages and `stats`."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


@functools.lru_cache(maxsize=1024)
def _translate(sql: str) -> str:
    """sqlite3's `?` placeholders as psycopg's `%s` (outside quoted literals), `%` escaped."""
    out = []
    for i, part in enumerate(re.split(r"('(?:[^']|'')*')", sql)):
        part = part.replace("%", "%%")
        out.append(part if i % 2 else part.replace("?", "%s"))
    return "".join(out)


class PgConnection:
    """psycopg 3 behind sqlite3's calling conventions (see the module docstring)."""

    dialect = "postgres"

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    def execute(self, sql: str, params: Any = ()) -> Any:
        # binary results: a vector arrives as float4 bytes, not 384 numbers in text
        return self.raw.execute(_translate(sql), list(params), binary=True)

    def executemany(self, sql: str, rows: Any) -> Any:
        cursor = self.raw.cursor()
        cursor.executemany(_translate(sql), [list(r) for r in rows])
        return cursor

    def begin_write(self) -> None:
        """Open a transaction holding the index's writer lock until COMMIT or ROLLBACK."""
        self.raw.execute("BEGIN")
        self.raw.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])

    def begin_read(self) -> None:
        """Open a read-only snapshot (repeatable read)."""
        self.raw.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")

    def close(self) -> None:
        self.raw.close()

    @property
    def closed(self) -> bool:
        return bool(self.raw.closed)


def _register_loaders(raw: Any) -> None:
    """Vectors as float32 arrays, JSONB as its JSON text (as SQLite returns it)."""
    import numpy as np
    from psycopg.adapt import Loader
    from psycopg.pq import Format
    from psycopg.types import TypeInfo

    class VectorLoader(Loader):
        format = Format.BINARY

        def load(self, data: Any) -> Any:  # int16 dim, int16 unused, float4 big-endian
            return np.frombuffer(data, dtype=">f4", offset=4).astype(np.float32)

    class JsonbLoader(Loader):
        format = Format.BINARY

        def load(self, data: Any) -> Any:  # a version byte, then the JSON text
            return bytes(data[1:]).decode("utf-8")

    class JsonbTextLoader(Loader):
        def load(self, data: Any) -> Any:
            return bytes(data).decode("utf-8")

    info = TypeInfo.fetch(raw, "vector")
    raw.adapters.register_loader(info.oid, VectorLoader)
    raw.adapters.register_loader("jsonb", JsonbLoader)
    raw.adapters.register_loader("jsonb", JsonbTextLoader)


def connect(url: str, *, read_only: bool = False) -> PgConnection:
    """Connect to the database of `url` (autocommit: the index opens its own transactions),
    with pgvector's types registered and JSONB read back as text."""
    try:
        import psycopg
        from pgvector.psycopg import register_vector
    except ImportError as exc:
        raise ConfigError(f"the PostgreSQL backend needs {exc.name}: pip install "
                          "'rag-agent[postgres]'") from exc
    try:
        raw = psycopg.connect(url, autocommit=True)
    except psycopg.OperationalError as exc:
        raise ConfigError(f"cannot connect to {masked(url)!r}: {str(exc).strip()}") from exc
    try:
        has_vector = raw.execute("SELECT 1 FROM pg_extension WHERE extname = 'vector'").fetchone()
        if not has_vector:
            try:
                raw.execute("CREATE EXTENSION IF NOT EXISTS vector")
            except psycopg.Error as exc:
                raise ConfigError(
                    f"database {masked(url)!r} has no pgvector extension and this role may not "
                    f"create it ({str(exc).strip()}); ask its administrator to run 'CREATE "
                    "EXTENSION vector' in it") from exc
        register_vector(raw)
        _register_loaders(raw)
        if read_only:
            raw.execute("SET default_transaction_read_only = on")
    except BaseException:
        raw.close()
        raise
    return PgConnection(raw)


def ensure_schema(conn: PgConnection) -> None:
    """The tables every index has before its model is known (made if missing)."""
    from rag_agent.index import db

    with db.write(conn):
        for statement in filter(str.strip, _BASE.split(";")):
            conn.raw.execute(statement)


def ensure_units(conn: PgConnection, dim: int) -> None:
    """The units table for vectors of `dim` dimensions (made if missing)."""
    from rag_agent.index import db

    with db.write(conn):
        for statement in filter(str.strip, _UNITS.format(dim=int(dim)).split(";")):
            conn.raw.execute(statement)
