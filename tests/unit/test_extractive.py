import numpy as np
from langchain_core.documents import Document

from rag_agent.agent.extractive import extractive_answer
from rag_agent.index.records import StoredSentence

WORDS = ["harbour", "railway", "froze", "climate", "rain", "desert", "salt"]


def _vec(text: str) -> np.ndarray:
    v = np.array([text.lower().count(w) for w in WORDS], dtype=np.float32) + 0.01
    return v / np.linalg.norm(v)


class FakeIndex:
    """Stored sentences per document; vectors count a few words (enough to rank by)."""

    def __init__(self, docs: dict[str, list[str]]) -> None:
        self.docs = docs

    def sentence_rows(self, doc_id, first=None, last=None, *, parent_id=None, tenant="default"):
        rows = [StoredSentence(i, t, _vec(t)) for i, t in enumerate(self.docs[doc_id])]
        if first is not None:
            rows = [r for r in rows if first <= r.position <= last]
        return rows

    def embed_query(self, text: str, *, adapter: bool | None = None) -> np.ndarray:
        return _vec(text)[None, :]

    def embed_texts(self, texts):
        return np.stack([_vec(t) for t in texts])


def _window(n_doc: str, first: int, last: int, target: str = "") -> Document:
    return Document(page_content="", id=f"{n_doc}:{first}",
                    metadata={"doc_id": n_doc, "window_start": first, "window_end": last,
                              "kind": "region", "target": target})


def test_fact_answer_puts_the_answering_sentence_first_and_cites_it() -> None:
    index = FakeIndex({"a": ["The town has a small museum of old maps.",
                             "The harbour froze in 1902 and ships waited outside.",
                             "Yeah.", "| table | row |"]})
    answer = extractive_answer("When did the harbour freeze? froze", [(1, _window("a", 0, 3))],
                               index, sentences=3).text
    assert answer.startswith("The harbour froze in 1902 and ships waited outside. [1]")
    assert "Yeah" not in answer and "|" not in answer


def test_each_comparison_target_gets_its_own_evidence() -> None:
    index = FakeIndex({
        "a": ["The climate of Avalon is mild with a lot of rain.",
              "Avalon and Brightwater both trade in salt today."],
        "b": ["The climate of Brightwater is a hot desert climate.",
              "Avalon and Brightwater both trade in salt today."],
    })
    passages = [(1, _window("a", 0, 1, "Avalon")), (2, _window("b", 0, 1, "Brightwater"))]
    answer = extractive_answer("Compare the climate of Avalon and Brightwater", passages, index,
                               shape="comparison", targets=["Avalon", "Brightwater"]).text
    first, second = answer.splitlines()
    assert first.startswith("Avalon: The climate of Avalon is mild")
    assert second.startswith("Brightwater: The climate of Brightwater is a hot desert")
    assert first.count("both trade in salt") + second.count("both trade in salt") <= 1


def test_a_target_without_passages_says_so_instead_of_borrowing() -> None:
    index = FakeIndex({"a": ["The climate of Avalon is mild with a lot of rain."]})
    answer = extractive_answer("Compare Avalon and Brightwater", [(1, _window("a", 0, 0,
                                                                              "Avalon"))],
                               index, shape="comparison", targets=["Avalon", "Brightwater"]).text
    assert answer.splitlines()[1] == ("Brightwater: no passage of its own in the index answers "
                                      "this.")


def test_summaries_keep_reading_order() -> None:
    index = FakeIndex({"a": ["The railway reached the town in 1881 and grew it.",
                             "Salt from the desert went out on the railway every week.",
                             "The harbour froze in the winter of 1902 for six weeks."]})
    answer = extractive_answer("Summarize the discussion about the railway and salt",
                               [(1, _window("a", 0, 2))], index, shape="topic_summary",
                               sentences=2).text
    lines = answer.splitlines()
    assert lines == ["- The railway reached the town in 1881 and grew it. [1]",
                     "- Salt from the desert went out on the railway every week. [1]"]


def test_a_summary_of_several_documents_says_which_document_says_what() -> None:
    index = FakeIndex({"a": ["The harbour froze in 1902."], "b": ["The desert has salt flats."]})
    summary = {"kind": "summary"}
    passages = [(1, Document(page_content="The harbour froze in 1902.",
                             metadata={**summary, "doc_id": "a", "title": "Avalon"})),
                (2, Document(page_content="The desert has salt flats.",
                             metadata={**summary, "doc_id": "b", "title": "Brightwater"}))]
    answer = extractive_answer("Summarize the collection.", passages, index,
                               shape="whole_summary").text
    assert answer.splitlines() == ["- Avalon: The harbour froze in 1902. [1]",
                                   "- Brightwater: The desert has salt flats. [2]"]
    one = extractive_answer("Summarize it.", passages[:1], index, shape="whole_summary").text
    assert one == "- The harbour froze in 1902. [1]"  # one document: no title to tell apart


def test_unfinished_sentences_are_never_picked() -> None:
    """A lead-in ending in ":" and a list item ending in ";" are parts of a longer statement;
    on their own they read as a jumble, however well they match."""
    index = FakeIndex({"a": ["The harbour froze in these winters:",
                             "- the harbour froze in 1902;",
                             "The harbour froze again in 1911 and ships waited outside."]})
    answer = extractive_answer("When did the harbour freeze? froze", [(1, _window("a", 0, 2))],
                               index, sentences=3)
    assert answer.text == "The harbour froze again in 1911 and ships waited outside. [1]"
    assert answer.cited == (1,)


def test_citations_are_numbered_in_the_order_the_answer_uses_them() -> None:
    """The comparison's first line cites the third passage of the context: it becomes [1], and
    a bracketed number inside a quoted sentence is left as it is."""
    index = FakeIndex({"a": ["Avalon has rain all year [3]."],
                       "b": ["Brightwater is a desert with salt flats."],
                       "c": ["The climate of Avalon is mild with a lot of rain."]})
    passages = [(1, _window("b", 0, 0, "Brightwater")), (2, _window("a", 0, 0, "Avalon")),
                (3, _window("c", 0, 0, "Avalon"))]
    answer = extractive_answer("Compare the climate of Avalon and Brightwater", passages, index,
                               shape="comparison", targets=["Avalon", "Brightwater"])
    assert answer.text.splitlines() == [
        "Avalon: The climate of Avalon is mild with a lot of rain. [1] "
        "Avalon has rain all year [3]. [2]",
        "Brightwater: Brightwater is a desert with salt flats. [3]"]
    assert answer.cited == (3, 2, 1)
