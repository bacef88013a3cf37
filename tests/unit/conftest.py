"""A small index of quarterly filings (two companies x four quarters) for auto-filter tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

from rag_agent.index.store import RagIndex
from rag_agent.ingest.loaders import SourceDocument
from rag_agent.models import LangChainEmbedder

PERIODS = [(2022, "Q3"), (2023, "Q1"), (2023, "Q2"), (2023, "Q3")]
PERIOD_ENDS = {"AAPL": ["2022-06-25", "2022-12-31", "2023-04-01", "2023-07-01"],
               "MSFT": ["2022-09-30", "2023-03-31", "2023-06-30", "2023-09-30"]}
NAMES = {"AAPL": "Apple Inc.", "MSFT": "MICROSOFT CORPORATION"}
OTHER_TENANT = {"TSLA": "Tesla, Inc.", "GM": "General Motors Company"}


def filing(ticker: str, name: str, year: int, quarter: str, end: str | None) -> SourceDocument:
    meta = {"ticker": ticker, "year": year, "quarter": quarter,
            "organizations": [name, "Nasdaq LLC"]}
    if end:
        meta["period_end"] = end
    text = (f"{name} quarterly report for {quarter} {year}. Net sales rose. "
            f"Gross margin was stable. Operating expenses grew.")
    return SourceDocument(f"{year} {quarter} {ticker}", text, f"{ticker} {quarter} {year}", meta)


@pytest.fixture(scope="module")
def filings_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RagIndex]:
    """AAPL and MSFT for 2022 Q3, 2023 Q1-Q3 in tenant 'default'; TSLA and GM in tenant 'b'."""
    path: Path = tmp_path_factory.mktemp("filings") / "idx"
    embedder = LangChainEmbedder(DeterministicFakeEmbedding(size=32), model_id="fake-32")
    index = RagIndex.open(path, embedder=embedder)
    index.add_documents([filing(t, NAMES[t], y, q, PERIOD_ENDS[t][i])
                         for t in NAMES for i, (y, q) in enumerate(PERIODS)])
    index.add_documents([filing(t, name, 2023, q, None)
                         for t, name in OTHER_TENANT.items() for q in ("Q2", "Q3")], tenant="b")
    yield index
    index.close()
