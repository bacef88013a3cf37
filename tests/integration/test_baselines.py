"""Stock baselines on 30 real SciFact abstracts with the packaged MiniLM: a copied sentence finds
its own abstract first with every system, scoped queries stay in scope, costs are counted."""

from __future__ import annotations

import json
from itertools import islice
from pathlib import Path

import pytest
from langchain_core.embeddings import Embeddings

from rag_agent.eval.baselines import (
    BM25_NAME,
    LANGCHAIN_NAME,
    LLAMA_VECTOR_NAME,
    LLAMA_WINDOW_NAME,
    System,
    build_bm25,
    build_langchain,
    build_llamaindex,
)
from rag_agent.eval.types import CorpusDoc, EvalQuery, Retrieve
from rag_agent.models import SentenceTransformerEmbedder

pytestmark = [pytest.mark.integration]

ALL = [LANGCHAIN_NAME, LLAMA_VECTOR_NAME, LLAMA_WINDOW_NAME, BM25_NAME]


class Counting(Embeddings):
    """Counts the texts each system embeds while it is built."""

    def __init__(self, inner: Embeddings) -> None:
        self.inner, self.documents = inner, 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.documents += len(texts)
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


@pytest.fixture(scope="module")
def docs(shared_data: Path) -> list[CorpusDoc]:
    with (shared_data / "scifact" / "corpus.jsonl").open() as lines:
        records = [json.loads(line) for line in islice(lines, 30)]
    return [CorpusDoc(r["_id"], r["title"], r["text"]) for r in records]


@pytest.fixture(scope="module")
def built(docs: list[CorpusDoc], real_embedder: SentenceTransformerEmbedder
          ) -> tuple[list[System], list[int]]:
    systems, counted = [], []
    for build in (build_langchain, build_llamaindex):
        counting = Counting(real_embedder)
        systems.append(build(docs, counting))
        counted.append(counting.documents)
    systems.append(build_bm25(docs))
    return systems, counted


@pytest.fixture(scope="module")
def strategies(built: tuple[list[System], list[int]]) -> dict[str, Retrieve]:
    return {name: f for system in built[0] for name, f in system.strategies.items()}


def test_costs_are_the_texts_embedded(built: tuple[list[System], list[int]],
                                      tmp_path: Path) -> None:
    (langchain, llama, bm25), counted = built
    assert [langchain.embedded, llama.embedded, bm25.embedded] == [83, 286, 0]
    assert counted == [83, 286]  # every chunk, node and sentence once; nothing else
    for system in (langchain, llama, bm25):
        system.save(tmp_path / system.name)
        size = sum(f.stat().st_size for f in (tmp_path / system.name).rglob("*") if f.is_file())
        assert size > 10_000, system.name


@pytest.mark.parametrize("i", [0, 9, 21, 29])
def test_a_copied_sentence_finds_its_abstract_first(i: int, docs: list[CorpusDoc],
                                                    strategies: dict[str, Retrieve]) -> None:
    doc = docs[i]
    sentences = doc.text.split(". ")
    query = EvalQuery(f"q{i}", sentences[len(sentences) // 2], {doc.key: 1})
    assert list(strategies) == ALL
    for name, retrieve in strategies.items():
        passages = retrieve(query, 10)
        assert len(passages) == 10 and passages[0].key == doc.key, name
        text = {d.key: d.text for d in docs}
        for p in passages:
            if p.start is not None:
                assert text[p.key][p.start:p.end] == p.text, name


def test_scoped_queries_stay_in_scope(docs: list[CorpusDoc],
                                      strategies: dict[str, Retrieve]) -> None:
    doc, scope = docs[0], (docs[5].key, docs[6].key)
    query = EvalQuery("scoped", doc.text.split(". ")[2], {}, scope=scope)
    for name, retrieve in strategies.items():
        assert retrieve(EvalQuery("free", query.text, {}), 1)[0].key == doc.key, name
        keys = {p.key for p in retrieve(query, 50)}
        assert keys == set(scope), name
