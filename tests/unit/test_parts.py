"""Cutting large documents into parts (`rag_agent.ingest.parts`)."""

from __future__ import annotations

import pytest

from rag_agent.ingest.clean import FIELD_NAME
from rag_agent.ingest.documents import SourceDocument
from rag_agent.ingest.parts import (
    PART_KEY,
    SOURCE_KEY,
    as_parts,
    cut_point,
    cut_text,
    family_range,
    part_source_id,
    stream_parts,
)


def test_cut_at_the_last_paragraph_break_before_the_limit() -> None:
    text = "a" * 850 + ". " + "b" * 50 + "\n\n" + "c" * 60 + ". " + "d" * 500
    assert cut_point(text, 1000) == 904  # after the blank line, not at the later sentence end
    assert list(cut_text(text, 1000)) == [text[:904], text[904:]]


def test_cut_falls_back_to_a_sentence_end_then_whitespace_then_the_limit() -> None:
    sentence = "w" * 900 + ". Next " + "x" * 500
    assert cut_point(sentence, 1000) == 902
    spaces = "w" * 900 + " " + "x" * 500
    assert cut_point(spaces, 1000) == 901
    solid = "y" * 1500
    assert cut_point(solid, 1000) == 1000


def test_a_break_before_the_window_is_not_used() -> None:
    text = "a" * 100 + "\n\n" + "b" * 1500  # a part of 102 characters would be wasteful
    assert cut_point(text, 1000) == 1000


def test_parts_are_bounded_and_join_to_the_text() -> None:
    paras = [f"Paragraph {i} says something. It has two sentences." for i in range(200)]
    text = "\n\n".join(paras)
    parts = list(cut_text(text, 1000))
    assert "".join(parts) == text
    assert all(len(p) <= 1000 for p in parts)
    assert all(p.endswith("\n\n") for p in parts[:-1])  # every cut at a paragraph break


def test_streamed_parts_equal_cut_parts_whatever_the_chunks() -> None:
    text = "\n\n".join(f"Sentence number {i} is here. Another one follows." for i in range(300))
    expected = list(cut_text(text, 1200))
    for size in (1, 7, 500, 5000):
        chunks = (text[i:i + size] for i in range(0, len(text), size))
        assert list(stream_parts(chunks, 1200)) == expected


def test_a_small_document_is_itself() -> None:
    doc = SourceDocument("s.txt", "short text.", "S", {"year": 2024})
    assert list(as_parts(doc, 1000)) == [doc]


def test_parts_carry_title_and_metadata_of_the_whole() -> None:
    text = "\n\n".join(f"Paragraph {i} of the report." for i in range(100))
    doc = SourceDocument("/data/r.txt", text, "Report", {"year": 2024})
    parts = list(as_parts(doc, 1000))
    assert len(parts) == 3
    assert [p.source_id for p in parts] == [part_source_id("/data/r.txt", k) for k in (1, 2, 3)]
    assert parts[0].source_id == "/data/r.txt#part-0001"
    assert {p.title for p in parts} == {"Report"}
    assert parts[1].metadata == {"year": 2024, PART_KEY: 2, SOURCE_KEY: "/data/r.txt"}
    assert FIELD_NAME.fullmatch(PART_KEY) and FIELD_NAME.fullmatch(SOURCE_KEY)
    assert "".join(p.text for p in parts) == text


def test_blank_parts_are_left_out() -> None:
    text = "a" * 999 + " " * 1500 + "b" * 10
    parts = list(as_parts(SourceDocument("s", text, "t"), 1000))
    assert [p.metadata[PART_KEY] for p in parts] == [1, 2]
    assert parts[1].text.strip() == "b" * 10


@pytest.mark.parametrize("other", ["s.txt#part-0001", "s.txt#part-9999"])
def test_family_range_holds_the_parts_only(other: str) -> None:
    lo, hi = family_range("s.txt")
    assert lo <= other < hi
    for outsider in ("s.txt", "s.txt#parts", "s.txt#part", "s.txt2", "s.txu"):
        assert not lo <= outsider < hi
