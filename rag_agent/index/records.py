"""Plain records the index hands out: search hits, ingest reports and statistics."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
from langchain_core.documents import Document

from rag_agent.ingest.loaders import Skipped

__all__ = ["Hit", "IndexStats", "IngestReport", "StoredSentence", "StoredUnit", "caller_metadata"]


class StoredSentence(NamedTuple):
    """One sentence of a document as stored: its position, text and embedded vector."""

    position: int
    text: str
    vector: np.ndarray


class StoredUnit(NamedTuple):
    """One embedded unit as stored, with its document's source id and title (`RagIndex.units`)."""

    id: int
    kind: str
    doc_id: str
    source_id: str
    title: str
    position: int
    parent_id: str | None
    child: int | None
    """A sentence's child position in its document (None for children and summaries)."""
    text: str
    vector: np.ndarray


def caller_metadata(stored: dict[str, Any]) -> dict[str, Any]:
    """A document's metadata as its caller gave it: without the `source_id` the index adds,
    and without a `title` that only defaulted to the source id."""
    out = {k: v for k, v in stored.items() if k != "source_id"}
    if out.get("title") == stored.get("source_id"):
        out.pop("title", None)
    return out


@dataclass(frozen=True)
class Hit:
    """One unit found by a vector search, with what a citation needs."""

    unit_id: int
    kind: str
    score: float
    text: str
    doc_id: str
    position: int
    parent_id: str | None
    source_id: str
    title: str
    tenant: str
    metadata: dict[str, Any]

    def to_document(self) -> Document:
        """A LangChain `Document` whose metadata carries score, ids and position."""
        meta = {
            **self.metadata,
            "score": self.score,
            "kind": self.kind,
            "doc_id": self.doc_id,
            "parent_id": self.parent_id,
            "position": self.position,
            "source_id": self.source_id,
            "title": self.title,
            "tenant": self.tenant,
        }
        return Document(page_content=self.text, metadata=meta, id=f"{self.doc_id}:{self.kind}"
                        f":{self.position}")


@dataclass
class IngestReport:
    """What one ingestion call did. Documents listed in `acknowledged` are durably committed."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    parents: int = 0
    children: int = 0
    sentences: int = 0
    summaries: int = 0
    embedded: int = 0
    reused_vectors: int = 0
    deleted: int = 0
    """Stored documents removed because their source no longer has them (a part beyond its new
    last part, its parts once it fits in one document, or its single document once it has
    parts)."""
    seconds: float = 0.0
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[Skipped] = field(default_factory=list)
    """Documents ingested with something missing (e.g. a file name the template did not fit)."""
    acknowledged: list[str] = field(default_factory=list)

    @property
    def documents(self) -> int:
        """Documents written (added or updated). A source ingested as parts counts once per
        part written (so do `added`, `updated` and `unchanged`)."""
        return self.added + self.updated

    @property
    def units(self) -> int:
        """Units written: parents, children, sentences and summaries."""
        return self.parents + self.children + self.sentences + self.summaries

    @property
    def units_per_second(self) -> float:
        return self.units / self.seconds if self.seconds > 0 else 0.0

    def summary_lines(self) -> list[str]:
        """The report as the CLI prints it."""
        lines = [
            f"documents: {self.added} added, {self.updated} updated, {self.unchanged} unchanged",
            f"units: {self.parents} parents, {self.children} children, {self.sentences} "
            f"sentences, {self.summaries} summaries",
            f"embedded {self.embedded} texts, reused {self.reused_vectors} stored vectors",
            f"time: {self.seconds:.1f} s, {self.units_per_second:.1f} units/s",
            f"skipped: {len(self.skipped)}",
        ]
        if self.deleted:
            lines.insert(1, f"removed {self.deleted} stale documents (parts a source no "
                         "longer has)")
        lines += [f"  - {s.source}: {s.reason}" for s in self.skipped]
        if self.warnings:
            lines.append(f"warnings: {len(self.warnings)}")
            lines += [f"  - {w.source}: {w.reason}" for w in self.warnings]
        return lines


@dataclass(frozen=True)
class IndexStats:
    """Counts and sizes of an index."""

    path: str
    model_id: str
    dim: int
    documents: int
    parents: int
    children: int
    sentences: int
    summaries: int
    tenants: dict[str, int]
    disk_bytes: int
    generation: int
    sentence_context: bool = True
    """Sentences embedded under their document title (False: an older index, bare)."""
    encoder: str = "torch"
    """What computes the vectors in this process: torch, onnx-fp32, onnx-int8, or the class of a
    LangChain `Embeddings`."""
    adapter: dict[str, Any] | None = None
    """The installed query adapter's record (version, pairs, epochs, trained), or None."""
    model: dict[str, Any] | None = None
    """The model record of a switched index (path, version, base, pairs, trained), or None:
    the model it was built with."""

    @property
    def raw_vector_bytes(self) -> int:
        """float32 bytes of every embedded vector (children, sentences, summaries)."""
        return (self.children + self.sentences + self.summaries) * self.dim * 4

    def lines(self) -> list[str]:
        ratio = self.disk_bytes / self.raw_vector_bytes if self.raw_vector_bytes else 0.0
        return [
            f"index: {self.path}",
            f"model: {self.model_id} ({self.dim} dims, encoder {self.encoder}); sentences embedded "
            + ("under their document title" if self.sentence_context
               else "bare (older index: 'rag-agent migrate' adds their titles)"),
            "model version: " + (
                f"{self.model.get('version', '?')}, fine-tuned from {self.model.get('base')} on "
                f"{self.model.get('pairs')} pairs ({self.model.get('steps')} steps), trained "
                f"{self.model.get('trained')}, in {self.model.get('path')}"
                if self.model and self.model.get("base") else
                f"switched from {self.model.get('previous')}" if self.model
                else "the one the index was built with"),
            "query adapter: " + (
                f"version {self.adapter.get('version')}, {self.adapter.get('pairs')} pairs, "
                f"{self.adapter.get('epochs')} epochs, trained {self.adapter.get('trained')}"
                if self.adapter else "none (queries use the model's own vectors)"),
            f"documents: {self.documents} in {len(self.tenants)} tenant(s) "
            + ", ".join(f"{t}={n}" for t, n in sorted(self.tenants.items())),
            f"units: {self.parents} parents, {self.children} children, {self.sentences} "
            f"sentences, {self.summaries} summaries",
            f"disk: {self.disk_bytes / 1e6:.1f} MB ({ratio:.2f}x the raw float32 vectors, "
            f"{self.raw_vector_bytes / 1e6:.1f} MB)",
        ]
