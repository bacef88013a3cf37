"""Auto-retrieval on real SEC 10-Q filings and their real dev questions: metadata from the file
names and from the filings' own text, filters inferred by the agent's node, fallbacks, tenants.

Seven of the 20 filings (Apple's four, two NVIDIA, one Amazon), full text, the packaged model.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from rag_agent import RagIndex, SourceDocument, build_agent, infer_filter
from tests.conftest import SHARED_DATA

pytestmark = pytest.mark.integration

TEXTS = SHARED_DATA / "docugami_sec10q" / "texts"
FILES = ["2022 Q3 AAPL", "2023 Q1 AAPL", "2023 Q2 AAPL", "2023 Q3 AAPL", "2022 Q3 NVDA",
         "2023 Q3 NVDA", "2023 Q3 AMZN"]
TEMPLATE = "{year} {quarter} {ticker}"


def _question(fragment: str) -> tuple[str, list[str]]:
    """A dev question containing `fragment`, with its gold filings."""
    for line in (SHARED_DATA / "docugami_sec10q" / "qna_dev.jsonl").open(encoding="utf-8"):
        rec = json.loads(line)
        if fragment in rec["question"]:
            return rec["question"], rec["gold_docs"]
    raise AssertionError(f"no dev question contains {fragment!r}")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory, real_embedder) -> Path:
    if not TEXTS.is_dir():
        pytest.skip(f"shared data not found at {TEXTS} (set RAG_AGENT_SHARED_DATA)")
    src = tmp_path_factory.mktemp("tenk")
    for name in FILES:
        shutil.copy(TEXTS / f"{name}.txt", src / f"{name}.txt")
    path = tmp_path_factory.mktemp("auto") / "ix"
    with RagIndex.open(path, embedder=real_embedder) as ix:
        report = ix.add_paths([src], template=TEMPLATE, extract="offline")
        assert report.documents == len(FILES) and not report.warnings
    return path


@pytest.fixture(scope="module")
def index(folder: Path, real_embedder) -> RagIndex:
    ix = RagIndex.open(folder, embedder=real_embedder)
    yield ix
    ix.close()


def _stems(index: RagIndex, flt: dict | None, tenant: str = "default") -> set[str]:
    return {Path(m["source"]).stem for m in index.documents_metadata(flt, tenant=tenant)}


def test_catalogue_mines_company_names_from_the_text(index: RagIndex) -> None:
    cat = index.catalogue()
    assert cat["ticker"].values == {"AAPL": 4, "NVDA": 2, "AMZN": 1}
    assert {"Apple", "Apple Inc"} <= set(cat["ticker"].aliases["AAPL"])
    assert "NVIDIA" in cat["ticker"].aliases["NVDA"]
    # the filings' own period labels agree with the file names here
    assert cat["quarter"].values == {"Q1": 1, "Q2": 1, "Q3": 5}


@pytest.mark.parametrize("fragment", [
    "share repurchase activities in its Q3 2023 10-Q",        # explicit period
    "In the second quarter of 2023, what was the primary",    # spelled-out period
    "What was the gross margin for Apple in the latest 10-Q",  # relative period
    "What was NVIDIA's operating cash flow as revealed in the Q3 2022",
    "What was Amazon's gross margin in the most recent 10-Q",
])
def test_single_filing_questions_select_exactly_their_filing(index: RagIndex,
                                                             fragment: str) -> None:
    question, gold = _question(fragment)
    inference = infer_filter(index, question)
    assert _stems(index, inference.filter) == set(gold), inference.trace
    assert inference.fallback is None


def test_trend_question_keeps_every_quarter_and_compares_them(index: RagIndex) -> None:
    question, gold = _question("change in Apple's gross margin in the most recent 10-Q compared")
    result = build_agent(index).invoke({"question": question})
    assert _stems(index, result["inferred_filter"]) == set(gold)
    assert result["task"] == "comparison"
    assert result["targets"] == ["2022 Q3", "2023 Q1", "2023 Q2", "2023 Q3"]
    assert {Path(c["source_id"]).stem for c in result["citations"]} <= set(gold)


def test_agent_answers_from_the_inferred_filing_only(index: RagIndex) -> None:
    question, gold = _question("What was the gross margin for Apple in the latest 10-Q")
    result = build_agent(index).invoke({"question": question})
    assert result["citations"]
    assert {Path(c["source_id"]).stem for c in result["citations"]} == set(gold)
    assert any("latest" in t for t in result["filter_trace"])


def test_a_period_with_no_filing_falls_back_and_says_so(index: RagIndex) -> None:
    result = build_agent(index).invoke({"question": "What did Apple report in Q1 2021?"})
    assert "period dropped" in result["filter_trace"][-1]
    assert _stems(index, result["inferred_filter"]) == {f for f in FILES if "AAPL" in f}


def test_caller_filter_is_anded_and_never_widened(index: RagIndex) -> None:
    question, _ = _question("What was the gross margin for Apple in the latest 10-Q")
    result = build_agent(index).invoke({"question": question},
                                       context={"filter": {"ticker": "NVDA"}})
    # Apple AND NVIDIA matches nothing: the inferred filter is dropped, the caller's stays
    assert result["inferred_filter"] is None
    assert result["citations"]
    assert all("NVDA" in c["source_id"] for c in result["citations"])


def test_text_only_metadata_finds_companies_named_only_in_the_text(
        folder: Path, real_embedder, tmp_path: Path) -> None:
    with RagIndex.open(folder, embedder=real_embedder) as ix:
        docs = [SourceDocument(m["source"], Path(m["source"]).read_text(encoding="utf-8"),
                               Path(m["source"]).stem, {"source": m["source"]})
                for m in ix.documents_metadata({"ticker": {"$in": ["AAPL", "AMZN"]}})]
    with RagIndex.open(tmp_path / "text", embedder=real_embedder) as text_ix:
        text_ix.add_documents(docs, extract="offline", tenant="text")
        assert "ticker" not in text_ix.catalogue(tenant="text")
        question, gold = _question("In the second quarter of 2023, what was the primary")
        inference = infer_filter(text_ix, question, tenant="text")
        assert inference.filter is not None
        assert "organizations" in json.dumps(inference.filter)
        assert _stems(text_ix, inference.filter, tenant="text") == set(gold)


def test_a_tenant_is_never_widened(index: RagIndex) -> None:
    other = SourceDocument("tesla-q3", "FORM 10-Q. For the quarterly period ended September 30, "
                           "2023. Tesla, Inc. reported revenue of 23.4 billion dollars in Q3 "
                           "2023.", "2023 Q3 TSLA", {"ticker": "TSLA"})
    index.add_documents([other], tenant="other", extract="offline")
    try:
        assert "TSLA" not in index.catalogue()["ticker"].values
        agent = build_agent(index)
        result = agent.invoke({"question": "What revenue did Tesla report in Q3 2023?"})
        assert all(c["source_id"] != "tesla-q3" for c in result["citations"])
        theirs = agent.invoke({"question": "What revenue did Apple report in Q3 2023?"},
                              context={"tenant": "other"})
        assert {c["source_id"] for c in theirs["citations"]} == {"tesla-q3"}
    finally:
        index.delete_source("tesla-q3", tenant="other")
