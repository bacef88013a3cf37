"""Fine-tuning an index's retrieval from labelled queries: the query adapter, end to end.

`tune_adapter(index, labelled)` resolves the labels to pairs (`pairs.resolve_pairs`), reads the
positives' stored vectors (texts given outright are embedded once), mines hard negatives from
the index's own neighbours (the best children of documents the query does not name), trains a
`QueryAdapter` within a time budget and installs it. Nothing in the index is re-embedded.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rag_agent.finetune.adapter import AdapterReport, train_adapter
from rag_agent.finetune.pairs import NEGATIVES, LabelledQuery, Pair, pairs_line, training_set
from rag_agent.index.protocol import SearchIndex
from rag_agent.settings import DEFAULT_TENANT

__all__ = ["ADAPTER_EPOCHS", "AdapterRun", "tune_adapter"]

ADAPTER_EPOCHS = 10
"""Passes over the pairs by default (docs/BENCHMARKS.md, the adapter section)."""

FEW_PAIRS = 100
"""Below this many pairs the report says the adapter will move little."""


@dataclass
class AdapterRun:
    """What `tune_adapter` did."""

    pairs: int
    missing: list[tuple[str, str]] = field(default_factory=list)
    training: AdapterReport | None = None
    seconds: float = 0.0
    installed: bool = False

    def lines(self) -> list[str]:
        out = [pairs_line(self.pairs, self.missing)]
        if self.training is not None:
            t = self.training
            out.append(f"query adapter: {t.epochs} epochs in {t.seconds:.1f} s, loss "
                       f"{t.loss_first:.3f} -> {t.loss_last:.3f}"
                       + (" (stopped by the time budget)" if t.stopped_by_budget else ""))
        if self.pairs < FEW_PAIRS:
            out.append(f"note: {self.pairs} pairs is few; the adapter measured in "
                       "docs/BENCHMARKS.md learned from 917, and a few dozen move it little")
        out.append(f"installed ({self.seconds:.1f} s in all); every query is now mapped (off "
                   "per call with adapter=False, or rag-agent ask --no-adapter)"
                   if self.installed else "nothing installed")
        return out


def _positives(index: SearchIndex, pairs: list[Pair], tenant: str) -> np.ndarray:
    stored = index.unit_vectors([p.unit_id for p in pairs if p.unit_id is not None],
                                tenant=tenant)
    given = [p.positive for p in pairs if p.unit_id is None or p.unit_id not in stored]
    embedded = dict(zip(given, index.embed_texts(given), strict=True)) if given else {}
    return np.stack([stored[p.unit_id] if p.unit_id in stored else embedded[p.positive]
                     for p in pairs]).astype(np.float32)


def tune_adapter(index: SearchIndex, labelled: Sequence[LabelledQuery] = (), *,
                 pairs: Sequence[Pair] = (), tenant: str = DEFAULT_TENANT,
                 minutes: float | None = None, epochs: int = ADAPTER_EPOCHS, progress: bool = False,
                 install: bool = True, **training: Any) -> tuple[AdapterRun, Any]:
    """Train a query adapter on `labelled` queries and/or ready `pairs` (e.g. from
    `generate_pairs`) and (with `install`) install it in `index`.

    Returns the run's report and the `QueryAdapter`. `minutes` bounds training; `training`
    goes to `train_adapter` (l2, lr, temperature, batch_size).
    """
    started = time.perf_counter()
    data = training_set(index, labelled, pairs, tenant=tenant)
    pairs, queries, negative_ids = data.pairs, data.queries, data.negatives
    run = AdapterRun(len(pairs), data.missing)
    negatives = None
    if min(map(len, negative_ids), default=0) >= NEGATIVES:  # else in-batch negatives only
        vectors = index.unit_vectors([u for c in negative_ids for u in c], tenant=tenant)
        negatives = np.stack([np.stack([vectors[u] for u in c])
                              for c in negative_ids]).astype(np.float32)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=epochs, unit="epoch", desc="adapter", dynamic_ncols=True)

    def tick(epoch: int, loss: float) -> None:
        if bar is not None:
            bar.update(1)
            bar.set_postfix(loss=f"{loss:.3f}")

    try:
        adapter, run.training = train_adapter(
            queries, _positives(index, pairs, tenant), model_id=index.embedder.model_id,
            negatives=negatives, epochs=epochs,
            seconds=None if minutes is None else minutes * 60, progress=tick, **training)
    finally:
        if bar is not None:
            bar.close()
    adapter.info["negatives"] = 0 if negatives is None else NEGATIVES
    if install:
        index.install_adapter(adapter)
        run.installed = True
    run.seconds = round(time.perf_counter() - started, 1)
    return run, adapter
