"""A full fine-tune of an index's embedding model on its own corpus, end to end.

`tune_model(index, labelled)` makes the same training set as the adapter (`pairs.training_set`:
each labelled document's best child, hard negatives mined from the index's neighbours), reads
what the index embedded for each of those units (title header included, so the model learns the
texts it will embed), trains a new model version into `<index>/models/model-N` within a time
budget (`finetune.model.train_model`) and switches the index to it: every unit re-embedded from
its stored text, then one commit (`index.model_switch`). A kill before that commit leaves the old
model in use; running the same switch again (`RagIndex.switch_model(folder)`) resumes it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from rag_agent.errors import ConfigError
from rag_agent.finetune.model import ModelReport, TrainingExample, train_model
from rag_agent.finetune.pairs import LabelledQuery, Pair, pairs_line, training_set
from rag_agent.index.protocol import SearchIndex
from rag_agent.settings import DEFAULT_TENANT

__all__ = ["MODELS_DIR", "MODEL_EPOCHS", "MODEL_NEGATIVES", "ModelRun", "tune_model"]

MODELS_DIR = "models"
"""Where model versions live inside an index folder (`models/model-3`)."""
MODEL_EPOCHS = 2
"""Passes over the pairs by default: 2 beat 1 on a dev split of SciFact's train claims, also on
the dev claims about abstracts no training claim cites (docs/BENCHMARKS.md, "Fine-tuning the
model on SciFact")."""
MODEL_NEGATIVES = 1
"""Mined hard negatives per pair by default: each one costs a passage's forward and backward
pass per step (same section)."""


@dataclass
class ModelRun:
    """What `tune_model` did."""

    pairs: int
    missing: list[tuple[str, str]] = field(default_factory=list)
    training: ModelReport | None = None
    switch: Any = None
    """The `SwitchReport` of the re-embedding (None if `switch=False`)."""
    folder: str = ""
    seconds: float = 0.0

    def lines(self) -> list[str]:
        out = [pairs_line(self.pairs, self.missing)]
        if self.training is not None:
            t = self.training
            out.append(f"model {t.model_id}: {t.steps} steps ({t.epochs} epoch(s)) in "
                       f"{t.seconds:.1f} s, loss {t.loss_first:.3f} -> {t.loss_last:.3f}"
                       + (" (stopped by the time budget)" if t.stopped_by_budget else "")
                       + f"; written to {self.folder}")
        if self.switch is not None:
            out += self.switch.lines()
            out.append(f"done in {self.seconds:.1f} s; the index now embeds queries and new "
                       "documents with the fine-tuned model (the query adapter, trained for "
                       "the old one, was removed)")
        return out


def _next_folder(index: SearchIndex) -> tuple[int, Any]:
    root = index.path / MODELS_DIR
    versions = [int(m.group(1)) for p in (root.iterdir() if root.is_dir() else ())
                if (m := re.fullmatch(r"model-(\d+)(\.tmp)?", p.name))]
    n = 1 + max(versions, default=0)
    return n, root / f"model-{n}"


def tune_model(index: SearchIndex, labelled: Sequence[LabelledQuery] = (), *,
               pairs: Sequence[Pair] = (), tenant: str = DEFAULT_TENANT,
               minutes: float | None = None, epochs: int = MODEL_EPOCHS, batch_size: int = 16,
               negatives: int = MODEL_NEGATIVES, encoder: str | None = None,
               progress: bool = False, switch: bool = True, **training: Any) -> ModelRun:
    """Fine-tune `index`'s model on `labelled` queries and/or ready `pairs` and (with `switch`)
    re-embed the index with it. `minutes` bounds training (re-embedding takes what the corpus
    needs); `negatives` mined hard negatives per pair (at most `pairs.NEGATIVES`) join the
    in-batch ones; `encoder` runs the new model (torch, onnx, onnx-int8; default the index's);
    `training` goes to `train_model` (lr, scale, warmup)."""
    base = getattr(index.embedder, "path", None)
    if base is None:
        raise ConfigError(f"a full fine-tune needs a local sentence-transformers model; this "
                          f"index uses {index.embedder.model_id!r}: train a query adapter "
                          "instead (rag-agent finetune --adapter)")
    started = time.perf_counter()
    data = training_set(index, labelled, pairs, tenant=tenant)
    mined = [ids[:negatives] for ids in data.negatives]
    texts = index.embedded_texts([p.unit_id for p in data.pairs if p.unit_id is not None]
                                 + [u for ids in mined for u in ids], tenant=tenant)
    examples = [TrainingExample(p.query, texts.get(p.unit_id, p.positive) if p.unit_id
                                is not None else p.positive,
                                tuple(texts[u] for u in ids if u in texts))
                for p, ids in zip(data.pairs, mined, strict=True)]
    run = ModelRun(len(examples), data.missing)
    version, folder = _next_folder(index)
    folder.parent.mkdir(exist_ok=True)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=0, unit="step", desc="fine-tune", dynamic_ncols=True)

    def tick(step: int, steps: int, loss: float) -> None:
        if bar is not None:
            bar.total = steps
            bar.update(1)
            bar.set_postfix(loss=f"{loss:.3f}")

    try:
        run.training = train_model(examples, base, folder, epochs=epochs, batch_size=batch_size,
                                   seconds=None if minutes is None else minutes * 60,
                                   progress=tick, **training)
    finally:
        if bar is not None:
            bar.close()
    run.folder = str(folder)
    if switch:
        t = run.training
        record = {"version": version, "base": index.embedder.model_id, "pairs": len(examples),
                  "epochs": t.epochs, "steps": t.steps, "train_seconds": t.seconds,
                  "trained": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}
        run.switch = index.switch_model(folder, encoder=encoder, record=record,
                                        progress=progress)
    run.seconds = round(time.perf_counter() - started, 1)
    return run
