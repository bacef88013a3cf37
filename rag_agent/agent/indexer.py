"""The indexing graph: ingest paths into an index and return the report (for Studio)."""

from __future__ import annotations

from typing import Any, Literal, NotRequired

from langgraph.graph import END, START, StateGraph
from typing_extensions import TypedDict

from rag_agent.index.protocol import SearchIndex
from rag_agent.settings import DEFAULT_TENANT

__all__ = ["IndexerInput", "IndexerState", "build_indexer"]


class IndexerInput(TypedDict):
    """Files or folders to ingest, and how to read their metadata (as `rag-agent ingest`)."""

    paths: list[str]
    """Files or folders (folders are walked for .txt, .md, .pdf)."""
    tenant: NotRequired[str]
    """Tenant to ingest into (default: default)."""
    template: NotRequired[str]
    """Fields from file names, e.g. "{ticker}_{year}_{quarter}" (see `PathTemplate`)."""
    extract: NotRequired[Literal["offline"]]
    """"offline": organizations, reporting period and date from each document's opening."""
    metadata: NotRequired[dict[str, Any]]
    """Fields given to every document (they win over template and extraction)."""


class IndexerState(IndexerInput, total=False):
    """Input plus the ingestion report."""

    report: dict[str, Any]
    """Counts, seconds, and skipped files and metadata warnings with reasons."""


def build_indexer(index: SearchIndex) -> Any:
    """A one-node graph around `RagIndex.add_paths`."""

    def ingest(state: IndexerState) -> dict[str, Any]:
        report = index.add_paths(
            state["paths"], tenant=state.get("tenant") or DEFAULT_TENANT,
            template=state.get("template") or None, extract=state.get("extract") or None,
            metadata=state.get("metadata") or None)
        return {"report": {
            "added": report.added, "updated": report.updated, "unchanged": report.unchanged,
            "parents": report.parents, "children": report.children,
            "sentences": report.sentences, "seconds": round(report.seconds, 2),
            "skipped": [{"source": s.source, "reason": s.reason} for s in report.skipped],
            "warnings": [{"source": s.source, "reason": s.reason} for s in report.warnings],
        }}

    graph = StateGraph(IndexerState, input_schema=IndexerInput)
    graph.add_node("ingest", ingest)
    graph.add_edge(START, "ingest")
    graph.add_edge("ingest", END)
    return graph.compile(name="indexer")
