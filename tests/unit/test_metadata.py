import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from rag_agent.errors import ConfigError
from rag_agent.index.store import RagIndex
from rag_agent.ingest.loaders import Skipped, SourceDocument
from rag_agent.ingest.metadata import (
    LLMMetadataExtractor,
    OfflineExtractor,
    PathTemplate,
    enrich,
    name_variants,
    organization_names,
)
from tests.unit.fakes import FakeChat

COVER = """UNITED STATES SECURITIES AND EXCHANGE COMMISSION
Washington, D.C. 20549
FORM 10-Q
QUARTERLY REPORT PURSUANT TO SECTION 13 OR 15(d) OF THE SECURITIES EXCHANGE ACT OF 1934
For the quarterly period ended July 1, 2023
Commission File Number: 001-36743
Apple Inc.
(Exact name of Registrant as specified in its charter)
Indicate by check mark whether the Registrant is a large accelerated filer, a Smaller
Reporting Company or an emerging growth company.
"""
LATER = " Net sales in Q3 2023 compared with Q3 2022. Q3 2023 gross margin was higher."


# ----- PathTemplate ------------------------------------------------------------------------
def test_template_fields_from_the_file_name() -> None:
    t = PathTemplate("{year} {quarter} {ticker}")
    assert t.fields == ["year", "quarter", "ticker"]
    assert t.match("/x/2023 Q3 AAPL.txt") == {"year": 2023, "quarter": "Q3", "ticker": "AAPL"}
    assert t.match(Path("2022 Q1 MSFT.pdf")) == {"year": 2022, "quarter": "Q1", "ticker": "MSFT"}
    assert t.match("/x/notes.txt") is None
    assert PathTemplate("{ticker}-10Q-{year}").match("a/b/NVDA-10Q-2024.htm") == {
        "ticker": "NVDA", "year": 2024}


def test_template_with_a_slash_reads_the_parent_folder() -> None:
    t = PathTemplate("{company}/{year}")
    assert t.match("/data/Apple/2023.txt") == {"company": "Apple", "year": 2023}
    assert t.match("2023.txt") is None  # no parent folder to read


@pytest.mark.parametrize("template", ["no fields here", "{year}-{year}", "{}", "{2bad}"])
def test_bad_templates_raise_config_error(template: str) -> None:
    with pytest.raises(ConfigError, match="template"):
        PathTemplate(template)


# ----- names --------------------------------------------------------------------------------
def test_organization_names() -> None:
    text = ("Apple Inc. (Exact name of Registrant). AMAZON.COM, INC. and NVIDIA CORPORATION "
            "filed. A Smaller Reporting Company; the army co; The Boeing Company; Apple Inc again.")
    assert organization_names(text) == ["Apple Inc.", "AMAZON.COM, INC.", "NVIDIA CORPORATION",
                                        "Boeing Company"]
    assert organization_names("the army co and smaller reporting company") == []
    assert organization_names("Large Accelerated Filer Inc, Emerging Growth Company") == []


def test_organization_names_limit() -> None:
    text = " ".join(f"Name{n} Inc." for n in range(8))
    assert organization_names(text) == [f"Name{n} Inc." for n in range(5)]
    assert organization_names(text, limit=2) == ["Name0 Inc.", "Name1 Inc."]


@pytest.mark.parametrize(("name", "variants"), [
    ("Apple Inc.", ["Apple Inc", "Apple"]),
    ("AMAZON.COM, INC.", ["AMAZON.COM, INC", "AMAZON.COM", "AMAZON"]),
    ("NVIDIA CORPORATION", ["NVIDIA CORPORATION", "NVIDIA"]),
    ("Microsoft", ["Microsoft"]),
])
def test_name_variants(name: str, variants: list[str]) -> None:
    assert name_variants(name) == variants


# ----- OfflineExtractor ---------------------------------------------------------------------
def test_offline_extractor_reads_a_10q_cover() -> None:
    doc = SourceDocument("aapl.txt", COVER + LATER, "Apple 10-Q")
    assert OfflineExtractor()(doc) == {
        "organizations": ["Apple Inc."], "period_end": "2023-07-01", "period_type": "quarter",
        "year": 2023, "quarter": "Q3"}


def test_offline_extractor_falls_back_to_the_calendar_quarter() -> None:
    # no "Q3 2023" labels: the three months ended July 1 mostly lie in Q2
    out = OfflineExtractor()(SourceDocument("aapl.txt", COVER, "Apple 10-Q"))
    assert (out["year"], out["quarter"], out["period_end"]) == (2023, "Q2", "2023-07-01")


def test_offline_extractor_annual_report_and_plain_document() -> None:
    annual = SourceDocument("k.txt", "ANNUAL REPORT For the fiscal year ended September 30, "
                            "2023. Microsoft Corporation", "10-K")
    assert OfflineExtractor()(annual) == {
        "organizations": ["Microsoft Corporation"], "period_end": "2023-09-30",
        "period_type": "year", "year": 2023}
    minutes = SourceDocument("m.txt", "Minutes of the meeting of March 3, 2022. Next: 2022-04-01.",
                             "minutes")
    assert OfflineExtractor()(minutes) == {"date": "2022-03-03"}
    assert OfflineExtractor()(SourceDocument("e.txt", "nothing to find", "t")) == {}


def test_offline_extractor_reads_only_the_opening() -> None:
    doc = SourceDocument("late.txt", "x" * 100 + " Apple Inc. on July 1, 2023", "late")
    assert OfflineExtractor(opening_chars=50)(doc) == {}


# ----- enrich -------------------------------------------------------------------------------
def test_enrich_precedence_own_over_template_over_extracted() -> None:
    doc = SourceDocument("/x/2023 Q3 AAPL.txt", "text", "t", {"quarter": "Q9"})
    extracted = {"year": 1999, "quarter": "Q1", "ticker": "XX", "organizations": ["Apple Inc."]}
    warnings: list[Skipped] = []
    (out,) = enrich([doc], warnings, template="{year} {quarter} {ticker}",
                    extractors=[lambda d: extracted])
    assert out.metadata == {"year": 2023, "quarter": "Q9", "ticker": "AAPL",
                            "organizations": ["Apple Inc."]}
    assert warnings == []


def test_enrich_prefers_source_metadata_over_source_id() -> None:
    doc = SourceDocument("rec-1", "text", "t", {"source": "/d/2021 Q1 MSFT.jsonl"})
    (out,) = enrich([doc], [], template=PathTemplate("{year} {quarter} {ticker}"))
    assert out.metadata["ticker"] == "MSFT" and out.metadata["year"] == 2021


def test_enrich_warns_but_keeps_a_file_not_fitting_the_template() -> None:
    docs = [SourceDocument("/x/notes.txt", "a", "n"),
            SourceDocument("/x/2023 Q3 AAPL.txt", "b", "a")]
    warnings: list[Skipped] = []
    out = list(enrich(docs, warnings, template="{year} {quarter} {ticker}"))
    assert [d.source_id for d in out] == ["/x/notes.txt", "/x/2023 Q3 AAPL.txt"]
    assert out[0].metadata == {}
    assert len(warnings) == 1 and isinstance(warnings[0], Skipped)
    assert warnings[0].source == "/x/notes.txt"
    assert "does not fit template" in warnings[0].reason


def test_enrich_survives_a_failing_extractor() -> None:
    def broken(doc: SourceDocument) -> dict[str, Any]:
        raise RuntimeError("model down")

    warnings: list[Skipped] = []
    out = list(enrich([SourceDocument("a.txt", "x", "a")], warnings,
                      extractors=[broken, lambda d: {"k": 1}]))
    assert [d.metadata for d in out] == [{"k": 1}]
    assert len(warnings) == 1 and warnings[0].source == "a.txt"
    assert "broken" in warnings[0].reason and "RuntimeError: model down" in warnings[0].reason


def test_enrich_makes_extracted_keys_filterable_and_warns() -> None:
    warnings: list[Skipped] = []
    out = list(enrich([SourceDocument("a.txt", "x", "a", {"own": 1})], warnings,
                      extractors=[lambda d: {"Fiscal Year": 2023, "ratio": float("inf"),
                                             "who": "A\x00B"}]))
    assert out[0].metadata == {"Fiscal_Year": 2023, "who": "AB", "own": 1}
    assert [(w.source, w.reason.split(":")[0]) for w in warnings] == [
        ("a.txt", "extracted metadata key 'Fiscal Year' renamed 'Fiscal_Year'"),
        ("a.txt", "extracted metadata 'ratio' holds inf, which is not a JSON number; dropped")]


def test_add_paths_with_template_and_offline_extract(tmp_path: Path, fake_embedder: Any) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "2023 Q3 AAPL.txt").write_text(COVER + LATER)
    (docs / "notes.txt").write_text("Plain notes written on March 3, 2022.")
    with RagIndex.open(tmp_path / "idx", embedder=fake_embedder) as index:
        report = index.add_paths([docs], template="{year} {quarter} {ticker}", extract="offline")
        assert [w.source for w in report.warnings] == [str(docs / "notes.txt")]
        metas = {Path(m["source"]).name: m for m in index.documents_metadata()}
        assert metas["notes.txt"]["date"] == "2022-03-03" and "ticker" not in metas["notes.txt"]
        apple = metas["2023 Q3 AAPL.txt"]
        assert (apple["ticker"], apple["year"], apple["quarter"]) == ("AAPL", 2023, "Q3")
        assert apple["organizations"] == ["Apple Inc."]
        with pytest.raises(ConfigError, match="extract="):
            index.add_paths([docs], extract="online")


# ----- LLMMetadataExtractor -----------------------------------------------------------------
class Filing(BaseModel):
    company: str | None = None
    period_end: dt.date | None = None
    year: int | None = None
    segments: list[str] = []


class DictStore:
    def __init__(self) -> None:
        self.data: dict[str, str] = {}

    def mget(self, keys: list[str]) -> list[str | None]:
        return [self.data.get(k) for k in keys]

    def mset(self, pairs: list[tuple[str, str]]) -> None:
        self.data.update(pairs)


DOC = SourceDocument("a.txt", COVER, "Apple 10-Q")


@pytest.mark.parametrize("answer", [
    {"company": "Apple Inc.", "period_end": "2023-07-01", "year": 2023, "segments": []},
    Filing(company="Apple Inc.", period_end=dt.date(2023, 7, 1), year=2023),
])
def test_llm_extractor_returns_plain_validated_fields(answer: Any) -> None:
    chat = FakeChat(answer)
    out = LLMMetadataExtractor(chat, Filing)(DOC)
    assert out == {"company": "Apple Inc.", "period_end": "2023-07-01", "year": 2023}
    assert chat.calls == [(Filing, "function_calling")]
    assert "Apple 10-Q" in chat.runnable.prompts[0] and "FORM 10-Q" in chat.runnable.prompts[0]


def test_llm_extractor_invalid_answer_raises_and_enrich_warns() -> None:
    extractor = LLMMetadataExtractor(FakeChat({"year": "not a year"}), Filing)
    with pytest.raises(ValidationError):
        extractor(DOC)
    warnings: list[Skipped] = []
    doc = SourceDocument("b.txt", "text", "b", {"own": 1})
    assert [d.metadata for d in enrich([doc], warnings, extractors=[extractor])] == [{"own": 1}]
    assert len(warnings) == 1 and "LLMMetadataExtractor" in warnings[0].reason
    assert "ValidationError" in warnings[0].reason


def test_llm_extractor_cache_saves_the_second_call() -> None:
    chat = FakeChat({"company": "Apple Inc.", "year": 2023})
    cache = DictStore()
    extractor = LLMMetadataExtractor(chat, Filing, cache=cache)
    first = extractor(DOC)
    assert extractor(DOC) == first == {"company": "Apple Inc.", "year": 2023}
    assert len(chat.runnable.prompts) == 1
    assert [json.loads(v) for v in cache.data.values()] == [first]
    extractor(SourceDocument("c.txt", "other text", "other"))  # other text: a new call
    assert len(chat.runnable.prompts) == 2


def test_llm_extractor_needs_a_pydantic_schema() -> None:
    with pytest.raises(ConfigError, match="pydantic"):
        LLMMetadataExtractor(FakeChat({}), dict)


def test_llm_extractor_timeout_cancels_a_hung_call() -> None:
    """A hung call is cancelled at the timeout, not abandoned on a worker thread: the
    extractor returns at once and nothing of the call is left running."""
    import asyncio
    import time

    from pydantic import BaseModel

    events: list[str] = []

    class Hung:
        def with_structured_output(self, schema, method=None):  # noqa: ANN001, ARG002
            return self

        async def ainvoke(self, prompt):  # noqa: ANN001, ARG002
            events.append("sent")
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                events.append("cancelled")
                raise

    class Fields(BaseModel):
        company: str | None = None

    extractor = LLMMetadataExtractor(Hung(), Fields, timeout=0.1)
    started = time.perf_counter()
    for _ in range(3):  # each call is sent: none queues behind a hung one
        with pytest.raises(TimeoutError, match="no answer within 0.1 s"):
            extractor(SourceDocument("a", "Acme Inc. text", "a", {}))
    assert time.perf_counter() - started < 3
    assert events == ["sent", "cancelled"] * 3


def test_a_template_with_an_unmatched_brace_is_refused() -> None:
    with pytest.raises(ConfigError, match="unmatched brace"):
        PathTemplate("{year {quarter}")
    with pytest.raises(ConfigError, match="unmatched brace"):
        PathTemplate("{year} quarter}")
