from typing import Any

import pytest

from rag_agent.index.catalogue import build_catalogue
from rag_agent.index.store import RagIndex
from rag_agent.retrieval.autofilter import (
    PeriodFields,
    and_filters,
    filterable_fields,
    infer_filter,
    period_fields,
)

ALL_AAPL = [("AAPL", 2022, "Q3"), ("AAPL", 2023, "Q1"), ("AAPL", 2023, "Q2"), ("AAPL", 2023, "Q3")]


def selected(index: RagIndex, flt: dict[str, Any] | None, tenant: str = "default") -> list[tuple]:
    """(ticker, year, quarter) of the documents `flt` selects, sorted."""
    return sorted((m["ticker"], m["year"], m["quarter"])
                  for m in index.documents_metadata(flt, tenant=tenant))


def ticker_of(flt: dict[str, Any] | None) -> Any:
    """The ticker constraint anywhere in `flt` (None if there is none)."""
    if not isinstance(flt, dict):
        return None
    if "ticker" in flt:
        return flt["ticker"]
    for part in flt.get("$and", []):
        if (found := ticker_of(part)) is not None:
            return found
    return None


# ----- helpers ------------------------------------------------------------------------------
def test_and_filters() -> None:
    assert and_filters() is None
    assert and_filters(None, {}, None) is None
    assert and_filters({"a": 1}, None) == {"a": 1}
    assert and_filters({"a": 1}, {"b": 2}) == {"$and": [{"a": 1}, {"b": 2}]}


def test_period_and_filterable_fields(filings_index: RagIndex) -> None:
    cat = filings_index.catalogue()
    assert period_fields(cat) == PeriodFields(year="year", quarter="quarter", date="period_end")
    names = {f.name for f in filterable_fields(cat)}
    assert {"ticker", "year", "quarter", "organizations", "period_end"} <= names
    assert "source_id" not in names  # an identifier


def test_period_fields_prefer_plain_over_fiscal() -> None:
    rows = [{"fiscal_year": 2023 + n, "year": 2022 + n, "fq": f"Q{n + 1}", "quarter": f"Q{n + 2}"}
            for n in range(2)]
    pf = period_fields(build_catalogue(rows, "t", 0))
    assert pf == PeriodFields(year="year", quarter="quarter", fiscal_year="fiscal_year",
                              fiscal_quarter=None, date=None)
    assert pf.names == {"year", "quarter", "fiscal_year"}


# ----- explicit periods ---------------------------------------------------------------------
@pytest.mark.parametrize(("question", "expected"), [
    ("What was Apple's gross margin in Q3 2023?", [("AAPL", 2023, "Q3")]),
    ("AAPL net sales in the second quarter of 2023", [("AAPL", 2023, "Q2")]),
    ("MSFT operating expenses in Q3 2022", [("MSFT", 2022, "Q3")]),
    ("How did MICROSOFT do in Q1'23?", [("MSFT", 2023, "Q1")]),
])
def test_explicit_period_and_company(filings_index: RagIndex, question: str,
                                     expected: list[tuple]) -> None:
    inference = infer_filter(filings_index, question)
    assert selected(filings_index, inference.filter) == expected
    assert inference.fallback is None and inference.targets == []


def test_alias_resolves_to_the_ticker(filings_index: RagIndex) -> None:
    inference = infer_filter(filings_index, "What was Apple's gross margin in Q3 2023?")
    assert ticker_of(inference.filter) == "AAPL"
    assert "'Apple' -> ticker = 'AAPL'" in inference.trace
    assert "'Q3 2023' -> {'year': 2023, 'quarter': 'Q3'}" in inference.trace


def test_period_without_company(filings_index: RagIndex) -> None:
    inference = infer_filter(filings_index, "Which company had the best margin in Q2 2023?")
    assert inference.filter == {"year": 2023, "quarter": "Q2"}
    assert selected(filings_index, inference.filter) == [("AAPL", 2023, "Q2"), ("MSFT", 2023, "Q2")]


def test_two_periods_give_two_targets(filings_index: RagIndex) -> None:
    inference = infer_filter(filings_index, "Apple revenue in Q2 2023 vs Q3 2023")
    assert selected(filings_index, inference.filter) == [("AAPL", 2023, "Q2"), ("AAPL", 2023, "Q3")]
    assert [t["name"] for t in inference.targets] == ["Q2 2023", "Q3 2023"]
    assert [selected(filings_index, t["filter"]) for t in inference.targets] == [
        [("AAPL", 2023, "Q2")], [("AAPL", 2023, "Q3")]]


def test_two_companies_give_in_and_two_targets(filings_index: RagIndex) -> None:
    inference = infer_filter(filings_index, "Compare Apple and Microsoft revenue in Q2 2023")
    assert ticker_of(inference.filter) == {"$in": ["AAPL", "MSFT"]}
    assert selected(filings_index, inference.filter) == [("AAPL", 2023, "Q2"), ("MSFT", 2023, "Q2")]
    assert [t["name"] for t in inference.targets] == ["Apple", "Microsoft"]
    assert [selected(filings_index, t["filter"]) for t in inference.targets] == [
        [("AAPL", 2023, "Q2")], [("MSFT", 2023, "Q2")]]


# ----- relative periods ---------------------------------------------------------------------
@pytest.mark.parametrize(("question", "expected"), [
    ("What did Apple report in its latest quarter?", [("AAPL", 2023, "Q3")]),
    ("Microsoft's most recent 10-Q", [("MSFT", 2023, "Q3")]),
    ("Apple's sales over the past year", ALL_AAPL),
    ("Apple's latest quarter and the previous quarter",
     [("AAPL", 2023, "Q2"), ("AAPL", 2023, "Q3")]),
])
def test_relative_periods(filings_index: RagIndex, question: str, expected: list[tuple]) -> None:
    inference = infer_filter(filings_index, question)
    assert selected(filings_index, inference.filter) == expected
    assert inference.fallback is None


def test_latest_resolves_within_the_base_filter(filings_index: RagIndex) -> None:
    inference = infer_filter(filings_index, "Apple's newest filing", base_filter={"year": 2022})
    assert selected(filings_index, inference.filter) == [("AAPL", 2022, "Q3")]
    assert "'newest' -> {'year': 2022, 'quarter': 'Q3'}" in inference.trace


def test_latest_compared_to_previous_quarters_spans_all(filings_index: RagIndex) -> None:
    inference = infer_filter(
        filings_index,
        "How did Apple's margin in the most recent quarter compare to previous quarters?")
    assert selected(filings_index, inference.filter) == ALL_AAPL
    assert "relative period spans earlier periods too: no period filter" in inference.trace
    assert [t["name"] for t in inference.targets] == ["2022 Q3", "2023 Q1", "2023 Q2", "2023 Q3"]
    assert [selected(filings_index, t["filter"]) for t in inference.targets] == [
        [p] for p in ALL_AAPL]


def test_past_year_over_all_companies_is_four_quarters(filings_index: RagIndex) -> None:
    inference = infer_filter(filings_index, "Revenue over the past year")
    assert len(selected(filings_index, inference.filter)) == 8


def test_day_first_date_is_one_date_like_month_first(filings_index: RagIndex) -> None:
    month_first = infer_filter(filings_index, "Apple results for the quarter ended July 1, 2023")
    day_first = infer_filter(filings_index, "Apple results for the quarter ended 1 July 2023")
    assert month_first.targets == [] and day_first.targets == []
    assert day_first.filter == month_first.filter


# ----- fallbacks ----------------------------------------------------------------------------
def test_period_matching_nothing_is_dropped_company_kept(filings_index: RagIndex) -> None:
    inference = infer_filter(filings_index, "Apple revenue in Q4 2021")
    assert ticker_of(inference.filter) == "AAPL"
    assert selected(filings_index, inference.filter) == ALL_AAPL
    assert inference.fallback is not None and inference.fallback.endswith("period dropped")
    assert inference.trace[-1] == inference.fallback


def test_question_naming_nothing_gives_no_filter(filings_index: RagIndex) -> None:
    inference = infer_filter(filings_index, "What is the weather like?")
    assert inference.filter is None and inference.fallback is None and inference.targets == []
    assert inference.trace == ["nothing in the question matches the catalogue: no inferred filter"]


def test_base_filter_excluding_everything_drops_the_filter(filings_index: RagIndex) -> None:
    inference = infer_filter(filings_index, "Apple revenue in Q3 2023",
                             base_filter={"ticker": "MSFT"})
    assert inference.filter is None
    assert inference.fallback is not None
    assert inference.fallback.endswith("inferred filter dropped")
    assert inference.trace[-1] == inference.fallback


def test_base_filter_is_respected_when_relaxing(filings_index: RagIndex) -> None:
    inference = infer_filter(filings_index, "Apple revenue in Q3 2023", base_filter={"year": 2022})
    assert selected(filings_index, and_filters({"year": 2022}, inference.filter)) == [
        ("AAPL", 2022, "Q3")]
    assert inference.fallback is not None and inference.fallback.endswith("period dropped")


# ----- tenants ------------------------------------------------------------------------------
@pytest.mark.parametrize("question", ["Tesla revenue", "TSLA revenue", "General Motors sales"])
def test_other_tenants_values_are_unknown(filings_index: RagIndex, question: str) -> None:
    assert "TSLA" not in filings_index.catalogue()["ticker"].values
    inference = infer_filter(filings_index, question)
    assert inference.filter is None


def test_other_tenant_resolves_its_own_values(filings_index: RagIndex) -> None:
    inference = infer_filter(filings_index, "Tesla revenue in Q3 2023", tenant="b")
    assert ticker_of(inference.filter) == "TSLA"
    assert selected(filings_index, inference.filter, tenant="b") == [("TSLA", 2023, "Q3")]
    assert selected(filings_index, inference.filter) == []  # never another tenant's documents
    assert infer_filter(filings_index, "Apple revenue", tenant="b").filter is None


def test_value_patterns_are_compiled_once_per_catalogue(filings_index: RagIndex) -> None:
    from rag_agent.retrieval import autofilter

    infer_filter(filings_index, "Apple in Q3 2023")
    cat = filings_index.catalogue()
    first = autofilter._SURFACES[cat]
    infer_filter(filings_index, "Microsoft in Q2 2023")
    assert filings_index.catalogue() is cat and autofilter._SURFACES[cat] is first
