"""The same comparison question on the same index gives the same passages, order and answer
in separate processes, whatever their PYTHONHASHSEED (the real model, FAISS and SQLite)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rag_agent import RagIndex, SourceDocument

pytestmark = pytest.mark.integration

WORKER = Path(__file__).with_name("agent_worker.py")
CITIES = {
    "Avalon": "Avalon is a port city on the northern coast. The climate of Avalon is mild and "
              "rainy, with cool summers. Its economy depends on shipping and fisheries.",
    "Brightwater": "Brightwater is a desert city in the south. The climate of Brightwater is "
                   "hot and dry, with almost no rain. Its economy depends on solar power.",
    "Cedar Falls": "Cedar Falls is a mountain town. Winters in Cedar Falls are long and snowy. "
                   "Tourism and skiing are the main industries.",
}
NAMES = {"AAPL": "Apple Inc.", "MSFT": "MICROSOFT CORPORATION"}
BOILERPLATE = "See the accompanying notes to the condensed financial statements."
QUESTIONS = ["Compare the climate of Avalon and Brightwater.",
             "Compare Apple's and Microsoft's gross margin in Q2 2023."]


def _filing(ticker: str, year: int, quarter: str) -> SourceDocument:
    name = NAMES[ticker]
    text = (f"{name} quarterly report for {quarter} {year}. {BOILERPLATE} Net sales rose. "
            f"Gross margin was stable. {BOILERPLATE} Operating expenses grew.")
    return SourceDocument(f"{year} {quarter} {ticker}", text, f"{ticker} {quarter} {year}", {
        "ticker": ticker, "year": year, "quarter": quarter,
        "organizations": [name, "Nasdaq LLC", "SEC"]})


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory, real_embedder) -> Path:
    path = tmp_path_factory.mktemp("determinism") / "ix"
    with RagIndex.open(path, embedder=real_embedder) as ix:
        ix.add_documents([SourceDocument(n.lower().replace(" ", "-"), t, n, {})
                          for n, t in CITIES.items()])
        # a second document whose title differs only in case: which one a target takes must
        # not follow set order
        ix.add_documents([SourceDocument("avalon-register", "AVALON shipping register. The "
                                         "harbour climate log records fog.", "AVALON", {})])
        ix.add_documents([_filing(t, 2023, q) for t in NAMES for q in ("Q1", "Q2")])
    return path


def test_separate_processes_give_identical_passages_order_and_answer(folder: Path) -> None:
    runs = []
    for seed in ("0", "1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "HF_HUB_OFFLINE": "1",
               "TOKENIZERS_PARALLELISM": "false"}
        done = subprocess.run([sys.executable, str(WORKER), str(folder), *QUESTIONS], env=env,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    for other in runs[1:]:
        for first, again in zip(runs[0], other, strict=True):
            assert again["passages"] == first["passages"]  # ids, sources, targets, text, order
            assert again["answer"] == first["answer"]
            assert again == first
    climate, margin = runs[0]
    assert climate["task"] == "comparison" and climate["targets"] == ["Avalon", "Brightwater"]
    assert margin["task"] == "comparison" and len(margin["targets"]) == 2
    assert all(r["passages"] and r["answer"] for r in runs[0])
