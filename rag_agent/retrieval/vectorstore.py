"""A LangChain `VectorStore` view of one collection of a `RagIndex` (read-only).

It lets LangChain components that expect a vector store (`MultiVectorRetriever`, `as_retriever`)
search the index's children, sentences or summaries, with the index's exact pre-filtering.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import VectorStore

from rag_agent.errors import ConfigError
from rag_agent.settings import DEFAULT_TENANT

__all__ = ["IndexVectorStore"]


class IndexVectorStore(VectorStore):
    """Searches one unit kind of a `RagIndex`; documents are added through the index."""

    def __init__(self, index: Any, kind: str = "child", tenant: str = DEFAULT_TENANT) -> None:
        self.index = index
        self.kind = kind
        self.tenant = tenant

    @property
    def embeddings(self) -> Embeddings | None:
        emb = self.index.embedder
        return emb if isinstance(emb, Embeddings) else getattr(emb, "embeddings", None)

    def add_texts(self, texts: Iterable[str], metadatas: list[dict] | None = None,
                  **kwargs: Any) -> list[str]:
        raise ConfigError("units are derived from documents: add them with "
                          "RagIndex.add_documents(...) or RagIndex.add_paths(...)")

    @classmethod
    def from_texts(cls, texts: list[str], embedding: Embeddings,
                   metadatas: list[dict] | None = None, **kwargs: Any) -> IndexVectorStore:
        raise ConfigError("build a RagIndex and wrap it: IndexVectorStore(RagIndex.open(path))")

    def similarity_search_with_score(
        self, query: str, k: int = 4, filter: dict[str, Any] | None = None, **kwargs: Any
    ) -> list[tuple[Document, float]]:
        hits = self.index.search(query, kind=self.kind, k=k, filter=filter,
                                 tenant=kwargs.get("tenant", self.tenant),
                                 doc_ids=kwargs.get("doc_ids"))
        return [(hit.to_document(), hit.score) for hit in hits]

    def similarity_search(self, query: str, k: int = 4, **kwargs: Any) -> list[Document]:
        return [doc for doc, _ in self.similarity_search_with_score(query, k, **kwargs)]

    def similarity_search_by_vector(self, embedding: list[float], k: int = 4,
                                    **kwargs: Any) -> list[Document]:
        import numpy as np

        vec = np.asarray([embedding], dtype=np.float32)
        return self.similarity_search(vec, k, **kwargs)  # type: ignore[arg-type]

    def _select_relevance_score_fn(self):  # noqa: ANN202 - LangChain's signature
        return lambda score: (1.0 + score) / 2.0  # cosine of normalized vectors -> [0, 1]
