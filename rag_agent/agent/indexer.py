"""The indexing graph: ingest paths into an index and return the report (for Studio)."""

from __future__ import annotations

from typing import Any

from langgraph.graph import END, START, StateGraph
from typing_extensions import TypedDict

from rag_agent.settings import DEFAULT_TENANT

__all__ = ["build_indexer"]


class IndexerInput(TypedDict):
    """Files or folders to ingest."""

    paths: list[str]


class IndexerState(IndexerInput, total=False):
    """Input plus the ingestion report."""

    tenant: str
    """Tenant to ingest into (default: default)."""
    report: dict[str, Any]
    """Counts, seconds and skipped files with reasons."""


def build_indexer(index: Any) -> Any:
    """A one-node graph around `RagIndex.add_paths`."""

    def ingest(state: IndexerState) -> dict[str, Any]:
        report = index.add_paths(state["paths"], tenant=state.get("tenant") or DEFAULT_TENANT)
        return {"report": {
            "added": report.added, "updated": report.updated, "unchanged": report.unchanged,
            "parents": report.parents, "children": report.children,
            "sentences": report.sentences, "seconds": round(report.seconds, 2),
            "skipped": [{"source": s.source, "reason": s.reason} for s in report.skipped],
        }}

    graph = StateGraph(IndexerState, input_schema=IndexerInput)
    graph.add_node("ingest", ingest)
    graph.add_edge(START, "ingest")
    graph.add_edge("ingest", END)
    return graph.compile(name="indexer")
