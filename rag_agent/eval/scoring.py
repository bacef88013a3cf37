"""Per-query scores of one strategy's passages and answer, and where passages lie in documents.

The scorers of each dataset are registered in its `DatasetSpec` (`rag_agent.eval.datasets`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import zip_longest

from rag_agent.eval.metrics import (
    Span,
    dedupe,
    hit_at_k,
    mrr_at_k,
    ndcg_at_k,
    recall_at_k,
    span_coverage,
    topic_coverage,
)
from rag_agent.eval.types import CorpusDoc, EvalQuery, Passage
from rag_agent.ingest.sentences import split_sentences

__all__ = [
    "BUDGET",
    "BUDGET_LABEL",
    "AnswerMetric",
    "Scorer",
    "TextLocator",
    "cut_answer",
    "lead_answer",
    "score_answer",
    "score_hotpotqa",
    "score_qmsum",
    "score_scifact",
    "score_sec10q",
]

BUDGET = 4000
"""QMSum: characters of context a strategy may hand over (passages in rank order while they fit;
at least the first), so strategies with long and short passages are compared at equal cost."""
BUDGET_LABEL = f"{BUDGET // 1000}k"
"""How metric names write BUDGET (`span_coverage@4k`)."""

_WS = re.compile(r"\s+")
_PIECES = re.compile(r"(?<=[.!?])\s+|\n")
MIN_PIECE = 30  # shorter pieces ("OK .", "Yeah .") recur everywhere and would be placed wrongly


class TextLocator:
    """Where a passage's text lies in its document, whitespace-insensitively.

    A passage that is a contiguous stretch of the document is found whole; otherwise (extractive
    summaries, windows joined with spaces) each sentence-sized piece of it is found on its own.
    """

    def __init__(self, docs: Sequence[CorpusDoc]) -> None:
        self._docs = {d.key: d.text for d in docs}
        self._folded: dict[str, tuple[str, list[int]]] = {}

    def _fold(self, key: str) -> tuple[str, list[int]]:
        if key not in self._folded:
            text, parts, origin, pos = self._docs[key], [], [], 0
            for m in _WS.finditer(text):
                parts.append(text[pos:m.start()])
                origin.extend(range(pos, m.start()))
                parts.append(" ")
                origin.append(m.start())
                pos = m.end()
            parts.append(text[pos:])
            origin.extend(range(pos, len(text)))
            origin.append(len(text))
            self._folded[key] = ("".join(parts), origin)
        return self._folded[key]

    def spans(self, passage: Passage) -> list[Span]:
        """Character spans of the document that the passage's text covers."""
        if passage.key not in self._docs:
            return []
        if passage.start is not None and passage.end is not None:
            return [(passage.start, passage.end)]
        folded, origin = self._fold(passage.key)
        text = _WS.sub(" ", passage.text).strip()
        at = folded.find(text) if text else -1
        if at >= 0:
            return [(origin[at], origin[at + len(text)])]
        out = []
        for piece in _PIECES.split(passage.text):
            piece = _WS.sub(" ", piece).strip()
            if len(piece) >= MIN_PIECE and (at := folded.find(piece)) >= 0:
                out.append((origin[at], origin[at + len(piece)]))
        return out


Scorer = Callable[[EvalQuery, list[Passage], TextLocator | None], dict[str, float]]
"""A set's metrics for one query's passages (a metric that does not apply to it is left out);
the locator is given when the set's spec says `needs_locator`."""


def score_scifact(query: EvalQuery, passages: list[Passage],
                  locator: TextLocator | None = None) -> dict[str, float]:
    """nDCG@10, recall@100 and MRR@10 over graded qrels."""
    ranked, gold = dedupe([p.key for p in passages]), query.gold
    return {"ndcg@10": ndcg_at_k(ranked, gold, 10), "recall@100": recall_at_k(ranked, gold, 100),
            "mrr@10": mrr_at_k(ranked, gold, 10)}


def score_sec10q(query: EvalQuery, passages: list[Passage],
                 locator: TextLocator | None = None) -> dict[str, float]:
    """Recall of the gold filings at 1, 4, 10; top-1 exact for single-filing questions."""
    ranked, gold = dedupe([p.key for p in passages]), query.gold
    out = {f"recall@{k}": recall_at_k(ranked, gold, k) for k in (1, 4, 10)}
    if len(gold) == 1:
        out["top1_exact"] = hit_at_k(ranked, gold, 1)
    return out


def score_hotpotqa(query: EvalQuery, passages: list[Passage],
                   locator: TextLocator | None = None) -> dict[str, float]:
    """Recall of the two supporting paragraphs at 2, 5, 10."""
    ranked = dedupe([p.key for p in passages])
    return {f"recall@{k}": recall_at_k(ranked, query.gold, k) for k in (2, 5, 10)}


def score_qmsum(query: EvalQuery, passages: list[Passage],
                locator: TextLocator | None = None) -> dict[str, float]:
    """Gold-span and topic coverage of the in-scope passages, at 4 passages and at BUDGET
    characters, and the characters the first 4 hand over."""
    if locator is None:
        raise ValueError("qmsum scores need a TextLocator over the corpus")
    inside = _in_scope(query, passages)
    cuts = {"4": inside[:4], BUDGET_LABEL: _within_budget(inside, BUDGET)}
    out = {"context_chars@4": float(sum(len(p.text) for p in inside[:4]))}
    for label, chosen in cuts.items():
        got = [s for p in chosen for s in locator.spans(p)]
        if query.spans:
            out[f"span_coverage@{label}"] = span_coverage(query.spans, got)
        if query.qtype == "general" and query.topics:
            out[f"topic_coverage@{label}"] = topic_coverage(query.topics, got)
    return out


def _in_scope(query: EvalQuery, passages: list[Passage]) -> list[Passage]:
    scope = set(query.scope or query.gold)
    return [p for p in passages if p.key in scope]


def _within_budget(passages: list[Passage], budget: int) -> list[Passage]:
    """Passages in rank order while their text fits in `budget` characters (at least one)."""
    out, used = [], 0
    for p in passages:
        if out and used + len(p.text) > budget:
            break
        out.append(p)
        used += len(p.text)
    return out


# ----- answers --------------------------------------------------------------------------------

_CITATION = re.compile(r"\s*\[\d+\]")


@dataclass(frozen=True)
class AnswerMetric:
    """A score of an answer against the query's gold answer, reported as `<name>@<chars>`."""

    name: str
    score: Callable[[str, str], float]
    """(gold answer, answer cut to the set's cap) -> score."""
    only: Callable[[str], bool] | None = None
    """The gold answers it applies to (all when None)."""

    def column(self, chars: int) -> str:
        return f"{self.name}@{chars}"


def cut_answer(text: str, chars: int) -> str:
    """`text` with whitespace folded, cut to at most `chars` characters at a word boundary (a
    single word longer than that is cut inside)."""
    text = " ".join(text.split())
    if len(text) <= chars:
        return text
    at = text.rfind(" ", 0, chars + 1)
    return text[:at] if at > 0 else text[:chars]


def lead_answer(passages: Sequence[Passage], chars: int) -> str:
    """The answer of a strategy that only retrieves: its passages' opening sentences, cut to `chars`.

    Round-robin in rank order: the first sentence of every passage, then every second sentence,
    and so on, so a system is judged by the openings of its top passages rather than by its first
    passage alone (a long first passage would fill the cap by itself). A sentence seen already
    (overlapping chunks) is skipped. The text is then cut at a word boundary.
    """
    per_passage = [[s.text for s in split_sentences(p.text)] for p in passages]
    seen: set[str] = set()
    picked: list[str] = []
    used = 0
    for row in zip_longest(*per_passage):
        for sentence in row:
            if sentence is None or sentence in seen:
                continue
            seen.add(sentence)
            picked.append(sentence)
            used += len(sentence) + 1
            if used > chars:
                return cut_answer(" ".join(picked), chars)
    return cut_answer(" ".join(picked), chars)


def score_answer(query: EvalQuery, answer: str, metrics: Sequence[AnswerMetric],
                 chars: int) -> dict[str, float]:
    """The answer metrics of one answer, its `[n]` citation marks removed and cut to `chars`
    ({} for a query with no gold answer)."""
    if not query.answer or not metrics:
        return {}
    got = cut_answer(_CITATION.sub("", answer), chars)
    return {m.column(chars): m.score(query.answer, got) for m in metrics
            if m.only is None or m.only(query.answer)}
