"""`IndexVectorStore`: LangChain's standard vector store suite, MMR, and the unit/document split,
on the real model, FAISS on disk and SQLite."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from langchain_core.documents import Document
from langchain_tests.integration_tests import VectorStoreIntegrationTests

from rag_agent import IndexVectorStore, RagIndex

pytestmark = pytest.mark.integration


@cache
def _index() -> RagIndex:
    """One index for the module; each test gets a tenant of its own, so each starts empty."""
    return RagIndex.open(Path(tempfile.mkdtemp(prefix="rag-vectorstore-")))


class TestIndexVectorStore(VectorStoreIntegrationTests):
    """The LangChain view (`provenance=False`): hits carry the caller's metadata and ids."""

    @pytest.fixture
    def vectorstore(self) -> Iterator[IndexVectorStore]:
        yield IndexVectorStore(_index(), "child", tenant=f"suite-{uuid.uuid4().hex}",
                               provenance=False)


class TestIndexVectorStorePostgres(VectorStoreIntegrationTests):
    """The same suite on an index in PostgreSQL (one database for the run)."""

    @pytest.fixture
    def vectorstore(self, pg_server) -> Iterator[IndexVectorStore]:
        if not hasattr(pg_server, "vectorstore_index"):
            pg_server.vectorstore_index = RagIndex.open(pg_server.database("vectorstore"))
        yield IndexVectorStore(pg_server.vectorstore_index, "child",
                               tenant=f"suite-{uuid.uuid4().hex}", provenance=False)


def _store(kind: str = "child", **kw: object) -> IndexVectorStore:
    return IndexVectorStore(_index(), kind, tenant=f"t-{uuid.uuid4().hex}", **kw)


LAKES = [
    Document(id="superior", page_content="Lake Superior is the largest of the Great Lakes. "
             "Its water is cold and clear all year.", metadata={"region": "north"}),
    Document(id="erie", page_content="Lake Erie is the shallowest of the Great Lakes. "
             "Its water warms quickly in summer.", metadata={"region": "south"}),
    Document(id="erie-copy", page_content="Lake Erie is the shallowest of the Great Lakes. "
             "Its water warms fast in the summer.", metadata={"region": "south"}),
]


def test_hits_carry_provenance_by_default() -> None:
    store = _store("sentence")
    store.add_documents(LAKES)
    doc = store.similarity_search("Which lake is the shallowest?", k=1)[0]
    assert doc.page_content == "Lake Erie is the shallowest of the Great Lakes."
    assert doc.metadata["kind"] == "sentence" and doc.metadata["source_id"] in {"erie",
                                                                                 "erie-copy"}
    assert doc.id == f"{doc.metadata['doc_id']}:sentence:0" and doc.metadata["region"] == "south"


def test_mmr_trades_a_near_duplicate_for_diversity() -> None:
    store = _store()
    store.add_documents(LAKES)
    query = "Lake Erie, the shallowest lake, warms in summer"
    plain = [d.metadata["source_id"] for d in store.similarity_search(query, k=2)]
    assert sorted(plain) == ["erie", "erie-copy"]
    mmr = [d.metadata["source_id"]
           for d in store.max_marginal_relevance_search(query, k=2, fetch_k=3, lambda_mult=0.3)]
    assert mmr[0] in {"erie", "erie-copy"} and mmr[1] == "superior"
    relevance_only = store.max_marginal_relevance_search(query, k=2, fetch_k=3, lambda_mult=1.0)
    assert sorted(d.metadata["source_id"] for d in relevance_only) == plain
    assert store.max_marginal_relevance_search(query, k=2, filter={"region": "north"})[0] \
        .metadata["source_id"] == "superior"


def test_get_by_ids_delete_and_tenants() -> None:
    store, other = _store(), _store()
    store.add_documents(LAKES[:2])
    got = store.get_by_ids(["erie", "missing", "superior"])
    assert [d.id for d in got] == ["erie", "superior"]
    assert got[0].page_content == LAKES[1].page_content and got[0].metadata == {"region": "south"}
    # another tenant sees nothing by id and deletes nothing
    assert other.get_by_ids(["erie"]) == []
    other.delete(["erie"])
    assert [d.id for d in store.get_by_ids(["erie"])] == ["erie"]
    store.delete(["erie"])
    assert store.get_by_ids(["erie"]) == []
    assert {d.metadata["source_id"] for d in store.similarity_search("lake", k=5)} == {"superior"}
    with pytest.raises(ValueError, match="would empty the tenant"):
        store.delete()
