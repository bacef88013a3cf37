"""`unit_texts` rebuilds, from stored text alone, exactly what ingestion embedded per unit."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag_agent import IndexConfig, RagIndex, SourceDocument
from rag_agent.index.embedded import unit_texts
from rag_agent.index.rows import text_hash

DOCS = [SourceDocument("a", "The harbour froze in 1902. Ships waited outside for six weeks. "
                       "The town ran short of coal.", "Avalon harbour", {}),
        SourceDocument("b", "The railway reached the town in 1881. It carried salt.",
                       "Brightwater railway", {})]


@pytest.mark.parametrize("config", [
    IndexConfig(), IndexConfig(sentence_context=False),
    IndexConfig(embed_title=False, sentence_context=False)])
def test_unit_texts_are_what_ingestion_embedded(tmp_path: Path, fake_embedder,
                                                config: IndexConfig) -> None:
    with RagIndex.open(tmp_path / "ix", embedder=fake_embedder, config=config) as index:
        index.add_documents(DOCS)
        stored = dict(index.conn.execute("SELECT id, text_hash FROM units"))
        units = unit_texts(index.conn, index.config, fake_embedder.count_tokens)
        assert {u.kind for u in units} == {"summary", "child", "sentence"}
        for u in units:
            if u.kind == "summary":
                assert u.embedded is None  # extractive: the mean of its children
            else:
                assert text_hash(u.embedded) == stored[u.unit_id]
                titled = config.embed_title if u.kind == "child" else config.sentence_context
                assert u.embedded.startswith(("Avalon harbour\n", "Brightwater railway\n")) \
                    == titled
        some = [u.unit_id for u in units if u.kind != "summary"][:3]
        assert index.embedded_texts(some) == {u.unit_id: u.embedded for u in units
                                              if u.unit_id in some}
        assert index.embedded_texts([]) == {}


def test_a_migration_override_titles_bare_sentences(tmp_path: Path, fake_embedder) -> None:
    with RagIndex.open(tmp_path / "ix", embedder=fake_embedder,
                       config=IndexConfig(sentence_context=False)) as index:
        index.add_documents(DOCS)
        units = unit_texts(index.conn, index.config, fake_embedder.count_tokens,
                           kinds=("sentence",), sentence_context=True)
        assert units and all(u.kind == "sentence" and "\n" in u.embedded for u in units)
