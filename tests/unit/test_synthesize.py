from langchain_core.documents import Document

from rag_agent.agent.synthesize import citations_in_order, merge_evidence


def _doc(id_: str, text: str = "", **meta) -> Document:
    return Document(page_content=text or f"text of {id_}", id=id_, metadata=meta)


def test_evidence_merges_in_plan_order_whatever_order_the_branches_finished() -> None:
    a = {"target": "A", "order": 0, "documents": [_doc("a1"), _doc("a2")]}
    b = {"target": "B", "order": 1, "documents": [_doc("b1"), _doc("b2")]}
    assert [d.id for d in merge_evidence([b, a], None, None)] == ["a1", "b1", "a2", "b2"]


def test_a_passage_found_for_two_targets_stays_with_the_one_that_ranked_it_higher() -> None:
    shared = _doc("s", doc_id="d", window_start=3, window_end=6)
    overlapping = _doc("o", doc_id="d", window_start=5, window_end=9)
    a = {"target": "A", "order": 0, "documents": [_doc("a1"), shared]}
    b = {"target": "B", "order": 1, "documents": [overlapping, _doc("b2")]}
    merged = merge_evidence([a, b], None, None)
    assert [d.id for d in merged] == ["a1", "o", "b2"]  # B ranked its window first: B keeps it


def test_targets_share_the_budget_and_k() -> None:
    a = {"target": "A", "order": 0, "documents": [_doc("a1", "x" * 900), _doc("a2", "x" * 900)]}
    b = {"target": "B", "order": 1, "documents": [_doc("b1", "y" * 900), _doc("b2", "y" * 900)]}
    assert [d.id for d in merge_evidence([a, b], 2000, 8)] == ["a1", "b1"]
    assert [d.id for d in merge_evidence([a, b], None, 2)] == ["a1", "b1"]


def test_citations_in_order_renumber_the_cited_passages_from_one() -> None:
    passages = [(1, _doc("p1", source_id="a.md", title="A")),
                (2, _doc("p2", source_id="b.md", title="B")),
                (3, _doc("p3", source_id="c.md", title="C"))]
    cited = citations_in_order(passages, (3, 1))
    assert [(c["n"], c["title"], c["passage"]) for c in cited] == [
        (1, "C", "text of p3"), (2, "A", "text of p1")]  # p2 is not cited: no citation
