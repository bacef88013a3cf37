"""Training the query adapter (`rag_agent.index.adapter.QueryAdapter`) on labelled pairs.

The documents' vectors stay as they are (nothing is re-embedded, switching is instant): the
adapter moves each query toward the passages that answer it. It starts from the identity and is
trained with in-batch negatives (each query's positive against the other positives of its batch
and mined hard negatives, softmax over cosines / `temperature`, as
MultipleNegativesRankingLoss) plus a penalty pulling W and b toward 0, so a few hundred pairs
bend the space without folding it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rag_agent.errors import ConfigError
from rag_agent.index.adapter import QueryAdapter

__all__ = ["AdapterReport", "QueryAdapter", "train_adapter"]


@dataclass
class AdapterReport:
    """What training did."""

    pairs: int
    epochs: int
    seconds: float
    loss_first: float
    loss_last: float
    stopped_by_budget: bool


def train_adapter(queries: np.ndarray, positives: np.ndarray, *, model_id: str,
                  negatives: np.ndarray | None = None, epochs: int = 10, batch_size: int = 64,
                  lr: float = 3e-3, temperature: float = 0.05, l2: float = 3e-2,
                  seconds: float | None = None, seed: int = 0,
                  progress: Callable[[int, float], None] | None = None
                  ) -> tuple[QueryAdapter, AdapterReport]:
    """An adapter from paired rows: `queries[i]` should come closest to `positives[i]`.

    `negatives` (n, m, dim), optional: per pair, mined passages that are not its answer.
    `seconds` bounds training (whole epochs stop once it is spent); `progress(epoch, loss)`
    is called after each epoch.
    """
    import torch

    q = np.asarray(queries, dtype=np.float32)
    p = np.asarray(positives, dtype=np.float32)
    if q.ndim != 2 or q.shape != p.shape or len(q) < 2:
        raise ConfigError(f"an adapter needs at least 2 (query, positive) pairs of equal "
                          f"shape; got {q.shape} and {p.shape}")
    dim = q.shape[1]
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    weight = torch.zeros(dim, dim, requires_grad=True)
    bias = torch.zeros(dim, requires_grad=True)
    opt = torch.optim.Adam([weight, bias], lr=lr)
    tq, tp = torch.from_numpy(q), torch.from_numpy(p)
    tn = torch.from_numpy(np.asarray(negatives, dtype=np.float32)) if negatives is not None \
        else None
    started = time.perf_counter()
    losses: list[float] = []
    stopped = False
    done = 0
    for epoch in range(epochs):
        order = torch.randperm(len(tq), generator=gen)
        total, batches = 0.0, 0
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            if len(idx) < 2:
                continue
            x = tq[idx]
            mapped = torch.nn.functional.normalize(x + x @ weight + bias, dim=1)
            candidates = tp[idx]
            logits = mapped @ candidates.T
            if tn is not None:
                hard = torch.einsum("bd,bmd->bm", mapped, tn[idx])
                logits = torch.cat([logits, hard], dim=1)
            target = torch.arange(len(idx))
            loss = torch.nn.functional.cross_entropy(logits / temperature, target)
            loss = loss + l2 * (weight.pow(2).sum() + bias.pow(2).sum())
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item()
            batches += 1
        losses.append(total / max(batches, 1))
        done = epoch + 1
        if progress is not None:
            progress(done, losses[-1])
        if seconds is not None and time.perf_counter() - started >= seconds:
            stopped = done < epochs
            break
    elapsed = time.perf_counter() - started
    report = AdapterReport(len(q), done, round(elapsed, 2), round(losses[0], 4),
                           round(losses[-1], 4), stopped)
    adapter = QueryAdapter(weight.detach().numpy(), bias.detach().numpy(), model_id, {
        "pairs": len(q), "epochs": done, "seconds": report.seconds,
        "loss": [report.loss_first, report.loss_last],
        "trained": time.strftime("%Y-%m-%d %H:%M:%S")})
    return adapter, report
