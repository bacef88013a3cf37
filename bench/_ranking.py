"""Shared by the ranking probes: their command line, the set's index, and documents ranked by
their best-scoring unit."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from rag_agent.eval.datasets import SPECS, load_dataset
from rag_agent.index.store import RagIndex

POOL = 3000
"""Best sentences read to find the first `depth` distinct documents."""


def documents_by_best_unit(scores: np.ndarray, sources: list[str], depth: int = 100) -> list[str]:
    """Source ids in order of their best unit's score, at most `depth` of them."""
    pool = min(POOL, len(scores))
    top = np.argpartition(-scores, pool - 1)[:pool]
    ranked: list[str] = []
    for i in top[np.argsort(-scores[top])]:
        if sources[i] not in ranked:
            ranked.append(sources[i])
        if len(ranked) >= depth:
            break
    return ranked


def probe_setup(doc: str) -> tuple[argparse.Namespace, Any, Any, RagIndex]:
    """(args, spec, data, index) of a probe's command line `<set> [--workdir] [--data] [--out]`;
    the index is the one `rag-agent eval <set>` built in `<workdir>/<set>/ours`."""
    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    ap.add_argument("dataset", choices=["scifact", "sec10q", "hotpotqa"])
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/rag_agent_eval"),
                    help="where `rag-agent eval` built the set's index (<workdir>/<set>/ours)")
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    spec, data = SPECS[args.dataset], load_dataset(args.dataset, args.data)
    return args, spec, data, RagIndex.open(args.workdir / args.dataset / "ours", create=False)


def best_child_scorer(index: RagIndex, spec: Any,
                      query_sets: dict[str, list[Any]]) -> Callable[[Path | None], dict]:
    """score(model): the index's children embedded by `model`'s int8 ONNX export (None: the
    base model's), documents ranked by their best child, and `spec`'s headline metric for each
    named query set, with the embedding time; printed and returned."""
    from rag_agent.eval.types import Passage
    from rag_agent.models import named_encoder

    children = index.units("child")
    sources = [c.source_id for c in children]
    texts = index.embedded_texts([c.id for c in children])
    order = [texts[c.id] for c in children]

    def score(model: Path | None) -> dict:
        t0 = time.perf_counter()
        encoder = named_encoder("onnx-int8", model)
        vectors = encoder.encode(order)
        out: dict = {"seconds_embedding": round(time.perf_counter() - t0, 1)}
        for name, queries in query_sets.items():
            rows = encoder.encode([q.text for q in queries]) @ vectors.T
            got = [spec.score(q, [Passage(k, "") for k in documents_by_best_unit(r, sources)],
                              None)[spec.headline] for q, r in zip(queries, rows, strict=True)]
            out[name] = round(float(np.mean(got)), 4)
        print(out, flush=True)
        return out

    return score
