"""rag_agent: production-grade retrieval-augmented generation for LangChain and LangGraph."""

from rag_agent.errors import (
    ConfigError,
    IndexMismatchError,
    InvalidFilterError,
    MissingExtraError,
    RagAgentError,
)
from rag_agent.index.docstore import SQLiteDocStore
from rag_agent.index.records import Hit, IndexStats, IngestReport
from rag_agent.index.store import RagIndex
from rag_agent.ingest.loaders import Skipped, SourceDocument
from rag_agent.ingest.summarize import LLMSummarizer
from rag_agent.models import LangChainEmbedder, SentenceTransformerEmbedder
from rag_agent.settings import IndexConfig

__all__ = [
    "ConfigError",
    "Hit",
    "IndexConfig",
    "IndexMismatchError",
    "IndexStats",
    "IngestReport",
    "InvalidFilterError",
    "LLMSummarizer",
    "LangChainEmbedder",
    "MissingExtraError",
    "RagAgentError",
    "RagIndex",
    "SQLiteDocStore",
    "SentenceTransformerEmbedder",
    "Skipped",
    "SourceDocument",
]

__version__ = "0.1.0"
