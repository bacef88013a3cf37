"""FAISS files of an index: processes sharing a folder save without stepping on each other."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import numpy as np

from rag_agent.index.vectors import (
    VectorCollection,
    load_collections,
    save_collections,
    saved_generation,
)


def _collections(seed: int) -> dict[str, VectorCollection]:
    rng = np.random.default_rng(seed)
    out = {}
    for kind in ("summary", "child", "sentence"):
        coll = VectorCollection(kind, 8)
        coll.add(np.arange(1, 2001, dtype=np.int64), rng.standard_normal((2000, 8)).astype("f4"))
        out[kind] = coll
    return out


def _save_many(folder: str, generation: int, rounds: int) -> None:
    colls = _collections(generation)
    for _ in range(rounds):
        save_collections(Path(folder), colls, generation)


def test_two_processes_saving_the_same_generation_at_once(tmp_path: Path) -> None:
    """Two writers of one index both save at the end of their ingest; before the save lock,
    one's rename of `child-N.faiss.tmp` found the file already moved by the other
    (FileNotFoundError, seen in bench/scale_bench.py's two-worker ingest)."""
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_save_many, args=(str(tmp_path), 7, 25)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0, 0]
    assert saved_generation(tmp_path) == 7
    assert sorted(p.name for p in tmp_path.glob("*.faiss*")) == [
        "child-7.faiss", "sentence-7.faiss", "summary-7.faiss"]


def test_an_older_generation_never_replaces_newer_files(tmp_path: Path) -> None:
    save_collections(tmp_path, _collections(9), 9)
    save_collections(tmp_path, _collections(8), 8)  # a slower process, behind
    assert saved_generation(tmp_path) == 9
    assert sorted(p.name for p in tmp_path.glob("*.faiss")) == [
        "child-9.faiss", "sentence-9.faiss", "summary-9.faiss"]


def test_loading_needs_the_generation_sqlite_holds(tmp_path: Path) -> None:
    import sqlite3

    save_collections(tmp_path, _collections(3), 3)
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE units (id INTEGER PRIMARY KEY, kind TEXT, vector BLOB)")
    loaded, rebuilt = load_collections(tmp_path, conn, 8, 4)  # SQLite is ahead: rebuild
    assert sorted(rebuilt) == ["child", "sentence", "summary"]
    assert all(c.ntotal == 0 for c in loaded.values())


def test_a_streamed_save_round_trips_and_records_the_file_hash(tmp_path: Path) -> None:
    """Files are streamed through the hash in pieces (1 MB each): a collection larger than
    one piece comes back identical, with the SHA-256 of the bytes on disk in the sidecar."""
    import hashlib
    import json
    import sqlite3

    coll = VectorCollection("child", 384)
    rng = np.random.default_rng(3)
    coll.add(np.arange(1, 1501, dtype=np.int64), rng.standard_normal((1500, 384)).astype("f4"))
    save_collections(tmp_path, {"child": coll}, 1)
    recorded = json.loads((tmp_path / "vectors.json").read_text())["sha256"]["child-1.faiss"]
    raw = (tmp_path / "child-1.faiss").read_bytes()
    assert len(raw) > 2 << 20 and hashlib.sha256(raw).hexdigest() == recorded
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE units (id INTEGER, kind TEXT, vector BLOB)")  # other kinds: none
    conn.executemany("INSERT INTO units (kind) VALUES (?)", [("child",)] * 1500)
    loaded, rebuilt = load_collections(tmp_path, conn, 384, 1)
    assert "child" not in rebuilt  # read from its file, not rebuilt from SQLite
    assert np.array_equal(loaded["child"].ids(), coll.ids())
    assert np.array_equal(loaded["child"].vectors(), coll.vectors())
