"""Turning free text into safe FTS5 queries, and the pre-filtered BM25 query itself."""

import sqlite3
from pathlib import Path

import pytest

from rag_agent.index import db
from rag_agent.index.keyword import fts_query, keyword_ids

NASTY = 'What\'s "NEAR" (AAPL) -revenue: Q3*?'

CASES = [
    ("revenue growth", '"revenue" OR "growth"'),
    (NASTY, '"""NEAR""" OR "(AAPL)" OR "-revenue:" OR "Q3*?"'),
    ("XJ-9042", '"XJ-9042"'),
    ("x AND y NOT z OR w", '"x" OR "y" OR "z" OR "w"'),  # operators are stop words anyway
    ("NEAR(a b) NEAR/2", '"NEAR(a" OR "b)" OR "NEAR/2"'),
    ("Okonkwo's plan, O'Brien\u2019s car", '"Okonkwo" OR "plan," OR "O\'Brien" OR "car"'),
    ("What is it? Who did that?", None),
    ("col:value x* ^start", '"col:value" OR "x*" OR "^start"'),
    ("twice twice", '"twice"'),
    ("Zürich 東京", '"Zürich" OR "東京"'),
    ("-- ? ... \" * ( ) :", None),
    ("", None),
    ("   \n\t", None),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_fts_query_quotes_words_and_drops_punctuation_and_stop_words(text: str, expected: str | None) -> None:
    assert fts_query(text) == expected


@pytest.fixture
def conn(tmp_path: Path) -> sqlite3.Connection:
    """The real schema (with its FTS table and triggers) and a few hand-written rows."""
    c = db.connect(tmp_path / "k.sqlite")
    docs = [("d1", "t1", '{"ticker": "AAPL", "year": 2023}'),
            ("d2", "t1", '{"ticker": "MSFT", "year": 2022}'),
            ("d3", "t2", '{"ticker": "AAPL", "year": 2023}')]
    c.executemany("INSERT INTO documents VALUES (?, ?, ?, '', '', ?, 0, 0, 0, 0, 'x', 0)",
                  [(d, t, d, m) for d, t, m in docs])
    units = [(1, "child", "d1", "Apple revenue rose in Q3 on XJ-9042 sales."),
             (2, "child", "d1", "Near the store, what's new is revenue."),
             (3, "child", "d2", "Microsoft revenue rose in Q3."),
             (4, "sentence", "d1", "Revenue rose."),
             (5, "child", "d3", "Tenant two: revenue of XJ-9042 rose."),
             (6, "child", "d2", "The 9042 XJ model is unrelated.")]
    c.executemany("INSERT INTO units VALUES (?, ?, ?, 0, NULL, NULL, NULL, NULL, ?, x'00', x'00')",
                  units)
    return c


def ids(conn: sqlite3.Connection, query: str, **kw: object) -> list[int]:
    opts = {"kind": "child", "k": 10, "filter": None, "tenant": "t1", "doc_ids": None, **kw}
    return [i for i, _ in keyword_ids(conn, query, **opts)]


def test_nasty_question_runs_and_matches_by_its_words(conn: sqlite3.Connection) -> None:
    hits = keyword_ids(conn, NASTY, kind="child", k=10, filter=None, tenant="t1", doc_ids=None)
    # "near", "revenue", "q3" match ("aapl" is metadata, not text; "what's" is a stop word)
    assert sorted(i for i, _ in hits) == [1, 2, 3]
    assert all(score > 0 for _, score in hits)
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)


@pytest.mark.parametrize("text", [t for t, _ in CASES] + ['"', 'a"b', "*", "x:y:z", "-x -y"])
def test_any_text_is_a_valid_query(conn: sqlite3.Connection, text: str) -> None:
    ids(conn, text)  # FTS5 raises sqlite3.OperationalError on a syntax error


def test_a_hyphenated_word_is_a_phrase(conn: sqlite3.Connection) -> None:
    assert ids(conn, "XJ-9042") == [1]  # unit 6 has both tokens, not adjacent in order
    assert ids(conn, "XJ-9042", tenant="t2") == [5]


def test_restrictions_are_applied_inside_the_query(conn: sqlite3.Connection) -> None:
    assert ids(conn, "revenue") == [3, 2, 1]  # common term: BM25 prefers the shorter text
    assert sorted(ids(conn, "revenue", filter={"ticker": "MSFT"})) == [3]
    assert sorted(ids(conn, "revenue", doc_ids=["d1"])) == [1, 2]
    assert ids(conn, "revenue", doc_ids=[]) == []
    assert ids(conn, "revenue", kind="sentence") == [4]
    assert ids(conn, "revenue", tenant="t2") == [5]
    assert ids(conn, "revenue", tenant="nobody") == []
    # k counts matching units only: the best 1 of the MSFT units, not 1 unit then filtered
    assert ids(conn, "revenue rose", k=1, filter={"year": 2022}) == [3]


def test_no_usable_words_or_k_zero_returns_nothing(conn: sqlite3.Connection) -> None:
    assert ids(conn, "?? -- *") == []
    assert ids(conn, "revenue", k=0) == []
