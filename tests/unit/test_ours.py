from typing import Any

from langchain_core.documents import Document

from rag_agent.eval.ours import AgentStrategy
from rag_agent.eval.types import EvalQuery, Passage


class FakeGraph:
    """Returns a fixed final state and records the context of each run."""

    def __init__(self, final: dict[str, Any]) -> None:
        self.final = final
        self.contexts: list[dict[str, Any]] = []

    def invoke(self, state: dict[str, Any], *, context: dict[str, Any]) -> dict[str, Any]:
        self.contexts.append(context)
        return self.final


def test_agent_strategy_passes_the_spec_context_and_keeps_the_answer(filings_index) -> None:
    agent = AgentStrategy(filings_index, route_docs=2, context={"k": 10, "budget_chars": 4000})
    doc = Document("Net sales rose.", metadata={"source_id": "2023 Q1 AAPL", "kind": "child"})
    agent.agent = FakeGraph({"task": "fact", "tool": "fused", "shape": "fact",
                             "documents": [doc, doc], "passages": [doc],
                             "answer": "Net sales rose. [1]"})
    query = EvalQuery("q1", "How did sales change?", {}, scope=("2023 Q1 AAPL",))
    assert agent(query, 60) == [Passage("2023 Q1 AAPL", "Net sales rose.")]
    assert agent.agent.contexts == [{
        "k": 10, "budget_chars": 4000, "route_docs": 2,
        "filter": {"eval_key": {"$in": ["2023 Q1 AAPL"]}}}]  # the depth (60) is not passed
    assert agent.answers == {"q1": "Net sales rose. [1]"}
    assert agent.choices == {"q1": ("fact", "fused")}
    assert agent.shapes == {"q1": "fact"}  # the passages scored are those handed to synthesis


def test_agent_strategy_answer_is_the_final_state_answer(filings_index) -> None:
    agent = AgentStrategy(filings_index, route_docs=2, context={"k": 3})
    query = EvalQuery("q2", "What was Apple's gross margin in 2023 Q2?", {})
    agent(query, 20)
    final = agent.agent.invoke({"question": query.text}, context={"k": 3, "route_docs": 2,
                                                                  "filter": None})
    assert agent.answers["q2"] == final["answer"] and final["answer"]
