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
