"""The same behaviour on both storage backends: a folder (FAISS + SQLite) and PostgreSQL with
pgvector (a real server started by the tests, tests/pgserver.py). Real model throughout.

Upsert by content hash, delete, exact pre-filtered search returning k, tenants by search and by
id, the agent, the command line on a connection string; crash safety (writers SIGKILLed at
random moments) and writers sharing sources at once on PostgreSQL (test_reliability.py runs them
on a folder index); HNSW that still returns k. The filter property test (tests/unit/
test_filter_property.py), LangChain's vector store suite (test_vectorstore.py) and the agent
(test_agent.py) run on both backends too.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from rag_agent import RagIndex, SourceDocument, build_agent
from rag_agent.index.check import check_index
from tests.integration.chaos import chaos, concurrent_rounds
from tests.integration.helpers import assert_consistent

pytestmark = pytest.mark.integration

CITIES = {
    "avalon": ("Avalon", "Avalon is a port city on the northern coast. Avalon has a population "
               "of 412,000 people. Its economy depends on shipping.", {"region": "north",
                                                                     "founded": 1702}),
    "brightwater": ("Brightwater", "Brightwater is a desert city in the south. Brightwater has "
                    "a population of 1.3 million people. Solar power drives its economy.",
                    {"region": "south", "founded": 1881}),
    "cedar": ("Cedar Falls", "Cedar Falls is a mountain town known for its waterfalls. Winters "
              "in Cedar Falls are long and snowy.", {"region": "north", "founded": 1850}),
}


def _docs(**changed: str) -> list[SourceDocument]:
    return [SourceDocument(key, changed.get(key, text), title, dict(meta))
            for key, (title, text, meta) in CITIES.items()]


def test_upsert_by_content_hash(backend_location: str, counting) -> None:
    with RagIndex.open(backend_location, embedder=counting) as index:
        first = index.add_documents(_docs())
        assert (first.added, first.unchanged) == (3, 0)
        counting.texts.clear()
        again = index.add_documents(_docs())
        assert (again.added, again.updated, again.unchanged, again.embedded) == (0, 0, 3, 0)
        assert counting.texts == []
        old = index.search("waterfalls in the mountains", kind="sentence", k=1)[0]
        new_text = "Cedar Falls is a mountain town known for its ski slopes. Winters are long."
        counting.texts.clear()
        report = index.add_documents(_docs(cedar=new_text))
        assert (report.updated, report.unchanged) == (1, 2)
        # only the changed document's two sentences and its child reach the model
        assert sorted(counting.texts) == sorted(
            ["Cedar Falls\n" + new_text, "Cedar Falls\nWinters are long.",
             "Cedar Falls\nCedar Falls is a mountain town known for its ski slopes."])
        texts = [h.text for h in index.search("ski slopes", kind="sentence", k=20)]
        assert "Cedar Falls is a mountain town known for its ski slopes." in texts
        assert old.text not in texts and index.sentences(old.doc_id, 0, 9) == []
        assert index.stats().documents == 3
        assert_consistent(index)


def test_delete_leaves_nothing_behind(backend_location: str, real_embedder) -> None:
    with RagIndex.open(backend_location, embedder=real_embedder) as index:
        index.add_documents(_docs())
        doc_id = index.search("desert city", kind="summary", k=1)[0].doc_id
        parent = index.search("desert city", kind="child", k=1)[0].parent_id
        removed = index.delete_source("brightwater")
        assert removed == 1 + 1 + 3  # summary, child, three sentences
        assert all(h.doc_id != doc_id for kind in ("summary", "child", "sentence")
                   for h in index.search("desert solar city", kind=kind, k=50))
        assert index.docstore.mget([parent]) == [None]
        assert index.keyword_search("Brightwater", k=10) == []
        assert index.delete_source("brightwater") == 0
        assert check_index(index).ok
        assert_consistent(index)


def test_filtered_search_returns_k_and_stays_in_the_tenant(backend_location: str,
                                                            real_embedder) -> None:
    docs = [SourceDocument(f"cat-{i}", f"Cat {i} purrs when stroked. Cat {i} chases yarn.",
                           f"Cat {i}", {"year": 2020}) for i in range(20)]
    docs += [SourceDocument(f"phys-{i}", f"Quantum state {i} decoheres in a cold lattice.",
                            f"Physics {i}", {"year": 2023}) for i in range(6)]
    with RagIndex.open(backend_location, embedder=real_embedder) as index:
        index.add_documents(docs)
        index.add_documents([SourceDocument("cat-0", "Tenant B keeps a cat that purrs too.",
                                            "B's cat", {"year": 2023})], tenant="b")
        query = "a cat purring on the sofa"
        for kind in ("summary", "child", "sentence"):
            hits = index.search(query, kind=kind, k=5, filter={"year": {"$gte": 2021}})
            assert len(hits) == 5 and {h.title.split()[0] for h in hits} == {"Physics"}, kind
            assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
            mine = index.search(query, kind=kind, k=50, tenant="b")
            assert {h.tenant for h in mine} == {"b"} and len(mine) >= 1
        assert len(index.search(query, kind="summary", k=100, filter={"year": 2023})) == 6
        keyword = index.keyword_search("purrs", k=50, tenant="b")
        assert [h.source_id for h in keyword] == ["cat-0"] and keyword[0].tenant == "b"
        # reads by id never cross tenants
        theirs = index.search(query, kind="sentence", k=1, tenant="b")[0]
        assert index.docstore.mget([theirs.parent_id]) == [None]
        assert index.docstore_for("b").mget([theirs.parent_id])[0] is not None
        assert index.sentences(theirs.doc_id, 0, 5) == []
        assert index.unit_vectors([theirs.unit_id]) == {}
        assert index.document_meta(theirs.doc_id) == {}
        assert index.doc_ids(["cat-0"], tenant="b") == {"cat-0": theirs.doc_id}
        assert index.source_documents(["cat-0"], tenant="b")[0].page_content.startswith(
            "Tenant B")


def test_writers_killed_at_random_moments_leave_a_consistent_index(pg_url: str,
                                                                    real_embedder) -> None:
    """The kill-at-random-points runs of test_reliability.py (there on a folder index)."""
    tally = chaos(pg_url, 6, real_embedder, seed=5)
    assert tally.failures == [] and tally.consistent == tally.runs == 6
    assert tally.killed >= 1
    with RagIndex.open(pg_url, embedder=real_embedder) as index:
        assert_consistent(index)


def test_two_processes_ingesting_shared_sources_hold_each_document_once(
        pg_url: str, real_embedder) -> None:
    """Sources 0-3 only the first writer has, 12-15 only the second, 4-11 both: after two
    rounds of the two at once, every source is held exactly once (test_reliability.py runs
    the same rounds on a folder index)."""
    tally = concurrent_rounds(pg_url, 2, real_embedder)
    assert tally.failures == [] and tally.consistent == 2 and tally.finished == 4


def test_the_agent_answers_from_either_backend(backend_location: str, real_embedder) -> None:
    with RagIndex.open(backend_location, embedder=real_embedder) as index:
        index.add_documents(_docs())
        out = build_agent(index).invoke({"question": "What is the population of Avalon?"})
        assert out["answer"].startswith("Avalon has a population of 412,000 people.")
        assert {c["source_id"] for c in out["citations"]} >= {"avalon"}
        compare = build_agent(index).invoke(
            {"question": "Compare the economy of Avalon and Brightwater."})
        assert compare["targets"] == ["Avalon", "Brightwater"]
        assert {c["source_id"] for c in compare["citations"]} == {"avalon", "brightwater"}


def test_the_command_line_takes_a_connection_string(backend_location: str, tmp_path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    for key, (_, text, _) in CITIES.items():
        (folder / f"{key}.txt").write_text(text)
    cli = [sys.executable, "-m", "rag_agent.cli"]
    run = subprocess.run([*cli, "ingest", str(folder), "--index", backend_location],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "3 added" in run.stdout
    found = subprocess.run([*cli, "search", "How many people live in Brightwater?", "--index",
                            backend_location, "--kind", "sentence", "-k", "1"],
                           capture_output=True, text=True, timeout=300)
    assert found.returncode == 0, found.stderr
    lines = found.stdout.splitlines()
    assert lines[0].split("  ")[1:] == ["Brightwater", "[brightwater.txt]"] or \
        lines[0].endswith("brightwater.txt]")
    assert lines[1].strip() == "Brightwater has a population of 1.3 million people."
    asked = subprocess.run([*cli, "ask", "What is the population of Avalon?", "--index",
                            backend_location, "--json"], capture_output=True, text=True,
                           timeout=300)
    assert asked.returncode == 0, asked.stderr
    assert json.loads(asked.stdout)["answer"].startswith(
        "Avalon has a population of 412,000 people.")
    stats = subprocess.run([*cli, "stats", "--index", backend_location], capture_output=True,
                           text=True, timeout=300)
    assert stats.returncode == 0 and "documents: 3" in stats.stdout
    if backend_location.startswith("postgresql://"):
        assert backend_location in stats.stdout  # the location, with no password to hide


def test_hnsw_returns_k_whenever_k_units_match(pg_url: str, fake_embedder) -> None:
    """With a filter that few units pass, a plain HNSW scan comes back short; the index's HNSW
    search (iterative scan, exact as a last resort) returns k."""
    import numpy as np

    docs = [SourceDocument(f"d{i}", f"Note {i} on topic {i % 50}.", f"Note {i}",
                           {"rare": i % 100 == 0}) for i in range(600)]
    with RagIndex.open(pg_url, embedder=fake_embedder) as index:
        index.add_documents(docs)
    with RagIndex.open(pg_url, embedder=fake_embedder, vector_search="hnsw") as index:
        query = np.ones(32, dtype=np.float32) / np.sqrt(32)
        flt = {"rare": True}
        exact = RagIndex.open(pg_url, embedder=fake_embedder)
        want = exact.search(query, kind="sentence", k=6, filter=flt)
        exact.close()
        assert len(want) == 6
        conn = index.conn
        conn.execute("SET enable_sort = off")  # the planner must read the HNSW index in order

        def hnsw_scans() -> int:
            conn.execute("SELECT pg_stat_force_next_flush()")
            conn.execute("SELECT pg_stat_clear_snapshot()")
            return conn.execute("SELECT idx_scan FROM pg_stat_user_indexes WHERE indexrelname "
                                "= 'units_hnsw_sentence'").fetchone()[0]

        before = hnsw_scans()
        got = index.search(query, kind="sentence", k=6, filter=flt)
        assert hnsw_scans() > before  # it did read the graph
        assert [h.unit_id for h in got] == [h.unit_id for h in want]
        # the same query as a plain HNSW scan (no iterative scan): fewer than k
        conn.execute("BEGIN")
        conn.execute("SET LOCAL hnsw.ef_search = 10")
        conn.execute("SET LOCAL hnsw.iterative_scan = off")
        sql = ("SELECT u.id FROM units u JOIN documents d ON d.doc_id = u.doc_id WHERE "
               "u.kind = 'sentence' AND (d.metadata #> '{rare}') = 'true' ORDER BY "
               "u.vector <#> ? LIMIT 6")
        plan = " ".join(r[0] for r in conn.execute("EXPLAIN " + sql, [query]).fetchall())
        plain = conn.execute(sql, [query]).fetchall()
        conn.execute("COMMIT")
        conn.execute("RESET enable_sort")
        assert "units_hnsw_sentence" in plan
        assert len(plain) < 6
