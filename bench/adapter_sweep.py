"""The query adapter's choices, measured: its strength, hard negatives, and offline pairs.

Documents are ranked by their best child (the routed parent-chunk tool's ranking, over all
documents) with the stored vectors; only queries and pair queries are embedded. Two sweeps:

- labelled (SciFact only): train claims -> cited abstracts' best children
  (`scifact_train_labels`), for each L2 strength with and without mined hard negatives, scored
  on all test claims and on those whose cited abstracts no train claim cites;
- offline (any ranking set): a document's sentence, embedded bare, as the query, with its
  document's summary, its own child or another child of its document as the positive.

    .venv/bin/python bench/adapter_sweep.py scifact --workdir /tmp/rag_agent_eval \
        --out bench/results/adapter_sweep_scifact.json
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _emit import emit  # noqa: E402
from _ranking import documents_by_best_unit, probe_setup  # noqa: E402

from rag_agent.eval.datasets import scifact_train_labels  # noqa: E402
from rag_agent.eval.types import Passage  # noqa: E402
from rag_agent.finetune import resolve_pairs, train_adapter  # noqa: E402
from rag_agent.index.records import StoredUnit  # noqa: E402

L2 = (1e-3, 3e-3, 1e-2, 3e-2, 1e-1)
OFFLINE_PAIRS = 1500
NEGATIVES = 4


def main() -> int:
    args, spec, data, index = probe_setup(__doc__)
    rows = index.units()
    children = [r for r in rows if r.kind == "child"]
    child_vecs, child_src = np.stack([r.vector for r in children]), [r.source_id for r in children]
    tests = np.vstack([index.embed_query(q.text, adapter=False) for q in data.queries])

    def score(queries: np.ndarray, subset: np.ndarray | None = None) -> float:
        got = [spec.score(q, [Passage(k, "") for k in documents_by_best_unit(s, child_src)],
                          None)[spec.headline] for q, s in zip(data.queries, queries @ child_vecs.T,
                                                                strict=True)]
        values = np.array(got) if subset is None else np.array(got)[subset]
        return round(float(values.mean()), 4)

    def negatives(queries: np.ndarray, skip: list[set[str]]) -> np.ndarray:
        out = []
        for row, own in zip(queries @ child_vecs.T, skip, strict=True):
            top = np.argsort(-row)[:40]
            out.append(child_vecs[[j for j in top if child_src[j] not in own][:NEGATIVES]])
        return np.stack(out)

    model = index.embedder.model_id
    result: dict = {"dataset": args.dataset, "metric": spec.headline, "ranking": "best child",
                    "base": score(tests)}
    if args.dataset == "scifact":
        labels = scifact_train_labels(args.data)
        cited = {s for q in labels for s in q.source_ids}
        unseen = np.array([not (set(q.gold) & cited) for q in data.queries])
        pairs = resolve_pairs(index, labels).pairs
        stored = index.unit_vectors([p.unit_id for p in pairs])
        q = np.vstack([index.embed_query(p.query, adapter=False) for p in pairs])
        pos = np.stack([stored[p.unit_id] for p in pairs])
        relevant = {lq.query: set(lq.source_ids) for lq in labels}
        neg = negatives(q, [relevant[p.query] for p in pairs])
        result["base_unseen"] = score(tests, unseen)
        result["labelled"] = {}
        for with_neg in (True, False):
            for l2 in L2:
                adapter, _ = train_adapter(q, pos, model_id=model, l2=l2,
                                           negatives=neg if with_neg else None)
                mapped = adapter.apply(tests)
                result["labelled"][f"l2 {l2}, {'hard negatives' if with_neg else 'in-batch'}"] = {
                    "all": score(mapped), "gold never cited in train": score(mapped, unseen)}
    by_doc: dict[str, dict[str, list]] = {}
    for r in rows:
        by_doc.setdefault(r.doc_id, {}).setdefault(r.kind, []).append(r)
    rng = random.Random(0)
    pool = [(d, s) for d, kinds in by_doc.items() if kinds.get("summary") and kinds.get("child")
            for s in kinds.get("sentence", []) if len(s.text.split()) >= 8]
    rng.shuffle(pool)
    pool = pool[:OFFLINE_PAIRS]
    q = index.embedder.encode([s.text for _, s in pool])
    source = {d: kinds["child"][0].source_id for d, kinds in by_doc.items() if kinds.get("child")}
    neg = negatives(q, [{source[d]} for d, _ in pool])

    def own(d: str, s: StoredUnit) -> np.ndarray:
        kids = [c for c in by_doc[d]["child"] if c.position == s.child] or by_doc[d]["child"]
        return kids[0].vector

    def other(d: str, s: StoredUnit) -> np.ndarray:
        kids = [c for c in by_doc[d]["child"] if c.position != s.child] or by_doc[d]["child"]
        return rng.choice(kids).vector

    positives = {"summary": lambda d, s: by_doc[d]["summary"][0].vector, "own child": own,
                 "another child": other}
    result["offline"] = {"pairs": len(pool)}
    for name, pick in positives.items():
        pos = np.stack([pick(d, s) for d, s in pool])
        adapter, _ = train_adapter(q, pos, model_id=model, negatives=neg)
        result["offline"][f"sentence -> {name}"] = score(adapter.apply(tests))
    emit(result, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
