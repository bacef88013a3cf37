"""The three retrievers: LangChain's standard retriever suite and exact behaviour on real parts."""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

import pytest
from langchain_core.messages import ToolMessage
from langchain_core.tools import BaseTool
from langchain_tests.integration_tests import RetrieversIntegrationTests, ToolsIntegrationTests

from rag_agent import RagIndex, SourceDocument
from rag_agent.retrieval.parent_chunk import RoutedParentRetriever
from rag_agent.retrieval.sentence_window import SentenceWindowRetriever, merge_windows
from rag_agent.retrieval.summary import SummaryRetriever
from rag_agent.retrieval.tools import make_tools

pytestmark = pytest.mark.integration

TOPICS = ["volcanoes", "coral reefs", "glaciers", "deserts", "rainforests", "tundra"]


def _doc(i: int, topic: str) -> SourceDocument:
    paragraphs = [
        " ".join(f"Fact {j} about {topic}: {topic} study {i} reports observation {j}."
                 for j in range(p * 6, p * 6 + 6))
        for p in range(4)
    ]
    return SourceDocument(f"{topic}-{i}", "\n\n".join(paragraphs), f"{topic.title()} {i}",
                          {"topic": topic, "n": i})


@cache
def shared_index(where: str | None = None) -> RagIndex:
    """Built once per run and location (default: a new folder): 12 documents, each with
    several parents, on the real model."""
    from rag_agent.index.store import RagIndex as _RagIndex
    from rag_agent.settings import IndexConfig

    where = where or str(Path(tempfile.mkdtemp(prefix="rag-retrievers-")))
    index = _RagIndex.open(where, config=IndexConfig(parent_chars=300, child_tokens=48))
    index.add_documents([_doc(i, t) for t in TOPICS for i in range(2)])
    return index


class _Suite(RetrieversIntegrationTests):
    @property
    def retriever_constructor_params(self) -> dict:
        return {"index": shared_index(), "k": 2}

    @property
    def retriever_query_example(self) -> str:
        return "What do studies report about glaciers?"


class TestSummaryRetriever(_Suite):
    @property
    def retriever_constructor(self) -> type[SummaryRetriever]:
        return SummaryRetriever


class TestSentenceWindowRetriever(_Suite):
    @property
    def retriever_constructor(self) -> type[SentenceWindowRetriever]:
        return SentenceWindowRetriever


class TestRoutedParentRetriever(_Suite):
    @property
    def retriever_constructor(self) -> type[RoutedParentRetriever]:
        return RoutedParentRetriever


class _PostgresSuite(_Suite):
    """The same suite on an index in PostgreSQL (one database for the run)."""

    @pytest.fixture(autouse=True)
    def _on_postgres(self, pg_server) -> None:
        if not hasattr(pg_server, "retrievers_url"):
            pg_server.retrievers_url = pg_server.database("retrievers")
        self.index = shared_index(pg_server.retrievers_url)

    @property
    def retriever_constructor_params(self) -> dict:
        return {"index": self.index, "k": 2}


class TestSummaryRetrieverPostgres(_PostgresSuite):
    retriever_constructor = TestSummaryRetriever.retriever_constructor


class TestSentenceWindowRetrieverPostgres(_PostgresSuite):
    retriever_constructor = TestSentenceWindowRetriever.retriever_constructor


class TestRoutedParentRetrieverPostgres(_PostgresSuite):
    retriever_constructor = TestRoutedParentRetriever.retriever_constructor


SENTENCES = [
    "The museum opens at nine in the morning.",
    "Tickets cost twelve euros for adults.",
    "The east wing shows Roman coins.",
    "A cafe on the roof serves espresso and cake.",
    "Photography without flash is allowed everywhere.",
    "The library holds forty thousand rare books.",
    "Guided tours leave every hour from the lobby.",
]


def test_sentence_window_is_exactly_the_neighbours(tmp_path: Path, real_embedder) -> None:
    with RagIndex.open(tmp_path / "ix", embedder=real_embedder) as index:
        index.add_documents([SourceDocument("museum", " ".join(SENTENCES), "Museum", {}),
                             SourceDocument("other", "Bananas are yellow. Apples are red.",
                                            "Fruit", {})])
        retriever = SentenceWindowRetriever(index=index, k=1, window=1, context=False)
        best = retriever.invoke("Where can I drink coffee?")[0]
        assert best.metadata["matched_sentence"] == SENTENCES[3]
        assert best.page_content == " ".join(SENTENCES[2:5])
        assert (best.metadata["window_start"], best.metadata["window_end"]) == (2, 4)
        edge = SentenceWindowRetriever(index=index, k=1, window=2,
                                       context=False).invoke("opening hours")[0]
        assert edge.metadata["matched_sentence"] == SENTENCES[0]
        assert edge.page_content == " ".join(SENTENCES[0:3])  # clipped at the first sentence
        docs = retriever.invoke("museum", k=3)
        assert len(docs) == 3
        positions = [(d.metadata["doc_id"], p) for d in docs
                     for p in range(d.metadata["window_start"], d.metadata["window_end"] + 1)]
        assert len(positions) == len(set(positions))  # no sentence in two passages
        scores = [d.metadata["score"] for d in docs]
        assert scores == sorted(scores, reverse=True)


def test_sentence_hits_are_judged_with_their_child_and_summary() -> None:
    """With context (the default) windows are ordered by cosine + 0.5 x child's cosine +
    0.25 x summary's, computed here from the index's own searches; without, by cosine."""
    from rag_agent.retrieval.sentence_window import CHILD_WEIGHT, SUMMARY_WEIGHT

    index, query = shared_index(), "What do studies report about glaciers?"
    vec = index.embed_query(query)
    docs = SentenceWindowRetriever(index=index, k=6).invoke(query)
    assert len(docs) == 6
    doc_ids = sorted({d.metadata["doc_id"] for d in docs})
    child = index.sentence_child_scores(vec, doc_ids)
    summary = {h.doc_id: h.score for h in index.search(vec, kind="summary", k=len(doc_ids),
                                                       doc_ids=doc_ids)}
    expected = []
    for d in docs:
        meta = d.metadata
        expected.append(meta["score"] + CHILD_WEIGHT * float(child[meta["doc_id"]][
            meta["position"]]) + SUMMARY_WEIGHT * summary[meta["doc_id"]])
    assert [d.metadata["context_score"] for d in docs] == pytest.approx(expected, abs=1e-5)
    assert expected == sorted(expected, reverse=True)
    alone = SentenceWindowRetriever(index=index, k=6, context=False).invoke(query)
    assert "context_score" not in alone[0].metadata
    scores = [d.metadata["score"] for d in alone]
    assert scores == sorted(scores, reverse=True)


def test_merge_windows_joins_overlapping_windows() -> None:
    class H:
        def __init__(self, doc: str, pos: int, score: float) -> None:
            self.doc_id, self.position, self.score, self.text = doc, pos, score, ""

    hits = [H("b", 0, 0.95), H("a", 5, 0.9), H("a", 7, 0.8), H("a", 6, 0.75), H("a", 13, 0.7),
            H("a", 11, 0.6), H("b", 3, 0.5)]
    merged = merge_windows(hits, window=1)
    # a: [4,6]+[6,8] share 6, 6 is already covered, [10,12]+[12,14] share 12;
    # b: [0,1] and [2,4] only touch, so they stay two passages (no sentence is repeated)
    assert [(w.doc_id, w.first, w.last, round(w.score, 2), sorted(w.hits)) for w in merged] == [
        ("b", 0, 1, 0.95, [0]), ("a", 4, 8, 0.9, [5, 6, 7]), ("a", 10, 14, 0.7, [11, 13]),
        ("b", 2, 4, 0.5, [3])]
    # with k=2 the first two passages are final: later hits extend nothing
    assert [(w.doc_id, w.first, w.last) for w in merge_windows(hits, 1, k=2)] == [
        ("b", 0, 1), ("a", 4, 6)]


def test_routed_parents_are_distinct_scored_and_inside_routed_docs() -> None:
    index = shared_index()
    retriever = RoutedParentRetriever(index=index, k=3, route_docs=1)
    docs = retriever.invoke("coral reefs observation")
    assert len(docs) == 3
    assert len({d.metadata["parent_id"] for d in docs}) == 3
    assert {d.metadata["topic"] for d in docs} == {"coral reefs"}
    assert len({d.metadata["doc_id"] for d in docs}) == 1  # all inside the one routed document
    scores = [d.metadata["score"] for d in docs]
    assert scores == sorted(scores, reverse=True) and all(s > 0 for s in scores)
    # k larger than the routed document's parents: the route widens to fill k
    more = retriever.invoke("coral reefs observation", k=6)
    assert len(more) == 6 and len({d.metadata["parent_id"] for d in more}) == 6


def test_filters_and_tenant_apply_to_all_three() -> None:
    index = shared_index()
    for cls in (SummaryRetriever, SentenceWindowRetriever, RoutedParentRetriever):
        docs = cls(index=index, k=2, filter={"topic": "deserts"}).invoke("volcanoes erupt")
        assert docs and {d.metadata["topic"] for d in docs} == {"deserts"}, cls
        assert cls(index=index, k=2, tenant="other").invoke("volcanoes") == [], cls


def test_tools_return_cited_text() -> None:
    tools = {t.name: t for t in make_tools(shared_index(), k=1)}
    assert set(tools) == {"search_summaries", "search_sentences", "search_passages"}
    out = tools["search_sentences"].invoke({"query": "tundra observation 3"})
    assert out.startswith("[1] Tundra ") and "(tundra-" in out and " score 0." in out


def test_tools_take_k_and_filter_and_return_documents() -> None:
    tool = {t.name: t for t in make_tools(shared_index(), k=1)}["search_passages"]
    assert set(tool.args) == {"query", "k", "filter"} and tool.args["k"]["default"] == 1
    # the description is ours and lists the fields a filter may use, with values
    assert "paragraphs" in tool.description and "topic (str): " in tool.description
    msg = tool.invoke({"type": "tool_call", "id": "c1", "name": tool.name, "args": {
        "query": "observation", "k": 3, "filter": {"topic": "glaciers"}}})
    assert isinstance(msg, ToolMessage) and msg.status == "success"
    assert len(msg.artifact) == 3 and {d.metadata["topic"] for d in msg.artifact} == {"glaciers"}
    scores = [d.metadata["score"] for d in msg.artifact]
    assert scores == sorted(scores, reverse=True)
    assert msg.content.count("\n\n[") == 2 and f"score {scores[0]:.2f}" in msg.content


def test_tool_errors_are_messages_the_model_can_act_on() -> None:
    tool = {t.name: t for t in make_tools(shared_index())}["search_sentences"]
    unknown = tool.invoke({"type": "tool_call", "id": "c2", "name": tool.name,
                           "args": {"query": "ice", "filter": {"colour": "blue"}}})
    assert unknown.status == "error" and "colour" in unknown.content
    bad = tool.invoke({"type": "tool_call", "id": "c3", "name": tool.name,
                       "args": {"query": "ice", "filter": {"$near": 1}}})
    assert bad.status == "error" and "invalid filter" in bad.content


class _ToolSuite(ToolsIntegrationTests):
    name = ""

    @property
    def tool_constructor(self) -> BaseTool:
        return {t.name: t for t in make_tools(shared_index(), k=2)}[self.name]

    @property
    def tool_invoke_params_example(self) -> dict:
        return {"query": "What do studies report about glaciers?", "k": 2,
                "filter": {"topic": "glaciers"}}


class TestSummariesTool(_ToolSuite):
    name = "search_summaries"


class TestSentencesTool(_ToolSuite):
    name = "search_sentences"


class TestPassagesTool(_ToolSuite):
    name = "search_passages"
