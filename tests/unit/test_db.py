"""The index database: the keyword index stays in step with the units and is added to old indexes."""

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from rag_agent import RagIndex, SourceDocument
from rag_agent.index import db
from tests.conftest import CountingEmbedder

DOCS = [SourceDocument("a", "The zebracorn grazes at dawn. It likes hay.", "A", {}),
        SourceDocument("b", "Quarterly revenue rose. Margins held.", "B", {})]
TRIGGERS = ["units_fts_insert", "units_fts_delete", "units_fts_update"]


def _fts_in_step(conn: sqlite3.Connection) -> None:
    fts = [r[0] for r in conn.execute("SELECT id FROM units_fts_docsize ORDER BY id")]
    assert fts == [r[0] for r in conn.execute("SELECT id FROM units ORDER BY id")]
    assert fts  # not vacuous
    conn.execute("INSERT INTO units_fts (units_fts, rank) VALUES ('integrity-check', 1)")


def test_a_new_index_has_the_keyword_index_at_the_current_schema(tmp_path: Path) -> None:
    conn = db.connect(tmp_path / "x.sqlite")
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert {"units_fts", *TRIGGERS} <= names
    assert db.get_meta(conn, "schema_version") == db.SCHEMA_VERSION == 2
    assert db.ensure_fts(conn) is False  # already there: nothing to do


@pytest.mark.parametrize("dropped", [["units_fts", *TRIGGERS], ["units_fts"], TRIGGERS[1:2]])
def test_an_index_without_keyword_index_gets_one_on_open_without_embedding(
        tmp_path: Path, fake_embedder: object, dropped: list[str]) -> None:
    with RagIndex.open(tmp_path / "ix", embedder=fake_embedder) as ix:
        ix.add_documents(DOCS)
    conn = sqlite3.connect(tmp_path / "ix" / "index.sqlite")
    for name in dropped:  # as an index made before the keyword index existed
        kind = "TABLE" if name == "units_fts" else "TRIGGER"
        conn.execute(f"DROP {kind} {name}")
    conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()

    counting = CountingEmbedder(fake_embedder)
    with RagIndex.open(tmp_path / "ix", embedder=counting) as ix:
        assert db.get_meta(ix.conn, "schema_version") == 2
        _fts_in_step(ix.conn)
        assert [h.source_id for h in ix.keyword_search("zebracorn", kind="sentence")] == ["a"]
        assert counting.texts == [] and ix.rebuilt == []  # no embedding, FAISS files kept
        ix.add_documents([SourceDocument("a", "Now about kelp forests.", "A", {})])
        ix.delete_source("b")
        _fts_in_step(ix.conn)  # the triggers are back
        assert ix.keyword_search("zebracorn revenue", kind="child") == []
        assert [h.source_id for h in ix.keyword_search("kelp", kind="child")] == ["a"]


def test_unit_rows_and_keyword_entries_commit_or_roll_back_together(tmp_path: Path) -> None:
    conn = db.connect(tmp_path / "x.sqlite")
    conn.execute("INSERT INTO documents VALUES ('d', 't', 's', '', '', '{}', 0, 0, 0, 0, 'x', 0)")
    insert = "INSERT INTO units VALUES (?, 'child', 'd', 0, NULL, NULL, NULL, NULL, ?, x'00', x'00')"
    conn.execute("BEGIN IMMEDIATE")
    conn.execute(insert, (1, "walrus tusks"))
    conn.execute("ROLLBACK")  # as a crash before COMMIT would
    conn.execute(insert, (2, "narwhal tusks"))
    conn.execute("UPDATE units SET text = 'beluga' WHERE id = 2")
    found = conn.execute("SELECT rowid FROM units_fts WHERE units_fts MATCH ?", ("tusks",))
    assert found.fetchall() == []
    assert conn.execute("SELECT rowid FROM units_fts WHERE units_fts MATCH 'beluga'"
                        ).fetchall() == [(2,)]
    _fts_in_step(conn)


def test_select_in_reads_every_key_past_one_chunk() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (g TEXT, k INTEGER)")
    conn.executemany("INSERT INTO t VALUES (?, ?)", [(g, k) for g in "ab" for k in range(1200)])
    keys = list(range(1200))[::-1] + [5000]  # one key matches nothing
    rows = db.select_in(conn, "SELECT k FROM t WHERE g = ? AND k IN ({keys})", ("b",), keys, size=500)
    assert sorted(k for (k,) in rows) == list(range(1200))
    assert db.select_in(conn, "SELECT k FROM t WHERE k IN ({keys})", (), []) == []


def test_processes_creating_the_same_new_index_at_once_all_open_it(tmp_path: Path) -> None:
    """Switching a new database to WAL answers "database is locked" at once (no busy wait) to
    a process racing another doing the same. The processes import first and open together on
    a signal, so the race is not hidden behind their start-up."""
    code = ("import sys; from pathlib import Path; from rag_agent.index import db; "
            "print('ready', flush=True); sys.stdin.readline(); "
            "db.connect(Path(sys.argv[1])); print('ok', flush=True)")
    for round_ in range(8):
        path = tmp_path / f"r{round_}" / "index.sqlite"
        path.parent.mkdir()
        procs = [subprocess.Popen([sys.executable, "-c", code, str(path)], text=True,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
                 for _ in range(4)]
        for p in procs:
            assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        for p in procs:
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        for p in procs:
            out, err = p.communicate(timeout=120)
            assert p.returncode == 0 and out.strip() == "ok", err
