"""Shared by the SciFact fine-tuning benches (adapter_scifact.py, finetune_scifact.py): test
claims split by whether their gold abstracts are cited in train, and base against tuned scores
of our strategies and the agent."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from rag_agent.eval.datasets import SPECS, load_dataset, scifact_train_labels
from rag_agent.eval.ours import AgentStrategy, our_strategies
from rag_agent.eval.runner import evaluate
from rag_agent.index.store import RagIndex

SEEN, UNSEEN = "gold also cited in train", "gold never cited in train"
SPEC = SPECS["scifact"]


def split_test_claims(data_dir: Path) -> tuple[Any, list[Any]]:
    """(the SciFact test set with each claim typed SEEN or UNSEEN, the train labels): an
    embedder can learn which documents get cited, so UNSEEN claims are the honest measure of
    what it learned about queries."""
    data = load_dataset("scifact", data_dir)
    labels = scifact_train_labels(data_dir)
    cited = {s for q in labels for s in q.source_ids}
    return dataclasses.replace(data, queries=[
        dataclasses.replace(q, qtype=SEEN if set(q.gold) & cited else UNSEEN)
        for q in data.queries]), labels


def claim_counts(data: Any) -> dict[str, int]:
    return {t: sum(q.qtype == t for q in data.queries) for t in (SEEN, UNSEEN)}


def score_into(scores: dict, label: str, index: RagIndex, data: Any) -> None:
    """Run our strategies (with BM25 fusion) and the agent on `index`; scores[name][label]."""
    for q in data.queries:  # every query embedded once, before any timing
        index.embed_query(q.text)
    strategies = our_strategies(index, route_docs=SPEC.route_docs, hybrid=True)
    strategies["ours: agent"] = AgentStrategy(index, route_docs=SPEC.route_docs,
                                              context=dict(SPEC.agent_context))
    for name, r in evaluate(data, strategies).items():
        scores.setdefault(name, {})[label] = {
            "all": r["all"][SPEC.headline],
            **{t: r["by_type"][t][SPEC.headline] for t in (SEEN, UNSEEN)},
            "p50_ms": r["latency_ms"].get("p50")}
