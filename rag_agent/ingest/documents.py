"""What loading produces: a `SourceDocument` to ingest, or a `Skipped` saying why not; and the
cleaning every document passes before it is stored (`clean_document`), also for documents given
in memory (`as_source_document`) or with caller metadata (`with_metadata`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from langchain_core.documents import Document

from rag_agent.errors import ConfigError
from rag_agent.ingest.clean import bad_keys, clean_metadata, clean_text, field_name

__all__ = ["Skipped", "SourceDocument", "as_source_document", "clean_document", "with_metadata"]

log = logging.getLogger(__name__)


@dataclass
class SourceDocument:
    """One document as loaded, before it is cut into units."""

    source_id: str
    """Stable identity: the file path, or the record id for JSON/JSONL records."""
    text: str
    title: str
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Skipped:
    """A file or record that was not ingested, and why."""

    source: str
    reason: str


def with_metadata(doc: SourceDocument, metadata: dict[str, Any]) -> SourceDocument:
    """The document with `metadata` laid over its own.

    These fields are the caller's own argument, given for every document, so a key no filter
    could name is a ConfigError (raised at the first document, before anything is written)
    rather than a rename repeated in every document's warnings.
    """
    bad = bad_keys(metadata)
    if bad:
        raise ConfigError(f"metadata key {bad[0]!r} (given for every document) cannot be "
                          "used in a filter; use letters, digits, '_' and '-', like "
                          f"{field_name(bad[0]) or 'my_field'!r}")
    fields, notes = clean_metadata(metadata)
    for note in notes:
        log.warning("%s: %s", doc.source_id, note)
    doc.metadata = {**doc.metadata, **fields}
    return doc


def as_source_document(doc: SourceDocument | Document, n: int,
                       warnings: list[Skipped] | None = None) -> SourceDocument:
    """A cleaned `SourceDocument` from one given in memory: a `SourceDocument`, or a LangChain
    `Document` (its id, or 'source', is the source id). See `clean_document` for `warnings`."""
    if isinstance(doc, SourceDocument):
        source_doc = doc
    elif isinstance(doc, Document) or hasattr(doc, "page_content"):
        meta = dict(doc.metadata)
        source = getattr(doc, "id", None) or meta.get("source") or meta.get("source_id")
        if not source:
            raise ConfigError(f"document #{n} has no id and no 'source' metadata; give it one "
                              "so re-ingesting it updates it instead of adding a copy")
        title = str(meta.pop("title", "") or source)
        source_doc = SourceDocument(str(source), doc.page_content, title, meta)
    else:
        raise ConfigError(f"document #{n} is a {type(doc).__name__}; pass SourceDocuments or "
                          "LangChain Documents")
    if not isinstance(source_doc.text, str) or not isinstance(source_doc.metadata, dict):
        raise ConfigError(f"document #{n} ({source_doc.source_id!r}): text must be a str and "
                          "metadata a dict")
    return clean_document(source_doc, warnings)


def clean_document(doc: SourceDocument, warnings: list[Skipped] | None = None) -> SourceDocument:
    """`doc` as it may be stored: id, text, title and string values through `clean_text`,
    metadata keys filterable (`clean_metadata`). Each change to the metadata is a warning
    (appended to `warnings`, or logged when it is None); the document itself is never lost.
    Returns `doc` itself when nothing needed cleaning, else a cleaned copy."""
    meta, notes = clean_metadata(doc.metadata)
    source_id = clean_text(str(doc.source_id))
    for note in notes:
        if warnings is None:
            log.warning("%s: %s", source_id, note)
        else:
            warnings.append(Skipped(source_id, note))
    cleaned = SourceDocument(source_id, clean_text(doc.text), clean_text(str(doc.title)), meta)
    return doc if cleaned == doc else cleaned
