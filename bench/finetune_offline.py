"""The full fine-tune on offline pairs (no labels, no LLM): base against tuned on one set, in
one run.

Copies the evaluation index (`<workdir>/<set>/ours`, built by `rag-agent eval <set>`) to
`<workdir>/<set>/ours-offline`, makes `--pairs` training pairs of `--kind` from that corpus
alone (`rag_agent.finetune.offline_pairs`: nothing of the set's questions, labels or answers),
fine-tunes the model on them there, re-embeds the copy (with `--encoder`), and runs our
strategies (with BM25 fusion) and the agent on both indexes: the set's headline metric overall
and per question type. Timings are wall seconds of this one run.

    .venv/bin/python bench/finetune_offline.py scifact --workdir /tmp/rag_agent_eval \
        --encoder onnx-int8 --out bench/results/finetune_offline_scifact.json
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _emit import emit  # noqa: E402

from rag_agent.eval.datasets import SPECS, load_dataset  # noqa: E402
from rag_agent.eval.ours import AgentStrategy, our_strategies  # noqa: E402
from rag_agent.eval.runner import evaluate  # noqa: E402
from rag_agent.finetune import OFFLINE_KINDS, offline_pairs, tune_model  # noqa: E402
from rag_agent.finetune.offline import DEFAULT_OFFLINE_KIND  # noqa: E402
from rag_agent.index.store import RagIndex  # noqa: E402


def score(index: RagIndex, data, spec) -> dict:
    """Our strategies and the agent on `index`: every metric overall, the headline per type."""
    for q in data.queries:  # every query embedded once, before any timing
        index.embed_query(q.text)
    strategies = our_strategies(index, route_docs=spec.route_docs, hybrid=True)
    strategies["ours: agent"] = AgentStrategy(index, route_docs=spec.route_docs,
                                              context=dict(spec.agent_context))
    return {name: {"all": {m: r["all"][m] for m in spec.metrics},
                   **{t: r["by_type"][t][spec.headline] for t in r["by_type"]},
                   "p50_ms": r["latency_ms"].get("p50")}
            for name, r in evaluate(data, strategies).items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dataset", choices=["scifact", "hotpotqa", "sec10q"])
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/rag_agent_eval"))
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--kind", choices=OFFLINE_KINDS, default=DEFAULT_OFFLINE_KIND)
    ap.add_argument("--pairs", type=int, default=1000, help="offline pairs to make (at most)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--negatives", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--encoder", default="onnx-int8", help="what re-embeds and serves the new "
                    "model")
    args = ap.parse_args()
    spec, data = SPECS[args.dataset], load_dataset(args.dataset, args.data)
    base_dir = args.workdir / args.dataset / "ours"
    tuned_dir = args.workdir / args.dataset / "ours-offline"
    if not (base_dir / "index.sqlite").exists():
        raise SystemExit(f"no index at {base_dir}: run 'rag-agent eval {args.dataset} --workdir "
                         f"{args.workdir}' first")
    shutil.rmtree(tuned_dir, ignore_errors=True)
    with RagIndex.open(base_dir, create=False) as base:
        base.snapshot(tuned_dir)
    result: dict = {"dataset": args.dataset, "metric": spec.headline,
                    "settings": {"kind": args.kind, "pairs": args.pairs, "seed": args.seed,
                                 "epochs": args.epochs, "negatives": args.negatives,
                                 "batch_size": args.batch_size, "lr": args.lr,
                                 "encoder": args.encoder}}
    with RagIndex.open(tuned_dir, create=False) as tuned:
        t0 = time.perf_counter()
        pairs = offline_pairs(tuned, args.pairs, kind=args.kind, seed=args.seed)
        made = round(time.perf_counter() - t0, 1)
        run = tune_model(tuned, pairs=pairs, epochs=args.epochs, negatives=args.negatives,
                         batch_size=args.batch_size, encoder=args.encoder, lr=args.lr)
        t, s = run.training, run.switch
        result["training"] = {
            "pairs": run.pairs, "documents": len({p.source_id for p in pairs}),
            "seconds_making_pairs": made, "steps": t.steps, "model_id": t.model_id,
            "seconds_training": t.seconds, "loss": [round(t.loss_first, 3), round(t.loss_last, 3)],
            "units": s.units, "texts": s.texts, "seconds_re_embedding": s.seconds,
            "wall_seconds": round(time.perf_counter() - t0, 1)}
        print(result["training"], flush=True)
    scores: dict = {}
    for label, folder in (("base", base_dir), ("offline-tuned", tuned_dir)):
        with RagIndex.open(folder, create=False) as index:  # each with its recorded encoder
            for name, row in score(index, data, spec).items():
                scores.setdefault(name, {})[label] = row
    result["strategies"] = scores
    emit(result, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
