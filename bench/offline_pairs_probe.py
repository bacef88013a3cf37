"""Which offline pairs to fine-tune the model on: each kind of `offline_pairs` trained on the
same budget and scored on SciFact's train claims, a dev set (the test claims choose nothing).

For each kind (ict, title, sentence, and the probe's own `PROBE_KINDS`) the model is fine-tuned
on `--pairs` pairs made from the corpus alone (no labels, no LLM) in a scratch copy of the
evaluation index (`<workdir>/scifact/ours`, built by `rag-agent eval scifact`), then the
corpus's children are embedded with its int8 ONNX export, and documents are ranked by their best
child (the routed parent-chunk tool's ranking, over all documents) for the 807 train claims
(dev) and, for the record, the 300 test claims. The base model is scored the same way (its int8
export), so every row differs only in the weights. Nothing is re-embedded in the index itself.

    .venv/bin/python bench/offline_pairs_probe.py --workdir /tmp/rag_agent_eval \
        --out bench/results/offline_pairs_probe_scifact.json
    .venv/bin/python bench/offline_pairs_probe.py --workdir /tmp/rag_agent_eval \
        --kinds ict-bare crop --pairs 1000 --lr 2e-5 --negatives 0 \
        --out bench/results/offline_pairs_probe_scifact_bare_crop.json
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _emit import emit  # noqa: E402
from _ranking import best_child_scorer  # noqa: E402

from rag_agent.eval.datasets import SPECS, load_dataset, scifact_train_labels  # noqa: E402
from rag_agent.eval.types import EvalQuery  # noqa: E402
from rag_agent.finetune import OFFLINE_KINDS, offline_pairs, tune_model  # noqa: E402
from rag_agent.finetune.offline import sentence_candidates  # noqa: E402
from rag_agent.finetune.pairs import Pair  # noqa: E402
from rag_agent.index.store import RagIndex  # noqa: E402

SPEC = SPECS["scifact"]
PROBE_KINDS = ("ict-bare", "crop")
"""Probed here before any joins `OFFLINE_KINDS`: `ict-bare`, the inverse cloze task without
the title line on the positive (with it, the query's words meet the title and the task is
nearly solved before training: loss 0.17 at the first step); `crop`, a sentence as the query
and *another* child of its document, bare, as the positive (the pairs of unsupervised dense
retrievers such as Contriever: two views of one document)."""


def probe_pairs(index: RagIndex, n: int, kind: str, seed: int = 0) -> list[Pair]:
    """Up to `n` pairs of a `PROBE_KINDS` kind, at most one per document, documents shuffled;
    the query sentences are those `offline_pairs` would take (`sentence_candidates`)."""
    rng = random.Random(seed)
    children: dict[str, list] = defaultdict(list)
    for c in index.units("child"):
        children[c.doc_id].append(c)
    by_key = {(c.doc_id, c.position): c for cs in children.values() for c in cs}
    candidates = sentence_candidates(index.units("sentence"), by_key,
                                     "ict" if kind == "ict-bare" else kind)
    docs = sorted(children)
    rng.shuffle(docs)
    out: list[Pair] = []
    for d in docs:
        if kind == "ict-bare":
            options = [Pair(s.text, " ".join(rest), child.source_id)
                       for s, child, rest in candidates.get(d, [])]
        else:
            options = [Pair(s.text, o.text, child.source_id)
                       for s, child, _ in candidates.get(d, [])
                       for o in children[d] if o.position != child.position]
        if options:
            out.append(rng.choice(options))
        if len(out) >= n:
            break
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/rag_agent_eval"))
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--kinds", nargs="+", choices=OFFLINE_KINDS + PROBE_KINDS,
                    default=list(OFFLINE_KINDS))
    ap.add_argument("--pairs", type=int, default=500)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--negatives", type=int, default=1,
                    help="mined hard negatives per pair (0: in-batch negatives only)")
    args = ap.parse_args()
    test = load_dataset("scifact", args.data).queries
    dev = [EvalQuery(f"train-{i}", q.query, {s: 1 for s in q.source_ids})
           for i, q in enumerate(scifact_train_labels(args.data))]
    base_dir = args.workdir / "scifact" / "ours"
    scratch = args.workdir / "scifact" / "ours-offline-probe"
    shutil.rmtree(scratch, ignore_errors=True)
    with RagIndex.open(base_dir, create=False) as base:
        base.snapshot(scratch)
    result: dict = {"dataset": "scifact", "metric": SPEC.headline, "ranking": "best child",
                    "encoder": "onnx-int8", "dev": f"{len(dev)} train claims",
                    "test": f"{len(test)} test claims",
                    "settings": {"pairs": args.pairs, "lr": args.lr, "epochs": 1,
                                 "negatives": args.negatives, "batch_size": 16}}
    with RagIndex.open(scratch, create=False) as index:
        score = best_child_scorer(index, SPEC, {"dev": dev, "test": test})
        result["base"] = score(None)
        for kind in args.kinds:
            pairs = (probe_pairs(index, args.pairs, kind) if kind in PROBE_KINDS
                     else offline_pairs(index, args.pairs, kind=kind))
            run = tune_model(index, pairs=pairs, switch=False, lr=args.lr, epochs=1,
                             negatives=args.negatives)
            t = run.training
            result[kind] = {"pairs": len(pairs), "seconds_training": t.seconds,
                            "loss": [round(t.loss_first, 3), round(t.loss_last, 3)],
                            "example": {"query": pairs[0].query, "positive": pairs[0].positive},
                            **score(Path(run.folder))}
    shutil.rmtree(scratch, ignore_errors=True)
    emit(result, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
