"""LangGraph Studio entry point: ingest files into the index named by $RAG_AGENT_INDEX."""

from rag_agent.agent.indexer import build_indexer
from rag_agent.studio import open_studio_index

graph = build_indexer(open_studio_index())
