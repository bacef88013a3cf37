"""The seam between an index and everything above it: what retrieval, the agent, evaluation,
fine-tuning and the command line may ask of an index, and nothing more.

`RagIndex` (FAISS + SQLite in one folder) is the one implementation today. Code above
`rag_agent.index` types its index as `SearchIndex` and never touches a connection or a
private attribute (`tests/unit/test_layering.py` pins that), so another storage backend only
has to provide these members.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from langchain_core.documents import Document

if TYPE_CHECKING:
    from langchain_core.stores import BaseStore

    from rag_agent.index.adapter import QueryAdapter
    from rag_agent.index.catalogue import Catalogue
    from rag_agent.index.filters import Filter
    from rag_agent.index.records import (
        Hit,
        IndexStats,
        IngestReport,
        StoredSentence,
        StoredUnit,
    )
    from rag_agent.ingest.documents import SourceDocument
    from rag_agent.models import Embedder

__all__ = ["SearchIndex"]


class SearchIndex(Protocol):
    """An index of documents kept as summaries, parents, children and sentences, per tenant.

    Every read takes a `tenant` and never returns another tenant's data; every search applies
    its filter, tenant and `doc_ids` before ranking (k results whenever k units match).
    """

    path: Path
    embedder: Embedder
    adapter: QueryAdapter | None
    docstore: BaseStore[str, Document]
    """The default tenant's parents (`docstore_for` gives another tenant's)."""
    cache: BaseStore[str, str]
    """A key-value cache that lives with the index (LLM summaries, extracted metadata)."""

    # ----- searching ---------------------------------------------------------------------------
    def search(self, query: str | np.ndarray, *, kind: str = "child", k: int = 4,
               filter: Filter | None = None, tenant: str = ...,
               doc_ids: Sequence[str] | None = None) -> list[Hit]:
        """Exact top-k units of `kind` by cosine, pre-filtered."""

    def keyword_search(self, query: str, *, kind: str = "child", k: int = 4,
                       filter: Filter | None = None, tenant: str = ...,
                       doc_ids: Sequence[str] | None = None) -> list[Hit]:
        """Top-k units of `kind` by BM25, with the same pre-filter as `search`."""

    def rarest_word_share(self, query: str, *, tenant: str = ...) -> float | None:
        """The smallest share of the tenant's documents holding one of the query's words."""

    def embed_query(self, query: str, *, adapter: bool | None = None) -> np.ndarray:
        """The (1, dim) query row, with the query adapter unless `adapter` is False."""

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        """Rows of `texts`, reusing stored vectors of texts the index already embedded."""

    def forget_queries(self) -> None:
        """Drop remembered query vectors (the next call embeds its query)."""

    def centroid(self, *, kind: str = "summary", filter: Filter | None = None,
                 tenant: str = ...) -> np.ndarray | None:
        """The normalized mean vector of the matching units of `kind`."""

    # ----- reading back by id ------------------------------------------------------------------
    def docstore_for(self, tenant: str) -> BaseStore[str, Document]:
        """One tenant's parents, read-only."""

    def unit_vectors(self, unit_ids: Sequence[int], *, tenant: str = ...
                     ) -> dict[int, np.ndarray]:
        """Stored vectors of the tenant's units among these ids."""

    def embedded_texts(self, unit_ids: Sequence[int], *, tenant: str = ...) -> dict[int, str]:
        """The text each of these units was embedded from."""

    def units(self, kind: str | None = None, *, tenant: str = ...) -> list[StoredUnit]:
        """Every stored unit of the tenant (of one kind), in id order."""

    def sentences(self, doc_id: str, first: int, last: int, *,
                  tenant: str = ...) -> list[tuple[int, str]]:
        """(position, text) of a document's sentences `first`..`last`."""

    def sentence_rows(self, doc_id: str, first: int | None = None, last: int | None = None, *,
                      parent_id: str | None = None, tenant: str = ...) -> list[StoredSentence]:
        """A document's sentences with their vectors (of one parent, or a range)."""

    def sentence_scores(self, query: np.ndarray, doc_ids: Sequence[str], *,
                        tenant: str = ...) -> dict[str, np.ndarray]:
        """Per document, the cosine of every sentence, in position order."""

    def sentence_child_scores(self, query: np.ndarray, doc_ids: Sequence[str], *,
                              tenant: str = ...) -> dict[str, np.ndarray]:
        """Per document, the cosine of the child holding each sentence."""

    def sentence_lengths(self, doc_ids: Sequence[str], *,
                         tenant: str = ...) -> dict[str, np.ndarray]:
        """Per document, the character length of every sentence."""

    def child_vectors(self, sentence_ids: Sequence[int], *,
                      tenant: str = ...) -> dict[int, np.ndarray]:
        """Sentence id -> the stored vector of the child holding it."""

    def child_texts(self, *, tenant: str = ..., limit: int | None = None
                    ) -> list[tuple[int, str, str, str]]:
        """(unit id, doc id, title, text) of the tenant's children."""

    # ----- documents and their metadata --------------------------------------------------------
    def titles(self, *, tenant: str = ...) -> list[str]:
        """The tenant's document titles."""

    def document_meta(self, doc_id: str, *, tenant: str = ...) -> dict[str, Any]:
        """One document's metadata ({} for another tenant's)."""

    def doc_ids(self, source_ids: Sequence[str], *, tenant: str = ...) -> dict[str, str]:
        """source id -> doc id of those the tenant holds."""

    def source_documents(self, source_ids: Sequence[str], *,
                         tenant: str = ...) -> list[Document]:
        """The documents added under these source ids."""

    def documents_metadata(self, flt: Filter | None = None, *,
                           tenant: str = ...) -> list[dict[str, Any]]:
        """Metadata of the tenant's documents matching `flt`."""

    def count_documents(self, flt: Filter | None = None, *, tenant: str = ...) -> int:
        """How many of the tenant's documents match `flt`."""

    def catalogue(self, *, tenant: str = ...) -> Catalogue:
        """The tenant's metadata fields, their types and values (auto-retrieval reads it)."""

    def stats(self) -> IndexStats:
        """Counts, model, adapter and backend in use."""

    # ----- writing -----------------------------------------------------------------------------
    def add_documents(self, docs: Iterable[SourceDocument | Document], *, tenant: str = ...,
                      template: str | None = None, extract: Any = None,
                      progress: bool = False, on_commit: Any = None) -> IngestReport:
        """Upsert documents by content hash (unchanged ones cost nothing)."""

    def add_paths(self, paths: Iterable[str | os.PathLike[str]], *, tenant: str = ...,
                  metadata: dict[str, Any] | None = None, template: str | None = None,
                  extract: Any = None, encoding: str = "utf-8", progress: bool = False,
                  on_commit: Any = None) -> IngestReport:
        """Ingest files and folders; a bad file is skipped with a reason."""

    def delete_source(self, source_id: str, *, tenant: str = ...) -> int:
        """Delete a source (and its parts); the number of units removed."""

    def install_adapter(self, adapter: QueryAdapter) -> None:
        """Apply a trained query adapter to every later query."""

    def remove_adapter(self) -> bool:
        """Stop applying the query adapter; whether there was one."""

    def switch_model(self, model: str | os.PathLike[str] | Embedder, *,
                     encoder: str | None = None, record: dict | None = None,
                     progress: bool = False) -> Any:
        """Re-embed every unit with another model and switch to it atomically."""

    def snapshot(self, folder: str | os.PathLike[str]) -> Path:
        """Copy the committed state into a new folder, as an index of its own."""

    def save(self) -> None:
        """Persist whatever is behind the committed state (safe to call any time)."""

    def close(self) -> None:
        """Release the index."""
