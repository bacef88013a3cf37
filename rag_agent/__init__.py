"""rag_agent: production-grade retrieval-augmented generation for LangChain and LangGraph."""

from rag_agent.agent.classify import OfflineTaskClassifier
from rag_agent.agent.context import Context
from rag_agent.agent.graph import build_agent
from rag_agent.agent.llm import make_chat_model
from rag_agent.errors import (
    ConfigError,
    IndexCorruptError,
    IndexMismatchError,
    InvalidFilterError,
    MissingExtraError,
    RagAgentError,
    ReadOnlyIndexError,
)
from rag_agent.index.catalogue import Catalogue
from rag_agent.index.docstore import SQLiteDocStore, TenantDocStore
from rag_agent.index.protocol import SearchIndex
from rag_agent.index.records import Hit, IndexStats, IngestReport
from rag_agent.index.store import RagIndex
from rag_agent.ingest.loaders import Skipped, SourceDocument
from rag_agent.ingest.metadata import LLMMetadataExtractor, OfflineExtractor, PathTemplate
from rag_agent.ingest.summarize import LLMSummarizer
from rag_agent.models import LangChainEmbedder, SentenceTransformerEmbedder
from rag_agent.retrieval.autofilter import Inference, infer_filter
from rag_agent.retrieval.fused import FusedRetriever
from rag_agent.retrieval.parent_chunk import RoutedParentRetriever
from rag_agent.retrieval.sentence_window import SentenceWindowRetriever
from rag_agent.retrieval.summary import SummaryRetriever
from rag_agent.retrieval.tools import make_retrievers, make_tools
from rag_agent.retrieval.vectorstore import IndexVectorStore
from rag_agent.settings import IndexConfig

__all__ = [
    "Catalogue",
    "ConfigError",
    "Context",
    "FusedRetriever",
    "Hit",
    "IndexConfig",
    "IndexCorruptError",
    "IndexMismatchError",
    "IndexStats",
    "IndexVectorStore",
    "Inference",
    "IngestReport",
    "InvalidFilterError",
    "LLMMetadataExtractor",
    "LLMSummarizer",
    "LangChainEmbedder",
    "MissingExtraError",
    "OfflineExtractor",
    "OfflineTaskClassifier",
    "PathTemplate",
    "RagAgentError",
    "RagIndex",
    "ReadOnlyIndexError",
    "RoutedParentRetriever",
    "SQLiteDocStore",
    "SearchIndex",
    "SentenceTransformerEmbedder",
    "SentenceWindowRetriever",
    "Skipped",
    "SourceDocument",
    "SummaryRetriever",
    "TenantDocStore",
    "build_agent",
    "infer_filter",
    "make_chat_model",
    "make_retrievers",
    "make_tools",
]

__version__ = "0.1.0"
