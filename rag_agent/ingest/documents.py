"""What loading produces: a `SourceDocument` to ingest, or a `Skipped` saying why not."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Skipped", "SourceDocument"]


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
