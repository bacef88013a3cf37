from typing import Any

import pytest

from rag_agent.agent.infer import catalogue_schema, llm_infer_filter, validate_proposal
from rag_agent.index.catalogue import Catalogue
from rag_agent.index.store import RagIndex
from rag_agent.retrieval.autofilter import filterable_fields
from tests.unit.fakes import FakeChat

PROMPT = "Which metadata does this question name? {question}"


@pytest.fixture
def cat(filings_index: RagIndex) -> Catalogue:
    return filings_index.catalogue()


# ----- catalogue_schema ---------------------------------------------------------------------
def test_catalogue_schema_has_one_optional_field_per_filterable_field(cat: Catalogue) -> None:
    schema = catalogue_schema(cat)
    assert set(schema.model_fields) == {f.name for f in filterable_fields(cat)}
    assert all(not f.is_required() and f.default is None for f in schema.model_fields.values())
    assert schema.model_fields["year"].annotation == int | None
    assert schema.model_fields["ticker"].annotation == str | None
    desc = schema.model_fields["ticker"].description
    assert desc.startswith("one of: AAPL, MSFT") and "AAPL = Apple, Apple Inc" in desc
    assert schema().model_dump() == dict.fromkeys(schema.model_fields)


# ----- validate_proposal --------------------------------------------------------------------
def test_validate_proposal(cat: Catalogue) -> None:
    trace: list[str] = []
    proposal = {"sector": "tech", "ticker": "APPL", "year": "2023", "quarter": "q3",
                "organizations": None, "period_end": ""}
    assert validate_proposal(proposal, cat, trace) == {"year": 2023, "quarter": "Q3"}
    assert trace == ["llm proposed unknown field 'sector': dropped",
                     "llm proposed ticker = 'APPL', not a catalogue value: dropped",
                     "llm: year = 2023", "llm: quarter = 'Q3'"]


@pytest.mark.parametrize(("field", "raw", "value"), [
    ("ticker", "apple", "AAPL"),  # an alias, any case
    ("ticker", "Apple Inc", "AAPL"),
    ("ticker", "msft", "MSFT"),  # a value, any case
    ("organizations", "microsoft", "MICROSOFT CORPORATION"),
    ("year", 2022, 2022),
    ("year", " 2023 ", 2023),
    ("year", 2021, None),  # an int the catalogue does not hold
    ("period_end", "2023-07-01", "2023-07-01"),
    ("period_end", "2023-07-02", None),
])
def test_validate_proposal_canonicalizes(cat: Catalogue, field: str, raw: Any,
                                         value: Any) -> None:
    trace: list[str] = []
    assert validate_proposal({field: raw}, cat, trace) == ({field: value} if value else {})
    assert trace[0].endswith("dropped") == (value is None)


def test_source_ids_are_not_filterable(cat: Catalogue) -> None:
    trace: list[str] = []
    assert validate_proposal({"source_id": "2023 Q3 AAPL"}, cat, trace) == {}
    assert trace == ["llm proposed unknown field 'source_id': dropped"]


# ----- llm_infer_filter ---------------------------------------------------------------------
def infer(chat: Any, index: RagIndex, base_filter: dict | None = None, tenant: str = "default"):
    return llm_infer_filter(chat, index, "Apple margin in Q3 2023?", PROMPT, tenant=tenant,
                            base_filter=base_filter, timeout=5.0)


def test_llm_valid_proposal_sets_the_filter(filings_index: RagIndex) -> None:
    chat = FakeChat(lambda schema: schema(ticker="apple", year=2023, quarter="Q3"))
    result = infer(chat, filings_index)
    assert result.filter == {"ticker": "AAPL", "year": 2023, "quarter": "Q3"}
    assert result.fallback is None
    assert chat.runnable.prompts == ["Which metadata does this question name? "
                                     "Apple margin in Q3 2023?"]
    assert filings_index.count_documents(result.filter) == 1


def test_llm_dict_answer_is_accepted(filings_index: RagIndex) -> None:
    chat = FakeChat({"ticker": "MSFT"})
    result = infer(chat, filings_index)
    assert result.filter == {"ticker": "MSFT"}
    assert [method for _, method in chat.calls] == ["function_calling"]  # works on local servers


def test_llm_invalid_value_gives_no_filter(filings_index: RagIndex) -> None:
    result = infer(FakeChat({"ticker": "APPL"}), filings_index)
    assert result.filter is None
    assert result.trace == ["llm proposed ticker = 'APPL', not a catalogue value: dropped",
                            "llm proposed no valid field"]


def test_llm_failure_gives_no_filter(filings_index: RagIndex) -> None:
    result = infer(FakeChat(RuntimeError("server down")), filings_index)
    assert result.filter is None
    assert result.trace == ["llm filter unusable (RuntimeError: server down)"]


def test_llm_filter_matching_nothing_falls_back(filings_index: RagIndex) -> None:
    result = infer(FakeChat({"ticker": "AAPL"}), filings_index, base_filter={"ticker": "MSFT"})
    assert result.filter is None
    assert result.fallback == "no document matches {'ticker': 'AAPL'}; llm filter dropped"
    assert result.trace[-1] == result.fallback


def test_llm_not_asked_without_filterable_fields(filings_index: RagIndex) -> None:
    chat = FakeChat({"ticker": "AAPL"})
    assert infer(chat, filings_index, tenant="nobody") is None
    assert chat.schemas == []


def test_llm_uses_the_tenants_catalogue(filings_index: RagIndex) -> None:
    assert infer(FakeChat({"ticker": "AAPL"}), filings_index, tenant="b").filter is None
    assert infer(FakeChat({"ticker": "tesla"}), filings_index, tenant="b").filter == {
        "ticker": "TSLA"}


def test_llm_without_tool_calling_is_a_fallback_not_an_error(filings_index: RagIndex) -> None:
    class NoTools:
        def with_structured_output(self, schema: type, method: str = "") -> None:
            raise NotImplementedError("no tool calling")

    result = infer(NoTools(), filings_index)
    assert result is not None and result.filter is None
    assert "NotImplementedError" in result.trace[0]
