"""Our sentence window against LlamaIndex's, query by query, on a ranking set.

Runs `ours: sentence-window (w=2)` and LlamaIndex's `SentenceWindowNodeParser` window (built
as the harness builds it, from the harness's embedding cache, so nothing new is embedded after a
`rag-agent eval <set>` run) on every query, both searching with the same query vector, and
prints the set's headline metric for each, how many queries each system wins, an exact two-sided
sign test on those wins, a paired bootstrap 95 % interval of the mean difference, and the
queries with the largest differences (the gold documents' ranks in each system's top 10).

    .venv/bin/python bench/window_per_query.py scifact --workdir /tmp/rag_agent_eval

SciFact takes about 4 minutes (LlamaIndex's window answers in about 0.6 s a query).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _emit import emit  # noqa: E402
from _ranking import probe_setup  # noqa: E402

from rag_agent.eval import baselines  # noqa: E402
from rag_agent.eval.cache import CachedEmbeddings  # noqa: E402
from rag_agent.eval.ours import our_strategies  # noqa: E402

OURS = "ours: sentence-window (w=2)"
BOOTSTRAP = 10_000
SHOWN = 10
"""Queries with the largest differences listed in the output."""


def sign_test(wins: int, losses: int) -> float:
    """Exact two-sided binomial p-value of `wins` against `losses` under a fair coin."""
    n, low = wins + losses, min(wins, losses)
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(low + 1)) / 2 ** n
    return min(1.0, 2 * tail)


def bootstrap_interval(diff: np.ndarray, seed: int = 0) -> tuple[float, float]:
    """Paired bootstrap 95 % interval of the mean of `diff`."""
    rng = np.random.default_rng(seed)
    means = diff[rng.integers(0, len(diff), (BOOTSTRAP, len(diff)))].mean(axis=1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def _gold_ranks(gold: dict[str, int], keys: list[str]) -> list[int | None]:
    top = list(dict.fromkeys(keys))[:10]
    return [top.index(k) + 1 if k in top else None for k, grade in gold.items() if grade > 0]


def main() -> int:
    args, spec, data, index = probe_setup(__doc__)
    folder = args.workdir / args.dataset
    embeddings = CachedEmbeddings(index.embedder, folder / "embedding_cache.sqlite",
                                  index.embedder.model_id)
    llama = baselines.build_llamaindex(data.docs, embeddings, strategies=("window",))
    systems = {OURS: our_strategies(index)[OURS],
               baselines.LLAMA_WINDOW_NAME: llama.strategies[baselines.LLAMA_WINDOW_NAME]}
    scores: dict[str, list[float]] = {name: [] for name in systems}
    ranks: dict[str, list[list[int | None]]] = {name: [] for name in systems}
    for q in data.queries:
        embeddings.remember_query(q.text, index.embed_query(q.text))
        for name, retrieve in systems.items():
            passages = retrieve(q, data.depth)
            scores[name].append(spec.score(q, passages, None)[spec.headline])
            ranks[name].append(_gold_ranks(q.gold, [p.key for p in passages]))
    ours, theirs = np.array(scores[OURS]), np.array(scores[baselines.LLAMA_WINDOW_NAME])
    diff = ours - theirs
    wins, losses = int((diff > 1e-9).sum()), int((diff < -1e-9).sum())
    low, high = bootstrap_interval(diff)
    largest = np.argsort(-np.abs(diff), kind="stable")[:SHOWN]
    emit({"dataset": args.dataset, "metric": spec.headline, "queries": len(diff),
          "mean": {OURS: round(float(ours.mean()), 4),
                   baselines.LLAMA_WINDOW_NAME: round(float(theirs.mean()), 4)},
          "ours_minus_llamaindex": round(float(diff.mean()), 4),
          "bootstrap_95": [round(low, 4), round(high, 4)],
          "queries_ours_ahead": wins, "queries_llamaindex_ahead": losses,
          "queries_level": len(diff) - wins - losses,
          "sign_test_p": round(sign_test(wins, losses), 3),
          "largest_differences": [
              {"query": data.queries[i].text, "ours_minus_llamaindex": round(float(diff[i]), 3),
               "gold_rank_ours": ranks[OURS][i],
               "gold_rank_llamaindex": ranks[baselines.LLAMA_WINDOW_NAME][i]}
              for i in largest]}, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
