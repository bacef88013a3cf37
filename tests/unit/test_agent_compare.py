"""The comparison branch: whichever parallel branch finishes first, evidence is merged in plan
order, so the same question gives the same passages, order and answer."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from functools import reduce
from typing import Any, get_type_hints

import pytest
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding

from rag_agent import build_agent
from rag_agent.agent.nodes import AgentNodes
from rag_agent.agent.state import State
from rag_agent.index.store import RagIndex
from rag_agent.ingest.loaders import SourceDocument
from rag_agent.models import LangChainEmbedder

TITLES = ["Avalon", "Brightwater", "Cedar Falls"]
QUESTION = "Compare the climate of Avalon, Brightwater and Cedar Falls."


class Comparison:
    """The classifier's answer for every question: a comparison."""

    def predict(self, question: str) -> tuple[str, float]:
        return "comparison", 1.0


class DelayedRetriever:
    """Two passages per target, after a delay chosen per target; records who finished when."""

    def __init__(self, delays: dict[str, float], finished: list[str]) -> None:
        self.delays, self.finished = delays, finished
        self.lock = threading.Lock()

    def invoke(self, query: str, filter: dict[str, Any] | None = None) -> list[Document]:
        name = filter["title"]
        time.sleep(self.delays[name])
        with self.lock:
            self.finished.append(name)
        return [Document(f"{name} has a {kind} climate.", id=f"{name}:{n}",
                         metadata={"doc_id": name, "title": name, "source_id": name,
                                   "score": 0.9 - n / 10})
                for n, kind in enumerate(("mild", "dry"))]


@pytest.fixture
def index(tmp_path) -> Any:
    embedder = LangChainEmbedder(DeterministicFakeEmbedding(size=32), model_id="fake-32")
    ix = RagIndex.open(tmp_path / "ix", embedder=embedder)
    ix.add_documents([SourceDocument(t, f"{t} is a city.", t, {}) for t in TITLES])
    yield ix
    ix.close()


def _run(index: Any, delays: dict[str, float], monkeypatch: pytest.MonkeyPatch) -> tuple:
    finished: list[str] = []
    retriever = DelayedRetriever(delays, finished)
    monkeypatch.setattr(AgentNodes, "_fused", lambda self, ctx, rule, **kw: retriever)
    agent = build_agent(index, classifier=Comparison())
    final = list(agent.stream({"question": QUESTION}, context={"auto_filter": False},
                              stream_mode="values"))[-1]
    return finished, final


def test_branches_finishing_in_reverse_give_the_same_evidence_order(
        index: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    forward, first = _run(index, {"Avalon": 0.0, "Brightwater": 0.25, "Cedar Falls": 0.5},
                          monkeypatch)
    backward, second = _run(index, {"Avalon": 0.5, "Brightwater": 0.25, "Cedar Falls": 0.0},
                            monkeypatch)
    assert forward == TITLES and backward == TITLES[::-1]  # the branches did finish reversed
    for final in (first, second):
        assert [e["target"] for e in final["evidence"]] == TITLES
        assert [d.id for d in final["passages"]] == [
            "Avalon:0", "Brightwater:0", "Cedar Falls:0", "Avalon:1", "Brightwater:1",
            "Cedar Falls:1"]
    assert first["answer"] == second["answer"]
    assert first["citations"] == second["citations"]


def test_the_evidence_reducer_orders_by_plan_whatever_order_writes_arrive() -> None:
    """The graph applies each branch's write through the reducer: the state must not depend
    on the order they are applied in (LangGraph happens to sort them today)."""
    reducer = get_type_hints(State, include_extras=True)["evidence"].__metadata__[0]
    writes = [[{"target": t, "order": i, "documents": []}] for i, t in enumerate(TITLES)]
    for arrived in (writes, writes[::-1], [writes[1], writes[2], writes[0]]):
        merged = reduce(reducer, arrived, [])
        assert [e["target"] for e in merged] == TITLES
    assert reducer([{"target": "x", "order": 0, "documents": []}], None) == []  # a new run


def test_offline_targets_do_not_follow_set_order() -> None:
    """Titles differing only in case are the same length: the one kept was the first in set
    order, which changes with PYTHONHASHSEED between processes. Now: the one written as in
    the question, else the first in text order."""
    code = ("from rag_agent.agent.compare import offline_targets as o; t = ['Avalon', 'AVALON', "
            "'avalon', 'Brightwater', 'BRIGHTWATER', 'Cedar']; print([[x['title'] for x in "
            "o(q, t)] for q in ('Compare the Avalon harbour and BRIGHTWATER.', "
            "'Compare the AvAlOn harbour and brightWater.')])")
    seen = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True, env={"PYTHONHASHSEED": str(seed), "PATH": ""},
                           timeout=120).stdout for seed in range(6)}
    assert seen == {"[['Avalon', 'BRIGHTWATER'], ['AVALON', 'BRIGHTWATER']]\n"}


def test_each_target_cuts_its_share_of_the_budget_as_the_rule_says(
        index: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[Any] = []
    original = AgentNodes._fused
    retriever = DelayedRetriever({t: 0.0 for t in TITLES}, [])

    def record(self: AgentNodes, ctx: Any, rule: Any, **kw: Any) -> Any:
        built.append(original(self, ctx, rule, **kw))
        return retriever

    monkeypatch.setattr(AgentNodes, "_fused", record)
    agent = build_agent(index, classifier=Comparison())
    agent.invoke({"question": QUESTION}, context={"auto_filter": False, "budget_chars": 3000})
    assert len(built) == 3
    for fused in built:  # 3,000 characters over three targets, cut in two per the rule
        assert fused.region_budget == 1000 and fused.region_share == 2
        assert fused._region_size(documents=4) == 500
