import pytest

from rag_agent.eval.metrics import answer_in
from rag_agent.eval.scoring import (
    BUDGET,
    AnswerMetric,
    TextLocator,
    cut_answer,
    lead_answer,
    score_answer,
    score_hotpotqa,
    score_qmsum,
    score_scifact,
    score_sec10q,
)
from rag_agent.eval.types import CorpusDoc, EvalQuery, Passage

MEETING = ("Alice: We should buy the blue microphones for the room.\n"
           "Bob: I think   the budget does not allow blue microphones this year.\n"
           "Alice: Then we postpone the purchase until the next grant arrives.")
DOC = CorpusDoc("m1", "Meeting m1", MEETING)


def test_locator_finds_contiguous_text_across_whitespace() -> None:
    loc = TextLocator([DOC])
    text = "I think the budget does not allow blue microphones this year. Alice: Then we"
    [(start, end)] = loc.spans(Passage("m1", text))
    assert MEETING[start:end].startswith("I think   the budget")
    assert MEETING[start:end].endswith("Alice: Then we")


def test_locator_places_pieces_of_a_non_contiguous_passage() -> None:
    loc = TextLocator([DOC])
    summary = ("Alice: We should buy the blue microphones for the room. "
               "Then we postpone the purchase until the next grant arrives.")
    spans = loc.spans(Passage("m1", summary))
    assert [MEETING[a:b] for a, b in spans] == [
        "Alice: We should buy the blue microphones for the room.",
        "Then we postpone the purchase until the next grant arrives."]


def test_locator_trusts_offsets_and_ignores_unknown_documents() -> None:
    loc = TextLocator([DOC])
    assert loc.spans(Passage("m1", "whatever", 3, 9)) == [(3, 9)]
    assert loc.spans(Passage("other", "Alice: We should buy")) == []
    assert loc.spans(Passage("m1", "Yeah .")) == []  # too short to place


def test_ranking_scorers() -> None:
    passages = [Passage(k, "t") for k in ("x", "a", "a", "b")]
    sec = score_sec10q(EvalQuery("1", "q", {"a": 1}), passages)
    assert sec == {"recall@1": 0.0, "recall@4": 1.0, "recall@10": 1.0, "top1_exact": 0.0}
    multi = score_sec10q(EvalQuery("2", "q", {"a": 1, "b": 1, "c": 1}), passages)
    assert "top1_exact" not in multi and multi["recall@4"] == pytest.approx(2 / 3)
    hot = score_hotpotqa(EvalQuery("3", "q", {"a": 1, "b": 1}), passages)
    assert hot == {"recall@2": 0.5, "recall@5": 1.0, "recall@10": 1.0}
    sci = score_scifact(EvalQuery("4", "q", {"a": 1}), passages)
    assert sci["mrr@10"] == 0.5 and sci["recall@100"] == 1.0


def test_qmsum_scorer_spans_topics_and_budget() -> None:
    loc = TextLocator([DOC])
    first = MEETING.index("Bob:")
    gold = ((first, MEETING.index("\nAlice: Then")),)
    q = EvalQuery("s", "budget?", {"m1": 1}, "specific other", scope=("m1",), spans=gold)
    bob = Passage("m1", MEETING[first:MEETING.index("\nAlice: Then")])
    out = score_qmsum(q, [Passage("elsewhere", "x" * 50), bob], loc)
    assert out["span_coverage@4"] == 1.0 and out[f"span_coverage@{BUDGET // 1000}k"] == 1.0
    assert out["context_chars@4"] == len(bob.text)  # passages outside the scope do not count
    # a first passage that fills the budget leaves no room for the gold one
    filler = Passage("m1", "x" * BUDGET)
    late = score_qmsum(q, [filler, bob], loc)
    assert late["span_coverage@4"] == 1.0 and late[f"span_coverage@{BUDGET // 1000}k"] == 0.0
    general = EvalQuery("g", "summarize", {"m1": 1}, "general", scope=("m1",),
                        topics=((0, 10), (first, first + 5)))
    topics = score_qmsum(general, [bob], loc)
    assert topics["topic_coverage@4"] == 0.5 and "span_coverage@4" not in topics
    with pytest.raises(ValueError, match="TextLocator"):
        score_qmsum(q, [bob])


def test_cut_answer_stops_at_a_word_boundary() -> None:
    assert cut_answer("one two  three", 20) == "one two three"  # fits, whitespace folded
    assert cut_answer("one two three", 9) == "one two"
    assert cut_answer("one two three", 7) == "one two"  # the cap falls on a boundary
    assert cut_answer("one two three", 6) == "one"
    assert cut_answer("abcdefghij", 4) == "abcd"  # one long word: cut inside it


def test_lead_answer_takes_first_sentences_in_turn_then_cuts() -> None:
    passages = [Passage("a", "A one. A two. A three."), Passage("b", "B one. B two."),
                Passage("c", "A one. C two.")]  # "A one." repeats (overlapping chunks)
    assert lead_answer(passages, 600) == "A one. B one. A two. B two. C two. A three."
    assert lead_answer(passages, 16) == "A one. B one. A"
    assert lead_answer([], 600) == ""


def test_score_answer_cuts_strips_citations_and_needs_a_gold_answer() -> None:
    metrics = (AnswerMetric("answer_in", answer_in),
               AnswerMetric("span_answer_in", answer_in, only=lambda g: g not in ("yes", "no")))
    q = EvalQuery("1", "who?", {}, answer="Chief of Protocol")
    # citation marks are not part of the answer: "[1]" inside the gold words does not hide it
    assert score_answer(q, "She was Chief [1] of Protocol [2].", metrics, 600) == {
        "answer_in@600": 1.0, "span_answer_in@600": 1.0}
    assert score_answer(q, "She was the Chief of Staff [1].", metrics, 600) == {
        "answer_in@600": 0.0, "span_answer_in@600": 0.0}
    # beyond the cap the gold answer is not seen
    assert score_answer(q, "x " * 300 + "Chief of Protocol", metrics, 600) == {
        "answer_in@600": 0.0, "span_answer_in@600": 0.0}
    yes = EvalQuery("2", "same?", {}, answer="yes")
    assert score_answer(yes, "Yes, both are.", metrics, 600) == {"answer_in@600": 1.0}
    assert score_answer(EvalQuery("3", "q", {}), "anything", metrics, 600) == {}
