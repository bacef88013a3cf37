"""Contextual sentence embeddings: an index made before them keeps working unmixed, refuses a
config that would mix, and migrates atomically (real model, FAISS and SQLite on disk)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rag_agent import ConfigError, IndexConfig, RagIndex, SourceDocument
from rag_agent.index import db
from rag_agent.ingest.split import contextual_text
from tests.integration.helpers import assert_consistent

pytestmark = pytest.mark.integration

DOCS = [
    SourceDocument("a", "The harbour froze in 1902. Ships waited outside for six weeks.",
                   "Avalon harbour", {}),
    SourceDocument("b", "The railway reached the town in 1881. It carried salt and copper.",
                   "Brightwater railway", {}),
]
LATER = SourceDocument("c", "The dam was finished in 1956. It made the valley a lake.",
                       "Cedar dam", {})


def _sentences(index: RagIndex) -> list[tuple[str, str, np.ndarray]]:
    rows = index.conn.execute(
        "SELECT d.title, u.text, u.vector FROM units u JOIN documents d ON d.doc_id = u.doc_id "
        "WHERE u.kind = 'sentence' ORDER BY u.id").fetchall()
    return [(t, x, np.frombuffer(v, dtype=np.float32)) for t, x, v in rows]


def _assert_all(index: RagIndex, contextual: bool) -> None:
    """Every sentence vector is the model's vector of the bare sentence, or of title + it."""
    rows = _sentences(index)
    texts = [contextual_text(t, x) if contextual else x for t, x, _ in rows]
    expected = index.embedder.encode(texts)
    got = np.stack([v for _, _, v in rows])
    np.testing.assert_allclose(got, expected, atol=1e-5)


@pytest.fixture
def legacy(tmp_path, real_embedder) -> RagIndex:
    """An index as made before contextual embeddings: bare sentences, no key in its config."""
    folder = tmp_path / "ix"
    with RagIndex.open(folder, embedder=real_embedder,
                       config=IndexConfig(sentence_context=False)) as ix:
        ix.add_documents(DOCS)
        split = db.get_meta(ix.conn, "split")
        split.pop("sentence_context")
        ix.conn.execute("UPDATE meta SET value = ? WHERE key = 'split'", (json.dumps(split),))
    return RagIndex.open(folder, embedder=real_embedder)


def test_an_old_index_keeps_its_bare_sentences_for_new_documents(legacy: RagIndex) -> None:
    assert legacy.config.sentence_context is False
    legacy.add_documents([LATER])
    _assert_all(legacy, contextual=False)  # the new document too: never a mix
    assert legacy.search("When did the dam open?", kind="sentence", k=1)[0].source_id == "c"
    legacy.close()


def test_an_old_index_refuses_a_config_that_would_mix_and_says_how_to_migrate(
        legacy: RagIndex, real_embedder) -> None:
    folder = legacy.path
    legacy.close()
    with pytest.raises(ConfigError, match=r"sentence_context=False.*rag-agent migrate"):
        RagIndex.open(folder, embedder=real_embedder, config=IndexConfig())


def test_migration_re_embeds_every_sentence_under_its_title(legacy: RagIndex,
                                                             real_embedder) -> None:
    report = legacy.migrate()
    assert report.sentences == 4 and report.embedded == 4 and not report.already
    assert legacy.config.sentence_context is True
    _assert_all(legacy, contextual=True)
    assert_consistent(legacy)  # FAISS holds exactly the new vectors
    legacy.add_documents([LATER])
    _assert_all(legacy, contextual=True)
    folder = legacy.path
    legacy.close()
    with RagIndex.open(folder, embedder=real_embedder, config=IndexConfig()) as again:
        assert again.config.sentence_context is True
        assert again.migrate().already


def test_a_migration_that_fails_half_way_leaves_the_old_vectors_in_use(
        legacy: RagIndex, monkeypatch) -> None:
    before = _sentences(legacy)

    def broken(texts: list[str]) -> np.ndarray:
        raise RuntimeError("killed while embedding")

    monkeypatch.setattr(legacy.embedder, "encode", broken)
    with pytest.raises(RuntimeError, match="killed while embedding"):
        legacy.migrate()
    monkeypatch.undo()
    assert legacy.config.sentence_context is False
    assert db.get_meta(legacy.conn, "split").get("sentence_context") is None
    after = _sentences(legacy)
    assert [(t, x) for t, x, _ in after] == [(t, x) for t, x, _ in before]
    for (_, _, v0), (_, _, v1) in zip(before, after, strict=True):
        np.testing.assert_array_equal(v0, v1)
    _assert_all(legacy, contextual=False)
    legacy.close()


def test_a_new_index_embeds_sentences_under_their_title(tmp_path, real_embedder) -> None:
    with RagIndex.open(tmp_path / "new", embedder=real_embedder) as ix:
        assert ix.config.sentence_context is True
        ix.add_documents(DOCS)
        _assert_all(ix, contextual=True)
