"""Fused retrieval: how regions share the context budget."""

from pathlib import Path

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

from rag_agent import RagIndex, SourceDocument
from rag_agent.models import LangChainEmbedder
from rag_agent.retrieval.fused import FusedRetriever


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> RagIndex:
    emb = LangChainEmbedder(DeterministicFakeEmbedding(size=32), model_id="fake-32")
    ix = RagIndex.open(Path(tmp_path_factory.mktemp("fused")) / "ix", embedder=emb)
    ix.add_documents([SourceDocument(f"doc{i}", " ".join(
        f"Sentence {j} of document {i} says something about valves." for j in range(80)),
        f"Doc {i}", {}) for i in range(3)])
    return ix


def test_regions_share_the_budget_among_documents_but_one_document_gets_it_whole(
        index: RagIndex) -> None:
    shared = FusedRetriever(index=index, k=8, region_budget=2000, region_share=2,
                            region_chars=100)
    many = shared.invoke("valves")
    assert len({d.metadata["doc_id"] for d in many}) == 3  # one region per document
    assert all(900 <= len(d.page_content) <= 1000 for d in many)  # half the budget each
    one = shared.invoke("valves", filter={"source_id": "doc1"})
    assert len(one) == 1 and 1800 <= len(one[0].page_content) <= 2000  # all of it
    fixed = FusedRetriever(index=index, k=8, region_chars=500).invoke("valves")
    assert all(len(d.page_content) <= 500 for d in fixed)  # no budget: region_chars
