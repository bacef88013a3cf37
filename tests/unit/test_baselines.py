"""Stock baselines on a hand-made corpus with hashing embeddings: an exact text is its own match."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

from rag_agent.errors import MissingExtraError
from rag_agent.eval.baselines import (
    BM25_NAME,
    LANGCHAIN_NAME,
    LLAMA_VECTOR_NAME,
    LLAMA_WINDOW_NAME,
    build_bm25,
    build_langchain,
    build_llamaindex,
)
from rag_agent.eval.types import CorpusDoc, EvalQuery, Passage

GAMMA = " ".join(f"Gamma ray burst number {i} was seen by detector {i % 7}." for i in range(200))
A_TEXT = "Alpha particles are helium nuclei. They are stopped by paper."
DOCS = [
    CorpusDoc("a", "Alpha", A_TEXT),
    CorpusDoc("b", "Beta", "Beta particles are fast electrons. Aluminium stops them."),
    CorpusDoc("c", "Gamma", GAMMA),
    CorpusDoc("d", "", "No title here."),
]
TEXT = {d.key: d.text for d in DOCS}


@pytest.fixture
def emb() -> DeterministicFakeEmbedding:
    return DeterministicFakeEmbedding(size=32)


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any network connection fails the test; the libraries' bundled data must be enough."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    for var in ("TIKTOKEN_CACHE_DIR", "NLTK_DATA"):
        monkeypatch.delenv(var, raising=False)


def q(text: str, scope: tuple[str, ...] | None = None) -> EvalQuery:
    return EvalQuery("q1", text, {}, scope=scope)


def assert_offsets(passages: list[Passage]) -> None:
    for p in passages:
        if p.start is not None:
            assert TEXT[p.key][p.start:p.end] == p.text


def test_langchain_chunks_offsets_and_scope(emb: DeterministicFakeEmbedding, offline: None,
                                             tmp_path: Path) -> None:
    system = build_langchain(DOCS, emb)
    retrieve = system.strategies[LANGCHAIN_NAME]
    assert list(system.strategies) == [LANGCHAIN_NAME]
    # a, b, d: one chunk each; c: its title alone (split at "\n"), then 13 overlapping chunks.
    assert system.embedded == 17
    top = retrieve(q("Alpha\n" + A_TEXT), 3)
    assert top[0] == Passage("a", A_TEXT, 0, len(A_TEXT))  # title embedded, not in the passage
    assert retrieve(q("No title here."), 1) == [Passage("d", "No title here.", 0, 14)]
    chunk = GAMMA[5599:6597]
    assert retrieve(q(chunk), 1) == [Passage("c", chunk, 5599, 6597)]
    assert retrieve(q("Gamma"), 1) == [Passage("c", "Gamma")]  # the title chunk has no offsets
    assert_offsets(retrieve(q("Gamma ray"), 17))
    only_b = retrieve(q("Alpha\n" + A_TEXT, scope=("b",)), 5)
    assert only_b == [Passage("b", TEXT["b"], 0, len(TEXT["b"]))]
    some = retrieve(q("Alpha\n" + A_TEXT, scope=("b", "d")), 5)
    assert sorted(p.key for p in some) == ["b", "d"]
    assert len(retrieve(q("Alpha\n" + A_TEXT, scope=("c", "a")), 20)) == 15
    system.save(tmp_path / "faiss")
    assert sorted(f.name for f in (tmp_path / "faiss").iterdir()) == ["index.faiss", "index.pkl"]


def test_bm25_same_chunks_and_scope(tmp_path: Path) -> None:
    system = build_bm25(DOCS)
    retrieve = system.strategies[BM25_NAME]
    assert list(system.strategies) == [BM25_NAME] and system.embedded == 0
    top = retrieve(q("What are helium nuclei?"), 3)
    assert top[0] == Passage("a", A_TEXT, 0, len(A_TEXT))
    assert len(top) == 3  # chunks sharing no term follow, as bm25s.retrieve returns them
    assert retrieve(q("aluminium electrons"), 1)[0].key == "b"
    assert retrieve(q("detector"), 17)[0].key == "c"
    assert_offsets(retrieve(q("detector"), 17))
    # The best match is in "a"; scoped to "c" only c's 14 chunks come back.
    scoped = retrieve(q("helium nuclei", scope=("c",)), 100)
    assert len(scoped) == 14 and {p.key for p in scoped} == {"c"}
    two = retrieve(q("helium nuclei", scope=("b", "d")), 5)
    assert sorted(p.key for p in two) == ["b", "d"]
    assert retrieve(q("the of and"), 2) and retrieve(q(""), 2)  # stopwords only: no error
    system.save(tmp_path / "bm25")
    names = {f.name for f in (tmp_path / "bm25").iterdir()}
    assert {"params.index.json", "vocab.index.json", "corpus.jsonl"} <= names


def test_llamaindex_vector_and_window(emb: DeterministicFakeEmbedding, offline: None,
                                      tmp_path: Path) -> None:
    system = build_llamaindex(DOCS, emb)
    assert list(system.strategies) == [LLAMA_VECTOR_NAME, LLAMA_WINDOW_NAME]
    vector, window = system.strategies[LLAMA_VECTOR_NAME], system.strategies[LLAMA_WINDOW_NAME]
    # LlamaIndex embeds "title: <title>\n\n<chunk>": the title in, our "key" out.
    assert vector(q("title: Alpha\n\n" + A_TEXT), 2)[0] == Passage("a", A_TEXT, 0, len(A_TEXT))
    assert vector(q("title:\n\nNo title here."), 1) == [Passage("d", "No title here.", 0, 14)]
    gamma = vector(q("Gamma ray"), 10)
    assert sum(p.key == "c" for p in gamma) == 4 and all(p.start is not None for p in gamma)
    assert_offsets(gamma)
    # Single sentences are embedded; the window (joined by LlamaIndex with " ") is returned.
    hit = window(q("title: Alpha\n\nAlpha particles are helium nuclei."), 1)
    assert hit == [Passage("a", "Alpha particles are helium nuclei.  They are stopped by paper.")]
    sentence = "Gamma ray burst number 100 was seen by detector 2."
    (found,) = window(q("title: Gamma\n\n" + sentence), 1)
    assert found.key == "c" and found.start is None and found.text.count(". ") == 7
    assert sentence in found.text and "number 97 " in found.text and "number 103 " in found.text
    # The best match is in "a"; scoped queries stay inside their documents.
    best_a = "title: Alpha\n\n" + A_TEXT
    assert [p.key for p in vector(q(best_a, scope=("b",)), 5)] == ["b"]
    assert sorted(p.key for p in vector(q(best_a, scope=("b", "d")), 5)) == ["b", "d"]
    assert sorted(p.key for p in window(q(best_a, scope=("b", "d")), 5)) == ["b", "b", "d"]
    assert window(q("title: Alpha\n\nAlpha particles are helium nuclei."), 1) == hit  # no drift
    assert system.embedded == 7 + 205  # a, b, d: 1 + 1 + 1 chunks, c: 4; sentences: 2+2+200+1
    system.save(tmp_path / "llama")
    for part in ("vector", "window"):
        assert (tmp_path / "llama" / part / "docstore.json").is_file()


def test_llamaindex_one_strategy(emb: DeterministicFakeEmbedding, offline: None) -> None:
    system = build_llamaindex(DOCS, emb, strategies=("vector",))
    assert list(system.strategies) == [LLAMA_VECTOR_NAME] and system.embedded == 7
    with pytest.raises(ValueError, match="'vector' and/or 'window'"):
        build_llamaindex(DOCS, emb, strategies=("tree",))  # type: ignore[arg-type]


@pytest.mark.parametrize(("module", "build"), [
    ("bm25s", lambda e: build_bm25(DOCS)),
    ("langchain_community.vectorstores", lambda e: build_langchain(DOCS, e)),
    ("llama_index.embeddings.langchain", lambda e: build_llamaindex(DOCS, e)),
])
def test_missing_library_names_the_extra(module: str, build, emb, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(MissingExtraError, match=r"pip install 'rag-agent\[bench\]'"):
        build(emb)


def test_import_is_lazy() -> None:
    code = ("import sys, rag_agent.eval.baselines; "
            "print(sorted(m for m in ('llama_index', 'bm25s', 'langchain_community') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
