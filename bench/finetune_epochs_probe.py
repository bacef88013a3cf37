"""How many epochs the full fine-tune runs, chosen on a dev split of SciFact's train claims (the
test claims choose nothing).

The 807 train claims (`scifact_train_labels`) are shuffled with a fixed seed and split: 75 % train
the model, 25 % are the dev set. For each epoch count the model is fine-tuned in a scratch copy
of the evaluation index (`<workdir>/scifact/ours`, built by `rag-agent eval scifact`) with the
defaults otherwise (lr, 1 mined hard negative, batches of 16), the corpus's children are embedded
with its int8 ONNX export, and documents are ranked by their best child (the routed
parent-chunk tool's ranking over all documents) for the dev claims: all of them, and those
whose cited abstracts no training claim cites (what a model learns about queries, not about
which abstracts get cited). The base model is scored the same way. Nothing is re-embedded in
the index itself.

    .venv/bin/python bench/finetune_epochs_probe.py --workdir /tmp/rag_agent_eval \
        --out bench/results/finetune_epochs_probe.json
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _emit import emit  # noqa: E402
from _ranking import best_child_scorer  # noqa: E402

from rag_agent.eval.datasets import SPECS, scifact_train_labels  # noqa: E402
from rag_agent.eval.types import EvalQuery  # noqa: E402
from rag_agent.finetune import tune_model  # noqa: E402
from rag_agent.index.store import RagIndex  # noqa: E402

SPEC = SPECS["scifact"]
DEV_SHARE = 0.25
SEED = 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/rag_agent_eval"))
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--epochs", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()
    labels = scifact_train_labels(args.data)
    random.Random(SEED).shuffle(labels)
    cut = round(len(labels) * (1 - DEV_SHARE))
    train, held = labels[:cut], labels[cut:]
    cited = {s for q in train for s in q.source_ids}
    dev = [EvalQuery(f"dev-{i}", q.query, {s: 1 for s in q.source_ids})
           for i, q in enumerate(held)]
    unseen = [q for q in dev if not set(q.gold) & cited]
    base_dir = args.workdir / "scifact" / "ours"
    scratch = args.workdir / "scifact" / "ours-epochs-probe"
    shutil.rmtree(scratch, ignore_errors=True)
    with RagIndex.open(base_dir, create=False) as base:
        base.snapshot(scratch)
    result: dict = {"dataset": "scifact", "metric": SPEC.headline, "ranking": "best child",
                    "encoder": "onnx-int8", "train_claims": len(train), "dev_claims": len(dev),
                    "dev_claims_gold_never_cited_in_train": len(unseen), "seed": SEED}
    with RagIndex.open(scratch, create=False) as index:
        score = best_child_scorer(index, SPEC, {"dev": dev, "dev, gold never cited in train": unseen})
        result["base"] = score(None)
        for epochs in args.epochs:
            run = tune_model(index, train, switch=False, epochs=epochs)
            t = run.training
            result[f"{epochs} epochs"] = {
                "pairs": run.pairs, "steps": t.steps, "seconds_training": t.seconds,
                "loss": [round(t.loss_first, 3), round(t.loss_last, 3)],
                **score(Path(run.folder))}
    shutil.rmtree(scratch, ignore_errors=True)
    emit(result, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
