"""A LangChain `VectorStore` over one unit kind of a `RagIndex`, for components that expect one
(`MultiVectorRetriever`, `as_retriever`, MMR, code written against Chroma or FAISS).

What is stored is a document; what is searched are its units. `add_documents` ingests whole
documents (each id is a source id: adding it again replaces the document, units and all),
`delete` and `get_by_ids` take those ids, and the searches rank the view's unit kind (children,
sentences or summaries) with the index's exact pre-filtering, in the view's tenant only.

A hit is one unit. By default (`provenance=True`) its metadata also carries where it came from
(score, kind, doc_id, parent_id, position, source_id, title, tenant) and its id names the unit,
which is what the retrievers need. With `provenance=False` a hit looks like any LangChain
store's: the document's own metadata and `id` = the source id it was added under.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import VectorStore
from langchain_core.vectorstores.utils import maximal_marginal_relevance

from rag_agent.errors import ConfigError
from rag_agent.index.protocol import SearchIndex
from rag_agent.index.records import Hit, caller_metadata
from rag_agent.ingest.clean import has_words
from rag_agent.settings import DEFAULT_TENANT

__all__ = ["IndexVectorStore"]


class IndexVectorStore(VectorStore):
    """One unit kind ("child", "sentence" or "summary") of a `RagIndex`, for one tenant."""

    def __init__(self, index: SearchIndex, kind: str = "child", tenant: str = DEFAULT_TENANT, *,
                 provenance: bool = True) -> None:
        self.index = index
        self.kind = kind
        self.tenant = tenant
        self.provenance = provenance

    @property
    def embeddings(self) -> Embeddings | None:
        emb = self.index.embedder
        return emb if isinstance(emb, Embeddings) else getattr(emb, "embeddings", None)

    # ----- writing: whole documents, by source id ---------------------------------------------
    def add_documents(self, documents: list[Document], **kwargs: Any) -> list[str]:
        """Ingest `documents`; ids from `ids=`, else each document's id, else new UUIDs."""
        ids = kwargs.pop("ids", None)
        if ids is not None and len(ids) != len(documents):
            raise ConfigError(f"add_documents got {len(documents)} documents but {len(ids)} ids")
        ids = [str(ids[i] if ids is not None else d.id or uuid.uuid4())
               for i, d in enumerate(documents)]
        docs = [Document(page_content=d.page_content, metadata=dict(d.metadata), id=i)
                for d, i in zip(documents, ids, strict=True)]
        report = self.index.add_documents(docs, tenant=self.tenant)
        if report.skipped:
            bad = "; ".join(f"{s.source}: {s.reason}" for s in report.skipped)
            raise ConfigError(f"{len(report.skipped)} document(s) not added: {bad}")
        return ids

    def add_texts(self, texts: Iterable[str], metadatas: list[dict] | None = None,
                  *, ids: list[str] | None = None, **kwargs: Any) -> list[str]:
        texts = list(texts)
        metas = metadatas or [{} for _ in texts]
        return self.add_documents([Document(page_content=t, metadata=m)
                                   for t, m in zip(texts, metas, strict=True)], ids=ids)

    def delete(self, ids: list[str] | None = None, **kwargs: Any) -> bool | None:
        """Delete these documents (ids they were added under); unknown ids are ignored."""
        if ids is None:
            raise ConfigError("delete(ids=None) would empty the tenant; pass the ids to delete")
        for source_id in ids:
            self.index.delete_source(str(source_id), tenant=self.tenant)
        return True

    def get_by_ids(self, ids: Sequence[str], /) -> list[Document]:
        """The documents added under these ids (see `RagIndex.source_documents`)."""
        return self.index.source_documents([str(i) for i in ids], tenant=self.tenant)

    @classmethod
    def from_texts(cls, texts: list[str], embedding: Embeddings,
                   metadatas: list[dict] | None = None, **kwargs: Any) -> IndexVectorStore:
        raise ConfigError("open an index and wrap it: IndexVectorStore(RagIndex.open(path)); "
                          "then add_texts(...) or add_documents(...)")

    # ----- searching: units -------------------------------------------------------------------
    def _search(self, query: str | np.ndarray, k: int, kwargs: dict[str, Any]) -> list[Hit]:
        return self.index.search(query, kind=self.kind, k=k, filter=kwargs.get("filter"),
                                 tenant=kwargs.get("tenant", self.tenant),
                                 doc_ids=kwargs.get("doc_ids"))

    def _document(self, hit: Hit) -> Document:
        if self.provenance:
            return hit.to_document()
        return Document(page_content=hit.text, metadata=caller_metadata(hit.metadata),
                        id=hit.source_id)

    def similarity_search_with_score(
        self, query: str, k: int = 4, **kwargs: Any
    ) -> list[tuple[Document, float]]:
        return [(self._document(h), h.score) for h in self._search(query, k, kwargs)]

    def similarity_search(self, query: str, k: int = 4, **kwargs: Any) -> list[Document]:
        return [doc for doc, _ in self.similarity_search_with_score(query, k, **kwargs)]

    def similarity_search_by_vector(self, embedding: list[float], k: int = 4,
                                    **kwargs: Any) -> list[Document]:
        vec = np.asarray([embedding], dtype=np.float32)
        return [self._document(h) for h in self._search(vec, k, kwargs)]

    def max_marginal_relevance_search(self, query: str, k: int = 4, fetch_k: int = 20,
                                      lambda_mult: float = 0.5, **kwargs: Any) -> list[Document]:
        if not has_words(query):  # as similarity_search: nothing to search for
            return []
        return self.max_marginal_relevance_search_by_vector(
            self.index.embed_query(query)[0].tolist(), k, fetch_k, lambda_mult, **kwargs)

    def max_marginal_relevance_search_by_vector(
        self, embedding: list[float], k: int = 4, fetch_k: int = 20, lambda_mult: float = 0.5,
        **kwargs: Any
    ) -> list[Document]:
        """The `fetch_k` nearest units, then `k` of them picked for relevance and diversity
        (1: relevance only, 0: diversity only), from the stored vectors (nothing re-embedded)."""
        query = np.asarray(embedding, dtype=np.float32)
        hits = self._search(query[None, :], max(k, fetch_k), kwargs)
        if not hits:
            return []
        vectors = self.index.unit_vectors([h.unit_id for h in hits],
                                          tenant=kwargs.get("tenant", self.tenant))
        picked = maximal_marginal_relevance(query, [vectors[h.unit_id] for h in hits],
                                            lambda_mult=lambda_mult, k=k)
        return [self._document(hits[i]) for i in picked]

    def _select_relevance_score_fn(self):  # noqa: ANN202 - LangChain's signature
        return lambda score: (1.0 + score) / 2.0  # cosine of normalized vectors -> [0, 1]
