from langchain_core.documents import Document

from rag_agent.retrieval.budget import cut_passage, fit_budget, share_budget


def _docs(*sizes: int) -> list[Document]:
    return [Document(page_content="x" * n, id=str(i)) for i, n in enumerate(sizes)]


def test_passages_fit_in_rank_order_and_short_ones_fill_the_gap() -> None:
    got = fit_budget(_docs(1500, 1500, 1500, 600, 300), 4000)
    assert [d.id for d in got] == ["0", "1", "3", "4"]  # the third parent does not fit
    assert sum(len(d.page_content) for d in got) <= 4000
    assert [d.id for d in fit_budget(_docs(10, 10, 10), None, k=2)] == ["0", "1"]


def test_a_first_passage_longer_than_the_budget_is_cut_around_its_match() -> None:
    text = "alpha " * 200 + "THE MATCHING SENTENCE. " + "omega " * 200
    doc = Document(page_content=text, id="p", metadata={"matched_sentence":
                                                          "THE MATCHING SENTENCE."})
    (got,) = fit_budget([doc], 300)
    assert len(got.page_content) <= 300 and "THE MATCHING SENTENCE." in got.page_content
    assert cut_passage(doc, 10_000) is doc


def test_comparison_targets_share_the_budget() -> None:
    assert share_budget(4000, 2) == 2000
    assert share_budget(None, 3) is None
