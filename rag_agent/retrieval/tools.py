"""The three retrievers as LangChain tools, so another agent can call them."""

from __future__ import annotations

from typing import Any

from langchain_core.prompts import PromptTemplate
from langchain_core.tools import BaseTool, create_retriever_tool

from rag_agent.retrieval.parent_chunk import RoutedParentRetriever
from rag_agent.retrieval.sentence_window import SentenceWindowRetriever
from rag_agent.retrieval.summary import SummaryRetriever
from rag_agent.settings import DEFAULT_TENANT

__all__ = ["make_retrievers", "make_tools"]

_CITED = PromptTemplate.from_template("[{title}] ({source_id})\n{page_content}")


def make_retrievers(
    index: Any,
    *,
    k: int = 4,
    window: int = 2,
    route_docs: int = 4,
    filter: dict[str, Any] | None = None,
    tenant: str = DEFAULT_TENANT,
    hybrid: bool = False,
) -> dict[str, Any]:
    """The three retrievers over `index`, keyed by tool name; `hybrid` fuses dense and BM25
    keyword rankings (reciprocal rank, k=60) in every ranking stage."""
    common = {"index": index, "k": k, "filter": filter, "tenant": tenant, "hybrid": hybrid}
    return {
        "summary": SummaryRetriever(**common),
        "sentence_window": SentenceWindowRetriever(window=window, **common),
        "parent_chunk": RoutedParentRetriever(route_docs=route_docs, **common),
    }


_DESCRIPTIONS = {
    "summary": "Find whole documents by topic and return their summaries. Use for questions "
               "that ask what a document or the collection is about, or to summarize.",
    "sentence_window": "Find the exact sentences that answer a precise factual question, each "
                       "with a few neighbouring sentences of context.",
    "parent_chunk": "Find the documents about a topic first, then the passages inside them "
                    "that match best. Use for questions needing a paragraph of context.",
}


def make_tools(index: Any, **options: Any) -> list[BaseTool]:
    """`search_summaries`, `search_sentences`, `search_passages` tools over `index`."""
    names = {"summary": "search_summaries", "sentence_window": "search_sentences",
             "parent_chunk": "search_passages"}
    return [
        create_retriever_tool(retriever, names[key], _DESCRIPTIONS[key], document_prompt=_CITED)
        for key, retriever in make_retrievers(index, **options).items()
    ]
