"""RagIndex on the real packaged model, FAISS files and SQLite on disk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag_agent import IndexConfig, IndexMismatchError, RagIndex, SourceDocument
from tests.integration.helpers import assert_consistent, snapshot

pytestmark = pytest.mark.integration

TOPICS = {
    "cats.txt": "Cats purr when they are content. A cat sleeps for most of the day. "
                "Kittens learn to hunt by playing with their siblings.",
    "faiss.md": "# Vector search\n\nFAISS searches dense vectors by inner product. An exact "
                "flat index compares the query with every stored vector.",
    "bread.txt": "Sourdough bread rises with wild yeast. The starter must be fed with flour "
                 "and water every day. A hot oven gives the loaf a dark crust.",
}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    root.mkdir()
    for name, text in TOPICS.items():
        (root / name).write_text(text)
    return root


def test_ingest_search_and_idempotent_reingest(tmp_path: Path, folder: Path, counting) -> None:
    with RagIndex.open(tmp_path / "ix", embedder=counting) as index:
        first = index.add_paths([folder])
        assert (first.added, first.updated, first.unchanged) == (3, 0, 0)
        assert first.embedded == len(set(counting.texts)) > 0
        hits = index.search("Why does my cat purr?", kind="sentence", k=1)
        assert hits[0].text == "Cats purr when they are content."
        assert Path(hits[0].source_id).name == "cats.txt" and hits[0].title == "cats"
        summary = index.search("baking bread at home", kind="summary", k=1)[0]
        assert Path(summary.source_id).name == "bread.txt"
        assert_consistent(index)

        counting.texts.clear()
        again = index.add_paths([folder])
        assert (again.added, again.updated, again.unchanged, again.embedded) == (0, 0, 3, 0)
        assert counting.texts == []  # nothing at all reached the model


def test_changed_document_replaces_all_units_and_embeds_only_new_text(
    tmp_path: Path, folder: Path, counting
) -> None:
    with RagIndex.open(tmp_path / "ix", embedder=counting) as index:
        index.add_paths([folder])
        old = index.search("sourdough starter", kind="sentence", k=1)[0]
        (folder / "bread.txt").write_text(TOPICS["bread.txt"].replace(
            "A hot oven gives the loaf a dark crust.", "Rye flour makes a denser crumb."))
        counting.texts.clear()
        report = index.add_paths([folder])
        assert (report.updated, report.unchanged) == (1, 2)
        # the new sentence (embedded under its title) and the one child containing it;
        # unchanged sentences reuse vectors
        assert sorted(counting.texts) == sorted(
            ["bread\nRye flour makes a denser crumb.",
             "bread\nSourdough bread rises with wild yeast. The starter must be fed with flour "
             "and water every day. Rye flour makes a denser crumb."])
        assert index.conn.execute("SELECT count(*) FROM units WHERE doc_id = ?",
                                  (old.doc_id,)).fetchone()[0] == 0
        texts = [h.text for h in index.search("oven crust", kind="sentence", k=20)]
        assert "A hot oven gives the loaf a dark crust." not in texts
        assert "Rye flour makes a denser crumb." in texts
        assert_consistent(index)


def test_delete_leaves_no_unit_behind(tmp_path: Path, folder: Path, real_embedder) -> None:
    with RagIndex.open(tmp_path / "ix", embedder=real_embedder) as index:
        index.add_paths([folder])
        before = index.stats()
        source = str((folder / "cats.txt").resolve())
        doc_id = index.search("cat", k=1)[0].doc_id
        removed = index.delete_source(source)
        assert removed > 0
        for table, col in [("documents", "doc_id"), ("units", "doc_id"), ("kv", "doc_id")]:
            n = index.conn.execute(f"SELECT count(*) FROM {table} WHERE {col} = ?", (doc_id,))
            assert n.fetchone()[0] == 0, table
        assert all(h.doc_id != doc_id for kind in ("summary", "child", "sentence")
                   for h in index.search("cats purring kittens", kind=kind, k=50))
        after = index.stats()
        assert after.documents == before.documents - 1
        assert removed == (before.children + before.sentences + before.summaries) - (
            after.children + after.sentences + after.summaries)
        assert index.delete_source(source) == 0
        assert_consistent(index)
    with RagIndex.open(tmp_path / "ix", embedder=real_embedder) as index:
        assert index.stats().documents == 2
        assert_consistent(index)


def test_reload_equals_saved_index(tmp_path: Path, folder: Path, real_embedder) -> None:
    queries = ["cat sleeping", "vector search", "yeast"]
    with RagIndex.open(tmp_path / "ix", embedder=real_embedder) as index:
        index.add_paths([folder])
        saved = snapshot(index)
        results = [[(h.unit_id, h.score) for h in index.search(q, kind=k, k=3)]
                   for q in queries for k in ("summary", "child", "sentence")]
        stats = index.stats()
    with RagIndex.open(tmp_path / "ix", embedder=real_embedder) as index:
        assert index.rebuilt == []  # loaded from the FAISS files, not rebuilt
        loaded = snapshot(index)
        for kind in saved:
            assert loaded[kind][0] == saved[kind][0]
            np.testing.assert_array_equal(loaded[kind][1], saved[kind][1])
        assert [[(h.unit_id, h.score) for h in index.search(q, kind=k, k=3)]
                for q in queries for k in ("summary", "child", "sentence")] == results
        assert index.stats().documents == stats.documents
    (tmp_path / "ix" / "vectors.json").unlink()  # stale cache: rebuilt from SQLite, same result
    with RagIndex.open(tmp_path / "ix", embedder=real_embedder) as index:
        assert sorted(index.rebuilt) == ["child", "sentence", "summary"]
        rebuilt = snapshot(index)
        for kind in saved:
            assert rebuilt[kind][0] == saved[kind][0]
            np.testing.assert_array_equal(rebuilt[kind][1], saved[kind][1])


def _animal_and_physics_docs() -> list[SourceDocument]:
    docs = []
    for i in range(30):
        docs.append(SourceDocument(
            f"cat-{i}", f"Cat {i} purrs loudly when stroked. Cat {i} chases a red ball of yarn.",
            f"Cat {i}", {"year": 2020, "topic": "cats"}))
    for i in range(8):
        docs.append(SourceDocument(
            f"phys-{i}", f"Quantum state {i} decoheres in a cold lattice. Physicist {i} measured "
            f"spin {i}.", f"Physics {i}", {"year": 2023, "topic": "physics"}))
    return docs


def test_filtered_search_returns_k_when_k_match(tmp_path: Path, real_embedder) -> None:
    from langchain_community.vectorstores import FAISS
    from langchain_core.embeddings import Embeddings

    with RagIndex.open(tmp_path / "ix", embedder=real_embedder) as index:
        index.add_documents(_animal_and_physics_docs())
        query = "a cat purring on the sofa"
        for kind in ("child", "sentence", "summary"):
            hits = index.search(query, kind=kind, k=5, filter={"year": {"$gte": 2021}})
            assert len(hits) == 5, kind
            assert {h.metadata["topic"] for h in hits} == {"physics"}
            assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
        every = index.search(query, kind="summary", k=100, filter={"topic": "physics"})
        assert len(every) == 8  # all matches, no more

        # the same search in stock LangChain FAISS (post-filter after fetch_k) comes back short
        rows = index.conn.execute(
            "SELECT u.text, d.metadata, u.vector FROM units u JOIN documents d USING (doc_id) "
            "WHERE u.kind = 'child'").fetchall()

        class Fixed(Embeddings):
            def embed_documents(self, texts):
                return [np.frombuffer(r[2], "float32").tolist() for r in rows]

            def embed_query(self, text):
                return real_embedder.encode([text])[0].tolist()

        import json

        stock = FAISS.from_texts([r[0] for r in rows], Fixed(),
                                 metadatas=[json.loads(r[1]) for r in rows])
        short = stock.similarity_search(query, k=5, filter={"year": 2023}, fetch_k=20)
        assert len(short) < 5


def test_tenants_never_see_each_other(tmp_path: Path, real_embedder) -> None:
    with RagIndex.open(tmp_path / "ix", embedder=real_embedder) as index:
        index.add_documents([SourceDocument("s", "Tenant A keeps notes on apples.", "A", {})],
                            tenant="a")
        index.add_documents([SourceDocument("s", "Tenant B keeps notes on bananas.", "B", {})],
                            tenant="b")
        for kind in ("summary", "child", "sentence"):
            got = index.search("notes on bananas", kind=kind, k=10, tenant="a")
            assert [h.tenant for h in got] == ["a"]
            assert index.search("apples", kind=kind, k=10, tenant="c") == []
        assert index.delete_source("s", tenant="a") > 0
        assert index.search("notes", k=10, tenant="a") == []
        assert [h.tenant for h in index.search("notes", k=10, tenant="b")] == ["b"]


def test_index_refuses_another_model_or_split(tmp_path: Path, folder: Path, real_embedder,
                                              fake_embedder) -> None:
    with RagIndex.open(tmp_path / "ix", embedder=real_embedder) as index:
        index.add_paths([folder])
    with pytest.raises(IndexMismatchError, match="all-MiniLM-L6-v2"):
        RagIndex.open(tmp_path / "ix", embedder=fake_embedder)
    with pytest.raises(Exception, match=r"was made with child_tokens=200 \(asked 100\)"):
        RagIndex.open(tmp_path / "ix", embedder=real_embedder,
                      config=IndexConfig(child_tokens=100))


def test_bad_files_never_stop_the_batch(tmp_path: Path, folder: Path, real_embedder) -> None:
    (folder / "empty.txt").write_text("")
    (folder / "bin.txt").write_bytes(b"\x00\x00binary")
    (folder / "bad.pdf").write_bytes(b"%PDF-1.4 broken")
    with RagIndex.open(tmp_path / "ix", embedder=real_embedder) as index:
        report = index.add_paths([folder, tmp_path / "nope"])
        assert report.added == 3
        assert {Path(s.source).name for s in report.skipped} == {
            "empty.txt", "bin.txt", "bad.pdf", "nope"}


def test_llm_summaries_are_batched_cached_and_fall_back(tmp_path: Path, real_embedder) -> None:
    from langchain_core.documents import Document
    from langchain_core.language_models import FakeListChatModel

    from rag_agent import LLMSummarizer

    class Flaky(FakeListChatModel):
        """Answers with its list, but fails for the document about bread."""

        def _call(self, messages, stop=None, run_manager=None, **kwargs):  # type: ignore[override]
            if "bread" in str(messages):
                raise RuntimeError("model down")
            return super()._call(messages, stop, run_manager, **kwargs)

    model = Flaky(responses=["A summary about cats and their purring."])
    docs = [Document(page_content=TOPICS["cats.txt"], id="cats", metadata={"title": "Cats"}),
            Document(page_content=TOPICS["bread.txt"], id="bread", metadata={"title": "Bread"})]
    with RagIndex.open(tmp_path / "ix", embedder=real_embedder,
                       summarizer=LLMSummarizer(model)) as index:
        index.add_documents(docs)
        kinds = dict(index.conn.execute("SELECT source_id, summary_kind FROM documents"))
        assert kinds == {"cats": "llm", "bread": "extractive"}  # the failure fell back
        hit = index.search("feline purring", kind="summary", k=1)[0]
        assert hit.text == "A summary about cats and their purring."
        calls = model.i
        index.delete_source("cats")
        index.add_documents(docs[:1])  # same content again: the cached summary, no model call
        assert model.i == calls
        assert index.search("feline", kind="summary", k=1)[0].text.startswith("A summary")


class _Bar:
    """Records what a tqdm bar would show."""

    def __init__(self) -> None:
        self.n = 0

    def update(self, n: int) -> None:
        self.n += n

    def set_postfix(self, **_: object) -> None:
        pass


def test_progress_counts_each_committed_document_as_it_is_written(
        tmp_path: Path, fake_embedder) -> None:
    from rag_agent.index.records import IngestReport
    from rag_agent.index.writer import ingest

    docs = [SourceDocument(f"meeting-{i}", " ".join(
        f"The speaker raised point {j} of meeting {i}. Everyone agreed on it." for j in range(20)),
        title=f"Meeting {i}") for i in range(3)]
    bar, seen = _Bar(), []
    with RagIndex.open(tmp_path / "ix", embedder=fake_embedder,
                       config=IndexConfig(batch_texts=20)) as index:  # a commit per document
        ingest(index, iter(docs), tenant="default", report=IngestReport(), progress=bar,
               on_commit=lambda ids: seen.append(bar.n))
        assert seen == [0, 1, 2]  # before each commit's tick: the documents already shown
        assert bar.n == 3
        again = _Bar()
        ingest(index, iter(docs), tenant="default", report=IngestReport(), progress=again)
        assert again.n == 3  # unchanged documents count as done
