import numpy as np
from langchain_core.language_models import FakeListChatModel

from rag_agent.index.docstore import SQLiteStringStore
from rag_agent.ingest.summarize import LLMSummarizer, extractive_summary


def test_extractive_summary_picks_central_distinct_sentences_in_order() -> None:
    sentences = ["a0", "a1 duplicate", "a1 duplicate copy", "b", "outlier"]
    vecs = np.array([[1, 0, 0], [0.9, 0.3, 0], [0.9, 0.3, 0], [0.7, 0.7, 0], [0, 0, 1]], "float32")
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    got = extractive_summary(sentences, vecs, n=3, diversity=0.3)
    assert got == "a0 a1 duplicate b"


def test_short_documents_are_their_own_summary() -> None:
    assert extractive_summary(["x.", "y."], np.eye(2, dtype="float32"), n=5) == "x. y."


def test_llm_summaries_are_cached_by_content(tmp_path) -> None:
    import sqlite3
    import threading

    from rag_agent.index import db

    conn = db.connect(tmp_path / "s.sqlite")
    cache = SQLiteStringStore(conn, "cache", threading.RLock())
    model = FakeListChatModel(responses=["first summary", "second summary", "third"])
    summarizer = LLMSummarizer(model)
    items = [("T1", "text one"), ("T2", "text two")]
    assert summarizer.summarize(items, cache) == ["first summary", "second summary"]
    # same content again: served from the cache, the model is not called
    assert summarizer.summarize(items, cache) == ["first summary", "second summary"]
    assert model.i == 2
    assert isinstance(conn, sqlite3.Connection)


def test_table_rows_and_code_stay_out_of_summaries_while_prose_is_left() -> None:
    sentences = ["| a | b |", "Prose one says what the document is.", "```python",
                 "## A heading", "Prose two adds a point of its own.", "More prose of the same kind."]
    vecs = np.eye(6, dtype="float32") + 0.1
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    got = extractive_summary(sentences, vecs, n=2)
    assert "|" not in got and "```" not in got and "#" not in got
    assert got.startswith("Prose one says")  # the lead sentence opens the summary
    assert got.count("rose") == 2


def test_fenced_code_and_unfinished_sentences_stay_out_of_summaries() -> None:
    sentences = ["Prose one says what the document is.", "Install it with the command below:",
                 '1, fine-tuned from ...", "query adapter: ..." rag-agent ask "it" now',
                 "Prose two adds a point of its own.", "More prose of the same kind."]
    vecs = np.eye(5, dtype="float32") + 0.3
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    got = extractive_summary(sentences, vecs, n=3, code=[False, False, True, False, False])
    assert got == ("Prose one says what the document is. Prose two adds a point of its own. "
                   "More prose of the same kind.")


def test_an_opening_far_from_the_rest_is_not_forced_into_the_summary() -> None:
    sentences = ["What is built today, floor by floor.", "The index stores vectors in SQLite rows.",
                 "The index rebuilds its FAISS files from SQLite.", "The index keeps SQLite first.",
                 "The index stores every unit in SQLite."]
    vecs = np.array([[0, 0, 0, 1], [1, 0.6, 0, 0], [1, 0, 0.6, 0], [0.6, 0.6, 0.6, 0],
                     [1, 0.3, 0.3, 0]], "float32")
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    assert not extractive_summary(sentences, vecs, n=2).startswith("What is built")
    central = vecs[[4, 1, 2, 3, 0]]  # the same opening, now about what the rest is about
    assert extractive_summary(sentences, central, n=2).startswith("What is built")


def test_a_sentence_cut_off_by_a_code_block_stays_out_of_summaries() -> None:
    sentences = ["Prose one says what the document is.",
                 "An older index is refused with the command that fixes it, and",
                 "rag-agent migrate --index ./my_index", "Prose two adds a point of its own.",
                 "Run the tests as shown.", "make test", "More prose of the same kind."]
    code = [False, False, True, False, False, True, False]
    vecs = np.eye(7, dtype="float32") + 0.3
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    got = extractive_summary(sentences, vecs, n=4, code=code)
    assert "fixes it, and" not in got
    assert "Run the tests as shown." in got  # finished before its code block: still prose
    without_code = extractive_summary(sentences, vecs, n=6)
    assert "fixes it, and" in without_code  # the rule needs the code flags, nothing else
