"""Reading one file: streamed in chunks, binary caught anywhere, exact decoding errors."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from rag_agent.ingest import reading
from rag_agent.ingest.reading import SkipFile, open_regular, read_text


def test_nul_past_the_first_chunk_is_found_without_reading_the_whole_file(
        tmp_path: Path) -> None:
    path = tmp_path / "late.txt"
    with path.open("wb") as fh:
        fh.write(b"a" * (reading.CHUNK_BYTES + 10) + b"\x00")
        fh.write(b"b" * (40 << 20))  # 40 MB that need not be read
    tracemalloc.start()
    try:
        with pytest.raises(SkipFile, match="binary content"):
            read_text(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * reading.CHUNK_BYTES  # two chunks and their text, not 40 MB


def test_characters_split_across_chunks_decode(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading, "CHUNK_BYTES", 7)
    text = "caf\u00e9 \u20ac \U0001f600 na\u00efve " * 5
    (tmp_path / "u8.txt").write_text(text, encoding="utf-8")
    (tmp_path / "u16.txt").write_text(text, encoding="utf-16")
    assert read_text(tmp_path / "u8.txt") == text
    assert read_text(tmp_path / "u16.txt") == text


def test_an_invalid_byte_is_named_by_its_offset_in_the_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading, "CHUNK_BYTES", 4)
    (tmp_path / "bad.txt").write_bytes("\u00e9t\u00e9 ".encode() * 3 + b"x\xff")
    with pytest.raises(SkipFile, match=r"not valid utf-8 text \(byte 19\).*--encoding"):
        read_text(tmp_path / "bad.txt")


def test_a_utf8_bom_is_dropped_and_empty_files_are_reasons(tmp_path: Path) -> None:
    (tmp_path / "bom.txt").write_bytes(b"\xef\xbb\xbfHello.")
    (tmp_path / "blank.txt").write_bytes(b" \n\t\n")
    assert read_text(tmp_path / "bom.txt") == "Hello."
    with pytest.raises(SkipFile, match="empty file"):
        read_text(tmp_path / "blank.txt")


def test_only_regular_files_are_opened(tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("x")
    with open_regular(tmp_path / "f.txt") as fh:
        assert fh.read() == b"x"
    with pytest.raises(SkipFile, match="cannot read: a folder, not a regular file"):
        open_regular(tmp_path)
    with pytest.raises(SkipFile, match="no such file"):
        open_regular(tmp_path / "gone.txt")
