"""The documents one ingestion call reads: from files and folders, or given in memory, with
the caller's metadata, fields from file names and extractors applied, and long texts cut into
parts. Bad files and records land in `skipped`, metadata changes in `warnings`; nothing raises
for one bad input."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import Any

from langchain_core.documents import Document

from rag_agent.ingest.documents import Skipped, SourceDocument
from rag_agent.ingest.loaders import (
    as_source_document,
    discover,
    estimate_documents,
    iter_documents,
    with_metadata,
)
from rag_agent.ingest.metadata import enrich, make_extractors
from rag_agent.ingest.parts import as_parts

__all__ = ["from_memory", "from_paths"]


def from_paths(paths: Iterable[str | os.PathLike[str]], skipped: list[Skipped],
               warnings: list[Skipped], *, max_chars: int, encoding: str = "utf-8",
               metadata: dict[str, Any] | None = None, template: str | None = None,
               extract: Any = None, count: bool = False
               ) -> tuple[Iterator[SourceDocument], int | None]:
    """(documents, how many there will be if `count`) of files and folders, read lazily."""
    files = discover(paths, skipped)
    docs: Iterator[SourceDocument] = iter_documents(files, skipped, encoding=encoding,
                                                    warnings=warnings, max_chars=max_chars)
    if template or extract:
        docs = enrich(docs, warnings, template=template, extractors=make_extractors(extract))
    if metadata:
        docs = (with_metadata(d, metadata) for d in docs)
    return docs, estimate_documents(files, max_chars) if count else None


def from_memory(given: Iterable[SourceDocument | Document], warnings: list[Skipped], *,
                max_chars: int, template: str | None = None, extract: Any = None,
                count: bool = False) -> tuple[Iterator[SourceDocument], int | None]:
    """(documents, how many if `count`) of documents given in memory, each cleaned, enriched
    and cut into parts as a file would be."""
    items = [as_source_document(d, n, warnings) for n, d in enumerate(given)]
    if template or extract:
        items = list(enrich(items, warnings, template=template,
                            extractors=make_extractors(extract)))
    total = sum(-(-len(d.text) // max_chars) or 1 for d in items) if count else None
    return (part for doc in items for part in as_parts(doc, max_chars)), total
