"""Summary-only retrieval: the best documents by their summary vectors, returned as summaries."""

from __future__ import annotations

from typing import Any

from langchain_core.documents import Document

from rag_agent.retrieval.base import IndexRetriever
from rag_agent.retrieval.fusion import search_ranked

__all__ = ["SummaryRetriever"]


class SummaryRetriever(IndexRetriever):
    """One `Document` per matching document: its summary, with score and citation metadata.

    For "summarize", "what is this about" questions, and as stage 1 of routed retrieval.
    """

    def _retrieve(self, query: str, k: int, flt: dict[str, Any] | None, tenant: str,
                  hybrid: bool, adapter: bool | None) -> list[Document]:
        hits = search_ranked(self.index, query, kind="summary", k=k, filter=flt, tenant=tenant,
                             hybrid=hybrid, vector=self.index.embed_query(query, adapter=adapter))
        return [hit.to_document() for hit in hits]
