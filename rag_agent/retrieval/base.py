"""What the three retrievers share: the index, k, a metadata filter, a tenant and hybrid ranking."""

from __future__ import annotations

import asyncio
from typing import Any

from langchain_core.callbacks import (
    AsyncCallbackManagerForRetrieverRun,
    CallbackManagerForRetrieverRun,
)
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field

from rag_agent.ingest.clean import has_words
from rag_agent.settings import DEFAULT_TENANT

__all__ = ["IndexRetriever", "PerCallOptions"]


class PerCallOptions:
    """`k`, `filter`, `tenant`, `hybrid` and `adapter` from the retriever, overridable per
    call; sync and async. A query with no word in it (empty, blank, "?") gets []."""

    k: int
    filter: dict[str, Any] | None
    tenant: str
    hybrid: bool
    adapter: bool | None

    def _options(self, kwargs: dict[str, Any]
                 ) -> tuple[int, dict[str, Any] | None, str, bool, bool | None]:
        k = int(kwargs.get("k", self.k))
        flt = kwargs.get("filter", self.filter)
        tenant = kwargs.get("tenant", self.tenant)
        hybrid = bool(kwargs.get("hybrid", self.hybrid))
        adapter = kwargs.get("adapter", self.adapter)
        return k, flt, tenant, hybrid, None if adapter is None else bool(adapter)

    def _retrieve(self, query: str, k: int, flt: dict[str, Any] | None, tenant: str,
                  hybrid: bool, adapter: bool | None) -> list[Document]:
        raise NotImplementedError

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        options = self._options(kwargs)  # bad options are refused even for an empty query
        return self._retrieve(query, *options) if has_words(query) else []

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        options = self._options(kwargs)
        if not has_words(query):
            return []
        return await asyncio.to_thread(self._retrieve, query, *options)


class IndexRetriever(PerCallOptions, BaseRetriever):
    """Base of the retrievers over a `RagIndex`."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    index: Any = Field(exclude=True)
    """The `RagIndex` to search."""
    k: int = 4
    """How many results to return."""
    filter: dict[str, Any] | None = None
    """Metadata filter (see `rag_agent.index.filters`), applied before ranking."""
    tenant: str = DEFAULT_TENANT
    """Only units of this tenant are ever returned."""
    hybrid: bool = False
    """Dense + BM25 keyword ranking fused by reciprocal rank (k=60); scores stay cosine."""
    adapter: bool | None = None
    """Map the query vector with the index's query adapter: None when one is installed,
    False never, True required (`RagIndex.embed_query`)."""
