"""The runs behind the agent's tool policy (`rag_agent/agent/policy.py`).

For one evaluation set, the whole agent (offline) answers every query once per candidate rule
of one question shape, the other shapes keeping their policy rule; queries are grouped by the
shape the agent gave them, so each row of the policy table cites the figures that chose it.
The plain tools run too, for reference.

    .venv/bin/python bench/policy_sweep.py sec10q --workdir /tmp/rag_agent_eval \\
        --out bench/results/policy_sec10q.json

It opens the index that `rag-agent eval` built in `--workdir` (run that first) and runs the
agent with the set's context (`DatasetSpec.agent_context`), as the harness does.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from rag_agent.agent.graph import build_agent
from rag_agent.agent.policy import POLICY, Rule
from rag_agent.eval.datasets import SPECS, load_dataset
from rag_agent.eval.ours import passage_of, scope_filter
from rag_agent.eval.scoring import TextLocator, score_answer
from rag_agent.index.store import RagIndex
from rag_agent.retrieval.tools import make_retrievers

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _emit import save  # noqa: E402

DENSE = ("summary", "child", "sentence")
SIGNALS = {"sum+child": (("summary", "child"), "never"), "dense": (DENSE, "never"),
           "dense+bm25 always": (DENSE, "always"), "dense+bm25 rare words": (DENSE, "rare")}


def variants() -> dict[str, tuple[str, Rule]]:
    """name -> (shape, candidate rule)."""
    out: dict[str, tuple[str, Rule]] = {}
    fact = POLICY["fact"]
    for name, (signals, keyword) in SIGNALS.items():
        for hops in (0, 1):
            out[f"fact: {name}, hops={hops}, 1 region per document"] = (
                "fact", replace(fact, signals=signals, keyword=keyword, hops=hops,
                                regions_per_doc=1, region_share=1))
    out["fact: dense+bm25 rare words, hops=1, 2 regions per document"] = (
        "fact", replace(fact, regions_per_doc=2, region_share=2))
    topic = POLICY["topic_summary"]
    for n in (1, 2, 4):
        out[f"topic_summary: {n} region(s)"] = ("topic_summary", replace(
            topic, regions_per_doc=n, region_share=n))
    whole = POLICY["whole_summary"]
    for n in (4, 8, 12):
        for summaries in (True, False):
            out[f"whole_summary: {n} regions{' + summaries' if summaries else ''}"] = (
                "whole_summary", replace(whole, regions_per_doc=n, region_share=n,
                                         with_summary=summaries))
    for shape in ("fact", "topic_summary", "whole_summary", "comparison"):
        rule = POLICY[shape]
        out[f"{shape}: policy, child context {'off' if rule.child_context else 'on'}"] = (
            shape, replace(rule, child_context=not rule.child_context))
    comparison = POLICY["comparison"]
    for name, (signals, keyword) in SIGNALS.items():
        out[f"comparison: {name}, 3 regions per document"] = ("comparison", replace(
            comparison, signals=signals, keyword=keyword, regions_per_doc=3))
    out["comparison: dense+bm25 rare words, 1 region per document"] = ("comparison", replace(
        comparison, regions_per_doc=1))
    return out


def _score(spec: Any, query: Any, docs: list[Any], answer: str | None,
           locator: Any) -> dict[str, float]:
    scores = spec.score(query, [passage_of(d) for d in docs], locator)
    if answer is not None and spec.answer_metrics and query.answer:
        scores.update(score_answer(query, answer, spec.answer_metrics, spec.answer_chars))
    return scores


def _mean(groups: dict[str, dict[str, list[float]]]) -> dict[str, dict[str, float]]:
    return {g: {m: round(float(np.mean(v)), 4) for m, v in ms.items()}
            | {"queries": max(map(len, ms.values()))} for g, ms in groups.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dataset", choices=list(SPECS))
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/rag_agent_eval"))
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--only", action="append", default=None,
                    help="run only candidates whose name contains this (repeatable)")
    args = ap.parse_args()
    spec = SPECS[args.dataset]
    data = load_dataset(args.dataset, args.data)
    index = RagIndex.open(args.workdir / args.dataset / "ours", create=False)
    context = {**spec.agent_context, "route_docs": spec.route_docs}
    locator = TextLocator(data.docs) if spec.needs_locator else None
    shapes: dict[str, str] = {}
    table: dict[str, Any] = {}

    tools = make_retrievers(index, route_docs=spec.route_docs, k=int(context.get("k", 10)))
    for name, retriever in tools.items():
        if args.only and not any(o in name for o in args.only):
            continue
        groups: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        for q in data.queries:
            docs = retriever.invoke(q.text, filter=scope_filter(q))
            for m, v in _score(spec, q, docs, None, locator).items():
                groups["all"][m].append(v)
        table[f"tool: {name}"] = _mean(groups)
        print(f"tool: {name:60s} {table[f'tool: {name}']['all'].get(spec.headline, 0):.3f}",
              flush=True)

    runs = {"policy": ("", POLICY["fact"])} | variants()
    for name, (shape, rule) in runs.items():
        if args.only and not any(o in name for o in args.only) and name != "policy":
            continue
        if shape and shapes and shape not in set(shapes.values()):
            continue  # the set has no question of this shape
        policy = dict(POLICY) if not shape else {**POLICY, shape: rule}
        agent = build_agent(index, policy=policy)
        groups = defaultdict(lambda: defaultdict(list))
        t0 = time.perf_counter()
        for q in data.queries:
            if shape and shapes and shapes.get(q.qid) != shape:
                continue
            out = agent.invoke({"question": q.text}, context={**context,
                                                             "filter": scope_filter(q)})
            shapes.setdefault(q.qid, out.get("shape", ""))
            for m, v in _score(spec, q, out.get("passages", []), out.get("answer", ""),
                               locator).items():
                for group in ("all", f"shape:{out.get('shape')}", f"type:{q.qtype}"):
                    groups[group][m].append(v)
        table[name] = _mean(groups)
        table[name]["ms_per_query"] = round(1000 * (time.perf_counter() - t0)
                                            / max(1, len(groups["all"].get(spec.headline, []))), 1)
        key = f"shape:{shape}" if shape else "all"
        print(f"{name:60s} {key}={table[name].get(key, {}).get(spec.headline, float('nan')):.3f} "
              + " ".join(f"{m}={v:.3f}" for m, v in table[name].get(key, {}).items()
                         if not m.startswith("n:")), flush=True)
    result = {"dataset": args.dataset, "headline": spec.headline, "context": context,
              "candidates": table}
    save(result, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
