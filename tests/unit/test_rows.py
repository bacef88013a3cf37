"""Batch commits decide from what is committed at the moment they write: writers sharing a source
never crash and never lose a batch; the last writer wins per document."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from langchain_core.embeddings import DeterministicFakeEmbedding

from rag_agent.index.store import RagIndex
from rag_agent.ingest.loaders import SourceDocument
from rag_agent.models import LangChainEmbedder
from tests.integration.helpers import assert_consistent


class InterleavingEmbedder(LangChainEmbedder):
    """Runs `between` once, on its first encode: after the writer planned its batch, before it
    commits (where another process's commit lands in a race)."""

    def __init__(self) -> None:
        super().__init__(DeterministicFakeEmbedding(size=32), model_id="fake-32")
        self.between = None

    def encode(self, texts: list[str]) -> np.ndarray:
        hook, self.between = self.between, None
        if hook is not None:
            hook()
        return super().encode(texts)


def doc(source: str, text: str) -> SourceDocument:
    return SourceDocument(source, text, source, {})


def sources(index: RagIndex) -> dict[str, str]:
    """source id -> the first words of its stored summary's document text."""
    rows = index.conn.execute("SELECT d.source_id, u.text FROM documents d JOIN units u ON "
                              "u.doc_id = d.doc_id AND u.kind = 'sentence' AND u.position = 0")
    return dict(rows.fetchall())


def test_a_source_committed_by_another_writer_meanwhile_is_replaced_not_a_crash(
        tmp_path: Path) -> None:
    first = InterleavingEmbedder()
    a = RagIndex.open(tmp_path / "idx", embedder=first)
    b = RagIndex.open(tmp_path / "idx", embedder=LangChainEmbedder(
        DeterministicFakeEmbedding(size=32), model_id="fake-32"))
    first.between = lambda: b.add_documents([doc("shared", "Writer B wrote this first."),
                                             doc("only-b", "Only writer B has this one.")])
    report = a.add_documents([doc("shared", "Writer A wrote this later."),
                              doc("only-a", "Only writer A has this one.")])
    # Before: IntegrityError (UNIQUE documents.tenant, documents.source_id), batch rolled back.
    assert report.added == 1 and report.updated == 1 and len(report.acknowledged) == 2
    for index in (a, b):
        index.refresh()
        assert sources(index) == {"shared": "Writer A wrote this later.",
                                  "only-a": "Only writer A has this one.",
                                  "only-b": "Only writer B has this one."}
        assert_consistent(index)
        assert [h.text for h in index.search("Writer B wrote this first.", kind="sentence",
                                             k=10) if "Writer B" in h.text] == []
    a.close()
    b.close()


def test_the_same_content_committed_meanwhile_is_acknowledged_once(tmp_path: Path) -> None:
    first = InterleavingEmbedder()
    a = RagIndex.open(tmp_path / "idx", embedder=first)
    b = RagIndex.open(tmp_path / "idx", embedder=LangChainEmbedder(
        DeterministicFakeEmbedding(size=32), model_id="fake-32"))
    same = doc("shared", "Both writers hold this very text.")
    first.between = lambda: b.add_documents([same])
    report = a.add_documents([doc("shared", "Both writers hold this very text."),
                              doc("other", "Another document.")])
    assert (report.added, report.unchanged, len(report.acknowledged)) == (1, 1, 2)
    assert a.conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 2
    assert_consistent(a)
    a.close()
    b.close()
