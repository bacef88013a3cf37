"""The retrievers as LangChain tools, so another agent (`create_agent`, a supervisor) can call
them: `query`, `k` and a metadata `filter` as arguments, numbered cited passages as content and
the `Document`s (scores, ids, positions) as the artifact (`response_format="content_and_artifact"`).
"""

from __future__ import annotations

import asyncio
from typing import Any

from langchain_core.documents import Document
from langchain_core.tools import BaseTool, StructuredTool, ToolException
from pydantic import BaseModel, Field

from rag_agent.errors import InvalidFilterError
from rag_agent.index.protocol import SearchIndex
from rag_agent.retrieval.parent_chunk import RoutedParentRetriever
from rag_agent.retrieval.sentence_window import SentenceWindowRetriever
from rag_agent.retrieval.summary import SummaryRetriever
from rag_agent.settings import DEFAULT_TENANT

__all__ = ["SearchArgs", "format_results", "make_retrievers", "make_tools"]

MAX_K = 20


def make_retrievers(
    index: SearchIndex,
    *,
    k: int = 4,
    window: int = 2,
    route_docs: int = 4,
    filter: dict[str, Any] | None = None,
    tenant: str = DEFAULT_TENANT,
    hybrid: bool = False,
    adapter: bool | None = None,
) -> dict[str, Any]:
    """The three retrievers over `index`, keyed by tool name; `hybrid` fuses dense and BM25
    keyword rankings (reciprocal rank, k=60) in every ranking stage; `adapter` as in
    `RagIndex.embed_query`."""
    common = {"index": index, "k": k, "filter": filter, "tenant": tenant, "hybrid": hybrid,
              "adapter": adapter}
    return {
        "summary": SummaryRetriever(**common),
        "sentence_window": SentenceWindowRetriever(window=window, **common),
        "parent_chunk": RoutedParentRetriever(route_docs=route_docs, **common),
    }


class SearchArgs(BaseModel):
    """The arguments every search tool takes."""

    query: str = Field(description="What to look for, in the words the documents would use.")
    k: int = Field(default=4, ge=1, le=MAX_K, description="How many results to return.")
    filter: dict[str, Any] | None = Field(default=None, description=(
        'Optional metadata filter, MongoDB-style: {"year": 2023}, '
        '{"ticker": {"$in": ["AAPL", "MSFT"]}}, {"year": {"$gte": 2022}}; several fields in '
        "one object are AND-ed. Use only the fields listed in the tool description."))


_DESCRIPTIONS = {
    "summary": ("search_summaries",
                "Find whole documents by topic and return their summaries. Use it for what a "
                "document or the collection is about, to summarize, or to see which documents "
                "exist before reading passages."),
    "sentence_window": ("search_sentences",
                        "Find the exact sentences that answer a precise factual question, each "
                        "with a few neighbouring sentences of context. Best for names, numbers, "
                        "dates and definitions."),
    "parent_chunk": ("search_passages",
                     "Find the documents about a topic first, then the paragraphs inside them "
                     "that match best. Use it for questions that need a paragraph of context "
                     "(how, why, explanations)."),
}


def format_results(docs: list[Document]) -> str:
    """Numbered passages with title, source and score: what the calling model reads."""
    if not docs:
        return "No matching passages."
    blocks = []
    for n, doc in enumerate(docs, start=1):
        meta = doc.metadata
        score = meta.get("score")
        head = f"[{n}] {meta.get('title') or meta.get('source_id', '')} ({meta.get('source_id')})"
        blocks.append(head + (f" score {score:.2f}" if isinstance(score, float) else "")
                      + "\n" + doc.page_content)
    return "\n\n".join(blocks)


def _described(purpose: str, index: SearchIndex, tenant: str) -> str:
    fields = index.catalogue(tenant=tenant).field_summary()
    if not fields:
        return purpose + " The documents have no metadata fields to filter on."
    return (purpose + " Results are numbered [n] with title, source and score; cite them by "
            "number. Filterable fields (with common values):\n" + fields)


def _tool(key: str, retriever: Any, index: SearchIndex, tenant: str, default_k: int) -> BaseTool:
    name, purpose = _DESCRIPTIONS[key]

    def search(query: str, k: int = default_k,
               filter: dict[str, Any] | None = None) -> tuple[str, list[Document]]:
        unknown = index.catalogue(tenant=tenant).unknown_fields(filter)
        if unknown:
            raise ToolException(f"no document has field(s) {', '.join(unknown)}; filter only on "
                                f"the fields listed in the {name} description")
        try:
            docs = retriever.invoke(query, k=k, **({"filter": filter} if filter else {}))
        except InvalidFilterError as exc:
            raise ToolException(f"invalid filter: {exc}") from exc
        return format_results(docs), docs

    async def asearch(query: str, k: int = default_k,
                      filter: dict[str, Any] | None = None) -> tuple[str, list[Document]]:
        return await asyncio.to_thread(search, query, k, filter)

    args = type(f"{name}_args", (SearchArgs,), {"__annotations__": {"k": int},
                                                "k": Field(default=default_k, ge=1, le=MAX_K,
                                                           description="How many results to "
                                                                       "return.")})
    return StructuredTool.from_function(
        func=search, coroutine=asearch, name=name, description=_described(purpose, index, tenant),
        args_schema=args, response_format="content_and_artifact", handle_tool_error=True)


def make_tools(index: SearchIndex, **options: Any) -> list[BaseTool]:
    """`search_summaries`, `search_sentences`, `search_passages` over `index` (options as in
    `make_retrievers`; `k` is the default of each call's `k`). The descriptions list the
    index's filterable fields as they are when the tools are made."""
    tenant = options.get("tenant", DEFAULT_TENANT)
    default_k = min(int(options.get("k", 4)), MAX_K)
    return [_tool(key, retriever, index, tenant, default_k)
            for key, retriever in make_retrievers(index, **options).items()]
