import pytest

from rag_agent.agent.policy import POLICY, question_shape, rule_for


@pytest.mark.parametrize(("question", "shape"), [
    ("Summarize the whole meeting.", "whole_summary"),
    ("What were the main discussion points of the meeting?", "whole_summary"),
    ("Summarize what this project is about.", "whole_summary"),
    ("Summarize the discussion about user requirements.", "topic_summary"),
    ("Summarize the Project Manager's perspective on the prototype.", "topic_summary"),
])
def test_summaries_that_name_a_topic_are_told_apart(question: str, shape: str) -> None:
    assert question_shape(question, "summary") == shape


def test_a_topic_summary_never_goes_to_the_whole_document_summary_tool() -> None:
    rule = rule_for(question_shape("Summarize the discussion about project finance.", "summary"))
    assert rule.tool != "summary" and not rule.with_summary  # passages, not summaries
    assert rule.hops == 0 and "region" in rule.why  # the region count is a measured choice


def test_every_shape_has_a_rule_with_its_reason() -> None:
    assert set(POLICY) == {"fact", "topic_summary", "whole_summary", "comparison"}
    assert all(rule.why for rule in POLICY.values())
    assert question_shape("Compare A and B", "comparison") == "comparison"
    with pytest.raises(ValueError, match="no policy rule for shape 'poem'"):
        rule_for("poem")  # type: ignore[arg-type]
