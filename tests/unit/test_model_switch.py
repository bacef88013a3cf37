"""Switching an index's model (fast fakes; the real model and SIGKILLs are in
tests/integration/test_finetune_model.py): every vector replaced in one commit, a writer that
commits meanwhile is caught up with, and the record refuses the old model afterwards."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

from rag_agent import RagIndex, SourceDocument
from rag_agent.errors import ConfigError, IndexMismatchError
from rag_agent.index import db
from rag_agent.index.embedded import unit_texts
from rag_agent.models import LangChainEmbedder

DOCS = [SourceDocument(f"d{i}", f"Topic {i} has a first fact. Topic {i} has a second fact.",
                       f"Title {i}", {}) for i in range(4)]


def _fake(size: int) -> LangChainEmbedder:
    return LangChainEmbedder(DeterministicFakeEmbedding(size=size), model_id=f"fake-{size}")


def _assert_all_from(index: RagIndex, embedder: LangChainEmbedder) -> None:
    units = unit_texts(index.conn, index.config, embedder.count_tokens)
    stored = index.unit_vectors([u.unit_id for u in units])
    for u in units:
        assert stored[u.unit_id].shape == (embedder.dim,)
        if u.embedded is not None:
            np.testing.assert_allclose(stored[u.unit_id], embedder.encode([u.embedded])[0],
                                       atol=1e-6)


def test_every_vector_moves_to_the_new_model_with_its_dimension(tmp_path: Path,
                                                                fake_embedder) -> None:
    folder = tmp_path / "ix"
    with RagIndex.open(folder, embedder=fake_embedder) as index:
        index.add_documents(DOCS)
        new = _fake(16)
        report = index.switch_model(new, record={"note": "test"})
        assert (report.previous, report.model_id, report.units) == ("fake-32", "fake-16", 16)
        assert report.embedded == report.texts and report.resumed == 0
        assert index.dim == 16 and index.embedder is new
        _assert_all_from(index, new)
        child = "Title 2\nTopic 2 has a first fact. Topic 2 has a second fact."
        top = index.search(child, k=1)[0]  # the query is embedded by the new model too
        assert top.source_id == "d2" and top.score == pytest.approx(1.0, abs=1e-5)
        assert "model version: switched from fake-32" in "\n".join(index.stats().lines())
        with pytest.raises(ConfigError, match="already uses model 'fake-16'"):
            index.switch_model(_fake(16))
    with pytest.raises(IndexMismatchError, match="'fake-16', not 'fake-32'"):
        RagIndex.open(folder, embedder=_fake(32))
    with RagIndex.open(folder, embedder=_fake(16)) as index:
        assert db.get_meta(index.conn, "model") == {"path": None, "previous": "fake-32",
                                                    "note": "test"}
        _assert_all_from(index, index.embedder)


def test_a_document_committed_during_the_switch_is_re_embedded_too(tmp_path: Path,
                                                                   fake_embedder) -> None:
    folder = tmp_path / "ix"
    index = RagIndex.open(folder, embedder=fake_embedder)
    index.add_documents(DOCS)
    other = RagIndex.open(folder, embedder=_fake(32))  # another writer, still on the old model
    new = _fake(16)
    real = new.encode
    calls = {"n": 0}

    def encode(texts: list[str]) -> np.ndarray:
        calls["n"] += 1
        if calls["n"] == 1:
            other.add_documents([SourceDocument("late", "A late fact arrives.", "Late", {})])
        return real(texts)

    new.encode = encode  # type: ignore[method-assign]
    report = index.switch_model(new)
    assert calls["n"] == 2  # planned again: only the late document's texts were embedded
    assert report.units == 16 + 3 and index.stats().documents == 5
    _assert_all_from(index, _fake(16))
    top = index.search("Late\nA late fact arrives.", k=1)[0]
    assert top.source_id == "late" and top.score == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(IndexMismatchError):
        other.search("late")
    index.close()
    other.conn.close()
