"""The query adapter on SciFact: trained on the train claims, scored on the 300 test claims.

Copies the evaluation index (`<workdir>/scifact/ours`, built by `rag-agent eval scifact`) to
`<workdir>/scifact/ours-adapter`, trains and installs an adapter there on the train claims'
cited abstracts (`scifact_train_labels`: no test claim among them), and runs our strategies and
the agent on both indexes in one process. Test claims are split by whether any of their cited
abstracts is also cited by a train claim: an adapter can learn which documents get cited, so
the claims about never-cited abstracts are the honest measure of what it learned about queries.

    .venv/bin/python bench/adapter_scifact.py --workdir /tmp/rag_agent_eval \
        --out bench/results/adapter_scifact.json
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _emit import emit  # noqa: E402
from _scifact import SPEC, claim_counts, score_into, split_test_claims  # noqa: E402

from rag_agent.finetune import tune_adapter  # noqa: E402
from rag_agent.index.store import RagIndex  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/rag_agent_eval"))
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--epochs", type=int, default=10)
    args = ap.parse_args()
    data, labels = split_test_claims(args.data)
    base_dir, tuned_dir = args.workdir / "scifact" / "ours", args.workdir / "scifact" / "ours-adapter"
    if not (base_dir / "index.sqlite").exists():
        raise SystemExit(f"no index at {base_dir}: run 'rag-agent eval scifact --workdir "
                         f"{args.workdir}' first")
    shutil.rmtree(tuned_dir, ignore_errors=True)
    shutil.copytree(base_dir, tuned_dir)
    result: dict = {"dataset": "scifact", "metric": SPEC.headline, "train_labels": len(labels),
                    "test_claims": claim_counts(data)}
    with RagIndex.open(base_dir, create=False) as base, \
            RagIndex.open(tuned_dir, create=False) as tuned:
        t0 = time.perf_counter()
        run, _ = tune_adapter(tuned, labels, epochs=args.epochs)
        result["training"] = {"pairs": run.pairs, "seconds_total": run.seconds,
                              "seconds_training": run.training.seconds,
                              "loss": [run.training.loss_first, run.training.loss_last],
                              "wall_seconds": round(time.perf_counter() - t0, 1)}
        scores: dict = {}
        for label, index in (("base", base), ("adapter", tuned)):
            score_into(scores, label, index, data)
        result["strategies"] = scores
    emit(result, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
