"""Auto-retrieval with a chat model on the SEC 10-Q dev questions, beside the offline inference.

Starts llama-cpp-python serving SmolLM2-135M on loopback (as the tests do), then for each question
asks the model for a filter over the catalogue of the template+text index that `rag-agent eval
sec10q --strategy auto` builds, validates it, and counts how often the applied filter selects
exactly the gold filings. Also asks the model to extract company and period from each filing's
opening (LLMMetadataExtractor) and scores that against the file-name fields.

    .venv/bin/python bench/autofilter_llm.py --index /tmp/rag_agent_eval/sec10q/ours-template+text \
        --out bench/results/autofilter_llm_sec10q.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from pydantic import BaseModel, Field

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rag_agent import LLMMetadataExtractor, RagIndex, infer_filter, make_chat_model  # noqa: E402
from rag_agent.agent.infer import llm_infer_filter  # noqa: E402
from rag_agent.agent.prompts import FILTER_PROMPT  # noqa: E402
from rag_agent.eval.datasets import load_dataset  # noqa: E402
from rag_agent.ingest.loaders import SourceDocument  # noqa: E402
from tests.integration.test_llm_server import Server  # noqa: E402


class Filing(BaseModel):
    """The filing's company and reporting period."""

    company: str | None = Field(default=None, description="the registrant's name")
    period_end: str | None = Field(default=None, description="end of the reporting period, "
                                   "YYYY-MM-DD")


def _keys(index: RagIndex, flt: dict | None) -> set[str]:
    return {m["eval_key"] for m in index.documents_metadata(flt)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args()
    data = load_dataset("sec10q", args.data)
    rows = []
    with tempfile.TemporaryDirectory() as tmp, RagIndex.open(args.index, create=False) as index:
        server = Server(Path(tmp) / "llama.log")
        try:
            chat = make_chat_model(server.url, "smollm2", max_tokens=128)
            t0 = time.perf_counter()
            for q in data.queries:
                gold = set(q.gold)
                offline = infer_filter(index, q.text)
                llm = llm_infer_filter(chat, index, q.text, FILTER_PROMPT, tenant="default",
                                       base_filter=None, timeout=args.timeout)
                rows.append({
                    "qid": q.qid, "single": len(gold) == 1,
                    "offline_exact": _keys(index, offline.filter) == gold,
                    "llm_answered": llm is not None and not any(
                        "unusable" in t for t in llm.trace),
                    "llm_applied": llm is not None and llm.filter is not None,
                    "llm_exact": llm is not None and llm.filter is not None
                    and _keys(index, llm.filter) == gold,
                    "llm_dropped": sum("dropped" in t for t in (llm.trace if llm else [])),
                    "llm_filter": llm.filter if llm else None,
                })
            infer_s = time.perf_counter() - t0
            extractor = LLMMetadataExtractor(chat, Filing, timeout=args.timeout)
            extracted = []
            t0 = time.perf_counter()
            offline_meta = {m["eval_key"]: m for m in index.documents_metadata()}
            for doc in data.docs:
                try:
                    fields = extractor(SourceDocument(doc.key, doc.text, doc.title, {}))
                    error = None
                except Exception as exc:  # noqa: BLE001 - measured, not hidden
                    fields, error = {}, f"{type(exc).__name__}: {str(exc)[:120]}"
                truth = offline_meta[doc.key]
                company = str(fields.get("company") or "").lower()
                extracted.append({
                    "doc": doc.key, "fields": fields, "error": error,
                    "company_right": bool(company) and any(
                        company in o.lower() or o.lower().split()[0] in company
                        for o in truth.get("organizations", [])[:1]),
                    "period_end_right": fields.get("period_end") == truth.get("period_end"),
                })
            extract_s = time.perf_counter() - t0
        finally:
            server.stop()
    n, single = len(rows), [r for r in rows if r["single"]]
    summary = {
        "questions": n,
        "offline_exact_gold_set": round(sum(r["offline_exact"] for r in rows) / n, 3),
        "llm_answered": round(sum(r["llm_answered"] for r in rows) / n, 3),
        "llm_filter_applied": round(sum(r["llm_applied"] for r in rows) / n, 3),
        "llm_exact_gold_set": round(sum(r["llm_exact"] for r in rows) / n, 3),
        "llm_exact_single_doc": round(sum(r["llm_exact"] for r in single) / len(single), 3),
        "llm_values_dropped": sum(r["llm_dropped"] for r in rows),
        "llm_inference_s_per_question": round(infer_s / n, 2),
        "extract_company_right": round(sum(e["company_right"] for e in extracted)
                                       / len(extracted), 3),
        "extract_period_end_right": round(sum(e["period_end_right"] for e in extracted)
                                          / len(extracted), 3),
        "extract_failed": sum(e["error"] is not None for e in extracted),
        "extract_s_per_doc": round(extract_s / len(extracted), 2),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"model": "SmolLM2-135M-Instruct Q4_1 (llama-cpp-python)",
                                    "summary": summary, "questions": rows,
                                    "extraction": extracted}, indent=2, default=str))
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
