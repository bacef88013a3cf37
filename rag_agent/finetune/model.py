"""A full fine-tune of a sentence-transformers model on (query, positive, negatives) examples.

MultipleNegativesRankingLoss written out: each query's positive against the other positives of
its batch and every mined hard negative, softmax over cosines x `scale`; a candidate whose text
is the query's own positive (two queries citing one passage) is masked, not counted as wrong.
AdamW with a linear warm-up and decay, on CPU, bounded by a time budget checked after every
step. The result is written as a new folder (safetensors weights, never pickle) under a
temporary name and renamed, with `MODEL_CARD` giving it an id tied to its weights, so an index
never confuses it with its base model.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag_agent.errors import ConfigError
from rag_agent.models import MODEL_CARD, model_id_of

__all__ = ["ModelReport", "TrainingExample", "train_model"]


@dataclass(frozen=True)
class TrainingExample:
    """A query, the text that answers it (as the index embeds it) and mined non-answers."""

    query: str
    positive: str
    negatives: tuple[str, ...] = ()


@dataclass
class ModelReport:
    """What training did."""

    model_id: str
    examples: int
    epochs: int
    steps: int
    seconds: float
    loss_first: float
    loss_last: float
    stopped_by_budget: bool


def _weights_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    with (folder / "model.safetensors").open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()[:12]


def _loss(model: object, batch: Sequence[TrainingExample], scale: float) -> object:
    import torch

    def embed(texts: list[str]) -> torch.Tensor:
        prepare = getattr(model, "preprocess", None) or model.tokenize  # type: ignore[attr-defined]
        features = prepare(texts)
        out = model(features)["sentence_embedding"]  # type: ignore[operator]
        return torch.nn.functional.normalize(out, dim=-1)

    candidates = [e.positive for e in batch] + [n for e in batch for n in e.negatives]
    logits = scale * embed([e.query for e in batch]) @ embed(candidates).T
    same = torch.tensor([[c == e.positive for c in candidates] for e in batch])
    same[range(len(batch)), range(len(batch))] = False
    logits = logits.masked_fill(same, float("-inf"))
    return torch.nn.functional.cross_entropy(logits, torch.arange(len(batch)))


def train_model(examples: Sequence[TrainingExample], base: str | Path, out: str | Path, *,
                epochs: int = 1, batch_size: int = 16, lr: float = 5e-5, scale: float = 20.0,
                warmup: float = 0.1, seconds: float | None = None, seed: int = 0,
                progress: Callable[[int, int, float], None] | None = None) -> ModelReport:
    """Fine-tune the model in `base` on `examples` and write it to the new folder `out`.

    `seconds` bounds training (it stops after the step that spends it); `progress(step, steps,
    loss)` is called after each step. `lr` 5e-5 beat 2e-5 on SciFact (docs/BENCHMARKS.md,
    "Fine-tuning the model"). Raises `ConfigError` for fewer than 2 examples or an
    existing `out`.
    """
    import torch
    from sentence_transformers import SentenceTransformer

    examples = list(examples)
    if len(examples) < 2:
        raise ConfigError(f"a fine-tune needs at least 2 training examples, got {len(examples)}")
    out = Path(out)
    if out.exists():
        raise ConfigError(f"model folder {str(out)!r} exists; give a new one")
    base = Path(base)
    started = time.perf_counter()
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = SentenceTransformer(str(base), device="cpu")
    model.train()
    per_epoch = -(-len(examples) // batch_size)
    total = per_epoch * epochs
    ramp = max(1, int(total * warmup))
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / ramp, max(0.0, (total - s) / max(1, total - ramp))))
    losses: list[float] = []
    stopped = False
    step = 0
    for _epoch in range(epochs):
        order = rng.permutation(len(examples))
        for start in range(0, len(order), batch_size):
            batch = [examples[i] for i in order[start:start + batch_size]]
            if len(batch) < 2:
                continue
            loss = _loss(model, batch, scale)
            optimizer.zero_grad()
            loss.backward()  # type: ignore[attr-defined]
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            step += 1
            losses.append(float(loss.item()))  # type: ignore[attr-defined]
            if progress is not None:
                progress(step, total, losses[-1])
            if seconds is not None and time.perf_counter() - started > seconds:
                stopped = True
                break
        if stopped:
            break
    model.eval()
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save(str(tmp), safe_serialization=True)
    for unsafe in tmp.rglob("*.bin"):  # weights travel as safetensors only
        unsafe.unlink()
    model_id = f"{model_id_of(base)}+ft-{_weights_digest(tmp)}"
    elapsed = round(time.perf_counter() - started, 1)
    (tmp / MODEL_CARD).write_text(json.dumps({
        "model_id": model_id, "base": model_id_of(base), "examples": len(examples),
        "epochs": epochs, "steps": step, "seconds": elapsed}, indent=2))
    os.replace(tmp, out)
    return ModelReport(model_id, len(examples), epochs, step, elapsed,
                       float(np.mean(losses[:max(1, per_epoch // 10)])) if losses else 0.0,
                       float(np.mean(losses[-max(1, per_epoch // 10):])) if losses else 0.0,
                       stopped)
