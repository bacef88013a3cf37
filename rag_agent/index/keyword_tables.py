"""The keyword index's schema: one FTS5 external-content table per unit kind (`keyword_<kind>`).

Each table reads a view of its kind's units, the document title then the unit text, so BM25's
document frequencies are those of the units being ranked and a unit matches words of its
document's title. Triggers on `units` and on `documents.title` keep the tables in step inside
the writing transaction. `index.db` creates them (and drops schema 2's single `units_fts`) when
an index is opened writable; `index.keyword` ranks with them.
"""

from __future__ import annotations

from typing import Any

__all__ = ["KEYWORD_DDL", "KEYWORD_KINDS", "OLD_KEYWORD", "fill_keyword_index", "keyword_table"]

KEYWORD_KINDS = ("summary", "child", "sentence")
"""Unit kinds with a keyword index of their own (`keyword_<kind>`): BM25's document frequencies
are then those of the units being ranked, not of every kind mixed, where each word of a child
is also counted in its parent's sentences and summary."""


def keyword_table(kind: str) -> str:
    """The FTS5 table ranking units of `kind` (one of KEYWORD_KINDS)."""
    if kind not in KEYWORD_KINDS:
        raise ValueError(f"no keyword index for unit kind {kind!r}; one of {KEYWORD_KINDS}")
    return f"keyword_{kind}"


def _keyword_text(unit: str, title: str) -> str:
    # what a unit is matched by: its document's title, then its text (the title is embedded
    # with children and sentences too, and names what the unit is about)
    return f"{title} || char(10) || {unit}.text"


def _keyword_ddl() -> dict[str, str]:
    """name -> CREATE statement of the keyword tables (FTS5 external content over one view per
    kind) and of the triggers that keep them in step with `units` (and a document's title)
    inside the writing transaction."""
    ddl: dict[str, str] = {}
    insert: list[str] = []
    delete: list[str] = []
    retitle: list[str] = []
    for kind in KEYWORD_KINDS:
        t = keyword_table(kind)
        ddl[f"{t}_text"] = (f"CREATE VIEW {t}_text AS SELECT u.id AS id, "
                            f"{_keyword_text('u', 'd.title')} AS text FROM units u "
                            f"JOIN documents d ON d.doc_id = u.doc_id WHERE u.kind = '{kind}'")
        ddl[t] = (f"CREATE VIRTUAL TABLE {t} USING fts5(text, content='{t}_text', "
                  "content_rowid='id', tokenize='porter unicode61')")
        add = (f"INSERT INTO {t} (rowid, text) SELECT new.id, {_keyword_text('new', 'd.title')}"
               f" FROM documents d WHERE d.doc_id = new.doc_id AND new.kind = '{kind}';")
        drop = (f"INSERT INTO {t} ({t}, rowid, text) SELECT 'delete', old.id, "
                f"{_keyword_text('old', 'd.title')} FROM documents d "
                f"WHERE d.doc_id = old.doc_id AND old.kind = '{kind}';")
        insert.append(add)
        delete.append(drop)
        retitle += [f"INSERT INTO {t} ({t}, rowid, text) SELECT 'delete', u.id, "
                    f"{_keyword_text('u', 'old.title')} FROM units u WHERE u.doc_id = old.doc_id "
                    f"AND u.kind = '{kind}';",
                    f"INSERT INTO {t} (rowid, text) SELECT u.id, {_keyword_text('u', 'new.title')}"
                    f" FROM units u WHERE u.doc_id = new.doc_id AND u.kind = '{kind}';"]
    triggers = {
        "keyword_insert": f"AFTER INSERT ON units BEGIN {' '.join(insert)} END",
        "keyword_delete": f"BEFORE DELETE ON units BEGIN {' '.join(delete)} END",
        "keyword_update_old": "BEFORE UPDATE OF id, kind, doc_id, text ON units "
                              f"BEGIN {' '.join(delete)} END",
        "keyword_update_new": "AFTER UPDATE OF id, kind, doc_id, text ON units "
                              f"BEGIN {' '.join(insert)} END",
        "keyword_retitle_old": f"BEFORE UPDATE OF title ON documents BEGIN "
                               f"{' '.join(retitle[0::2])} END",
        "keyword_retitle_new": f"AFTER UPDATE OF title ON documents BEGIN "
                               f"{' '.join(retitle[1::2])} END",
    }
    ddl.update({name: f"CREATE TRIGGER {name} {body}" for name, body in triggers.items()})
    return ddl


KEYWORD_DDL = _keyword_ddl()
"""name -> CREATE statement of every keyword table, view and trigger."""
OLD_KEYWORD = {"units_fts_insert": "TRIGGER", "units_fts_delete": "TRIGGER",
                "units_fts_update": "TRIGGER", "units_fts": "TABLE"}
"""Schema 2's one keyword table over every kind, and its triggers, replaced on first open."""


def fill_keyword_index(conn: Any) -> None:
    """Re-read every keyword table from the units' text and titles (inside the caller's write
    transaction); nothing is embedded."""
    for kind in KEYWORD_KINDS:
        conn.execute(f"INSERT INTO {keyword_table(kind)} ({keyword_table(kind)}) "
                     "VALUES ('rebuild')")
