"""The full fine-tune on SciFact: trained on the train claims, the index re-embedded, scored on
the 300 test claims beside the base model in one process.

Copies the evaluation index (`<workdir>/scifact/ours`, built by `rag-agent eval scifact`) to
`<workdir>/scifact/ours-finetuned`, fine-tunes its model there on the train claims' cited
abstracts (`scifact_train_labels`: no test claim among them), re-embeds it (with `--encoder`,
default torch) and runs our strategies and the agent on both indexes. Test claims are split as in
`adapter_scifact.py`: by whether any of their cited abstracts is also cited by a train claim.
Timings are wall seconds of this one run (training, re-embedding, all).

    .venv/bin/python bench/finetune_scifact.py --workdir /tmp/rag_agent_eval \
        --out bench/results/finetune_scifact.json
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _emit import emit  # noqa: E402
from _scifact import SPEC, claim_counts, score_into, split_test_claims  # noqa: E402

from rag_agent.finetune import tune_model  # noqa: E402
from rag_agent.finetune.full import MODEL_EPOCHS  # noqa: E402
from rag_agent.index.store import RagIndex  # noqa: E402
from rag_agent.models import MODEL_CARD  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/rag_agent_eval"))
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--epochs", type=int, default=MODEL_EPOCHS)
    ap.add_argument("--negatives", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--minutes", type=float, default=None, help="training budget")
    ap.add_argument("--encoder", default="torch", help="what re-embeds and serves the new model")
    ap.add_argument("--model", type=Path, default=None,
                    help="a model folder this bench trained before (same settings): re-embed "
                         "and score it without training again; its card gives the training time")
    args = ap.parse_args()
    data, labels = split_test_claims(args.data)
    base_dir = args.workdir / "scifact" / "ours"
    tuned_dir = args.workdir / "scifact" / "ours-finetuned"
    if not (base_dir / "index.sqlite").exists():
        raise SystemExit(f"no index at {base_dir}: run 'rag-agent eval scifact --workdir "
                         f"{args.workdir}' first")
    shutil.rmtree(tuned_dir, ignore_errors=True)
    shutil.copytree(base_dir, tuned_dir)
    result: dict = {"dataset": "scifact", "metric": SPEC.headline, "train_labels": len(labels),
                    "settings": {"epochs": args.epochs, "negatives": args.negatives,
                                 "batch_size": args.batch_size, "lr": args.lr,
                                 "encoder": args.encoder},
                    "test_claims": claim_counts(data)}
    with RagIndex.open(tuned_dir, create=False) as tuned:
        t0 = time.perf_counter()
        if args.model is not None:
            folder = tuned_dir / "models" / "model-1"
            shutil.copytree(args.model, folder)
            card = json.loads((folder / MODEL_CARD).read_text())
            s = tuned.switch_model(folder, encoder=args.encoder)
            trained = {"pairs": card["examples"], "steps": card["steps"],
                       "model_id": card["model_id"], "seconds_training": card["seconds"],
                       "trained_by_an_earlier_run": True}
        else:
            run = tune_model(tuned, labels, epochs=args.epochs, negatives=args.negatives,
                             batch_size=args.batch_size, minutes=args.minutes,
                             encoder=args.encoder, lr=args.lr)
            t, s = run.training, run.switch
            trained = {"pairs": run.pairs, "steps": t.steps, "model_id": t.model_id,
                       "seconds_training": t.seconds, "loss": [t.loss_first, t.loss_last],
                       "stopped_by_budget": t.stopped_by_budget}
        result["training"] = {
            **trained, "units": s.units, "texts": s.texts, "seconds_re_embedding": s.seconds,
            "texts_per_second": round(s.texts / s.seconds, 1),
            "wall_seconds": round(time.perf_counter() - t0, 1)}
        print(result["training"], flush=True)
    scores: dict = {}
    for label, folder in (("base", base_dir), ("fine-tuned", tuned_dir)):
        with RagIndex.open(folder, create=False) as index:  # each with its recorded encoder
            score_into(scores, label, index, data)
    result["strategies"] = scores
    emit(result, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
