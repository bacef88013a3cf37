"""What may be stored: clean text, storable paths, and metadata keys a filter can name."""

from __future__ import annotations

import pytest

from rag_agent.errors import InvalidFilterError
from rag_agent.index.filters import compile_filter
from rag_agent.ingest.clean import (
    FIELD_NAME,
    clean_metadata,
    clean_text,
    display_path,
    field_name,
)


@pytest.mark.parametrize(("raw", "clean"), [
    ("plain text\twith\ttabs\r\nand\fpages", "plain text\twith\ttabs\r\nand\fpages"),
    ("a\x00b\x07c\x1b[0m\x7f\x9f", "abc[0m"),
    ("line\x0bbreak\x85and\x1crecord", "line\nbreak\nand\nrecord"),
    ("lone \ud800 high, lone \udcff low", "lone \ufffd high, lone \ufffd low"),
    ("a pair \ud83d\ude00 joins", "a pair \U0001f600 joins"),
    ("", ""),
])
def test_clean_text(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean
    clean.encode("utf-8")


def test_clean_text_returns_clean_text_itself() -> None:
    text = "Nothing to do here. " * 100
    assert clean_text(text) is text


def test_display_path_escapes_undecodable_bytes_only() -> None:
    assert display_path("/tmp/caf\u00e9.txt") == "/tmp/caf\u00e9.txt"
    assert display_path("/tmp/bad\udcff.txt") == "/tmp/bad\\xff.txt"


@pytest.mark.parametrize(("key", "name"), [
    ("year", "year"), ("ticker-2", "ticker-2"), ("_private", "_private"),
    ("fiscal year", "fiscal_year"), ('my"key', "my_key"), ("$where", "where"),
    ("a.b", "a_b"), ("-dash", "dash"), ("ann\u00e9e", "annee"), ("\u65e5\u672c", ""),
    ("  ", ""), (2023, "2023"),
])
def test_field_name(key: object, name: str) -> None:
    assert field_name(key) == name


@pytest.mark.parametrize("key", ["year", "a_b", "x-1", "a b", 'q"', "a.b", "$x", "-x",
                                 "caf\u00e9", "", "1", "_"])
def test_field_names_are_exactly_what_filters_accept(key: str) -> None:
    """A stored key is filterable iff FIELD_NAME matches it (keys hold no '.': that nests)."""
    try:
        compile_filter({key: 1})
        accepted = "." not in key
    except InvalidFilterError:
        accepted = False
    assert bool(FIELD_NAME.fullmatch(key)) == accepted
    if field_name(key):
        compile_filter({field_name(key): 1})


def test_clean_metadata_renames_drops_and_says_why() -> None:
    meta, notes = clean_metadata({"a b": 1, "c d": 2, "c_d": 3, "\u65e5": 4,
                                  "n": float("nan"), "l": [1, float("inf"), "x\x00"],
                                  "nested": {"in ner": "v\ud800"}})
    assert meta == {"a_b": 1, "c_d": 3, "l": [1, "x"], "nested": {"in_ner": "v\ufffd"}}
    assert [n.split(";")[0].split(":")[0] for n in notes] == [
        "metadata key 'a b' renamed 'a_b'",
        "metadata key 'c d' would be renamed 'c_d', which is already a key",
        "metadata key '\u65e5' has no ASCII letter or digit a filter could name",
        "metadata 'n' holds nan, which is not a JSON number",
        "metadata 'l' holds inf, which is not a JSON number",
        "metadata key 'nested.in ner' renamed 'in_ner'",
    ]
    assert "filter on 'nested.in_ner'" in notes[-1]
    assert clean_metadata({"ok": "fine", "n": [1, 2]}) == ({"ok": "fine", "n": [1, 2]}, [])
