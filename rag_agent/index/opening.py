"""Opening an index: its database connected (read-only where it must be; a damaged one is a
clear error); the model and split settings it was made with, recorded for a new one and
checked for an existing one; which model it uses (the `model` meta record's folder run by its
encoder) and what a fine-tune's folder says about itself (`MODEL_CARD`)."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

from rag_agent.errors import (
    ConfigError,
    IndexCorruptError,
    IndexMismatchError,
    ReadOnlyIndexError,
)
from rag_agent.index import db
from rag_agent.index.db import DB_FILE
from rag_agent.models import MODEL_CARD, Embedder, make_embedder, named_encoder
from rag_agent.settings import IndexConfig

__all__ = ["card_record", "connect_index", "open_embedder", "open_folder", "settle",
           "unreadable"]


def unreadable(folder: Path, exc: sqlite3.DatabaseError) -> Exception:
    """The clear error for a database that cannot be opened or read as an index."""
    why = str(exc)
    if "readonly" in why:
        return ReadOnlyIndexError(f"index {str(folder)!r} cannot be written ({why}); open it "
                                  "with read_only=True, or from a user who may write it")
    if isinstance(exc, sqlite3.OperationalError) and "malformed" not in why:
        return ConfigError(f"index {str(folder)!r}: {DB_FILE} cannot be opened ({why}); check "
                           "that the path is a readable index folder")
    return IndexCorruptError(
        f"index {str(folder)!r} is damaged: {DB_FILE} cannot be read ({why}). Restore the "
        f"folder from a backup, or ingest the sources again into a new folder; "
        f"'rag-agent check --index {folder}' tells what else is wrong")


def connect_index(folder: Path, *, create: bool, read_only: bool | None
                  ) -> tuple[sqlite3.Connection, bool]:
    """(connection, read-only) of the index database in `folder`, made if allowed.

    `read_only=None` means read-only exactly when this process cannot write the folder or its
    database. Raises `ConfigError` if there is no index and none may be made, and the error of
    `unreadable` for a database that cannot be opened.
    """
    exists = (folder / DB_FILE).exists()
    if read_only is None:
        read_only = exists and not all(os.access(p, os.W_OK) for p in (folder, folder / DB_FILE))
    if not exists:
        if not create or read_only:
            raise ConfigError(f"no index at {str(folder)!r}; create one with "
                              f"'rag-agent ingest PATH --index {folder}'")
        folder.mkdir(parents=True, exist_ok=True)
    try:
        return db.connect(folder / DB_FILE, readonly=read_only), read_only
    except sqlite3.DatabaseError as exc:
        raise unreadable(folder, exc) from exc


def open_embedder(folder: Path | str, conn: Any, embedder: Any, encoder: str | None) -> Embedder:
    """The embedder asked for, else the index's own model run by `encoder` (default: the
    encoder its record names, else torch)."""
    if embedder is not None:
        if encoder is not None:
            raise ConfigError("give an embedder or an encoder name, not both")
        return make_embedder(embedder)
    record = db.get_meta(conn, "model") or {}
    where = record.get("path")
    if not where:
        return named_encoder(encoder or "torch")
    model = Path(folder) / where
    if not model.is_dir():
        raise IndexMismatchError(f"index {str(folder)!r} uses the model in {str(model)!r}, "
                                 "which is missing; restore it, or open the index with that "
                                 "model's path as its embedder")
    return named_encoder(encoder or record.get("encoder") or "torch", model)


def card_record(folder: Path) -> dict[str, Any]:
    """What a fine-tune wrote about the model in `folder` (base, pairs, steps), for its record."""
    card = folder / MODEL_CARD
    if not card.is_file():
        return {}
    info = json.loads(card.read_text(encoding="utf-8"))
    version = folder.name.rpartition("-")[2]
    return {"base": info.get("base"), "pairs": info.get("examples"), "steps": info.get("steps"),
            "epochs": info.get("epochs"), **({"version": int(version)} if version.isdigit()
                                             else {})}


def settle(folder: Path | str, conn: Any, embedder: Any, encoder: str | None,
           config: IndexConfig | None, *, read_only: bool = False
           ) -> tuple[Embedder, IndexConfig, int]:
    """(embedder, config, dim) of the index in `folder`: a new index records them; an existing
    one refuses another model (`IndexMismatchError`) or other split settings (`ConfigError`)."""
    emb = open_embedder(folder, conn, embedder, encoder)
    stored_model = db.get_meta(conn, "model_id")
    stored_split = db.get_meta(conn, "split")
    if stored_model is None and read_only:
        raise ConfigError(f"index {str(folder)!r} has never been written, so it cannot be "
                          "opened read-only; ingest into it first")
    if stored_model is None:
        config = config or IndexConfig()
        with db.write(conn):
            db.set_meta(conn, "model_id", emb.model_id)
            db.set_meta(conn, "dim", emb.dim)
            db.set_meta(conn, "split", config.split_key())
        return emb, config, emb.dim
    if stored_model != emb.model_id:
        record = db.get_meta(conn, "model") or {}
        hint = (f"open it without an embedder to use it (the model is in {record['path']!r})"
                if record.get("path") else "open it with that model or use a new folder")
        raise IndexMismatchError(f"index {str(folder)!r} was built with embedding model "
                                 f"{stored_model!r}, not {emb.model_id!r}; {hint}")
    stored = IndexConfig.from_stored(stored_split)
    if config is not None and config.split_key() != stored.split_key():
        raise ConfigError(stored.mismatch(config, folder))
    batching = config or stored
    config = IndexConfig.from_stored(stored_split, **batching.batching())
    return emb, config, int(db.get_meta(conn, "dim"))


def open_folder(cls: Any, folder: Path, *, embedder: Any, config: IndexConfig | None,
                summarizer: Any, create: bool, encoder: str | None,
                read_only: bool | None) -> Any:
    """The `RagIndex` (class `cls`) in `folder`; see `RagIndex.open`."""
    conn, read_only = connect_index(folder, create=create, read_only=read_only)
    try:
        emb, config, dim = settle(folder, conn, embedder, encoder, config, read_only=read_only)
        return cls(folder, conn, emb, config, dim, summarizer, encoder, embedder is None,
                   read_only)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise unreadable(folder, exc) from exc
    except BaseException:
        conn.close()
        raise
