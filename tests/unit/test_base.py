"""Per-call options of the three retrievers, `hybrid` included (fake embedder)."""

from pathlib import Path

import pytest

from rag_agent import RagIndex, SourceDocument
from rag_agent.retrieval.fusion import search_ranked
from rag_agent.retrieval.tools import make_retrievers

NAMES = ["summary", "sentence_window", "parent_chunk"]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> RagIndex:
    from langchain_core.embeddings import DeterministicFakeEmbedding

    from rag_agent.models import LangChainEmbedder

    emb = LangChainEmbedder(DeterministicFakeEmbedding(size=32), model_id="fake-32")
    ix = RagIndex.open(Path(tmp_path_factory.mktemp("base")) / "ix", embedder=emb)
    for tenant in ("acme", "globex"):
        docs = [SourceDocument(f"doc{i}", " ".join(f"Filler line {j} of {i}." for j in range(5)),
                               f"Doc {i}", {"group": i % 2}) for i in range(8)]
        docs.append(SourceDocument("rare", "Filler line zero. The XJ-9042 valve failed. Fine.",
                                   "Rare", {"group": 1}))
        ix.add_documents(docs, tenant=tenant)
    yield ix
    ix.close()


def _keys(docs: list) -> list[tuple]:
    return [(d.id, d.page_content, d.metadata["score"]) for d in docs]


@pytest.mark.parametrize("name", NAMES)
def test_hybrid_per_call_equals_hybrid_retriever(index: RagIndex, name: str) -> None:
    plain = make_retrievers(index, k=2, tenant="acme")[name]
    hybrid = make_retrievers(index, k=2, tenant="acme", hybrid=True)[name]
    assert hybrid.hybrid and not plain.hybrid
    query = "XJ-9042 valve"
    per_call = plain.invoke(query, hybrid=True)
    assert _keys(per_call) == _keys(hybrid.invoke(query))
    assert all("rrf" in d.metadata for d in per_call)
    assert _keys(hybrid.invoke(query, hybrid=False)) == _keys(plain.invoke(query))
    assert all("rrf" not in d.metadata for d in plain.invoke(query))
    assert any(d.metadata["source_id"] == "rare" for d in per_call)


@pytest.mark.parametrize("name", NAMES)
async def test_hybrid_async_and_restrictions(index: RagIndex, name: str) -> None:
    retriever = make_retrievers(index, k=3, hybrid=True)[name]
    docs = await retriever.ainvoke("XJ-9042 filler", tenant="globex", filter={"group": 0})
    assert len(docs) == 3
    assert {(d.metadata["tenant"], d.metadata["group"]) for d in docs} == {("globex", 0)}
    assert await retriever.ainvoke("XJ-9042", tenant="nobody") == []


def test_summary_hybrid_is_the_fused_summary_ranking(index: RagIndex) -> None:
    docs = make_retrievers(index, k=3, tenant="acme", hybrid=True)["summary"].invoke("XJ-9042")
    hits = search_ranked(index, "XJ-9042", kind="summary", k=3, filter=None, tenant="acme",
                         hybrid=True)
    assert [(d.metadata["doc_id"], d.metadata["score"], d.metadata["rrf"]) for d in docs] == [
        (h.doc_id, h.score, h.metadata["rrf"]) for h in hits]
    assert "rare" in [d.metadata["source_id"] for d in docs]


@pytest.mark.parametrize("query", ["", "   ", "?!", "\n"])
async def test_a_query_with_no_word_gets_nothing(index: RagIndex, query: str) -> None:
    """Nothing to search for: no passages (the nearest units of an empty vector are noise),
    from every retriever, sync and async, and from the index and the vector store."""
    from rag_agent.retrieval.fused import FusedRetriever
    from rag_agent.retrieval.vectorstore import IndexVectorStore

    assert index.search("filler line", k=2, tenant="acme")  # the index has matches
    retrievers = [*make_retrievers(index, k=3, tenant="acme").values(),
                  FusedRetriever(index=index, k=3, tenant="acme")]
    for retriever in retrievers:
        assert retriever.invoke(query) == []
        assert await retriever.ainvoke(query) == []
    for kind in ("child", "sentence", "summary"):
        assert index.search(query, kind=kind, k=3, tenant="acme") == []
        assert index.keyword_search(query, kind=kind, k=3, tenant="acme") == []
    store = IndexVectorStore(index, tenant="acme")
    assert store.similarity_search(query, k=3) == []
    assert store.max_marginal_relevance_search(query, k=3) == []
