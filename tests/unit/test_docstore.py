"""LangChain's standard BaseStore suite on our SQLite stores."""

import threading
from pathlib import Path

import pytest
from langchain_core.documents import Document
from langchain_tests.integration_tests import BaseStoreAsyncTests, BaseStoreSyncTests

from rag_agent.index import db
from rag_agent.index.docstore import SQLiteDocStore, SQLiteStringStore


class TestSQLiteDocStore(BaseStoreSyncTests[Document]):
    @pytest.fixture
    def kv_store(self, tmp_path: Path) -> SQLiteDocStore:
        return SQLiteDocStore(db.connect(tmp_path / "kv.sqlite"), "parent", threading.RLock())

    @pytest.fixture
    def three_values(self) -> tuple[Document, Document, Document]:
        return (
            Document(page_content="one", metadata={"a": 1}, id="1"),
            Document(page_content="two", metadata={"b": [1, 2]}),
            Document(page_content="three \u00e9", metadata={}),
        )


class TestSQLiteStringStore(BaseStoreSyncTests[str]):
    @pytest.fixture
    def kv_store(self, tmp_path: Path) -> SQLiteStringStore:
        return SQLiteStringStore(db.connect(tmp_path / "kv.sqlite"), "cache", threading.RLock())

    @pytest.fixture
    def three_values(self) -> tuple[str, str, str]:
        return ("alpha", "beta", "gamma")


class TestSQLiteDocStoreAsync(BaseStoreAsyncTests[Document]):
    """The async half (BaseStore's executor defaults over the thread-safe connection)."""

    @pytest.fixture
    async def kv_store(self, tmp_path: Path) -> SQLiteDocStore:
        return SQLiteDocStore(db.connect(tmp_path / "kv.sqlite"), "parent", threading.RLock())

    @pytest.fixture
    def three_values(self) -> tuple[Document, Document, Document]:
        return (Document(page_content="one", metadata={"a": 1}, id="1"),
                Document(page_content="two", metadata={"b": [1, 2]}),
                Document(page_content="three", metadata={}))


def test_namespaces_do_not_see_each_other(tmp_path: Path) -> None:
    conn = db.connect(tmp_path / "kv.sqlite")
    lock = threading.RLock()
    a, b = SQLiteStringStore(conn, "a", lock), SQLiteStringStore(conn, "b", lock)
    a.mset([("k", "from a")])
    assert b.mget(["k"]) == [None]
    assert list(a.yield_keys(prefix="k")) == ["k"] and list(b.yield_keys()) == []
