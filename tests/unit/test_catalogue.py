from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rag_agent.index.catalogue import Catalogue, FieldInfo, build_catalogue
from rag_agent.index.store import RagIndex
from rag_agent.ingest.loaders import SourceDocument

ROWS = [
    {"ticker": "AAPL", "year": 2023, "quarter": "Q3", "period_end": "2023-07-01",
     "organizations": ["Apple Inc.", "Nasdaq LLC"], "source": "a1.txt", "draft": True,
     "score": 1.5, "nested": {"x": 1}},
    {"ticker": "AAPL", "year": 2022, "quarter": "Q3", "period_end": "2022-06-25",
     "organizations": ["Apple Inc.", "Nasdaq LLC", "Apple Inc."], "source": "a2.txt",
     "score": None},
    {"ticker": "MSFT", "year": 2023, "quarter": "Q3", "period_end": "2023-09-30",
     "organizations": ["MICROSOFT CORPORATION", "Nasdaq LLC"], "source": "m1.txt"},
    {"ticker": "MSFT", "year": 2023, "quarter": "Q2", "period_end": "2023-06-30",
     "organizations": ["MICROSOFT CORPORATION", "Nasdaq LLC"], "source": "m2.txt"},
]


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return build_catalogue(ROWS, "default", 7)


def test_catalogue_header_and_types(cat: Catalogue) -> None:
    assert (cat.tenant, cat.documents, cat.generation) == ("default", 4, 7)
    assert {n: f.type for n, f in cat.fields.items()} == {
        "ticker": "str", "year": "int", "quarter": "str", "period_end": "date",
        "organizations": "list", "source": "str", "draft": "bool", "score": "float"}
    assert "nested" not in cat and "ticker" in cat  # dict values are not catalogued
    assert isinstance(cat["ticker"], FieldInfo)


def test_catalogue_counts(cat: Catalogue) -> None:
    assert cat["ticker"].values == {"AAPL": 2, "MSFT": 2}
    assert cat["year"].values == {2023: 3, 2022: 1}
    assert cat["year"].documents == 4 and cat["year"].distinct == 2
    # list elements count once per document, even when repeated in it
    assert cat["organizations"].values == {"Nasdaq LLC": 4, "Apple Inc.": 2,
                                           "MICROSOFT CORPORATION": 2}
    assert cat["score"].documents == 1  # None is no value
    assert cat["draft"].values == {True: 1}


def test_identifier_detection(cat: Catalogue) -> None:
    assert cat["source"].identifier
    assert not cat["ticker"].identifier
    assert not cat["period_end"].identifier  # dates are not identifiers
    assert not cat["organizations"].identifier  # alias sources never are
    one = build_catalogue([{"source": "only.txt", "kind": "memo"}], "t", 0)
    assert one["source"].identifier  # id and path fields always are
    assert not one["kind"].identifier  # a single document proves nothing
    five = build_catalogue([{"ticker": t} for t in ("A", "B", "C", "D", "E")], "t", 0)
    assert not five["ticker"].identifier  # five companies, one filing each: a category
    many = build_catalogue([{"name": f"doc {n}"} for n in range(12)], "t", 0)
    assert many["name"].identifier  # one value per document in a larger set


def test_mixed_types_read_as_str() -> None:
    cat = build_catalogue([{"year": 2023}, {"year": "2023"}, {"d": "2023-02-30"}], "t", 0)
    assert cat["year"].type == "str"
    assert cat["year"].values == {2023: 1, "2023": 1}
    assert cat["d"].type == "str"  # an impossible date is no date


def test_aliases_are_names_used_only_under_one_value(cat: Catalogue) -> None:
    ticker = cat["ticker"].aliases
    assert ticker["AAPL"] == ["Apple", "Apple Inc"]
    assert ticker["MSFT"] == ["MICROSOFT", "MICROSOFT CORPORATION"]
    assert not any("Nasdaq" in a for names in ticker.values() for a in names)
    assert cat["year"].aliases == {}  # ints get none


def test_organizations_get_their_own_short_forms(cat: Catalogue) -> None:
    assert cat["organizations"].aliases == {"Nasdaq LLC": ["Nasdaq"], "Apple Inc.": ["Apple"],
                                            "MICROSOFT CORPORATION": ["MICROSOFT"]}


def test_a_name_that_only_one_value_mentions_second_is_no_alias() -> None:
    # the 10-Q set: only Apple's cover pages name "The Nasdaq Stock Market LLC", after Apple
    rows = [{"ticker": "AAPL", "organizations": ["Apple Inc.", "Nasdaq Stock Market LLC"]},
            {"ticker": "AAPL", "organizations": ["Apple Inc.", "Nasdaq Stock Market LLC"]},
            {"ticker": "INTC", "organizations": ["INTEL CORPORATION"]}]
    aliases = build_catalogue(rows, "t", 0)["ticker"].aliases
    assert aliases == {"AAPL": ["Apple", "Apple Inc"], "INTC": ["INTEL", "INTEL CORPORATION"]}


def test_no_aliases_for_a_single_value_field() -> None:
    rows = [{"ticker": "AAPL", "organizations": ["Apple Inc."]}] * 2
    assert build_catalogue(rows, "t", 0)["ticker"].aliases == {}


def test_to_dict_and_lines(cat: Catalogue) -> None:
    d = cat.to_dict()
    assert list(d["fields"]) == sorted(cat.fields)
    assert d["fields"]["ticker"] == {
        "type": "str", "documents": 4, "distinct": 2, "identifier": False,
        "values": {"AAPL": 2, "MSFT": 2},
        "aliases": {"AAPL": ["Apple", "Apple Inc"], "MSFT": ["MICROSOFT", "MICROSOFT CORPORATION"]}}
    lines = cat.lines()
    assert lines[0] == "tenant default: 4 documents"
    assert "  ticker (str, 4 docs): AAPL=2, MSFT=2" in lines
    assert "      AAPL also called: Apple, Apple Inc" in lines
    assert any(line.startswith("  source (identifier, 4 docs)") for line in lines)


# ----- through a RagIndex -------------------------------------------------------------------
def doc(source: str, ticker: str, year: int, text: str = "") -> SourceDocument:
    return SourceDocument(source, text or f"{ticker} report for {year}. Revenue grew.",
                          f"{ticker} {year}", {"ticker": ticker, "year": year})


@pytest.fixture
def index(tmp_path: Path, fake_embedder: Any) -> Iterator[RagIndex]:
    idx = RagIndex.open(tmp_path / "idx", embedder=fake_embedder)
    idx.add_documents([doc(f"{t}-{y}", t, y) for t in ("AAPL", "MSFT") for y in (2022, 2023)])
    yield idx
    idx.close()


def test_index_catalogue_counts(index: RagIndex) -> None:
    cat = index.catalogue()
    assert cat.documents == 4
    assert cat["ticker"].values == {"AAPL": 2, "MSFT": 2}
    assert cat["year"].values == {2022: 2, 2023: 2}
    assert cat["source_id"].identifier  # an id field
    assert cat["title"].identifier  # a title names one document
    assert index.catalogue() is cat  # cached while the index is unchanged


def test_index_catalogue_follows_delete_and_upsert(index: RagIndex) -> None:
    before = index.catalogue()
    assert index.delete_source("AAPL-2022") > 0
    cat = index.catalogue()
    assert cat.generation > before.generation
    assert (cat.documents, cat["ticker"].values) == (3, {"AAPL": 1, "MSFT": 2})
    assert cat["year"].values == {2022: 1, 2023: 2}
    # same text, changed metadata: the upsert shows in the catalogue
    same_text = "AAPL report for 2023. Revenue grew."
    index.add_documents([doc("AAPL-2023", "AAPL", 2024, text=same_text)])
    cat = index.catalogue()
    assert cat.documents == 3
    assert cat["year"].values == {2022: 1, 2023: 1, 2024: 1}
    index.add_documents([doc("MSFT-2023", "NVDA", 2023)])
    assert index.catalogue()["ticker"].values == {"AAPL": 1, "MSFT": 1, "NVDA": 1}


def test_index_catalogue_is_per_tenant(index: RagIndex) -> None:
    index.add_documents([doc("TSLA-2023", "TSLA", 2023)], tenant="b")
    assert index.catalogue(tenant="b")["ticker"].values == {"TSLA": 1}
    assert index.catalogue(tenant="b").documents == 1
    assert index.catalogue()["ticker"].values == {"AAPL": 2, "MSFT": 2}
    assert index.catalogue(tenant="nobody").documents == 0
    assert index.catalogue(tenant="nobody").fields == {}
    assert index.count_documents({"ticker": "TSLA"}) == 0
    assert index.count_documents({"ticker": "TSLA"}, tenant="b") == 1
    assert [m["ticker"] for m in index.documents_metadata({"year": 2023}, tenant="b")] == ["TSLA"]


def test_catalogue_value_order_does_not_depend_on_the_hash_seed() -> None:
    """Values (and so the surfaces auto-retrieval matches, in order) come in first-seen
    order, never in set order, which changes with PYTHONHASHSEED from process to process."""
    import os
    import subprocess
    import sys

    script = (
        "from rag_agent.index.catalogue import build_catalogue\n"
        "rows = [{'tags': ['zeta', 'alpha', 'mu', 'beta', 'omega', 'kappa']},"
        " {'tags': ['kappa', 'delta']}, {'company': 'Acme Corp', 'tags': []}]\n"
        "cat = build_catalogue(rows, 'default', 1)\n"
        "print([list(i.values) for i in cat.fields.values()])\n")
    seen = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                           check=True, env={**os.environ, "PYTHONHASHSEED": str(seed)}
                           ).stdout for seed in range(6)}
    assert seen == {"[['zeta', 'alpha', 'mu', 'beta', 'omega', 'kappa', 'delta'], "
                    "['Acme Corp']]\n"}
