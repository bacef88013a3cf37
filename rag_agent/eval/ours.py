"""Our strategies under test: the three retrievers, parent-chunk without routing, and the agent."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from langchain_core.documents import Document

from rag_agent.eval.types import CorpusDoc, EvalQuery, Passage, Retrieve
from rag_agent.index.protocol import SearchIndex
from rag_agent.ingest.loaders import SourceDocument
from rag_agent.retrieval.tools import make_retrievers

__all__ = ["KEY_FIELD", "AgentStrategy", "as_source_documents", "our_strategies",
           "passage_of", "scope_filter"]

KEY_FIELD = "eval_key"
"""Metadata field holding `CorpusDoc.key`, so a query's scope becomes a metadata filter."""


def as_source_documents(docs: Iterable[CorpusDoc]) -> list[SourceDocument]:
    """The corpus as our loader would produce it (source id = key, key also in metadata)."""
    return [SourceDocument(d.key, d.text, d.title, {**d.metadata, KEY_FIELD: d.key})
            for d in docs]


def scope_filter(query: EvalQuery) -> dict[str, Any] | None:
    return {KEY_FIELD: {"$in": list(query.scope)}} if query.scope else None


def passage_of(doc: Document) -> Passage:
    meta = doc.metadata
    start, end = (meta.get("start"), meta.get("end")) if meta.get("kind") == "parent" else (None, None)
    return Passage(meta["source_id"], doc.page_content, start, end)


def _retrieve_with(retriever: Any) -> Retrieve:
    def retrieve(query: EvalQuery, k: int) -> list[Passage]:
        docs = retriever.invoke(query.text, k=k, filter=scope_filter(query))
        return [passage_of(d) for d in docs]
    return retrieve


def our_strategies(index: SearchIndex, *, route_docs: int = 10, window: int = 2,
                   hybrid: bool = False) -> dict[str, Retrieve]:
    """Our retrievers over `index` as strategies (`hybrid` adds the dense+BM25 fused ones)."""
    base = make_retrievers(index, window=window, route_docs=route_docs)
    flat = make_retrievers(index, route_docs=0)["parent_chunk"]
    out = {
        "ours: summary-only": _retrieve_with(base["summary"]),
        f"ours: sentence-window (w={window})": _retrieve_with(base["sentence_window"]),
        f"ours: routed parent-chunk ({route_docs} docs)": _retrieve_with(base["parent_chunk"]),
        "ours: parent-chunk, no routing": _retrieve_with(flat),
    }
    if hybrid:
        fused = make_retrievers(index, window=window, route_docs=route_docs, hybrid=True)
        out[f"ours: sentence-window (w={window}) + BM25 fusion"] = _retrieve_with(
            fused["sentence_window"])
        out[f"ours: routed parent-chunk ({route_docs} docs) + BM25 fusion"] = _retrieve_with(
            fused["parent_chunk"])
    return out


class AgentStrategy:
    """The whole agent graph, offline, choosing its own tool; remembers task, tool and answer
    per query.

    Its passages are those handed to synthesis (the final state's `passages`: the tool's and
    its hop's documents within the budget, or for comparisons the targets' taken in turn). The agent hands every passage to synthesis, so it runs
    with the set's own `context` (`DatasetSpec.agent_context`, e.g. `{"k": 10}`), not with the
    harness's retrieval depth.
    """

    name = "ours: agent (own tool choice)"

    def __init__(self, index: SearchIndex, *, route_docs: int = 10, name: str | None = None,
                 context: Mapping[str, Any] | None = None) -> None:
        from rag_agent.agent.graph import build_agent

        self.name = name or self.name
        self.agent = build_agent(index)
        self.route_docs = route_docs
        self.context: dict[str, Any] = dict(context or {})
        """Overrides of the agent's Context for every run, passed as given."""
        self.choices: dict[str, tuple[str, str]] = {}
        self.answers: dict[str, str] = {}
        self.shapes: dict[str, str] = {}
        """Query id -> the policy shape the agent saw."""
        """Query id -> the answer of the final state (the `synthesize` node's update)."""

    def __call__(self, query: EvalQuery, k: int) -> list[Passage]:
        context = {**self.context, "route_docs": self.route_docs, "filter": scope_filter(query)}
        final = self.agent.invoke({"question": query.text}, context=context)
        self.choices[query.qid] = (final.get("task", ""), final.get("tool", ""))
        self.answers[query.qid] = final.get("answer", "")
        self.shapes[query.qid] = final.get("shape", "")
        return [passage_of(d) for d in final.get("passages", [])]
