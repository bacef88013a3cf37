"""Property test: every filtered search, keyword search and read by id against a brute-force
reference over the same rows, on random nested filters and tenants (Hypothesis).

Quick in `make test` (RAG_AGENT_PROPERTY_EXAMPLES, default 300 cases); `make bench` runs 10,000
(bench/reliability.py) and docs/RELIABILITY.md quotes it. Every property runs on both backends:
a folder index (FAISS + SQLite) and one in PostgreSQL with pgvector.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rag_agent import RagIndex, SourceDocument
from tests.conftest import BACKENDS

EXAMPLES = int(os.environ.get("RAG_AGENT_PROPERTY_EXAMPLES", "300"))
TENANTS = ["default", "acme", "globex"]
TICKERS = ["AAPL", "MSFT", "NVDA", "TSLA"]
TAGS = ["red", "green", "blue"]
WORDS = ["alpha", "beta", "gamma", "delta"]


def _metadata(rng: random.Random) -> dict[str, Any]:
    meta: dict[str, Any] = {"ticker": rng.choice(TICKERS)}
    if rng.random() < 0.8:
        meta["year"] = rng.randint(2019, 2024)
    if rng.random() < 0.6:
        meta["tags"] = rng.sample(TAGS, rng.randint(0, 3))
    if rng.random() < 0.7:
        meta["score"] = round(rng.uniform(0, 10), 1)
    if rng.random() < 0.5:
        meta["draft"] = rng.random() < 0.5
    if rng.random() < 0.7:
        meta["date"] = f"20{rng.randint(19, 24)}-{rng.randint(1, 12):02d}-15"
    return meta


@pytest.fixture(scope="module", params=BACKENDS)
def corpus(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[RagIndex, dict]]:
    """60 documents over three tenants, random metadata, and the rows a reference needs; in a
    folder (FAISS + SQLite) and in PostgreSQL."""
    from langchain_core.embeddings import DeterministicFakeEmbedding

    from rag_agent.models import LangChainEmbedder

    rng = random.Random(13)
    where = (request.getfixturevalue("pg_server").database("filter_property")
             if request.param == "postgres" else tmp_path_factory.mktemp("prop") / "idx")
    index = RagIndex.open(where, embedder=LangChainEmbedder(
        DeterministicFakeEmbedding(size=16), model_id="fake-16"))
    for tenant in TENANTS:
        docs = []
        for i in range(20):
            words = " ".join(rng.choice(WORDS) for _ in range(3))
            text = (f"Record {i} of {tenant} mentions {words}. It also notes item {i * 3}. "
                    f"The end of record {i} says {rng.choice(WORDS)}.")
            docs.append(SourceDocument(f"{tenant}-{i}", text, f"Record {i}", _metadata(rng)))
        index.add_documents(docs, tenant=tenant)
    rows = index.conn.execute(
        "SELECT u.id, u.kind, u.text, u.vector, d.tenant, d.metadata, u.parent_id FROM units u "
        "JOIN documents d ON d.doc_id = u.doc_id").fetchall()
    units = [{"id": r[0], "kind": r[1], "text": r[2], "vector": np.frombuffer(r[3], np.float32),
              "tenant": r[4], "meta": json.loads(r[5]), "parent": r[6]} for r in rows]
    yield index, {"units": units}
    index.close()


# ----- the reference: the filter syntax of rag_agent.index.filters, evaluated in Python -----
def _members(meta: dict, field: str) -> list[Any]:
    if field not in meta:
        return []
    value = meta[field]
    values = value if isinstance(value, list) else [value]
    return [int(v) if isinstance(v, bool) else v for v in values]


def _scalar(value: Any) -> Any:
    return int(value) if isinstance(value, bool) else value


def _op(meta: dict, field: str, op: str, value: Any) -> bool:
    if op == "$exists":
        return (field in meta) == value
    if op in ("$eq", "$ne"):
        hit = _scalar(value) in _members(meta, field)
        return hit if op == "$eq" else not hit
    if op in ("$in", "$nin"):
        hit = any(_scalar(v) in _members(meta, field) for v in value)
        return hit if op == "$in" else not hit
    have = meta.get(field)
    if isinstance(value, str):
        if not isinstance(have, str):
            return False
    elif isinstance(have, bool) or not isinstance(have, (int, float)):
        return False
    return {"$gt": have > value, "$gte": have >= value, "$lt": have < value,
            "$lte": have <= value}[op]


def matches(meta: dict, flt: dict) -> bool:
    for key, cond in flt.items():
        if key == "$and":
            ok = all(matches(meta, c) for c in cond)
        elif key == "$or":
            ok = any(matches(meta, c) for c in cond)
        elif key == "$not":
            ok = not matches(meta, cond)
        else:
            cond = cond if isinstance(cond, dict) else {"$eq": cond}
            ok = all(_op(meta, key, op, v) for op, v in cond.items())
        if not ok:
            return False
    return True


# ----- random filters ---------------------------------------------------------------------
_values = {"ticker": st.sampled_from(TICKERS), "year": st.integers(2018, 2025),
           "tags": st.sampled_from(TAGS), "score": st.floats(0, 10).map(lambda x: round(x, 1)),
           "draft": st.booleans(), "date": st.sampled_from(["2019-06-01", "2021-01-15",
                                                            "2022-12-31", "2024-03-15"])}
_ranged = ["year", "score", "date"]


@st.composite
def leaf(draw: Any) -> dict:
    field = draw(st.sampled_from(sorted(_values)))
    value = _values[field]
    op = draw(st.sampled_from(["plain", "$eq", "$ne", "$in", "$nin", "$exists"]
                              + (["$gt", "$gte", "$lt", "$lte"] if field in _ranged else [])))
    if op == "plain":
        return {field: draw(value)}
    if op == "$exists":
        return {field: {"$exists": draw(st.booleans())}}
    if op in ("$in", "$nin"):
        return {field: {op: draw(st.lists(value, min_size=1, max_size=3))}}
    return {field: {op: draw(value)}}


filters = st.recursive(
    leaf(), lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3).map(lambda fs: {"$and": fs}),
        st.lists(inner, min_size=1, max_size=3).map(lambda fs: {"$or": fs}),
        inner.map(lambda f: {"$not": f}),
        st.tuples(leaf(), leaf()).map(lambda p: {**p[0], **p[1]})), max_leaves=6)

CASE = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@CASE
@given(flt=st.one_of(st.none(), filters), tenant=st.sampled_from([*TENANTS, "nobody"]),
       kind=st.sampled_from(["child", "sentence", "summary"]), k=st.integers(1, 40),
       seed=st.integers(0, 2**16))
def test_filtered_search_is_the_brute_force_top_k(corpus, flt, tenant, kind, k, seed) -> None:
    index, ref = corpus
    query = np.random.default_rng(seed).standard_normal(16).astype(np.float32)
    query /= np.linalg.norm(query)
    want = [u for u in ref["units"] if u["kind"] == kind and u["tenant"] == tenant
            and (flt is None or matches(u["meta"], flt))]
    hits = index.search(query, kind=kind, k=k, filter=flt, tenant=tenant)
    allowed = {u["id"] for u in want}
    assert {h.unit_id for h in hits} <= allowed  # nothing outside the filter or the tenant
    assert len(hits) == min(k, len(want))  # never fewer than min(k, matches)
    scores = sorted((float(u["vector"] @ query) for u in want), reverse=True)
    assert [h.score for h in hits] == pytest.approx(scores[:len(hits)], abs=1e-5)


@CASE
@given(flt=st.one_of(st.none(), filters), tenant=st.sampled_from(TENANTS),
       kind=st.sampled_from(["child", "sentence", "summary"]), word=st.sampled_from(WORDS),
       k=st.integers(1, 40))
def test_keyword_search_stays_inside_filter_and_tenant(corpus, flt, tenant, kind, word,
                                                       k) -> None:
    index, ref = corpus
    want = {u["id"] for u in ref["units"] if u["kind"] == kind and u["tenant"] == tenant
            and (flt is None or matches(u["meta"], flt))
            and word in u["text"].lower().replace(".", " ").split()}
    hits = index.keyword_search(word, kind=kind, k=k, filter=flt, tenant=tenant)
    assert {h.unit_id for h in hits} <= want
    assert len(hits) == min(k, len(want))


@CASE
@given(tenant=st.sampled_from([*TENANTS, "nobody"]), picks=st.lists(st.integers(0, 10**6),
                                                                     min_size=1, max_size=8))
def test_reads_by_id_never_cross_tenants(corpus, tenant, picks) -> None:
    index, ref = corpus
    units = ref["units"]
    chosen = [units[p % len(units)] for p in picks]
    parents = index.docstore_for(tenant).mget([u["parent"] or "none" for u in chosen])
    for unit, parent in zip(chosen, parents, strict=True):
        own = unit["tenant"] == tenant and unit["parent"] is not None
        assert (parent is not None) == own
        if parent is not None:
            assert parent.metadata["tenant"] == tenant
    vectors = index.unit_vectors([u["id"] for u in chosen], tenant=tenant)
    assert set(vectors) == {u["id"] for u in chosen if u["tenant"] == tenant}
