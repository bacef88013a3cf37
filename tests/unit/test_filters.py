import datetime as dt
import json
import sqlite3

import pytest

from rag_agent.errors import InvalidFilterError
from rag_agent.index.filters import compile_filter

ROWS = {
    "a": {"year": 2021, "ticker": "AAPL", "date": "2021-03-31", "tags": ["x", "y"], "draft": True},
    "b": {"year": 2022, "ticker": "MSFT", "date": "2022-06-30", "tags": ["y"]},
    "c": {"year": 2023, "ticker": "AAPL", "date": "2023-09-30", "n": {"q": 3}},
    "d": {"year": "2023", "ticker": "NVDA"},
}


@pytest.fixture(scope="module")
def conn() -> sqlite3.Connection:
    c = sqlite3.connect(":memory:")
    c.execute("CREATE TABLE d (id TEXT, metadata TEXT)")
    c.executemany("INSERT INTO d VALUES (?, ?)", [(k, json.dumps(v)) for k, v in ROWS.items()])
    return c


def ids(conn: sqlite3.Connection, flt: dict) -> list[str]:
    sql, params = compile_filter(flt)
    return sorted(r[0] for r in conn.execute(f"SELECT id FROM d WHERE {sql}", params))


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ({}, ["a", "b", "c", "d"]),
        ({"ticker": "AAPL"}, ["a", "c"]),
        ({"ticker": {"$ne": "AAPL"}}, ["b", "d"]),
        ({"ticker": {"$in": ["MSFT", "NVDA"]}}, ["b", "d"]),
        ({"ticker": {"$nin": ["MSFT", "NVDA"]}}, ["a", "c"]),
        ({"year": {"$gte": 2022}}, ["b", "c"]),  # "2023" is a string: not a number in range
        ({"year": {"$gt": 2021, "$lt": 2023}}, ["b"]),
        ({"date": {"$gte": dt.date(2022, 1, 1)}}, ["b", "c"]),
        ({"date": {"$lt": "2022-01-01"}}, ["a"]),
        ({"tags": "y"}, ["a", "b"]),
        ({"n.q": 3}, ["c"]),
        ({"draft": True}, ["a"]),
        ({"draft": {"$exists": False}}, ["b", "c", "d"]),
        ({"ticker": "AAPL", "year": 2023}, ["c"]),
        ({"$or": [{"ticker": "MSFT"}, {"year": 2023}]}, ["b", "c"]),
        ({"$and": [{"ticker": "AAPL"}, {"$not": {"year": 2021}}]}, ["c"]),
    ],
)
def test_filter_semantics(conn: sqlite3.Connection, flt: dict, expected: list[str]) -> None:
    assert ids(conn, flt) == expected


@pytest.mark.parametrize(
    ("flt", "message"),
    [
        ({"year": {"$between": [1, 2]}}, "unknown operator '$between'"),
        ({"$nor": []}, "unknown operator '$nor'"),
        ({"bad field!": 1}, "bad field name"),
        ({"year": {"$in": []}}, "non-empty list"),
        ({"year": {"$gt": [1]}}, "must be a string, number"),
        ({"$or": {"a": 1}}, "takes a non-empty list"),
        ({"x": {"$exists": "yes"}}, "takes true or false"),
    ],
)
def test_bad_filters_say_what_is_wrong(flt: dict, message: str) -> None:
    with pytest.raises(InvalidFilterError, match=message.replace("$", r"\$")):
        compile_filter(flt)


def test_field_names_cannot_inject_sql(conn: sqlite3.Connection) -> None:
    with pytest.raises(InvalidFilterError):
        compile_filter({"x') OR 1=1 --": 1})


def test_filter_fields_walks_every_operator() -> None:
    from rag_agent.index.filters import filter_fields

    flt = {"$and": [{"year": {"$gte": 2022}}, {"$or": [{"ticker": "A"}, {"$not": {"kind": 1}}]}],
           "year": 2023}
    assert filter_fields(flt) == ["year", "ticker", "kind"]
    assert filter_fields(None) == []
