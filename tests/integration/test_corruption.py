"""Damaged and read-only index folders: garbled FAISS bytes never reach a search, a garbled or
truncated SQLite file is a clear error, a read-only folder still serves reads, and
`rag-agent check` finds (and `--repair` mends) what the crash tests hold every index to."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from rag_agent import IndexCorruptError, RagIndex, ReadOnlyIndexError, SourceDocument
from rag_agent.index.check import check_index, repair_index
from tests.integration.helpers import assert_consistent

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
TOPICS = ["volcanoes erupt lava and ash", "glaciers carve valleys slowly",
          "coral reefs shelter many fish", "deserts get very little rain",
          "rainforests hold most species on land", "tides follow the moon"]


def _docs() -> list[SourceDocument]:
    return [SourceDocument(f"doc{i}", f"{t.capitalize()}. Scientists study how {t}. "
                           f"This note is about {t.split()[0]}.", t.split()[0].title(), {})
            for i, t in enumerate(TOPICS)]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, real_embedder) -> Path:
    """A small saved index, copied afresh by each test that damages it."""
    path = tmp_path_factory.mktemp("built") / "idx"
    with RagIndex.open(path, embedder=real_embedder) as index:
        index.add_documents(_docs())
    return path


@pytest.fixture
def copy(built: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "idx"
    shutil.copytree(built, dest)
    return dest


def _faiss_file(folder: Path, kind: str) -> Path:
    sidecar = json.loads((folder / "vectors.json").read_text())
    return folder / next(f for f in sidecar["files"] if f.startswith(kind))


def test_garbled_faiss_bytes_are_detected_and_rebuilt_from_sqlite(copy: Path,
                                                                  real_embedder) -> None:
    target = _faiss_file(copy, "child")
    raw = bytearray(target.read_bytes())
    size = len(raw)
    # the vector area: the same size, values that are NaN / huge once read as float32
    raw[size // 2: size // 2 + 64] = b"\xff\x7f\x7f\x7f" * 16
    target.write_bytes(bytes(raw))
    assert target.stat().st_size == size
    with RagIndex.open(copy, embedder=real_embedder) as index:
        assert "child" in index.rebuilt
        hits = index.search("Where do fish live?", kind="child", k=3)
        assert hits[0].source_id == "doc2" and all(np.isfinite(h.score) and h.score <= 1.0001
                                                   for h in hits)
        assert_consistent(index)
    with RagIndex.open(copy, embedder=real_embedder) as index:  # the rebuilt file was saved
        assert index.rebuilt == []


def test_check_reports_a_garbled_faiss_file_and_repair_mends_it(copy: Path) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "rag_agent.cli", *args, "--index",
                               str(copy)], capture_output=True, text=True, cwd=REPO,
                              env={**os.environ, "HF_HUB_OFFLINE": "1"}, timeout=300)

    healthy = cli("check")
    assert healthy.returncode == 0 and "every invariant holds" in healthy.stdout
    target = _faiss_file(copy, "sentence")
    raw = bytearray(target.read_bytes())
    raw[-40:] = bytes(40)
    target.write_bytes(bytes(raw))
    found = cli("check")
    assert found.returncode == 1 and "sentence FAISS file does not match" in found.stdout
    mended = cli("check", "--repair")
    assert mended.returncode == 0, mended.stdout + mended.stderr
    assert "rebuilt the FAISS collections" in mended.stdout
    assert cli("check").returncode == 0


def test_check_finds_orphans_missing_units_and_non_finite_vectors(copy: Path,
                                                                  real_embedder) -> None:
    with RagIndex.open(copy, embedder=real_embedder) as index:
        conn = index.conn
        doc0 = conn.execute("SELECT doc_id FROM documents WHERE source_id = 'doc0'").fetchone()[0]
        doc1 = conn.execute("SELECT doc_id FROM documents WHERE source_id = 'doc1'").fetchone()[0]
        conn.execute("PRAGMA foreign_keys=OFF")  # to plant an orphan, as a bug could
        with conn:
            conn.execute("BEGIN")
            conn.execute("DELETE FROM units WHERE doc_id = ? AND kind = 'sentence' AND "
                         "position = 0", (doc0,))
            bad = np.full(index.dim, np.nan, dtype=np.float32).tobytes()
            conn.execute("UPDATE units SET vector = ? WHERE doc_id = ? AND kind = 'child'",
                         (bad, doc1))
            conn.execute("INSERT INTO units SELECT max(id) + 1, kind, 'gone', position, "
                         "parent_id, child, start, end, text, text_hash, vector FROM units")
        conn.execute("PRAGMA foreign_keys=ON")
        report = check_index(index)
        assert not report.ok
        text = "\n".join(report.lines())
        assert "document default/doc0 has" in text
        assert "have stored vectors that are not" in text
        assert "1 units and 0 parents belong to no document" in text
        assert set(report.reingest) == {"default/doc0", "default/doc1"}
        after = repair_index(index)
        assert any("deleted 1 orphaned units" in r for r in after.repaired)
        # what needs embedding is left, and said
        assert set(after.reingest) == {"default/doc0", "default/doc1"} and not after.ok
        index.add_documents([SourceDocument("doc0", "Replaced text about volcanoes.",
                                            "Volcanoes", {})])
        index.delete_source("doc1")
        assert check_index(index).ok


@pytest.mark.parametrize("damage", ["garbled header", "truncated", "zeroed pages"])
def test_a_damaged_sqlite_file_is_a_clear_error(copy: Path, real_embedder, damage: str) -> None:
    db_file = copy / "index.sqlite"
    raw = bytearray(db_file.read_bytes())
    if damage == "garbled header":
        raw[:100] = os.urandom(100)
    elif damage == "truncated":
        raw = raw[: len(raw) // 3]
    else:
        raw[4096: len(raw) - 4096] = bytes(len(raw) - 8192)
    db_file.write_bytes(bytes(raw))
    for name in ("index.sqlite-wal", "index.sqlite-shm"):
        (copy / name).unlink(missing_ok=True)
    try:
        with RagIndex.open(copy, embedder=real_embedder) as index:
            index.search("fish", kind="child", k=3)
            report = check_index(index)
        assert not report.ok  # opened: then check must see the damage
    except IndexCorruptError as exc:
        assert str(copy) in str(exc) and "Restore the folder" in str(exc)
    out = subprocess.run([sys.executable, "-m", "rag_agent.cli", "search", "fish", "--index",
                          str(copy)], capture_output=True, text=True, cwd=REPO, timeout=300,
                         env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert "Traceback" not in out.stderr and out.returncode == 2, out.stderr
    assert "damaged" in out.stderr or "cannot be read" in out.stderr


def test_read_only_opening_reads_and_refuses_every_write(copy: Path, real_embedder) -> None:
    before = {p.name: p.stat().st_mtime_ns for p in copy.iterdir()}
    with RagIndex.open(copy, embedder=real_embedder, read_only=True) as index:
        assert index.read_only
        assert index.search("fish", kind="child", k=1)[0].source_id == "doc2"
        assert index.stats().documents == len(TOPICS)
        for write in (lambda: index.add_documents(_docs()), lambda: index.delete_source("doc0"),
                      lambda: index.migrate(), lambda: index.remove_adapter()):
            with pytest.raises(ReadOnlyIndexError, match="read-only"):
                write()
        assert check_index(index).ok
    # nothing written (SQLite may add its WAL's empty shared-memory files beside the database)
    after = {p.name: p.stat().st_mtime_ns for p in copy.iterdir()}
    assert {k: v for k, v in after.items() if not k.endswith(("-wal", "-shm"))} == before
    assert all((copy / k).stat().st_size == 0 for k in after if k.endswith("-wal"))


@pytest.fixture
def read_only_folder(built: Path, tmp_path: Path) -> Iterator[Path]:
    """A copy of the index in a folder this process cannot write: files and folder without
    write permission, or (as root, whom permissions do not stop) a read-only bind mount."""
    source = tmp_path / "source"
    shutil.copytree(built, source)
    if os.geteuid() != 0:
        for p in [*source.iterdir(), source]:
            os.chmod(p, 0o555 if p.is_dir() else 0o444)
        yield source
        for p in [source, *source.iterdir()]:
            os.chmod(p, 0o755)
        return
    dest = tmp_path / "mounted"
    dest.mkdir()
    made = subprocess.run(["mount", "--bind", "-o", "ro", str(source), str(dest)],
                          capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"no read-only folder can be made here (root, and mount says "
                    f"{made.stderr.strip()!r})")
    try:
        assert not os.access(dest, os.W_OK)
        yield dest
    finally:
        subprocess.run(["umount", str(dest)], check=True)


def test_stats_and_search_work_in_a_read_only_folder(read_only_folder: Path) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "rag_agent.cli", *args, "--index",
                               str(read_only_folder)], capture_output=True, text=True,
                              cwd=REPO, env={**os.environ, "HF_HUB_OFFLINE": "1"}, timeout=300)

    stats = cli("stats")
    assert stats.returncode == 0, stats.stderr
    assert f"documents: {len(TOPICS)}" in stats.stdout, stats.stdout
    search = cli("search", "Where do fish live?")
    assert search.returncode == 0 and "[doc2]" in search.stdout.splitlines()[0], search.stderr
    check = cli("check")
    assert check.returncode == 0 and "every invariant holds" in check.stdout, check.stdout
    refused = cli("delete", "doc0")
    assert refused.returncode == 2 and "read-only" in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr
