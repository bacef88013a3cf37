"""FAISS collections of an index (summaries, children, sentences): exact inner product.

Each collection maps SQLite unit ids to vectors (`IndexIDMap2` over `IndexFlatIP`). Files are
named by the SQLite generation they hold (`child-12.faiss`), written to a temporary name, fsynced
and renamed; then the sidecar `vectors.json` is replaced to point at them with each file's
SHA-256. A collection whose sidecar generation, checksum or size does not match SQLite is rebuilt
from the vectors stored there, so bytes garbled on disk never reach a search.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import faiss
import numpy as np

from rag_agent.index.scope import KINDS

__all__ = ["KINDS", "VectorCollection", "load_collections", "save_collections", "saved_generation"]

SIDECAR = "vectors.json"
LOCK = "vectors.lock"
T = TypeVar("T")
_CHUNK = 1 << 20  # bytes per piece when streaming a FAISS file in or out
log = logging.getLogger(__name__)


class VectorCollection:
    """One FAISS index of unit vectors, searched exactly, optionally within a set of ids."""

    def __init__(self, kind: str, dim: int, index: faiss.Index | None = None) -> None:
        self.kind = kind
        self.dim = dim
        self.index = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dim))

    @property
    def ntotal(self) -> int:
        return int(self.index.ntotal)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids):
            self.index.add_with_ids(
                np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64)
            )

    def remove(self, ids: Iterable[int]) -> None:
        arr = np.fromiter(ids, dtype=np.int64)
        if len(arr):
            self.index.remove_ids(arr)

    def ids(self) -> np.ndarray:
        return faiss.vector_to_array(self.index.id_map).astype(np.int64)

    def vectors(self) -> np.ndarray:
        return self.index.index.reconstruct_n(0, self.ntotal) if self.ntotal else np.zeros(
            (0, self.dim), dtype=np.float32
        )

    def search(
        self, query: np.ndarray, k: int, within: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, ids); with `within`, only those ids are candidates (exact pre-filter)."""
        query = np.ascontiguousarray(query, dtype=np.float32).reshape(-1, self.dim)
        if within is not None:
            if len(within) == 0:
                return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
            k = min(k, len(within))
        k = min(k, self.ntotal)
        if k <= 0:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        params = None
        if within is not None and len(within) < self.ntotal:
            selector = faiss.IDSelectorBatch(np.ascontiguousarray(within, dtype=np.int64))
            params = faiss.SearchParameters(sel=selector)
        scores, ids = self.index.search(query, k, params=params)
        keep = ids[0] >= 0
        return scores[0][keep], ids[0][keep]


def _rebuild(conn: sqlite3.Connection, kind: str, dim: int) -> VectorCollection:
    coll = VectorCollection(kind, dim)
    cursor = conn.execute("SELECT id, vector FROM units WHERE kind = ? ORDER BY id", (kind,))
    while rows := cursor.fetchmany(20000):
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        vecs = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(-1, dim)
        coll.add(ids, vecs)
    return coll


def _sidecar(folder: Path) -> dict:
    try:
        data = json.loads((folder / SIDECAR).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def saved_generation(folder: Path) -> int | None:
    """The generation the FAISS files in `folder` hold (None: none saved)."""
    return _sidecar(folder).get("generation")


def load_collections(
    folder: Path, conn: sqlite3.Connection, dim: int, generation: int
) -> tuple[dict[str, VectorCollection], list[str]]:
    """Collections from their files where they match `generation`, else rebuilt from SQLite.

    Call inside a read transaction so that `generation` and the unit rows are one snapshot.
    """
    sidecar = _sidecar(folder)
    counts = dict(conn.execute("SELECT kind, count(*) FROM units GROUP BY kind").fetchall())
    out: dict[str, VectorCollection] = {}
    rebuilt: list[str] = []
    for kind in KINDS:
        coll = None
        if sidecar.get("generation") == generation:
            index = _read_checked(folder / _file(kind, generation), sidecar)
            if index is not None and index.ntotal == counts.get(kind, 0) and index.d == dim:
                coll = VectorCollection(kind, dim, index)
        if coll is None:
            coll = _rebuild(conn, kind, dim)
            rebuilt.append(kind)
        out[kind] = coll
    return out, rebuilt


def _read_checked(path: Path, sidecar: dict) -> faiss.Index | None:
    """The FAISS index in `path` if its bytes have the SHA-256 the sidecar recorded; else None
    (missing, removed by a newer save, garbled, or saved before checksums were recorded)."""
    expected = (sidecar.get("sha256") or {}).get(path.name)
    if expected is None:
        return None
    try:
        with path.open("rb") as fh:  # one open file: hashed, then read, never held twice
            digest = hashlib.sha256()
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
            if digest.hexdigest() != expected:
                log.warning("%s does not match its checksum; rebuilding it from SQLite", path)
                return None
            fh.seek(0)
            return faiss.read_index(faiss.PyCallbackIOReader(fh.read, _CHUNK))
    except (OSError, RuntimeError):
        return None


def _file(kind: str, generation: int) -> str:
    return f"{kind}-{generation}.faiss"


def write_bytes(path: str, raw: bytes | memoryview) -> None:
    """Write a file's bytes (one seam, so crash tests can cut a write short)."""
    Path(path).write_bytes(raw)


def write_index(path: str, index: faiss.Index) -> str:
    """Stream a FAISS index to `path`, returning the SHA-256 of what was written.

    FAISS hands over its bytes piece by piece, so a save holds no copy of the vectors (a
    serialized copy doubled a 1 GB collection's memory at every save). One seam, so crash tests
    can cut a write short.
    """
    digest = hashlib.sha256()
    with open(path, "wb") as fh:

        def put(chunk: bytes) -> None:
            fh.write(chunk)
            digest.update(chunk)

        writer = faiss.PyCallbackIOWriter(put, _CHUNK)
        faiss.write_index(index, writer)
        del writer  # flushes what it buffered
    return digest.hexdigest()


def _atomic_write(path: Path, write: Callable[[str], T]) -> T:
    """`write(temporary name)`, fsynced, then renamed to `path`; returns what `write` returned."""
    tmp = path.with_name(path.name + ".tmp")
    out = write(str(tmp))
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return out


@contextmanager
def _save_lock(folder: Path) -> Iterator[None]:
    """One saver at a time per folder (processes sharing an index save the same names)."""
    fd = os.open(folder / LOCK, os.O_CREAT | os.O_RDWR, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def save_collections(folder: Path, collections: dict[str, VectorCollection], generation: int) -> None:
    """Write every collection under a generation-stamped name, then point the sidecar at it.

    Files are never rewritten in place: a reader holding the previous sidecar still finds the
    files it names, or (if a later save already removed them) rebuilds from SQLite. Savers take
    turns (`vectors.lock`), and one holding an older generation than the files on disk already
    hold writes nothing.
    """
    with _save_lock(folder):
        saved = saved_generation(folder)
        if saved is not None and saved > generation:
            return
        _save(folder, collections, generation)


def _save(folder: Path, collections: dict[str, VectorCollection], generation: int) -> None:
    sums: dict[str, str] = {}
    for kind, coll in collections.items():
        name = _file(kind, generation)
        sums[name] = _atomic_write(folder / name, lambda p, ix=coll.index: write_index(p, ix))
    keep = set(sums)
    sidecar = json.dumps({"generation": generation, "files": sorted(keep), "sha256": sums})
    _atomic_write(folder / SIDECAR, lambda p: write_bytes(p, sidecar.encode()))
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    for old in folder.glob("*.faiss*"):
        if old.name not in keep:
            old.unlink(missing_ok=True)
