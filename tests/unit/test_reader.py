"""`IndexReader.keyword_search`, `unit_vectors` and the by-id reads on a small index with the fake
embedder."""

from pathlib import Path

import numpy as np
import pytest

from rag_agent import IndexConfig, RagIndex, SourceDocument
from rag_agent.errors import ConfigError
from tests.integration.helpers import assert_keyword_in_step


def _doc(source: str, text: str, **meta: object) -> SourceDocument:
    return SourceDocument(source, text, source.title(), dict(meta))


@pytest.fixture
def index(tmp_path: Path, fake_embedder: object) -> RagIndex:
    ix = RagIndex.open(tmp_path / "ix", embedder=fake_embedder)
    for tenant in ("acme", "globex"):
        ix.add_documents([
            _doc(f"{ticker.lower()}-{year}",
                 " ".join(f"Alpha report {n} on {ticker} for {year}." for n in range(4)),
                 ticker=ticker, year=year)
            for ticker in ("AAPL", "MSFT", "NVDA") for year in (2022, 2023)
        ], tenant=tenant)
    yield ix
    ix.close()


RESTRICTIONS = [
    {},
    {"tenant": "globex"},
    {"tenant": "nobody"},
    {"filter": {"ticker": "MSFT"}},
    {"filter": {"$or": [{"ticker": "AAPL"}, {"year": {"$gte": 2023}}]}, "tenant": "globex"},
    {"filter": {"ticker": {"$nin": ["AAPL", "MSFT"]}, "year": 2022}},
    {"doc_ids": []},
]


@pytest.mark.parametrize("kind", ["child", "sentence", "summary"])
@pytest.mark.parametrize("restriction", RESTRICTIONS)
def test_keyword_search_has_exactly_the_pre_filter_of_search(
        index: RagIndex, kind: str, restriction: dict) -> None:
    opts = {"tenant": "acme", **restriction}
    dense = {h.unit_id for h in index.search("alpha", kind=kind, k=1000, **opts)}
    keyword = index.keyword_search("alpha", kind=kind, k=1000, **opts)  # every unit has "alpha"
    assert {h.unit_id for h in keyword} == dense
    assert all(h.kind == kind and h.score > 0 for h in keyword)


def test_keyword_search_by_doc_ids_and_k(index: RagIndex) -> None:
    doc_ids = [h.doc_id for h in index.search("x", kind="summary", k=2, tenant="globex")]
    hits = index.keyword_search("alpha report", kind="sentence", k=100, tenant="globex",
                                doc_ids=doc_ids)
    assert len(hits) == 8 and {h.doc_id for h in hits} == set(doc_ids)
    # k matching units come back even when most units are filtered away
    hits = index.keyword_search("report", kind="sentence", k=3, filter={"ticker": "NVDA"},
                                tenant="acme")
    assert len(hits) == 3
    assert {(h.metadata["ticker"], h.tenant) for h in hits} == {("NVDA", "acme")}
    assert index.keyword_search("report", kind="sentence", k=3) == []  # default tenant: empty


def test_keyword_hits_carry_what_a_citation_needs(index: RagIndex) -> None:
    [hit] = index.keyword_search("MSFT 2023", kind="sentence", k=1, tenant="acme",
                                 filter={"ticker": "MSFT", "year": 2023})
    assert (hit.source_id, hit.title, hit.tenant) == ("msft-2023", "Msft-2023", "acme")
    assert hit.text.startswith("Alpha report") and hit.metadata["year"] == 2023
    assert hit.to_document().metadata["score"] == hit.score > 0


def test_keyword_search_rejects_unknown_kind_and_empty_queries(index: RagIndex) -> None:
    with pytest.raises(ConfigError, match="unknown unit kind 'parent'"):
        index.keyword_search("alpha", kind="parent", tenant="acme")
    assert index.keyword_search("?! -- ***", tenant="acme") == []
    assert index.keyword_search('What\'s "NEAR" (AAPL) -revenue: Q3*?', tenant="acme",
                                kind="sentence", k=2)  # AAPL is in the text: it matches


def test_replaced_and_deleted_text_is_no_longer_found(tmp_path: Path, fake_embedder) -> None:
    with RagIndex.open(tmp_path / "ix", embedder=fake_embedder) as ix:
        ix.add_documents([_doc("a", "The zebracorn grazes. It likes hay."),
                          _doc("b", "Nothing to see here.")])
        assert [h.source_id for h in ix.keyword_search("zebracorn", kind="sentence")] == ["a"]
        ix.add_documents([_doc("a", "The unicornfish swims. It likes kelp.")])  # upsert
        assert ix.keyword_search("zebracorn hay", kind="child") == []
        assert ix.keyword_search("zebracorn", kind="summary") == []
        assert [h.source_id for h in ix.keyword_search("unicornfish", kind="child")] == ["a"]
        ix.delete_source("a")
        assert ix.keyword_search("unicornfish kelp", kind="sentence") == []
        assert [h.source_id for h in ix.keyword_search("nothing", kind="child")] == ["b"]
        n_units = ix.conn.execute("SELECT count(*) FROM units").fetchone()[0]
        assert assert_keyword_in_step(ix.conn) == n_units


def test_unit_vectors_are_the_stored_ones(index: RagIndex) -> None:
    hits = index.search("alpha", kind="child", k=3, tenant="acme")
    vectors = index.unit_vectors([h.unit_id for h in hits] + [10**9], tenant="acme")
    assert sorted(vectors) == sorted(h.unit_id for h in hits)
    query = index.embed_query("alpha").reshape(-1)
    for hit in hits:
        assert float(vectors[hit.unit_id] @ query) == pytest.approx(hit.score, abs=1e-6)
    assert index.unit_vectors([]) == {}
    assert all(v.dtype == np.float32 for v in vectors.values())


def _one_document_in_two_tenants(tmp_path: Path, fake_embedder) -> RagIndex:
    """12 sentences over several 24-token children, the same document in "acme" and "globex"."""
    ix = RagIndex.open(tmp_path / "ix", embedder=fake_embedder,
                       config=IndexConfig(child_tokens=24))
    text = " ".join(f"Sentence {n} talks about topic {n % 3} at some length here." for n in
                    range(12))
    for tenant in ("acme", "globex"):
        ix.add_documents([_doc("long", text)], tenant=tenant)
    return ix


def test_sentence_child_scores_are_each_sentence_s_child_cosine(tmp_path: Path,
                                                                fake_embedder) -> None:
    ix = _one_document_in_two_tenants(tmp_path, fake_embedder)
    ids = dict(ix.conn.execute("SELECT tenant, doc_id FROM documents").fetchall())
    query = ix.embed_query("topic 1")
    got = ix.sentence_child_scores(query, [ids["acme"]], tenant="acme")[ids["acme"]]
    rows = ix.conn.execute("SELECT position, child FROM units WHERE doc_id = ? AND kind = "
                           "'sentence' ORDER BY position", (ids["acme"],)).fetchall()
    children = {h.position: h.score for h in ix.search(query, kind="child", k=100,
                                                       doc_ids=[ids["acme"]], tenant="acme")}
    assert len(set(children)) > 1 and len(got) == len(rows) == 12
    for position, child in rows:
        assert got[position] == pytest.approx(children[child], abs=1e-6)
    # another tenant's document gives nothing, by id
    assert ix.sentence_child_scores(query, [ids["globex"]], tenant="acme") == {}
    assert ix.sentence_child_scores(query, [], tenant="acme") == {}
    ix.close()


def test_child_vectors_are_each_sentence_s_own_child_within_the_tenant(tmp_path: Path,
                                                                      fake_embedder) -> None:
    ix = _one_document_in_two_tenants(tmp_path, fake_embedder)
    rows = ix.conn.execute(
        "SELECT s.id, d.tenant, c.vector FROM units s JOIN documents d ON d.doc_id = s.doc_id "
        "JOIN units c ON c.doc_id = s.doc_id AND c.kind = 'child' AND c.position = s.child "
        "WHERE s.kind = 'sentence'").fetchall()
    mine = {i: np.frombuffer(v, dtype=np.float32) for i, t, v in rows if t == "acme"}
    theirs = [i for i, t, _ in rows if t == "globex"]
    assert len(mine) == 12 and len({v.tobytes() for v in mine.values()}) > 1
    got = ix.child_vectors([*mine, *theirs], tenant="acme")
    assert set(got) == set(mine)  # another tenant's sentence ids give nothing
    assert all(np.array_equal(got[i], v) for i, v in mine.items())
    assert ix.child_vectors([], tenant="acme") == {}
    ix.close()


def test_every_read_by_id_stays_in_its_tenant(tmp_path: Path, fake_embedder) -> None:
    """Ids of another tenant's documents, parents and units read as missing, whoever passes
    them (an application forwarding ids from its users)."""
    ix = _one_document_in_two_tenants(tmp_path, fake_embedder)
    ids = dict(ix.conn.execute("SELECT tenant, doc_id FROM documents").fetchall())
    theirs = ids["globex"]
    parent = f"{theirs}:p0"
    units = [u for (u,) in ix.conn.execute("SELECT id FROM units WHERE doc_id = ?", (theirs,))]
    for tenant in ("default", "acme"):
        assert ix.docstore_for(tenant).mget([parent]) == [None]
        assert list(ix.docstore_for(tenant).yield_keys(prefix=theirs)) == []
        assert ix.sentences(theirs, 0, 100, tenant=tenant) == []
        assert ix.sentence_rows(theirs, tenant=tenant) == []
        assert ix.sentence_rows(theirs, parent_id=parent, tenant=tenant) == []
        assert ix.sentence_lengths([theirs], tenant=tenant)[theirs].size == 0
        assert ix.unit_vectors(units, tenant=tenant) == {}
        assert ix.embedded_texts(units, tenant=tenant) == {}
    assert ix.docstore.mget([parent]) == [None]  # `docstore` is the default tenant's
    # ... and the owner reads them all
    assert ix.docstore_for("globex").mget([parent])[0].metadata["tenant"] == "globex"
    assert list(ix.docstore_for("globex").yield_keys(prefix=theirs)) == [
        f"{theirs}:p{i}" for i in range(ix.conn.execute(
            "SELECT n_parents FROM documents WHERE doc_id = ?", (theirs,)).fetchone()[0])]
    assert len(ix.sentences(theirs, 0, 100, tenant="globex")) == 12
    assert len(ix.sentence_rows(theirs, tenant="globex")) == 12
    assert ix.sentence_lengths([theirs], tenant="globex")[theirs].size == 12
    assert set(ix.unit_vectors(units, tenant="globex")) == set(units)
    assert ix.embedded_texts(units, tenant="globex")
    ix.close()


def test_the_tenant_docstore_refuses_writes_of_single_parents(tmp_path: Path,
                                                             fake_embedder) -> None:
    from langchain_core.documents import Document

    ix = _one_document_in_two_tenants(tmp_path, fake_embedder)
    with pytest.raises(ConfigError, match="add_documents"):
        ix.docstore.mset([("x", Document(page_content="planted"))])
    with pytest.raises(ConfigError, match="delete_source"):
        ix.docstore_for("acme").mdelete(["x"])
    ix.close()


def test_keyword_reads_take_undecodable_query_words(index: RagIndex) -> None:
    """A lone surrogate (undecodable bytes of a command-line argument) is a word like any."""
    assert index.keyword_search("caf\udcff alpha", kind="child", k=3, tenant="acme")
    assert index.rarest_word_share("caf\udcff alpha", tenant="acme") is not None


def test_units_are_the_tenant_s_stored_rows(tmp_path: Path, fake_embedder) -> None:
    index = _one_document_in_two_tenants(tmp_path, fake_embedder)
    rows = index.units(tenant="acme")
    assert rows and {u.kind for u in rows} == {"summary", "child", "sentence"}
    assert [u.id for u in rows] == sorted(u.id for u in rows)
    stored = index.unit_vectors([u.id for u in rows], tenant="acme")
    assert all(np.array_equal(stored[u.id], u.vector) for u in rows)
    sentences = index.units("sentence", tenant="acme")
    assert {u.kind for u in sentences} == {"sentence"} and all(u.child is not None
                                                               for u in sentences)
    other = {u.id for u in index.units(tenant="globex")}
    assert other and not other & {u.id for u in rows}  # never another tenant's units
    assert index.units(tenant="nobody") == []
    with pytest.raises(ConfigError, match="unknown unit kind"):
        index.units("parent")
    index.close()


def test_snapshot_is_an_index_of_its_own(tmp_path: Path, fake_embedder) -> None:
    index = _one_document_in_two_tenants(tmp_path, fake_embedder)
    copy_dir = index.snapshot(tmp_path / "copy").parent
    with RagIndex.open(copy_dir, embedder=fake_embedder, create=False) as copy:
        assert copy.stats().documents == index.stats().documents
        for tenant in ("acme", "globex"):
            assert ([h.unit_id for h in copy.search("alpha", tenant=tenant, k=5)]
                    == [h.unit_id for h in index.search("alpha", tenant=tenant, k=5)])
    with pytest.raises(ConfigError, match="already holds an index"):
        index.snapshot(copy_dir)
    index.close()


def test_forget_queries_makes_the_next_query_embed_again(tmp_path: Path, fake_embedder) -> None:
    from tests.conftest import CountingEmbedder

    counting = CountingEmbedder(fake_embedder)
    with RagIndex.open(tmp_path / "ix", embedder=counting) as index:
        index.embed_query("alpha beta")
        index.embed_query("alpha beta")
        assert counting.texts.count("alpha beta") == 1  # remembered
        index.forget_queries()
        index.embed_query("alpha beta")
        assert counting.texts.count("alpha beta") == 2
