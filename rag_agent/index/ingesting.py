"""Writing documents into an index: files and folders, documents in memory, deletion.

Composed into `RagIndex` (which forwards `add_paths`, `add_documents` and `delete_source` here);
the pipeline itself is `index.writer` and `index.rows`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from langchain_core.documents import Document

from rag_agent.index.records import IngestReport
from rag_agent.index.rows import delete_documents, family_documents
from rag_agent.index.writer import ingest, progress_bar
from rag_agent.ingest.documents import SourceDocument
from rag_agent.ingest.sources import from_memory, from_paths
from rag_agent.settings import DEFAULT_TENANT

if TYPE_CHECKING:
    from rag_agent.index.store import RagIndex

__all__ = ["Ingesting"]


class Ingesting:
    """What adds documents to an index and deletes them: composed into `RagIndex`."""

    def __init__(self, index: RagIndex) -> None:
        self.index = index

    def add_paths(
        self,
        paths: Iterable[str | os.PathLike[str]],
        *,
        tenant: str = DEFAULT_TENANT,
        metadata: dict[str, Any] | None = None,
        template: str | None = None,
        extract: Any = None,
        encoding: str = "utf-8",
        progress: bool = False,
        on_commit: Any = None,
    ) -> IngestReport:
        """Load files and folders and ingest them; bad files are reported, never fatal.

        Args:
            metadata: fields given to every document (they win over all others).
            template: fields from file names, e.g. "{year} {quarter} {ticker}"
                (see `rag_agent.ingest.metadata.PathTemplate`).
            extract: "offline" (organizations, reporting period, date from each document's
                opening), an `LLMMetadataExtractor`, any callable `SourceDocument -> dict`, or
                a list of these.
        """
        self.index.ensure_writable()
        report = IngestReport()
        docs, total = from_paths(paths, report.skipped, report.warnings,
                                 max_chars=self.index.config.max_document_chars, encoding=encoding,
                                 metadata=metadata, template=template, extract=extract,
                                 count=progress)
        return self._ingest(docs, tenant, report, progress, total, on_commit)

    def add_documents(
        self,
        docs: Iterable[SourceDocument | Document],
        *,
        tenant: str = DEFAULT_TENANT,
        template: str | None = None,
        extract: Any = None,
        progress: bool = False,
        on_commit: Any = None,
    ) -> IngestReport:
        """Ingest documents already in memory (LangChain `Document`s need an id or 'source').

        `template` is matched against each document's 'source' metadata (else its source id);
        `extract` as in `add_paths`. A text longer than `IndexConfig.max_document_chars` is
        ingested as parts, as a large file is.
        """
        self.index.ensure_writable()
        report = IngestReport()
        parts, total = from_memory(docs, report.warnings,
                                   max_chars=self.index.config.max_document_chars, template=template,
                                   extract=extract, count=progress)
        return self._ingest(parts, tenant, report, progress, total, on_commit)

    def _ingest(self, docs: Iterable[SourceDocument], tenant: str, report: IngestReport,
                progress: bool, total: int | None, on_commit: Any) -> IngestReport:
        try:
            with progress_bar(progress, total) as bar:
                ingest(self.index, docs, tenant=tenant, report=report, progress=bar,
                       on_commit=on_commit)
        finally:
            self.index.save()
        return report

    def delete_source(self, source_id: str, *, tenant: str = DEFAULT_TENANT) -> int:
        """Delete a source's document (or all its parts) and every unit it had; returns units
        removed (0: none)."""
        self.index.ensure_writable()
        doc_ids = list(family_documents(self.index.conn, tenant, source_id).values())
        if not doc_ids:
            return 0
        removed = delete_documents(self.index, doc_ids)
        self.index.save()
        return removed
