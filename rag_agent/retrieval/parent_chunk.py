"""Routed parent-chunk retrieval: documents by summary first, then children only inside them.

Built on LangChain's `MultiVectorRetriever` (children in a vector store, parents in a docstore,
linked by `parent_id`), with what stock lacks: scores on the parents, `k` that counts distinct
parents rather than children, and an exact restriction to the routed documents.
"""

from __future__ import annotations

from typing import Any

from langchain_classic.retrievers.multi_vector import MultiVectorRetriever
from langchain_core.documents import Document
from pydantic import ConfigDict, Field

from rag_agent.retrieval.base import PerCallOptions
from rag_agent.retrieval.fusion import search_ranked
from rag_agent.retrieval.vectorstore import IndexVectorStore
from rag_agent.settings import DEFAULT_TENANT

__all__ = ["RoutedParentRetriever"]


class RoutedParentRetriever(PerCallOptions, MultiVectorRetriever):
    """k distinct parents, best first, each scored by its best child.

    Stage 1 takes the `route_docs` best documents by summary (more only when they hold fewer
    than k parents); stage 2 searches children restricted exactly to those documents.
    `route_docs=0` searches all children. With `hybrid`, both stages rank by the RRF of dense
    and keyword lists; scores stay cosine.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    index: Any = Field(exclude=True)
    """The `RagIndex` to search."""
    k: int = 4
    """How many parents to return."""
    filter: dict[str, Any] | None = None
    """Metadata filter, applied before ranking in both stages."""
    tenant: str = DEFAULT_TENANT
    """Only units of this tenant are ever returned."""
    hybrid: bool = False
    """Dense + BM25 keyword ranking fused by reciprocal rank (k=60) in both stages."""
    adapter: bool | None = None
    """Map the query vector with the index's query adapter (`RagIndex.embed_query`)."""
    route_docs: int = 4
    """Documents picked by summary in stage 1 (0: no routing)."""
    id_key: str = "parent_id"

    def __init__(self, **data: Any) -> None:
        index = data["index"]
        data.setdefault("vectorstore", IndexVectorStore(index, "child"))
        data.setdefault("docstore", index.docstore_for(data.get("tenant", DEFAULT_TENANT)))
        super().__init__(**data)

    def _retrieve(self, query: str, k: int, flt: dict[str, Any] | None, tenant: str,
                  hybrid: bool, adapter: bool | None) -> list[Document]:
        if k <= 0:
            return []
        vec = self.index.embed_query(query, adapter=adapter)
        routes: dict[str, float] = {}
        n_docs = self.route_docs
        while True:
            doc_ids = None
            if n_docs:
                top = search_ranked(self.index, query, kind="summary", k=n_docs, filter=flt,
                                    tenant=tenant, hybrid=hybrid, vector=vec)
                routes = {h.doc_id: h.score for h in top}
                doc_ids = list(routes)
                if not doc_ids:
                    return []
            best = self._best_children(query, vec, k, flt, tenant, doc_ids, hybrid)
            if len(best) >= k or not n_docs or len(routes) < n_docs:
                break
            n_docs *= 2  # the routed documents hold fewer than k parents: widen the route
        chosen = list(best.values())[:k]
        parents = self.index.docstore_for(tenant).mget([h.parent_id for h in chosen])
        out = []
        for hit, parent in zip(chosen, parents, strict=True):
            if parent is None:
                continue
            parent.metadata.update({
                "score": hit.score, "kind": "parent", "matched_child": hit.text,
                "route_score": routes.get(hit.doc_id),
            })
            if hybrid:
                parent.metadata["rrf"] = hit.metadata["rrf"]
            out.append(parent)
        return out

    def _best_children(self, query: str, vec: Any, k: int, flt: dict[str, Any] | None,
                       tenant: str, doc_ids: list[str] | None, hybrid: bool) -> dict[str, Any]:
        """parent id -> its best child hit, best first, for at least k parents if they exist."""
        fetch = k * 4
        while True:
            hits = search_ranked(self.index, query, kind="child", k=fetch, filter=flt,
                                 tenant=tenant, doc_ids=doc_ids, hybrid=hybrid, vector=vec)
            best: dict[str, Any] = {}
            for hit in hits:
                best.setdefault(hit.parent_id, hit)
            if len(best) >= k or len(hits) < fetch:
                return best
            fetch *= 2
