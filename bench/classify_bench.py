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
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _emit import emit  # noqa: E402

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
    ap.add_argument("--llm-base-url", default=None,
                    help="also measure the LLM classifier (function calling) at this endpoint")
    ap.add_argument("--llm-model", default="local")
    args = ap.parse_args()
    clf = OfflineTaskClassifier(SentenceTransformerEmbedder(), cache=False).fit()
    llm = None
    if args.llm_base_url:
        from rag_agent.agent.llm import TaskChoice, make_chat_model
        from rag_agent.agent.prompts import CLASSIFY_PROMPT

        structured = make_chat_model(args.llm_base_url, args.llm_model, max_tokens=64
                                     ).with_structured_output(TaskChoice, method="function_calling")

        def llm(question: str) -> str:
            try:
                task = structured.invoke(CLASSIFY_PROMPT.format(question=question)).task
            except Exception:
                return "invalid"
            task = str(task).strip().lower()
            return task if task in TASKS else "invalid"
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
        if llm is not None:
            got = [llm(q) for q, _ in rows]
            llm_ok = sum(g == p for (_, g), p in zip(rows, got, strict=True))
            result[source]["llm_accuracy"] = round(llm_ok / len(rows), 3)
            result[source]["llm_invalid"] = got.count("invalid")
            llm_right = result.get("_llm_right", 0) + llm_ok
            result["_llm_right"] = llm_right
    result["all"] = {"n": total, "accuracy": round(right / total, 3)}
    if llm is not None:
        result["all"]["llm_accuracy"] = round(result.pop("_llm_right") / total, 3)
    emit(result, args.out)


if __name__ == "__main__":
    sys.exit(main())
