"""Run every strategy on one evaluation set, in one process, on the same embedding model.

    result = run_eval("sec10q", Path("../shared/data"), workdir=Path("/tmp/rag_eval"))

Our index is kept in `workdir` and reused (ingest is idempotent); baselines are rebuilt each run
from an embedding cache in `workdir`, so a second run embeds nothing new.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from rag_agent.errors import ConfigError
from rag_agent.eval.auto import auto_agent, auto_strategies, build_variant, metadata_variants
from rag_agent.eval.cache import CachedEmbeddings
from rag_agent.eval.datasets import SPECS, DatasetSpec, load_dataset
from rag_agent.eval.metrics import percentiles
from rag_agent.eval.ours import AgentStrategy, as_source_documents, our_strategies
from rag_agent.eval.scoring import TextLocator, lead_answer, score_answer
from rag_agent.eval.types import SYSTEMS, EvalQuery, EvalSet, Passage, Retrieve

__all__ = ["SYSTEMS", "evaluate", "run_eval"]


def _progress(items: list[Any], desc: str, on: bool) -> Iterable[Any]:
    if not on:
        return items
    from tqdm.auto import tqdm

    return tqdm(items, desc=desc, unit="q", dynamic_ncols=True, leave=False)


def evaluate(data: EvalSet, strategies: dict[str, Retrieve], *, progress: bool = False,
             warm: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Mean scores of each strategy, overall and per question type, with latency.

    `warm(text)` runs before each timed call (the runner embeds the query there once for all
    systems), so latency is the search itself; `bench/cost_bench.py` measures end to end. Where
    the set has answer metrics, each strategy's answer is scored: its own (`answers`) if it keeps
    any, else the lead answer of its passages; the strategy's `answer` entry says which.
    """
    spec = SPECS[data.name]
    locator = TextLocator(data.docs) if spec.needs_locator else None
    out: dict[str, Any] = {}
    for name, retrieve in strategies.items():
        rows: list[tuple[EvalQuery, dict[str, float]]] = []
        times = []
        for query in _progress(data.queries, name, progress):
            if warm is not None:
                warm(query.text)
            t0 = time.perf_counter()
            passages = retrieve(query, data.depth)
            times.append(time.perf_counter() - t0)
            scores = spec.score(query, passages, locator)
            if spec.answer_metrics and query.answer:
                scores.update(score_answer(query, _answer(retrieve, query, passages, spec),
                                           spec.answer_metrics, spec.answer_chars))
            rows.append((query, scores))
        out[name] = {
            "all": _means(s for _, s in rows),
            "by_type": {t: _means(s for q, s in rows if q.qtype == t)
                        for t in sorted({q.qtype for q, _ in rows if q.qtype})},
            "latency_ms": percentiles(times),
        }
        if spec.answer_metrics:
            out[name]["answer"] = "lead" if getattr(retrieve, "answers", None) is None else "own"
    return out


def _answer(retrieve: Retrieve, query: EvalQuery, passages: list[Passage],
            spec: DatasetSpec) -> str:
    """The strategy's own answer to the query if it keeps answers, else its lead answer."""
    own = getattr(retrieve, "answers", None)
    if own is not None:
        return own.get(query.qid, "")
    scope = set(query.scope or ())
    return lead_answer([p for p in passages if not scope or p.key in scope], spec.answer_chars)


def _means(scores: Iterable[dict[str, float]]) -> dict[str, Any]:
    """Mean of each metric over the queries it applies to, with that count as `n:<metric>`."""
    sums: dict[str, float] = defaultdict(float)
    counts: Counter[str] = Counter()
    for row in scores:
        for metric, value in row.items():
            sums[metric] += value
            counts[metric] += 1
    out: dict[str, Any] = {m: round(sums[m] / counts[m], 4) for m in sums}
    out.update({f"n:{m}": counts[m] for m in counts})
    return out


def _task_accuracy(data: EvalSet, agent: AgentStrategy) -> dict[str, Any]:
    """The agent classifier's accuracy on queries with a task label, and the tools it chose."""
    labelled = [q for q in data.queries if q.task and q.qid in agent.choices]
    right = [agent.choices[q.qid][0] == q.task for q in labelled]
    by_task: dict[str, list[bool]] = defaultdict(list)
    for q, ok in zip(labelled, right, strict=True):
        by_task[q.task].append(ok)
    return {
        "accuracy": round(sum(right) / len(right), 4) if right else None,
        "n": len(right),
        "by_task": {t: {"accuracy": round(sum(v) / len(v), 4), "n": len(v)}
                    for t, v in sorted(by_task.items())},
        "tools": dict(Counter(tool for _, tool in agent.choices.values())),
    }


def run_eval(dataset: str, data_dir: Path, *, workdir: Path, systems: Iterable[str] = SYSTEMS,
             quick: bool = False, progress: bool = True) -> dict[str, Any]:
    """Build (or reuse) every selected system over the set's corpus, run and score them."""
    from rag_agent.index.store import RagIndex

    chosen = list(dict.fromkeys(systems))
    unknown = [s for s in chosen if s not in SYSTEMS]
    if unknown:
        raise ConfigError(f"unknown strategy group(s) {', '.join(unknown)}; use any of "
                          f"{', '.join(SYSTEMS)}")
    data = load_dataset(dataset, data_dir, quick=quick)
    spec = SPECS[dataset]
    folder = workdir / (dataset + ("-quick" if quick else ""))
    route = spec.route_docs
    builds: dict[str, dict[str, Any]] = {}
    strategies: dict[str, Retrieve] = {}
    agent = None
    with RagIndex.open(folder / "ours") as index, ExitStack() as stack:
        t0 = time.perf_counter()
        report = index.add_documents(as_source_documents(data.docs), progress=progress)
        builds["ours"] = {"seconds": round(time.perf_counter() - t0, 1),
                          "embedded": report.embedded, "units": report.units}
        if "ours" in chosen or "hybrid" in chosen:
            ours = our_strategies(index, route_docs=route, hybrid="hybrid" in chosen)
            strategies.update(ours if "ours" in chosen else
                              {k: v for k, v in ours.items() if "fusion" in k})
        if "agent" in chosen:
            agent = AgentStrategy(index, route_docs=route, context=spec.agent_context)
            strategies[agent.name] = agent
        variants = metadata_variants(data) if "auto" in chosen else {}
        for variant, options in variants.items():
            t0 = time.perf_counter()
            vindex = stack.enter_context(
                build_variant(index, folder / f"ours-{variant}", data, options))
            builds[f"ours [{variant} metadata]"] = {
                "seconds": round(time.perf_counter() - t0, 1), "options": options}
            strategies.update(auto_strategies(vindex, variant, route_docs=route))
        if variants:  # the agent over the richest metadata (the last variant)
            auto = auto_agent(vindex, variant, route_docs=route)
            auto.context = dict(spec.agent_context)  # auto_agent takes no context of its own
            strategies[auto.name] = auto
        embeddings = CachedEmbeddings(index.embedder, folder / "embedding_cache.sqlite",
                                      index.embedder.model_id)
        strategies.update(_baselines(data, chosen, embeddings, builds))

        def warm(text: str) -> None:
            embeddings.remember_query(text, index.embed_query(text))

        result: dict[str, Any] = {
            "dataset": data.name + (" (quick slice)" if quick else ""),
            "queries": len(data.queries), "documents": len(data.docs), "depth": data.depth,
            "route_docs": route, "metrics": spec.columns, "notes": data.notes,
            "builds": builds,
            "strategies": evaluate(data, strategies, progress=progress, warm=warm),
        }
        if agent is not None:
            result["agent"] = _task_accuracy(data, agent)
    return result


def _baselines(data: EvalSet, chosen: list[str], embeddings: CachedEmbeddings,
               builds: dict[str, dict[str, Any]]) -> dict[str, Retrieve]:
    """The stock systems over the same corpus, embedding with the index's model (cached)."""
    if not {"langchain", "bm25", "llamaindex"} & set(chosen):
        return {}
    from rag_agent.eval import baselines

    builders = {"langchain": lambda: baselines.build_langchain(data.docs, embeddings),
                "bm25": lambda: baselines.build_bm25(data.docs),
                "llamaindex": lambda: baselines.build_llamaindex(data.docs, embeddings)}
    out: dict[str, Retrieve] = {}
    for name, build in builders.items():
        if name not in chosen:
            continue
        before, t0 = embeddings.embedded, time.perf_counter()
        system = build()
        builds[name] = {"seconds": round(time.perf_counter() - t0, 1),
                        "embedded": embeddings.embedded - before}
        out.update(system.strategies)
    return out
