"""Opening an index in a PostgreSQL database: connect, make the schema if allowed, record or
check the model and split settings exactly as a folder index does (`index.opening.settle`)."""

from __future__ import annotations

from typing import Any

from rag_agent.errors import ConfigError
from rag_agent.index.opening import settle
from rag_agent.index.pg.connection import connect, ensure_schema, ensure_units, masked
from rag_agent.index.pg.search import PgVectors
from rag_agent.settings import IndexConfig

__all__ = ["open_server"]


def open_server(cls: Any, url: str, *, embedder: Any, config: IndexConfig | None,
                summarizer: Any, create: bool, encoder: str | None, read_only: bool,
                vector_search: str) -> Any:
    """The `RagIndex` (class `cls`) in the database of `url`; see `RagIndex.open`."""
    conn = connect(url, read_only=read_only)
    location = masked(url)
    try:
        exists = conn.execute("SELECT to_regclass('meta') IS NOT NULL").fetchone()[0]
        if not exists:
            if not create or read_only:
                raise ConfigError(f"no index in {location!r}; create one with 'rag-agent "
                                  f"ingest PATH --index {location}'")
            ensure_schema(conn)
        emb, config, dim = settle(location, conn, embedder, encoder, config,
                                  read_only=read_only)
        if not read_only:
            ensure_units(conn, dim)

        def vectors(lock: Any) -> PgVectors:
            return PgVectors(conn, lock, dim, mode=vector_search, build=not read_only)

        return cls(None, conn, emb, config, dim, summarizer, encoder, embedder is None,
                   read_only, location=location, vectors=vectors)
    except BaseException:
        conn.close()
        raise
