"""How the fact rule should spend the default context budget: one region, or a share each for
the best documents.

With the product's defaults (`Context()`: 4,000 characters, 8 passages) the agent answers
every fact-shaped question of a set once per candidate `region_share` of the fact rule (the
budget cut into at most that many regions, one per document; a question scoped to one
document keeps one region as long as the budget). What reaches synthesis is scored:

- `gold_docs_in_context`: share of the question's gold documents among the passages' documents;
- `answer_in_context`: HotpotQA, the gold answer string inside the passages (normalized as the
  HotpotQA script does); SEC 10-Q, share of the numbers of the gold answer ("82,959",
  "2.5") found in the passages; QMSum, the set's own span coverage @4k;
- `answer_in_offline_answer`: the same over the offline answer, cut to 600 characters.

    .venv/bin/python bench/fact_budget_probe.py sec10q --workdir /tmp/rag_agent_eval \\
        --out bench/results/fact_budget_sec10q.json

It opens the index that `rag-agent eval` built in `--workdir` (run that first).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from rag_agent.agent import extractive
from rag_agent.agent.graph import build_agent
from rag_agent.agent.policy import POLICY
from rag_agent.eval.datasets import SPECS, load_dataset
from rag_agent.eval.metrics import normalize_answer
from rag_agent.eval.ours import passage_of, scope_filter
from rag_agent.eval.scoring import TextLocator
from rag_agent.index.store import RagIndex

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _emit import save  # noqa: E402

ANSWER_CHARS = 600
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def _numbers(text: str) -> set[str]:
    """Numbers of a text without thousands separators; years and one-digit counts dropped
    (they occur in every filing)."""
    out = {n.replace(",", "").rstrip(".") for n in _NUMBER.findall(text)}
    return {n for n in out if len(n.replace(".", "")) >= 2
            and not (len(n) == 4 and n.isdigit() and n.startswith(("19", "20")))}


def _support(dataset: str, gold: str | None, text: str) -> float | None:
    if not gold:
        return None
    if dataset == "hotpotqa":
        answer = normalize_answer(gold)
        if answer in ("yes", "no"):
            return None
        return float(answer in normalize_answer(text))
    if dataset == "sec10q":
        wanted = _numbers(gold)
        if not wanted:
            return None
        found = _numbers(text)
        return len(wanted & found) / len(wanted)
    return None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dataset", choices=["sec10q", "hotpotqa", "qmsum"])
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/rag_agent_eval"))
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--shares", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--fact-margin", type=float, default=None,
                    help="the offline fact answer's FACT_MARGIN (default: the module's)")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    if args.fact_margin is not None:
        extractive.FACT_MARGIN = args.fact_margin
    spec = SPECS[args.dataset]
    data = load_dataset(args.dataset, args.data)
    index = RagIndex.open(args.workdir / args.dataset / "ours", create=False)
    locator = TextLocator(data.docs) if spec.needs_locator else None
    answers: dict[str, str] = {}
    if args.dataset == "sec10q":  # the harness does not score 10-Q answers; read them here
        for line in (args.data / "docugami_sec10q" / "qna_dev.jsonl").read_text().splitlines():
            rec = json.loads(line)
            answers[str(rec["id"])] = rec.get("answer") or ""
    fact_ids: set[str] | None = None
    table: dict[str, Any] = {}
    for share in args.shares:
        policy = {**POLICY, "fact": replace(POLICY["fact"], region_share=share)}
        agent = build_agent(index, policy=policy)
        values: dict[str, list[float]] = defaultdict(list)
        shapes: dict[str, str] = {}
        for q in data.queries:
            if fact_ids is not None and q.qid not in fact_ids:
                continue
            out = agent.invoke({"question": q.text}, context={"filter": scope_filter(q)})
            shapes[q.qid] = out.get("shape", "")
            if out.get("shape") != "fact":
                continue
            passages = out.get("passages", [])
            text = "\n".join(d.page_content for d in passages)
            found = {passage_of(d).key for d in passages}
            gold = {key for key, grade in q.gold.items() if grade > 0}
            if gold:
                values["gold_docs_in_context"].append(len(gold & found) / len(gold))
            if args.dataset == "qmsum":
                scores = spec.score(q, [passage_of(d) for d in passages], locator)
                values["answer_in_context"].append(scores["span_coverage@4k"])
            else:
                for name, over in (("answer_in_context", text),
                                   ("answer_in_offline_answer", out["answer"][:ANSWER_CHARS])):
                    v = _support(args.dataset, answers.get(q.qid, q.answer), over)
                    if v is not None:
                        values[name].append(v)
            values["passages"].append(len(passages))
            values["documents"].append(len(found))
            values["context_chars"].append(len(text))
        if fact_ids is None:
            fact_ids = {qid for qid, shape in shapes.items() if shape == "fact"}
        row = {m: round(float(np.mean(v)), 4) for m, v in values.items() if v}
        row["queries"] = len(values["passages"])
        table[f"region_share={share}"] = row
        print(f"region_share={share}: " + " ".join(f"{m}={v}" for m, v in row.items()),
              flush=True)
    result = {"dataset": args.dataset, "context": "Context() defaults: 4,000 characters, 8 "
              "passages", "fact_margin": extractive.FACT_MARGIN, "candidates": table}
    save(result, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
