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
import dataclasses
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _emit import emit  # noqa: E402

from rag_agent.eval.datasets import SPECS, load_dataset, scifact_train_labels  # noqa: E402
from rag_agent.eval.ours import AgentStrategy, our_strategies  # noqa: E402
from rag_agent.eval.runner import evaluate  # noqa: E402
from rag_agent.finetune import tune_adapter  # noqa: E402
from rag_agent.index.store import RagIndex  # noqa: E402

SEEN, UNSEEN = "gold also cited in train", "gold never cited in train"


def _strategies(index: RagIndex, route: int, context: dict) -> dict:
    out = our_strategies(index, route_docs=route, hybrid=True)
    out["ours: agent"] = AgentStrategy(index, route_docs=route, context=context)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/rag_agent_eval"))
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--epochs", type=int, default=10)
    args = ap.parse_args()
    spec = SPECS["scifact"]
    data = load_dataset("scifact", args.data)
    labels = scifact_train_labels(args.data)
    cited = {s for q in labels for s in q.source_ids}
    data = dataclasses.replace(data, queries=[
        dataclasses.replace(q, qtype=SEEN if set(q.gold) & cited else UNSEEN)
        for q in data.queries])
    base_dir, tuned_dir = args.workdir / "scifact" / "ours", args.workdir / "scifact" / "ours-adapter"
    if not (base_dir / "index.sqlite").exists():
        raise SystemExit(f"no index at {base_dir}: run 'rag-agent eval scifact --workdir "
                         f"{args.workdir}' first")
    shutil.rmtree(tuned_dir, ignore_errors=True)
    shutil.copytree(base_dir, tuned_dir)
    result: dict = {"dataset": "scifact", "metric": spec.headline, "train_labels": len(labels),
                    "test_claims": {t: sum(q.qtype == t for q in data.queries)
                                    for t in (SEEN, UNSEEN)}}
    with RagIndex.open(base_dir, create=False) as base, \
            RagIndex.open(tuned_dir, create=False) as tuned:
        t0 = time.perf_counter()
        run, _ = tune_adapter(tuned, labels, epochs=args.epochs)
        result["training"] = {"pairs": run.pairs, "seconds_total": run.seconds,
                              "seconds_training": run.training.seconds,
                              "loss": [run.training.loss_first, run.training.loss_last],
                              "wall_seconds": round(time.perf_counter() - t0, 1)}
        for q in data.queries:  # every query embedded once, before any timing
            base.embed_query(q.text)
            tuned.embed_query(q.text)
        scores = {}
        for label, index in (("base", base), ("adapter", tuned)):
            runs = evaluate(data, _strategies(index, spec.route_docs, dict(spec.agent_context)))
            for name, r in runs.items():
                scores.setdefault(name, {})[label] = {
                    "all": r["all"][spec.headline],
                    **{t: r["by_type"][t][spec.headline] for t in (SEEN, UNSEEN)},
                    "p50_ms": r["latency_ms"].get("p50")}
        result["strategies"] = scores
    emit(result, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
