"""Task classification accuracy on the labelled dev sets in ../shared/data.

    python bench/classify_bench.py [--data ../shared/data] [--out FILE]

Labels follow ../shared/data/README.md: QMSum general and "Summarize..." specific queries are
summary, other QMSum specific queries fact; docugami "Single-Doc Single-Chunk RAG" fact,
"Multi-Doc RAG" comparison ("Single-Doc Multi-Chunk RAG" left out); HotpotQA comparison /
bridge -> comparison / fact. Prints accuracy and a confusion matrix per source.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from rag_agent.agent.classify import TASKS, OfflineTaskClassifier  # noqa: E402
from rag_agent.models import SentenceTransformerEmbedder  # noqa: E402


def labelled(data: Path) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {"qmsum": [], "docugami_sec10q": [], "hotpotqa": []}
    for line in (data / "qmsum" / "val.jsonl").read_text().splitlines():
        meeting = json.loads(line)
        out["qmsum"] += [(q["query"], "summary") for q in meeting["general_query_list"]]
        for q in meeting["specific_query_list"]:
            task = "summary" if q["query"].strip().lower().startswith("summarize") else "fact"
            out["qmsum"].append((q["query"], task))
    kinds = {"Single-Doc Single-Chunk RAG": "fact", "Multi-Doc RAG": "comparison"}
    for line in (data / "docugami_sec10q" / "qna_dev.jsonl").read_text().splitlines():
        row = json.loads(line)
        if row["question_type"] in kinds:
            out["docugami_sec10q"].append((row["question"], kinds[row["question_type"]]))
    hotpot = json.loads((data / "hotpotqa_dev_103" / "hotpot_dev_distractor_v1_first103.json")
                        .read_text())
    out["hotpotqa"] = [(r["question"], "comparison" if r["type"] == "comparison" else "fact")
                       for r in hotpot]
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared"
                    / "data")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    clf = OfflineTaskClassifier(SentenceTransformerEmbedder(), cache=False).fit()
    result = {}
    total = right = 0
    for source, rows in labelled(args.data).items():
        probs = clf.predict_proba([q for q, _ in rows])
        pred = [TASKS[i] for i in probs.argmax(axis=1)]
        confusion = {t: {p: 0 for p in TASKS} for t in TASKS}
        for (_, gold), p in zip(rows, pred, strict=True):
            confusion[gold][p] += 1
        ok = sum(g == p for (_, g), p in zip(rows, pred, strict=True))
        total, right = total + len(rows), right + ok
        result[source] = {"n": len(rows), "accuracy": round(ok / len(rows), 3),
                          "confusion": confusion,
                          "errors": [(q, g, p) for (q, g), p in zip(rows, pred, strict=True)
                                     if g != p][:15]}
    result["all"] = {"n": total, "accuracy": round(right / total, 3)}
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    sys.exit(main())
