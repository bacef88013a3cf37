"""The loaders on the real evaluation sets (../shared/data, read in place)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from rag_agent.eval.datasets import load_dataset, scifact_train_labels

pytestmark = [pytest.mark.data]


def test_scifact(shared_data: Path) -> None:
    data = load_dataset("scifact", shared_data)
    assert (len(data.docs), len(data.queries)) == (5183, 300)
    keys = {d.key for d in data.docs}
    assert all(set(q.gold) <= keys for q in data.queries)


def test_sec10q_gold_filings_and_types(shared_data: Path) -> None:
    data = load_dataset("sec10q", shared_data)
    assert len(data.docs) == 20 and len(data.queries) == 131
    assert Counter(q.qtype for q in data.queries) == {
        "Single-Doc Single-Chunk RAG": 51, "Multi-Doc RAG": 44, "Single-Doc Multi-Chunk RAG": 36}
    assert {q.task for q in data.queries} == {"fact", "comparison", None}
    first = data.queries[0]
    assert first.text == "How has Apple's total net sales changed over time?"
    assert sorted(first.gold) == ["2022 Q3 AAPL", "2023 Q1 AAPL", "2023 Q2 AAPL", "2023 Q3 AAPL"]
    assert all(len(q.gold) in (1, 4) for q in data.queries)


def test_hotpotqa_pooled_paragraphs(shared_data: Path) -> None:
    data = load_dataset("hotpotqa", shared_data)
    assert len(data.queries) == 103 and len(data.docs) == 1021
    assert Counter(q.qtype for q in data.queries) == {"bridge": 82, "comparison": 21}
    keys = {d.key for d in data.docs}
    assert all(len(q.gold) == 2 and set(q.gold) <= keys for q in data.queries)


def test_qmsum_spans_point_at_the_gold_turns(shared_data: Path) -> None:
    data = load_dataset("qmsum", shared_data)
    assert len(data.docs) == 35 and len(data.queries) == 272
    assert Counter(q.task for q in data.queries) == {"fact": 180, "summary": 92}
    text = {d.key: d.text for d in data.docs}
    specific = [q for q in data.queries if q.qtype != "general"]
    assert all(q.spans for q in specific)
    for q in specific:
        doc = text[q.scope[0]]
        for start, end in q.spans:
            # a span starts at a turn ("Speaker: ...") and ends at a turn's end
            assert start == 0 or doc[start - 1] == "\n"
            assert end == len(doc) or doc[end] == "\n"
            assert ": " in doc[start:end].split("\n")[0]
    general = [q for q in data.queries if q.qtype == "general"]
    assert len(general) == 35 and all(q.topics and not q.spans for q in general)


@pytest.mark.parametrize("name", ["scifact", "sec10q", "hotpotqa", "qmsum"])
def test_quick_slices_hold_their_gold_documents(shared_data: Path, name: str) -> None:
    data = load_dataset(name, shared_data, quick=True)
    keys = {d.key for d in data.docs}
    assert 0 < len(data.queries) <= 20
    assert all(set(q.gold) <= keys for q in data.queries)
    # every question type of the full set is in the slice
    assert {q.qtype for q in data.queries} == {q.qtype for q in load_dataset(name, shared_data).queries}


def test_scifact_train_labels_never_hold_a_test_claim(shared_data: Path) -> None:
    labels = scifact_train_labels(shared_data)
    test = load_dataset("scifact", shared_data)
    corpus = {d.key for d in test.docs}
    assert len(labels) == 807 and all(q.source_ids for q in labels)  # 809 less 2 repeats
    assert {s for q in labels for s in q.source_ids} <= corpus
    assert not {q.query for q in labels} & {q.text for q in test.queries}
