"""A large file ingested as parts, on the real packaged model (a small `max_document_chars`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag_agent import IndexConfig, RagIndex, SourceDocument
from rag_agent.ingest import reading
from rag_agent.ingest.loaders import iter_documents
from tests.integration.helpers import assert_consistent

pytestmark = pytest.mark.integration

LIMIT = 2000
RIVERS = ["Danube", "Rhine", "Loire", "Elbe", "Tagus", "Oder", "Vistula", "Rhone"]
MONTHS = ["January", "March", "May", "July", "September", "November"]
NEEDLE = "The lighthouse keeper painted the old tower bright red every spring."


def prose(n_paragraphs: int) -> str:
    """Distinct sentences in paragraphs of four, about 300 characters each; the needle in
    paragraph 30."""
    paras = []
    for p in range(n_paragraphs):
        sents = [f"Gauge {p * 4 + i} on the {RIVERS[(p + i) % 8]} measured "
                 f"{(p * 7 + i * 3) % 40} degrees in {MONTHS[(p + 2 * i) % 6]} of year "
                 f"{1900 + p}." for i in range(4)]
        if p == 30:
            sents[2] = NEEDLE
        paras.append(" ".join(sents))
    return "\n\n".join(paras) + "\n"


def stored(index: RagIndex) -> dict[str, tuple[str, int]]:
    """source id -> (doc id, n_chars) of every stored document."""
    rows = index.conn.execute("SELECT source_id, doc_id, n_chars FROM documents")
    return {s: (d, n) for s, d, n in rows}


def open_index(path: Path, embedder) -> RagIndex:
    return RagIndex.open(path, embedder=embedder, config=IndexConfig(max_document_chars=LIMIT))


@pytest.fixture
def big(tmp_path: Path) -> Path:
    path = tmp_path / "docs" / "big.txt"
    path.parent.mkdir()
    path.write_text(prose(80))  # about 20 KB
    return path


def test_the_loader_streams_parts_cut_at_paragraph_breaks(big: Path, monkeypatch) -> None:
    monkeypatch.setattr(reading, "CHUNK_BYTES", 700)  # many reads per part
    text = big.read_text()
    parts = list(iter_documents([big], [], max_chars=LIMIT))
    source = str(big.resolve())
    assert len(parts) >= 10
    assert [p.source_id for p in parts] == [f"{source}#part-{k:04d}"
                                           for k in range(1, len(parts) + 1)]
    assert all(len(p.text) <= LIMIT for p in parts)
    assert all(p.text.endswith(".\n\n") for p in parts[:-1])
    assert "".join(p.text for p in parts) == text
    assert {p.title for p in parts} == {"big"}
    assert parts[3].metadata == {"source": source, "file_type": "txt", "part": 4,
                                 "source_of_part": source}


def test_parts_are_searched_and_cover_the_text_once(tmp_path: Path, big: Path,
                                                    real_embedder) -> None:
    text = big.read_text()
    source = str(big.resolve())
    with open_index(tmp_path / "ix", real_embedder) as index:
        report = index.add_paths([big])
        docs = stored(index)
        assert report.added == len(docs) >= 10 and not report.skipped
        assert set(docs) == {f"{source}#part-{k:04d}" for k in range(1, len(docs) + 1)}
        hit = index.search("who painted the lighthouse tower red?", kind="sentence", k=1)[0]
        assert hit.text == NEEDLE
        assert hit.metadata["source_of_part"] == source and hit.title == "big"
        assert hit.source_id.startswith(source + "#part-")
        # Sentences of all parts, placed by the part's offset, tile the text exactly once.
        offset, covered = 0, []
        for sid in sorted(docs):
            doc_id, n_chars = docs[sid]
            rows = index.conn.execute("SELECT start, end, text FROM units WHERE doc_id = ? AND "
                                      "kind = 'sentence' ORDER BY position", (doc_id,))
            for start, end, unit in rows:
                assert text[offset + start:offset + end] == unit
                covered.append((offset + start, offset + end))
            offset += n_chars
        assert offset == len(text)
        assert all(a[1] <= b[0] for a, b in zip(covered, covered[1:], strict=False))
        gaps = [text[a[1]:b[0]] for a, b in zip(covered, covered[1:], strict=False)]
        assert all(not g.strip() for g in gaps)
        assert not text[:covered[0][0]].strip() and not text[covered[-1][1]:].strip()
        assert_consistent(index)


def test_reingest_unchanged_embeds_nothing(tmp_path: Path, big: Path, counting) -> None:
    with open_index(tmp_path / "ix", counting) as index:
        first = index.add_paths([big])
        n = len(counting.texts)
        again = index.add_paths([big])
        assert (again.added, again.updated, again.unchanged) == (0, 0, first.added)
        assert again.embedded == 0 and len(counting.texts) == n and again.deleted == 0


def test_shrink_grow_and_delete_leave_no_stale_part(tmp_path: Path, big: Path,
                                                   real_embedder) -> None:
    source = str(big.resolve())
    with open_index(tmp_path / "ix", real_embedder) as index:
        index.add_paths([big])
        before = set(stored(index))
        big.write_text(prose(40))  # fewer parts
        report = index.add_paths([big])
        after = set(stored(index))
        assert after < before and report.deleted == len(before) - len(after)
        assert after == {f"{source}#part-{k:04d}" for k in range(1, len(after) + 1)}
        big.write_text(prose(5))  # below the limit: one document under the file's own id
        report = index.add_paths([big])
        assert set(stored(index)) == {source} and report.deleted == len(after)
        big.write_text(prose(40))  # past it again: parts, the single document gone
        report = index.add_paths([big])
        assert set(stored(index)) == after and report.deleted == 1
        assert_consistent(index)
        removed = index.delete_source(source)
        assert removed > 0 and stored(index) == {}
        assert index.search("lighthouse", kind="sentence", k=3) == []
        assert_consistent(index)


def test_in_memory_text_is_cut_like_the_file(tmp_path: Path, big: Path, counting) -> None:
    text = big.read_text()
    with open_index(tmp_path / "ix", counting) as index:
        report = index.add_documents([SourceDocument("mem", text, "big", {"k": 1})])
        docs = stored(index)
        files = list(iter_documents([big], [], max_chars=LIMIT))
        assert report.added == len(docs) == len(files)
        meta = json.loads(index.conn.execute(
            "SELECT metadata FROM documents WHERE source_id = 'mem#part-0002'").fetchone()[0])
        assert meta["part"] == 2 and meta["source_of_part"] == "mem" and meta["k"] == 1
        # Same title and the same cuts: the file's parts reuse every stored vector.
        n = len(counting.texts)
        again = index.add_paths([big])
        assert again.added == len(files) and again.embedded == 0 and len(counting.texts) == n
