"""The graph's infer_filter node, offline, over the fake-embedder filings index."""

from typing import Any

import pytest

from rag_agent import build_agent
from rag_agent.agent.context import Context
from rag_agent.agent.nodes import AgentNodes
from rag_agent.index.store import RagIndex

QUESTION = "What was Apple's gross margin in Q3 2023?"


@pytest.fixture(scope="module")
def agent(filings_index: RagIndex) -> Any:
    return build_agent(filings_index)


def cited(result: dict[str, Any]) -> set[str]:
    return {c["source_id"] for c in result["citations"]}


def test_inferred_filter_restricts_retrieval(agent: Any, filings_index: RagIndex) -> None:
    result = agent.invoke({"question": QUESTION})
    flt = result["inferred_filter"]
    assert [m["source_id"] for m in filings_index.documents_metadata(flt)] == ["2023 Q3 AAPL"]
    assert result["citations"] and cited(result) == {"2023 Q3 AAPL"}
    assert "'Q3 2023' -> {'year': 2023, 'quarter': 'Q3'}" in result["filter_trace"]


def test_auto_filter_off(agent: Any) -> None:
    result = agent.invoke({"question": QUESTION}, context={"auto_filter": False})
    assert result["inferred_filter"] is None
    assert result["filter_trace"] == ["auto_filter is off"]
    assert len(cited(result)) > 1  # nothing restricts the search


def test_caller_filter_is_always_kept(agent: Any) -> None:
    result = agent.invoke({"question": QUESTION}, context={"filter": {"ticker": "MSFT"}})
    # Apple AND MSFT matches nothing: the inferred filter is dropped, the caller's stays
    assert result["inferred_filter"] is None
    assert result["filter_trace"][-1].endswith("inferred filter dropped")
    assert result["citations"]
    assert all(sid.endswith(" MSFT") for sid in cited(result))


def test_comparison_targets_come_from_the_inferred_periods(agent: Any) -> None:
    result = agent.invoke({"question": "How did Apple's margin in the most recent quarter "
                                       "compare to previous quarters?"})
    assert result["task"] == "comparison"
    assert result["targets"] == ["2022 Q3", "2023 Q1", "2023 Q2", "2023 Q3"]
    assert cited(result) <= {"2022 Q3 AAPL", "2023 Q1 AAPL", "2023 Q2 AAPL", "2023 Q3 AAPL"}


class FakeRuntime:
    def __init__(self, context: Context) -> None:
        self.context = context


def test_node_records_the_fallback_in_state(filings_index: RagIndex) -> None:
    nodes = AgentNodes(filings_index, classifier=None, chat_model=None)
    update = nodes.infer_filter({"question": QUESTION},
                                FakeRuntime(Context(filter={"ticker": "MSFT"})))
    assert update["inferred_filter"] is None
    assert update["filter_fallback"].endswith("inferred filter dropped")
    assert update["notes"] == [f"filter fallback: {update['filter_fallback']}"]
    assert update["target_filters"] == []
    ok = nodes.infer_filter({"question": "Apple vs Microsoft in Q2 2023"}, FakeRuntime(Context()))
    assert ok["filter_fallback"] is None and ok["notes"] == []
    assert [t["name"] for t in ok["target_filters"]] == ["Apple", "Microsoft"]


def test_node_falls_back_to_offline_when_the_llm_proposes_nonsense(
        filings_index: RagIndex) -> None:
    class Chat:
        def with_structured_output(self, schema: type, method: str = "") -> Any:
            return self

        async def ainvoke(self, prompt: str) -> dict[str, Any]:
            return {"ticker": "APPL"}

    nodes = AgentNodes(filings_index, classifier=None, chat_model=Chat())
    update = nodes.infer_filter({"question": QUESTION}, FakeRuntime(Context()))
    assert [m["source_id"] for m in filings_index.documents_metadata(
        update["inferred_filter"])] == ["2023 Q3 AAPL"]
    assert update["filter_trace"][:3] == [
        "llm proposed ticker = 'APPL', not a catalogue value: dropped",
        "llm proposed no valid field", "offline inference used"]


def test_quarters_sharing_a_year_are_two_targets(agent: Any) -> None:
    result = agent.invoke({"question": "Compare Apple's Q2 and Q3 2023 revenue"})
    assert result["targets"] == ["Q2 2023", "Q3 2023"]  # not "Apple's Q2" and "Q3 2023"
    assert cited(result) == {"2023 Q2 AAPL", "2023 Q3 AAPL"}
