"""One exception tree for rag_agent.

Every error says what was wrong, with which input, and what to do about it.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "IndexCorruptError",
    "IndexMismatchError",
    "InvalidFilterError",
    "MissingExtraError",
    "RagAgentError",
    "ReadOnlyIndexError",
]


class RagAgentError(Exception):
    """Base class of every error rag_agent raises on purpose."""


class ConfigError(RagAgentError, ValueError):
    """A setting or argument has a value that cannot work."""


class InvalidFilterError(RagAgentError, ValueError):
    """A metadata filter does not follow the filter syntax (see `rag_agent.index.filters`)."""


class IndexMismatchError(RagAgentError):
    """An index on disk was built with another embedding model or an unknown schema."""


class IndexCorruptError(RagAgentError):
    """An index's files cannot be read as an index (garbled, truncated or not an index)."""


class ReadOnlyIndexError(RagAgentError):
    """A write was asked of an index opened read-only (or in a folder this process cannot
    write)."""


class MissingExtraError(RagAgentError, ImportError):
    """An optional part is used but its extra is not installed."""

    def __init__(self, part: str, extra: str) -> None:
        super().__init__(f"{part} needs the '{extra}' extra: pip install 'rag-agent[{extra}]'")
        self.extra = extra
