"""Checking an index against its invariants, and repairing what needs no embedding.

The invariants (what the crash and property tests hold every index to; an index in PostgreSQL
is held to the second and third, the server keeping its own files whole and its keyword column
generated from the text):
- SQLite's own integrity check passes;
- every document has one summary, its recorded number of children and sentences, and its
  recorded number of parents; no unit or parent belongs to a missing document;
- every stored vector has the index's dimension and only finite values;
- the keyword index holds exactly the units' current text;
- each FAISS collection (in memory and in its files) holds exactly SQLite's units and vectors.

`repair` rebuilds the keyword index and the FAISS files from SQLite and deletes orphaned rows.
A document with missing units or non-finite vectors cannot be mended without embedding: its
source is listed for a re-ingest.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from rag_agent.index import db, keyword_tables
from rag_agent.index.db import DB_FILE
from rag_agent.index.vectors import KINDS, load_collections, saved_generation

if TYPE_CHECKING:
    from rag_agent.index.store import RagIndex

__all__ = ["CheckReport", "check_index", "repair_index"]


@dataclass
class CheckReport:
    """What `check_index` found; `ok` when nothing."""

    documents: int = 0
    units: int = 0
    problems: list[str] = field(default_factory=list)
    """One line per broken invariant, saying where."""
    reingest: list[str] = field(default_factory=list)
    """Source ids (tenant/source) whose documents only a re-ingest can mend."""
    repaired: list[str] = field(default_factory=list)
    """What `repair_index` rebuilt or removed."""
    notes: list[str] = field(default_factory=list)
    """What is worth knowing but not wrong."""

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        out = [f"{self.documents} documents, {self.units} units: "
               + ("every invariant holds" if self.ok else f"{len(self.problems)} problems")]
        out += [f"  problem: {p}" for p in self.problems]
        out += [f"  repaired: {r}" for r in self.repaired]
        out += [f"  note: {n}" for n in self.notes]
        if self.reingest:
            out.append("  ingest these sources again to mend them: " + ", ".join(self.reingest))
        return out


def _sqlite(conn: sqlite3.Connection, report: CheckReport) -> bool:
    try:
        rows = [r[0] for r in conn.execute("PRAGMA integrity_check(20)")]
    except sqlite3.DatabaseError as exc:
        report.problems.append(f"index.sqlite cannot be read: {exc}")
        return False
    if rows != ["ok"]:
        report.problems += [f"index.sqlite: {r}" for r in rows]
    return True


def _documents(conn: sqlite3.Connection, report: CheckReport) -> None:
    counts: dict[str, dict[str, int]] = {}
    for doc_id, kind, n in conn.execute(
            "SELECT doc_id, kind, count(*) FROM units GROUP BY doc_id, kind"):
        counts.setdefault(doc_id, {})[kind] = n
    parents = dict(conn.execute("SELECT doc_id, count(*) FROM kv WHERE namespace = 'parent' "
                                "GROUP BY doc_id"))
    docs = conn.execute("SELECT doc_id, tenant, source_id, n_parents, n_children, n_sentences "
                        "FROM documents").fetchall()
    report.documents = len(docs)
    for doc_id, tenant, source, n_parents, n_children, n_sentences in docs:
        want = {"summary": 1, "child": n_children, "sentence": n_sentences}
        have, held = counts.pop(doc_id, {}), parents.pop(doc_id, 0)
        if have != want or held != n_parents:
            report.problems.append(f"document {tenant}/{source} has {have} units and {held} "
                                   f"parents, not {want} and {n_parents}")
            report.reingest.append(f"{tenant}/{source}")
    parents.pop(None, None)  # rows of other stores' keys (no document)
    if counts or parents:
        report.problems.append(f"{sum(sum(c.values()) for c in counts.values())} units and "
                               f"{sum(parents.values())} parents belong to no document")


def _vectors(index: RagIndex, report: CheckReport) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per kind, SQLite's (ids, vectors); flags vectors of another size or non-finite."""
    conn, dim = index.conn, index.dim
    out = {}
    bad: dict[str, str] = {}
    for kind in KINDS:
        ids, rows = [], []
        for uid, vec, doc_id, tenant, source in conn.execute(
                "SELECT u.id, u.vector, u.doc_id, d.tenant, d.source_id FROM units u LEFT JOIN "
                "documents d ON d.doc_id = u.doc_id WHERE u.kind = ? ORDER BY u.id", (kind,)):
            row = np.frombuffer(vec, dtype=np.float32)
            if len(row) != dim:
                bad[doc_id] = f"{tenant}/{source}"
                continue
            if not np.isfinite(row).all():
                bad[doc_id] = f"{tenant}/{source}"
            ids.append(uid)
            rows.append(row)
        out[kind] = (np.array(ids, dtype=np.int64),
                     np.stack(rows) if rows else np.zeros((0, dim), np.float32))
        report.units += len(ids)
    if bad:
        report.problems.append(f"{len(bad)} documents have stored vectors that are not "
                               f"{dim} finite numbers")
        report.reingest += sorted(set(bad.values()) - set(report.reingest))
    return out


def _keyword(conn: sqlite3.Connection, report: CheckReport, path: Path) -> None:
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    if not {keyword_tables.keyword_table(kind) for kind in keyword_tables.KEYWORD_KINDS} <= names:
        report.problems.append("the keyword index is missing or of an older schema (--repair, "
                               "or any writable open, rebuilds it without embedding)")
        return
    try:
        for kind in keyword_tables.KEYWORD_KINDS:
            table = keyword_tables.keyword_table(kind)
            fts = [r[0] for r in conn.execute(f"SELECT id FROM {table}_docsize ORDER BY id")]
            units = [r[0] for r in conn.execute(f"SELECT id FROM {table}_text ORDER BY id")]
            if fts != units:
                report.problems.append(f"the {kind} keyword index holds {len(fts)} units, "
                                       f"SQLite {len(units)}")
                return
        # FTS5's own check re-tokenizes every unit; it is a write statement that changes
        # nothing, run on a connection of its own and rolled back (so a read-only open can too)
        if not os.access(path.parent, os.W_OK):
            report.notes.append("the keyword index was not re-tokenized: the folder is read-only")
            return
        own = sqlite3.connect(str(path), isolation_level=None)
        try:
            own.execute("PRAGMA busy_timeout=30000")
            own.execute("BEGIN")
            for kind in keyword_tables.KEYWORD_KINDS:
                table = keyword_tables.keyword_table(kind)
                own.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('integrity-check', 1)")
        finally:
            if own.in_transaction:
                own.execute("ROLLBACK")
            own.close()
    except sqlite3.DatabaseError as exc:
        report.problems.append(f"the keyword index is damaged: {exc}")


def _same(coll: object, stored: tuple[np.ndarray, np.ndarray]) -> bool:
    ids, vecs = stored
    got = coll.ids()  # type: ignore[attr-defined]
    if len(got) != len(ids):
        return False
    order = np.argsort(got)
    return bool(np.array_equal(got[order], ids)
                and np.array_equal(coll.vectors()[order], vecs))  # type: ignore[attr-defined]


def _faiss(index: RagIndex, stored: dict, report: CheckReport) -> None:
    for kind, coll in index.collections.items():
        if not _same(coll, stored[kind]):
            report.problems.append(f"the {kind} collection in memory differs from SQLite")
    with index.lock, db.read(index.conn):
        generation = db.get_meta(index.conn, "generation", 0)
        files, rebuilt = load_collections(index.path, index.conn, index.dim, generation)
    if saved_generation(index.path) != generation:
        report.notes.append("the FAISS files are behind SQLite (the next save writes them; "
                            "until then an opening process rebuilds them from SQLite)")
        return
    for kind in rebuilt:
        report.problems.append(f"the {kind} FAISS file does not match SQLite (garbled, "
                               "missing or of another size)")
    for kind, coll in files.items():
        if kind not in rebuilt and not _same(coll, stored[kind]):
            report.problems.append(f"the {kind} FAISS file differs from SQLite")


def check_index(index: RagIndex) -> CheckReport:
    """Every invariant of the module docstring, checked; nothing is changed."""
    report = CheckReport()
    with index.lock:
        index.refresh()
        if index.path is None:  # a server keeps its own files whole; keywords are generated
            with db.read(index.conn):
                _documents(index.conn, report)
                _vectors(index, report)
            return report
        if not _sqlite(index.conn, report):
            return report
        _documents(index.conn, report)
        stored = _vectors(index, report)
        _keyword(index.conn, report, index.path / DB_FILE)
        _faiss(index, stored, report)
    return report


def repair_index(index: RagIndex) -> CheckReport:
    """Rebuild what can be rebuilt without embedding (keyword index, FAISS files), delete
    orphaned rows, then check again; the report lists what is left."""
    index.ensure_writable()
    done: list[str] = []
    if index.path is None:
        with index.lock, db.write(index.conn) as conn:
            kv = conn.execute("DELETE FROM kv WHERE doc_id IS NOT NULL AND doc_id NOT IN "
                              "(SELECT doc_id FROM documents)").rowcount
        report = check_index(index)
        report.repaired = [f"deleted {kv} orphaned parents"] if kv else []
        return report
    with index.lock, db.write(index.conn) as conn:
        units = conn.execute("DELETE FROM units WHERE doc_id NOT IN "
                             "(SELECT doc_id FROM documents)").rowcount
        kv = conn.execute("DELETE FROM kv WHERE doc_id IS NOT NULL AND doc_id NOT IN "
                          "(SELECT doc_id FROM documents)").rowcount
        if units or kv:
            done.append(f"deleted {units} orphaned units and {kv} orphaned parents")
        keyword_tables.fill_keyword_index(conn)
        done.append("rebuilt the keyword index from the units' text")
        conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 "
                     "WHERE key = 'generation'")
    index.refresh()  # the generation moved: every collection is rebuilt from SQLite
    index.save()
    done.append("rebuilt the FAISS collections from SQLite's vectors and saved them")
    report = check_index(index)
    report.repaired = done
    return report
