"""Hostile input never stops an ingestion: every bad file is ingested or skipped with a reason.

The corpus (`tests/integration/bad_files.py`) mixes good files with links that loop or break, a
FIFO, a device, unreadable files and folders, NUL bytes past 8 KB, invalid encodings, lone
surrogates, a 300,000-character line, 1,100 nested folders, odd file names, broken JSON, PDF,
HTML and front matter. Run with `-s` to see the per-file table.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from langchain_core.documents import Document

from rag_agent import RagIndex
from tests.integration.bad_files import format_table, outcomes, remove_corpus, write_corpus
from tests.integration.helpers import assert_consistent

pytestmark = pytest.mark.integration

_NOT_STORABLE = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def _unstorable_units(index: RagIndex) -> list[str]:
    rows = index.conn.execute("SELECT text FROM units").fetchall()
    rows += index.conn.execute("SELECT title || metadata FROM documents").fetchall()
    return [text[:80] for (text,) in rows if _NOT_STORABLE.search(text)]


def test_a_folder_of_hostile_files_ingests_in_one_call(tmp_path: Path,
                                                       real_embedder: object) -> None:
    root = tmp_path / "corpus"
    cases = write_corpus(root, long_line_chars=300_000)
    try:
        started = time.perf_counter()
        with RagIndex.open(tmp_path / "idx", embedder=real_embedder) as index:
            report = index.add_paths([root])
            seconds = time.perf_counter() - started
            rows = outcomes(root, cases, report, index)
            print("\n" + format_table(rows))
            wrong = [r for r in rows if r["outcome"] != r["expected"]
                     or (r["outcome"] == "skipped" and not r["reason"])]
            assert not wrong, format_table(wrong)
            assert all(s.reason for s in report.skipped)
            assert _unstorable_units(index) == []
            assert_consistent(index)
            hits = index.search("a file name that is not valid UTF-8", k=1)
            assert hits and "not valid UTF-8" in hits[0].text
            keyed = index.search("keys with quotes", filter={"fiscal_year": 2023}, k=3)
            assert {h.source_id for h in keyed} == {"m-keys"}  # renamed, and filterable
    finally:
        remove_corpus(root)
    assert seconds < 60, f"the bad-input corpus took {seconds:.1f} s; keep it small"


def test_hostile_texts_from_memory_and_queries_never_fail_a_call(
        tmp_path: Path, real_embedder: object) -> None:
    docs = [Document("a \ud800 b. A second sentence follows.", id="surrogate"),
            Document("NUL \x00 inside, bell \x07 too. Still text.", id="controls",
                     metadata={'my"key': "v\udcff", "score": float("nan")}),
            Document("Plain and fine. Nothing odd.", id="plain")]
    with RagIndex.open(tmp_path / "idx", embedder=real_embedder) as index:
        report = index.add_documents(docs)
        assert (report.added, report.skipped) == (3, [])
        assert _unstorable_units(index) == []
        meta = {d["source_id"]: d for d in index.documents_metadata()}["controls"]
        assert meta["my_key"] == "v\ufffd" and "score" not in meta
        assert index.search("invalid argument \udcff from a shell", k=1)
        assert index.search("plain", filter={"my_key": "v\ufffd"}, k=1)[0].source_id == "controls"
