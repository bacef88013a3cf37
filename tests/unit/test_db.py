"""The index database: the keyword index stays in step with the units and is added to old indexes."""

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from rag_agent import RagIndex, SourceDocument
from rag_agent.errors import IndexMismatchError
from rag_agent.index import db, keyword_tables
from tests.conftest import CountingEmbedder
from tests.integration.helpers import assert_keyword_in_step

DOCS = [SourceDocument("a", "The zebracorn grazes at dawn. It likes hay.", "A", {}),
        SourceDocument("b", "Quarterly revenue rose. Margins held.", "B", {})]
SCHEMA_2_KEYWORD = [  # the keyword index of schema 2: one table over every kind, text alone
    "CREATE VIRTUAL TABLE units_fts USING fts5(text, content='units', content_rowid='id', "
    "tokenize='porter unicode61')",
    "CREATE TRIGGER units_fts_insert AFTER INSERT ON units BEGIN "
    "INSERT INTO units_fts (rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER units_fts_delete AFTER DELETE ON units BEGIN "
    "INSERT INTO units_fts (units_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
    "INSERT INTO units_fts (units_fts) VALUES ('rebuild')",
]


def _as_schema_2(path: Path, drop_only: list[str] | None = None) -> None:
    """Turn the index at `path` into one of schema 2 (or drop just the named objects)."""
    conn = sqlite3.connect(path / "index.sqlite")
    objects = dict(conn.execute("SELECT name, type FROM sqlite_master WHERE name LIKE 'keyword%'"
                                ).fetchall())
    for name in drop_only or [n for n in objects if objects[n] in ("table", "view", "trigger")]:
        if name in objects and not name.endswith(("_data", "_idx", "_docsize", "_config")):
            conn.execute(f"DROP {objects[name].upper()} IF EXISTS {name}")
    if drop_only is None:
        for statement in SCHEMA_2_KEYWORD:
            conn.execute(statement)
        conn.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()


def test_a_new_index_has_one_keyword_table_per_kind_at_the_current_schema(
        tmp_path: Path) -> None:
    conn = db.connect(tmp_path / "x.sqlite")
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert {keyword_tables.keyword_table(k) for k in keyword_tables.KEYWORD_KINDS} <= names
    assert "units_fts" not in names
    assert db.get_meta(conn, "schema_version") == db.SCHEMA_VERSION == 3
    assert db.ensure_keyword_index(conn) is False  # already there: nothing to do


@pytest.mark.parametrize("drop", [None, ["keyword_child"], ["keyword_delete"],
                                  ["keyword_sentence_text"]])
def test_an_older_or_damaged_keyword_index_is_rebuilt_on_open_without_embedding(
        tmp_path: Path, fake_embedder: object, drop: list[str] | None) -> None:
    with RagIndex.open(tmp_path / "ix", embedder=fake_embedder) as ix:
        ix.add_documents(DOCS)
    _as_schema_2(tmp_path / "ix", drop)

    counting = CountingEmbedder(fake_embedder)
    with RagIndex.open(tmp_path / "ix", embedder=counting) as ix:
        assert db.get_meta(ix.conn, "schema_version") == 3
        names = {r[0] for r in ix.conn.execute("SELECT name FROM sqlite_master")}
        assert not {"units_fts", "units_fts_insert", "units_fts_delete"} & names
        assert assert_keyword_in_step(ix.conn) > 0
        assert [h.source_id for h in ix.keyword_search("zebracorn", kind="sentence")] == ["a"]
        assert counting.texts == [] and ix.rebuilt == []  # no embedding, FAISS files kept
        ix.add_documents([SourceDocument("a", "Now about kelp forests.", "A", {})])
        ix.delete_source("b")
        assert_keyword_in_step(ix.conn)  # the triggers are back
        assert ix.keyword_search("zebracorn revenue", kind="child") == []
        assert [h.source_id for h in ix.keyword_search("kelp", kind="child")] == ["a"]


def test_a_schema_2_index_opened_read_only_refuses_keyword_search_with_what_to_do(
        tmp_path: Path, fake_embedder: object) -> None:
    with RagIndex.open(tmp_path / "ix", embedder=fake_embedder) as ix:
        ix.add_documents(DOCS)
    _as_schema_2(tmp_path / "ix")
    with RagIndex.open(tmp_path / "ix", embedder=fake_embedder, read_only=True) as ix:
        with pytest.raises(IndexMismatchError, match="older schema.*without read_only"):
            ix.keyword_search("zebracorn", kind="child")
        assert ix.search("zebracorn", kind="child", k=1)  # dense search is unaffected


def test_a_unit_is_matched_by_its_document_title_in_its_own_kind_only(
        tmp_path: Path, fake_embedder: object) -> None:
    with RagIndex.open(tmp_path / "ix", embedder=fake_embedder) as ix:
        ix.add_documents([SourceDocument("z", "It grazes at dawn. It likes hay.", "Zebracorn", {}),
                          *DOCS[1:]])
        for kind in keyword_tables.KEYWORD_KINDS:  # the title word is in no unit's own text
            assert {h.source_id for h in ix.keyword_search("zebracorn", kind=kind)} == {"z"}
        sentences = ix.conn.execute("SELECT count(*) FROM units WHERE kind = 'sentence'"
                                    ).fetchone()[0]
        assert ix.conn.execute("SELECT count(*) FROM keyword_sentence_docsize").fetchone()[0] \
            == sentences  # each kind's table holds that kind alone (its own BM25 statistics)


def test_unit_rows_and_keyword_entries_commit_or_roll_back_together(tmp_path: Path) -> None:
    conn = db.connect(tmp_path / "x.sqlite")
    conn.execute("INSERT INTO documents VALUES ('d', 't', 's', 'Walrus', '', '{}', 0, 0, 0, 0, "
                 "'x', 0)")
    insert = "INSERT INTO units VALUES (?, 'child', 'd', 0, NULL, NULL, NULL, NULL, ?, x'00', x'00')"
    conn.execute("BEGIN IMMEDIATE")
    conn.execute(insert, (1, "walrus tusks"))
    conn.execute("ROLLBACK")  # as a crash before COMMIT would
    conn.execute(insert, (2, "narwhal tusks"))
    conn.execute("UPDATE units SET text = 'beluga' WHERE id = 2")

    def match(word: str) -> list[tuple[int]]:
        return conn.execute("SELECT rowid FROM keyword_child WHERE keyword_child MATCH ?",
                            (word,)).fetchall()

    assert match("tusks") == []
    assert match("beluga") == match("walrus") == [(2,)]  # its text, under its title
    conn.execute("UPDATE documents SET title = 'Orca' WHERE doc_id = 'd'")
    assert match("walrus") == [] and match("orca") == [(2,)]
    assert_keyword_in_step(conn)
    conn.execute("DELETE FROM units WHERE id = 2")
    assert match("orca") == [] and assert_keyword_in_step(conn) == 0


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
