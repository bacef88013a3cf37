"""Settings shared by every floor: environment variable names and split sizes."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag_agent.errors import ConfigError

__all__ = ["ENV_INDEX", "IndexConfig", "default_index_dir"]

ENV_INDEX = "RAG_AGENT_INDEX"
"""Environment variable naming the index folder used when none is given."""

DEFAULT_TENANT = "default"

LEGACY_SPLIT: dict[str, Any] = {"sentence_context": False}
"""What a split key stored before a field existed meant (sentences were embedded bare)."""


def default_index_dir() -> Path | str:
    """The index from `RAG_AGENT_INDEX` (a folder, or a postgresql:// URL kept as it is), else
    the folder `./.rag_index`."""
    value = os.environ.get(ENV_INDEX) or ".rag_index"
    return value if value.startswith(("postgresql://", "postgres://")) else Path(value)


@dataclass(frozen=True)
class IndexConfig:
    """How documents are cut into units. Stored with the index; fixed once it holds data.

    Attributes:
        parent_chars: target size of a parent (synthesis unit) in characters.
        child_tokens: most embedder tokens in a child (retrieval unit), title header included.
        sentence_max_chars: longer "sentences" (tables, run-on text) are cut at whitespace.
        summary_sentences: sentences picked for the extractive document summary.
        embed_title: prefix each child's embedded text with its document title.
        sentence_context: prefix each sentence's embedded text with its document title too
            (contextual embeddings; indexes made before this option hold bare sentences and
            keep them until `RagIndex.migrate` re-embeds them).
        batch_docs: most documents embedded together and committed in one transaction.
        batch_texts: a batch is also closed once its documents have this many texts to embed
            (larger batches pad less when the model sorts texts by length).
        max_document_chars: a longer document is ingested as parts of at most this many
            characters, cut at a paragraph break (`rag_agent.ingest.parts`), so memory is
            bounded by a batch, not by a file. Not part of `split_key`: like the batch sizes
            it may differ between runs (a source re-ingested with another limit is re-cut).
    """

    parent_chars: int = 1500
    child_tokens: int = 200
    sentence_max_chars: int = 600
    summary_sentences: int = 5
    embed_title: bool = True
    sentence_context: bool = True
    batch_docs: int = 256
    batch_texts: int = 4096
    max_document_chars: int = 1_000_000

    def __post_init__(self) -> None:
        if self.parent_chars < 200:
            raise ConfigError(f"parent_chars={self.parent_chars} is too small; use 200 or more")
        if not 16 <= self.child_tokens <= 8192:
            raise ConfigError(f"child_tokens={self.child_tokens} must be between 16 and 8192")
        if self.sentence_max_chars < 50:
            raise ConfigError(f"sentence_max_chars={self.sentence_max_chars}; use 50 or more")
        if min(self.summary_sentences, self.batch_docs, self.batch_texts) < 1:
            raise ConfigError("summary_sentences, batch_docs and batch_texts must be at least 1")
        if self.max_document_chars < 1000:
            raise ConfigError(f"max_document_chars={self.max_document_chars} is too small; "
                              "use 1000 or more")

    def batching(self) -> dict[str, int]:
        """The fields that only size the work of one run (not stored, free to change)."""
        return {"batch_docs": self.batch_docs, "batch_texts": self.batch_texts,
                "max_document_chars": self.max_document_chars}

    def split_key(self) -> dict[str, Any]:
        """The fields that change how text is cut (stored in the index, checked on open)."""
        return {
            "parent_chars": self.parent_chars,
            "child_tokens": self.child_tokens,
            "sentence_max_chars": self.sentence_max_chars,
            "summary_sentences": self.summary_sentences,
            "embed_title": self.embed_title,
            "sentence_context": self.sentence_context,
        }

    def mismatch(self, wanted: IndexConfig, folder: Any) -> str:
        """Why an index made with this config refuses `wanted`, and what to do instead."""
        have, want = self.split_key(), wanted.split_key()
        differ = [k for k in have if have[k] != want[k]]
        diff = ", ".join(f"{k}={have[k]!r} (asked {want[k]!r})" for k in differ)
        text = f"index {str(folder)!r} was made with {diff}; open it without a config"
        if differ == ["sentence_context"]:
            return (text + f", or re-embed its sentences with 'rag-agent migrate --index "
                    f"{folder}' (RagIndex.migrate; the old vectors stay in use until it commits)")
        return text + " or use a new folder"

    @classmethod
    def from_stored(cls, stored: dict[str, Any], **batching: int) -> IndexConfig:
        """The config an index was made with; keys it predates take their old meaning."""
        return cls(**{**LEGACY_SPLIT, **stored}, **batching)
