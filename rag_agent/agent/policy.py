"""The tool policy: which retrieval answers which kind of question, chosen by measurement.

`question_shape` reads the classified task and the question's wording (pure, no model);
`POLICY` maps each shape to one `Rule`. Every rule's figures come from
`bench/policy_sweep.py` on the dev sets in ../shared/data (results in
`bench/results/policy_*.json`, table in docs/BENCHMARKS.md), and the rule's `why` says which.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

__all__ = ["POLICY", "Policy", "Rule", "Shape", "question_shape", "rule_for"]

Shape = Literal["fact", "topic_summary", "whole_summary", "comparison"]
Tool = Literal["fused", "summary", "sentence_window", "parent_chunk"]

_SUMMARY_WORDS = re.compile(
    r"\b(summari[sz]e[ds]?|summary|summaries|sum up|recap|outline|overview|gist|tl;?dr|"
    r"give|provide|me|us|please|what|was|were|is|are|the|a|an|this|that|these|those|its|their|"
    r"our|of|about|in|on|for|to|and|overall|whole|entire|general|generally|main|key|major|"
    r"points?|topics?|discussions?|discussed|ideas?|themes?|highlights?|takeaways?|content|"
    r"meeting|meetings|call|session|conversation|transcript|talk|document|documents|report|"
    r"paper|article|text|file|files|corpus|collection|project|book|chapter|page|record|"
    r"covered|covers|cover|say|says|said|all|everything|happened|went|did|do|does)\b",
    re.I)


def question_shape(question: str, task: str) -> Shape:
    """The policy's view of a question: its task, and for summaries whether it names a topic.

    "Summarize the whole meeting" and "What was the meeting about?" ask for the whole
    document; "Summarize the discussion about user requirements" names a topic, which lives in
    some passages of the document, not in its summary.
    """
    if task == "comparison":
        return "comparison"
    if task != "summary":
        return "fact"
    rest = _SUMMARY_WORDS.sub(" ", question)
    topical = [w for w in re.findall(r"[A-Za-z][\w'’-]*", rest) if len(w) > 2]
    return "topic_summary" if topical else "whole_summary"


@dataclass(frozen=True)
class Rule:
    """How one shape of question is retrieved."""

    tool: Tool
    """fused: documents by every representation, then passages (rag_agent.retrieval.fused)."""
    signals: tuple[str, ...] = ("summary", "child", "sentence")
    """Dense document rankings fused by the fused tool."""
    keyword: Literal["rare", "always", "never"] = "rare"
    """When the children's BM25 ranking joins them: "rare" when a word of the question is
    held by at most 2% of the documents (`FusedRetriever.keyword`)."""
    regions_per_doc: int = 1
    """Passages one document may give (many: spread over a long document)."""
    region_share: int = 1
    """The budget is cut into this many regions at most: passage size = budget / the smaller
    of region_share and documents x regions_per_doc (`FusedRetriever.region_budget`), so a
    question scoped to one document still gets the whole budget."""
    hops: int = 0
    """Second hops (over titles the first passages name, or an LLM follow-up query)."""
    with_summary: bool = False
    """Put the best documents' summaries before the passages."""
    child_context: bool = True
    """Place regions by each sentence's cosine averaged with its child's
    (`FusedRetriever.child_context`)."""
    why: str = ""
    """The dev figures that chose this rule."""


POLICY: dict[Shape, Rule] = {
    "fact": Rule(
        "fused", hops=1, region_share=2,
        why="documents by summary, child and sentence rankings, + child BM25 when a word is "
            "rare: SciFact nDCG@10 0.735 (dense only 0.689, BM25 always 0.737), 10-Q "
            "recall@4 0.953 (BM25 always 0.953; summary-only tool 0.924); the hop lifts "
            "HotpotQA bridge recall@5 0.741 -> 0.854; 2 regions cost QMSum 0.488 -> 0.427; "
            "sentences judged with their child: QMSum 0.473 -> 0.488; at the default 4,000 "
            "characters the budget split between the 2 best documents: 10-Q gold answer "
            "numbers in the context 0.430 (1 region) -> 0.509 (3: 0.440), HotpotQA and QMSum "
            "unchanged (bench/fact_budget_probe.py)"),
    "topic_summary": Rule(
        "fused",
        why="one budget-sized region around the densest run of matching sentences, each "
            "judged with its child: QMSum topic-summary span coverage@4k 0.300 with 1 region, "
            "0.224 with 2, 0.199 with 4; 0.269 with sentences judged alone"),
    "whole_summary": Rule(
        "fused", regions_per_doc=8, region_share=8, with_summary=True, child_context=False,
        why="central summaries then 8 spread regions: QMSum topic coverage@4k 0.867 (4: "
            "0.727; 12: 0.883 for 1.5x the passages, 0.890 against 0.875 and 0.859 against "
            "0.854 in the runs before, on the same queries; 8 without summaries: 0.835); "
            "sentences judged alone (with their child: 0.846)"),
    "comparison": Rule(
        "fused", regions_per_doc=3, region_share=2,
        why="one fused retrieval per target, budget shared, BM25 gated as for facts: HotpotQA "
            "recall@5 0.950, 10-Q recall@4 0.972 (BM25 always 0.839; summary + child 0.948)"),
}


Policy = Mapping[str, Rule]
"""A table from shape to rule (`POLICY`, or a caller's own passed to `build_agent`)."""


def rule_for(shape: Shape, policy: Policy = POLICY) -> Rule:
    """The rule of a shape; raises on an unknown one."""
    try:
        return policy[shape]
    except KeyError:
        raise ValueError(f"no policy rule for shape {shape!r}; known: {', '.join(policy)}"
                         ) from None
