"""Per-tool retrieval latency and graph overhead on an ingested SciFact index (no LLM).

    python bench/latency_bench.py --index /tmp/scifact_index [--corpus ...] [--queries N]

Builds the index first if the folder holds none (13-15 minutes). Each of the SciFact test
queries is run through each retriever (k=4; query embedding included), then through the whole
agent graph; a callback times every retriever call inside the graph, and graph overhead is the
run's time minus its retrieval time (classification, routing, extractive synthesis).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _emit import emit  # noqa: E402
from langchain_core.callbacks import BaseCallbackHandler  # noqa: E402

from rag_agent import RagIndex, build_agent, make_retrievers  # noqa: E402
from rag_agent.eval.metrics import percentiles  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "scifact"


class RetrieverTimer(BaseCallbackHandler):
    """Sums the wall time of retriever calls."""

    def __init__(self) -> None:
        self.started: dict[Any, float] = {}
        self.total = 0.0

    def on_retriever_start(self, serialized, query, *, run_id, **kwargs) -> None:  # noqa: ANN001
        self.started[run_id] = time.perf_counter()

    def on_retriever_end(self, documents, *, run_id, **kwargs) -> None:  # noqa: ANN001
        self.total += time.perf_counter() - self.started.pop(run_id)


def pct(seconds: list[float]) -> dict[str, float]:
    """p50 and p95 in ms under this benchmark's JSON keys (`p50_ms`, `p95_ms`)."""
    return {f"{key}_ms": value for key, value in percentiles(seconds, digits=1).items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--corpus", type=Path, default=DATA / "corpus.jsonl")
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    index = RagIndex.open(args.index)
    if index.stats().documents == 0:
        index.add_paths([args.corpus], progress=True)
    test_ids = {line.split("\t")[0] for line in
                (DATA / "qrels" / "test.tsv").read_text().splitlines()[1:]}
    queries = [q["text"] for q in map(json.loads, (DATA / "queries.jsonl").open())
               if q["_id"] in test_ids][: args.queries]
    retrievers = make_retrievers(index, k=4)
    agent = build_agent(index)
    for q in queries[:10]:  # warm up model, caches and the classifier fit
        for r in retrievers.values():
            r.invoke(q)
        agent.invoke({"question": q})

    result: dict[str, Any] = {"documents": index.stats().documents, "queries": len(queries)}
    for name, retriever in retrievers.items():
        times = []
        for q in queries:
            index.forget_queries()  # each call embeds its query, as a cold call would
            t0 = time.perf_counter()
            retriever.invoke(q)
            times.append(time.perf_counter() - t0)
        result[name] = pct(times)
    totals, overheads, tools = [], [], {}
    for q in queries:
        timer = RetrieverTimer()
        index.forget_queries()
        t0 = time.perf_counter()
        out = agent.invoke({"question": q}, config={"callbacks": [timer]})
        total = time.perf_counter() - t0
        totals.append(total)
        overheads.append(total - timer.total)
        tools[out["tool"]] = tools.get(out["tool"], 0) + 1
    result["graph_total"] = pct(totals)
    result["graph_overhead"] = pct(overheads)
    result["graph_tools"] = tools
    emit(result, args.out)


if __name__ == "__main__":
    sys.exit(main())
