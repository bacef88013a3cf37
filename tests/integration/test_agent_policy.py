"""The measured policy on real data: bridge questions hop, topic summaries get passages spread
over their meeting, comparisons get their own evidence (real model, FAISS and SQLite)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag_agent import RagIndex, SourceDocument
from rag_agent.agent.graph import build_agent
from rag_agent.eval.datasets import load_dataset

pytestmark = [pytest.mark.integration, pytest.mark.data]

RECORDS = 12


@pytest.fixture(scope="module")
def hotpot(tmp_path_factory: pytest.TempPathFactory, real_embedder,
           shared_data: Path) -> tuple[RagIndex, list[dict]]:
    """The pooled paragraphs of the first HotpotQA dev records (their distractors included)."""
    path = shared_data / "hotpotqa_dev_103" / "hotpot_dev_distractor_v1_first103.json"
    records = json.loads(path.read_text(encoding="utf-8"))[:RECORDS]
    docs: dict[str, SourceDocument] = {}
    for rec in records:
        for title, sentences in rec["context"]:
            docs.setdefault(title, SourceDocument(title, "".join(sentences).strip(), title, {}))
    ix = RagIndex.open(tmp_path_factory.mktemp("hotpot") / "ix", embedder=real_embedder)
    ix.add_documents(list(docs.values()))
    yield ix, records
    ix.close()


def test_a_bridge_question_makes_a_second_hop_to_the_document_its_passage_names(hotpot) -> None:
    index, records = hotpot
    agent = build_agent(index)
    rec = next(r for r in records if r["question"].startswith("What government position"))
    out = agent.invoke({"question": rec["question"]}, context={"budget_chars": None, "k": 10})
    assert out["task"] == "fact" and out["hops"], out.get("hops")
    hop = out["hops"][0]
    assert hop["via"] == "titles named in passages"
    assert "Shirley Temple" in hop["found"]  # named by the film's paragraph, not the question
    titles = [d.metadata["title"] for d in out["passages"]]
    assert titles.index("Shirley Temple") <= 2  # placed right after the passage naming it


def test_hops_find_the_second_supporting_paragraph_more_often(hotpot) -> None:
    index, records = hotpot
    bridge = [r for r in records if r["type"] == "bridge"]
    found = {}
    for hops in (0, 1):
        agent = build_agent(index)
        hits = 0
        for rec in bridge:
            out = agent.invoke({"question": rec["question"]},
                               context={"budget_chars": None, "k": 5, "max_hops": hops})
            gold = {t for t, _ in rec["supporting_facts"]}
            hits += len(gold & {d.metadata["title"] for d in out["passages"]})
        found[hops] = hits
    assert found[1] > found[0], found  # the hop adds supporting paragraphs among the first 5


def test_topic_summary_goes_to_spread_passages_and_whole_summary_to_summaries(
        tmp_path: Path, real_embedder, shared_data: Path) -> None:
    data = load_dataset("qmsum", shared_data)
    topic = next(q for q in data.queries if q.qtype == "specific summary")
    meeting = next(d for d in data.docs if (d.key,) == topic.scope)
    with RagIndex.open(tmp_path / "ix", embedder=real_embedder) as index:
        index.add_documents([SourceDocument(meeting.key, meeting.text, meeting.title, {})])
        agent = build_agent(index)
        out = agent.invoke({"question": topic.text})
        assert (out["task"], out["shape"], out["tool"]) == ("summary", "topic_summary", "fused")
        kinds = {d.metadata["kind"] for d in out["passages"]}
        assert kinds == {"region"}  # never the whole-meeting summary
        assert sum(len(d.page_content) for d in out["passages"]) <= 4000
        whole = agent.invoke({"question": "Summarize the whole meeting."})
        assert whole["shape"] == "whole_summary"
        assert whole["passages"][0].metadata["kind"] == "summary"
