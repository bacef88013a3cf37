"""Ingestion of real public data (../shared/data): SciFact records, 10-Q PDFs, city articles."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from rag_agent import RagIndex
from rag_agent.eval.datasets import load_dataset
from tests.integration.helpers import assert_consistent

pytestmark = [pytest.mark.integration, pytest.mark.data]


def test_scifact_slice_finds_its_cited_abstracts(tmp_path: Path, shared_data: Path,
                                                 real_embedder) -> None:
    """300 abstracts holding the gold documents of the first test claims, ingested from a JSONL
    file of BEIR records; the claims find them."""
    data = load_dataset("scifact", shared_data, quick=True)
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps({"_id": d.key, "title": d.title, "text": d.text}) + "\n"
                              for d in data.docs))
    queries = {q.qid: q.text for q in data.queries}
    gold = {q.qid: set(q.gold) for q in data.queries}

    with RagIndex.open(tmp_path / "ix", embedder=real_embedder) as index:
        report = index.add_paths([corpus])
        assert report.added == len(data.docs) == 300 and not report.skipped
        assert_consistent(index)
        found = 0
        for qid, text in queries.items():
            hits = index.search(text, kind="child", k=10)
            found += bool({h.source_id for h in hits} & gold[qid])
        # dense MiniLM finds most cited abstracts in the top 10 among 300 (not a tuned figure:
        # it fails if ids, text or vectors are mixed up, which would put it near 10/300)
        assert found >= 0.7 * len(queries), (found, len(queries))


def test_sec_10q_pdf_and_city_articles(tmp_path: Path, shared_data: Path, real_embedder) -> None:
    pdfs = sorted((shared_data / "docugami_sec10q" / "pdfs").glob("*.pdf"))[:1]
    cities = [shared_data / "city_wiki" / "Toronto.txt"]
    with RagIndex.open(tmp_path / "ix", embedder=real_embedder) as index:
        report = index.add_paths([*pdfs, *cities])
        assert report.added == len(pdfs) + 1 and not report.skipped
        hit = index.search("Toronto population census", kind="sentence", k=1)[0]
        assert "Toronto" in hit.text or hit.title == "Toronto"
        assert_consistent(index)
        assert list(itertools.islice(index.docstore.yield_keys(), 1))
