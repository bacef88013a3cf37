"""Auto-retrieval under test: our retrievers behind a filter inferred from each question, over
indexes whose metadata came from a file-name template, from the documents' text, or both.

Each variant index starts as a copy of the plain index's SQLite file (the FAISS files are rebuilt
from the stored vectors on open) and is re-ingested with its metadata: no text is embedded again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rag_agent.eval.ours import AgentStrategy, as_source_documents, passage_of, scope_filter
from rag_agent.eval.types import EvalQuery, EvalSet, Passage, Retrieve
from rag_agent.index.filters import and_filters
from rag_agent.index.protocol import SearchIndex
from rag_agent.retrieval.autofilter import infer_filter
from rag_agent.retrieval.tools import make_retrievers

__all__ = ["auto_agent", "auto_strategies", "build_variant", "metadata_variants"]


def metadata_variants(data: EvalSet) -> dict[str, dict[str, Any]]:
    """Ingest options per variant; none for a set without structured metadata to infer (its
    document keys follow no template: SciFact ids, HotpotQA titles, QMSum meetings)."""
    if not data.template:
        return {}
    return {"template": {"template": data.template}, "text": {"extract": "offline"},
            "template+text": {"template": data.template, "extract": "offline"}}


def build_variant(base: SearchIndex, folder: Path, data: EvalSet, options: dict[str, Any]) -> Any:
    """An index in `folder` holding `base`'s vectors and the variant's metadata."""
    from rag_agent.index.db import DB_FILE
    from rag_agent.index.store import RagIndex

    if not (folder / DB_FILE).exists():
        base.snapshot(folder)
    index = RagIndex.open(folder, embedder=base.embedder)
    index.add_documents(as_source_documents(data.docs), **options)
    return index


def _auto(index: SearchIndex, retriever: Any) -> Retrieve:
    def retrieve(query: EvalQuery, k: int) -> list[Passage]:
        scope = scope_filter(query)
        inferred = infer_filter(index, query.text, base_filter=scope).filter
        docs = retriever.invoke(query.text, k=k, filter=and_filters(scope, inferred))
        return [passage_of(d) for d in docs]
    return retrieve


def auto_strategies(index: SearchIndex, variant: str, *, route_docs: int = 10,
                    window: int = 2) -> dict[str, Retrieve]:
    """Summary-only, sentence-window and routed parent-chunk behind the inferred filter."""
    base = make_retrievers(index, window=window, route_docs=route_docs)
    tag = f"auto [{variant}]"
    return {
        f"{tag}: summary-only": _auto(index, base["summary"]),
        f"{tag}: sentence-window (w={window})": _auto(index, base["sentence_window"]),
        f"{tag}: routed parent-chunk ({route_docs} docs)": _auto(index, base["parent_chunk"]),
    }


def auto_agent(index: SearchIndex, variant: str, *, route_docs: int = 10) -> AgentStrategy:
    """The whole agent (its filter-inference node on) over the variant index."""
    return AgentStrategy(index, route_docs=route_docs, name=f"auto [{variant}]: agent")
