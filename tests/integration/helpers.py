"""Checks shared by integration tests: an index is whole, and equal to another."""

from __future__ import annotations

from typing import Any

import numpy as np

from rag_agent import RagIndex
from rag_agent.index import keyword_tables


def assert_consistent(index: RagIndex) -> dict[str, int]:
    """Every document has all its units, nothing is orphaned, FAISS holds exactly SQLite's units,
    and the keyword index holds exactly the units' current text (an index in PostgreSQL: the
    first two, and every unit's vector and keyword column present)."""
    conn = index.conn
    docs = conn.execute(
        "SELECT doc_id, n_parents, n_children, n_sentences FROM documents").fetchall()
    for doc_id, n_parents, n_children, n_sentences in docs:
        kinds = dict(conn.execute(
            "SELECT kind, count(*) FROM units WHERE doc_id = ? GROUP BY kind", (doc_id,)))
        assert kinds == {"summary": 1, "child": n_children, "sentence": n_sentences}, doc_id
        parents = conn.execute("SELECT count(*) FROM kv WHERE namespace = 'parent' AND doc_id = ?",
                               (doc_id,)).fetchone()[0]
        assert parents == n_parents, doc_id
    orphans = conn.execute(
        "SELECT count(*) FROM units WHERE doc_id NOT IN (SELECT doc_id FROM documents)"
    ).fetchone()[0] + conn.execute(
        "SELECT count(*) FROM kv WHERE doc_id IS NOT NULL AND doc_id NOT IN "
        "(SELECT doc_id FROM documents)").fetchone()[0]
    assert orphans == 0
    if index.path is None:  # PostgreSQL: no FAISS cache; the keyword column is generated
        assert conn.execute("SELECT count(*) FROM units WHERE tsv IS NULL OR vector IS NULL"
                            ).fetchone()[0] == 0
        return {"documents": len(docs)}
    for kind, coll in index.collections.items():
        rows = conn.execute("SELECT id, vector FROM units WHERE kind = ? ORDER BY id",
                            (kind,)).fetchall()
        assert sorted(coll.ids().tolist()) == [r[0] for r in rows], kind
        if rows:
            stored = np.frombuffer(b"".join(r[1] for r in rows), "float32").reshape(len(rows), -1)
            order = np.argsort(coll.ids())
            np.testing.assert_array_equal(coll.vectors()[order], stored)
    assert_keyword_in_step(conn)
    return {"documents": len(docs)}


def assert_keyword_in_step(conn: Any) -> int:
    """Each kind's keyword table holds exactly the units of that kind, each under its
    document's title (FTS5 re-tokenizes the content and compares); returns the entries."""
    total = 0
    for kind in keyword_tables.KEYWORD_KINDS:
        table = keyword_tables.keyword_table(kind)
        fts = [r[0] for r in conn.execute(f"SELECT id FROM {table}_docsize ORDER BY id")]
        assert fts == [r[0] for r in conn.execute(
            "SELECT id FROM units WHERE kind = ? ORDER BY id", (kind,))], kind
        conn.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('integrity-check', 1)")
        total += len(fts)
    return total


def snapshot(index: RagIndex) -> dict[str, tuple[list[int], np.ndarray]]:
    """(ids, vectors) of every collection, sorted by id."""
    out = {}
    for kind, coll in index.collections.items():
        ids = coll.ids()
        order = np.argsort(ids)
        out[kind] = (ids[order].tolist(), coll.vectors()[order])
    return out
