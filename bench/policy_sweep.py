"""The runs behind the agent's tool policy (`rag_agent/agent/policy.py`).

For one evaluation set, every candidate retrieval configuration answers every query; scores
are grouped by the question shape the policy sees (`question_shape`, from the query's task
label), so each row of the policy table can cite the figures that chose it.

    .venv/bin/python bench/policy_sweep.py hotpotqa --workdir /tmp/rag_agent_eval \
        --out bench/results/policy_hotpotqa.json

It opens the index `rag-agent eval` built in `--workdir` (run that first). Budgets: the set's
agent context (`DatasetSpec.agent_context`); passages are cut to it as the agent cuts them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from rag_agent.agent.policy import question_shape
from rag_agent.eval.datasets import SPECS, load_dataset
from rag_agent.eval.ours import passage_of, scope_filter
from rag_agent.eval.scoring import TextLocator
from rag_agent.index.store import RagIndex
from rag_agent.retrieval.budget import fit_budget
from rag_agent.retrieval.fused import FusedRetriever
from rag_agent.retrieval.hops import TitleMatcher, title_hop
from rag_agent.retrieval.tools import make_retrievers

DENSE = ("summary", "child", "sentence")
KEYWORD = ("child_keyword", "sentence_keyword")


def candidates(index: Any, route_docs: int, budget: int | None) -> dict[str, Any]:
    """name -> retriever (or (retriever, hop)) under test."""
    tools = make_retrievers(index, route_docs=route_docs)
    hybrid = make_retrievers(index, route_docs=route_docs, hybrid=True)
    chars = budget or 1500
    out: dict[str, Any] = {
        "summary": tools["summary"],
        "sentence_window": tools["sentence_window"],
        "parent_chunk": tools["parent_chunk"],
        "parent_chunk+bm25": hybrid["parent_chunk"],
        "sentence_window+bm25": hybrid["sentence_window"],
    }
    for name, signals in {"sum+child": ("summary", "child"), "dense": DENSE,
                          "dense+bm25": DENSE + KEYWORD,
                          "child+sent+bm25": ("child", "sentence") + KEYWORD}.items():
        for regions in (1, 2, 4):
            size = chars // regions if budget else chars
            out[f"fused[{name}] region x{regions}"] = FusedRetriever(
                index=index, signals=signals, route_docs=max(route_docs, 10),
                region_chars=size, regions_per_doc=regions)
        out[f"fused[{name}] parent"] = FusedRetriever(
            index=index, signals=signals, route_docs=max(route_docs, 10), passage="parent")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dataset", choices=list(SPECS))
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/rag_agent_eval"))
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--only", action="append", default=None, help="candidate name substring")
    ap.add_argument("--hop", action="store_true", help="also each candidate + a title hop")
    args = ap.parse_args()
    spec = SPECS[args.dataset]
    data = load_dataset(args.dataset, args.data)
    index = RagIndex.open(args.workdir / args.dataset / "ours", create=False)
    ctx = dict(spec.agent_context)
    k, budget = int(ctx.get("k", 10)), ctx.get("budget_chars")
    locator = TextLocator(data.docs) if spec.needs_locator else None
    pool = candidates(index, spec.route_docs, budget)
    if args.only:
        pool = {n: r for n, r in pool.items() if any(o in n for o in args.only)}
    matcher = TitleMatcher(index.titles()) if args.hop else None
    runs: dict[str, tuple[Any, bool]] = {n: (r, False) for n, r in pool.items()}
    if args.hop:
        runs.update({f"{n} + hop": (r, True) for n, r in pool.items()})
    table: dict[str, dict[str, dict[str, float]]] = {}
    for name, (retriever, hop) in runs.items():
        groups: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        t0 = time.perf_counter()
        for q in data.queries:
            flt = scope_filter(q)
            docs = retriever.invoke(q.text, k=k, filter=flt)
            if hop and matcher is not None:
                parents = {d.id: d.page_content for d in docs}
                docs, _ = title_hop(retriever, q.text, docs, matcher, parents, base_filter=flt)
            docs = fit_budget(docs, budget, k)
            scores = spec.score(q, [passage_of(d) for d in docs], locator)
            shape = question_shape(q.text, q.task or "fact")
            for group in ("all", f"shape:{shape}", f"type:{q.qtype}"):
                for m, v in scores.items():
                    groups[group][m].append(v)
        table[name] = {g: {m: round(float(np.mean(v)), 4) for m, v in ms.items()}
                       for g, ms in groups.items()}
        table[name]["all"]["ms_per_query"] = round(
            1000 * (time.perf_counter() - t0) / len(data.queries), 1)
        head = spec.headline
        line = " ".join(f"{g}={v.get(head, float('nan')):.3f}" for g, v in table[name].items())
        print(f"{name:40s} {line}", flush=True)
    result = {"dataset": args.dataset, "headline": spec.headline, "k": k, "budget": budget,
              "candidates": table}
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
