"""Per-query scores of one strategy's passages, by dataset, and where passages lie in documents."""

from __future__ import annotations

import re
from collections.abc import Sequence

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

__all__ = ["METRICS", "TextLocator", "score_query"]

BUDGET = 4000
"""QMSum: characters of context a strategy may hand over (passages in rank order while they fit;
at least the first), so strategies with long and short passages are compared at equal cost."""

METRICS: dict[str, list[str]] = {
    "scifact": ["ndcg@10", "recall@100", "mrr@10"],
    "sec10q": ["recall@1", "recall@4", "recall@10", "top1_exact"],
    "hotpotqa": ["recall@2", "recall@5", "recall@10"],
    "qmsum": ["span_coverage@4", f"span_coverage@{BUDGET // 1000}k", "topic_coverage@4",
              f"topic_coverage@{BUDGET // 1000}k", "context_chars@4"],
}
"""The metrics each dataset reports, in table order."""

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


def score_query(dataset: str, query: EvalQuery, passages: list[Passage],
                locator: TextLocator | None = None) -> dict[str, float]:
    """The dataset's metrics for one query (a metric that does not apply to it is left out)."""
    ranked = dedupe([p.key for p in passages])
    gold = query.gold
    if dataset == "scifact":
        return {"ndcg@10": ndcg_at_k(ranked, gold, 10), "recall@100": recall_at_k(ranked, gold, 100),
                "mrr@10": mrr_at_k(ranked, gold, 10)}
    if dataset == "sec10q":
        out = {f"recall@{k}": recall_at_k(ranked, gold, k) for k in (1, 4, 10)}
        if len(gold) == 1:
            out["top1_exact"] = hit_at_k(ranked, gold, 1)
        return out
    if dataset == "hotpotqa":
        return {f"recall@{k}": recall_at_k(ranked, gold, k) for k in (2, 5, 10)}
    if dataset == "qmsum":
        if locator is None:
            raise ValueError("qmsum scores need a TextLocator over the corpus")
        scope = set(query.scope or gold)
        inside = [p for p in passages if p.key in scope]
        cuts = {"4": inside[:4], f"{BUDGET // 1000}k": _within_budget(inside, BUDGET)}
        out = {"context_chars@4": float(sum(len(p.text) for p in inside[:4]))}
        for label, chosen in cuts.items():
            got = [s for p in chosen for s in locator.spans(p)]
            if query.spans:
                out[f"span_coverage@{label}"] = span_coverage(query.spans, got)
            if query.qtype == "general" and query.topics:
                out[f"topic_coverage@{label}"] = topic_coverage(query.topics, got)
        return out
    raise ValueError(f"no metrics for dataset {dataset!r}; known: {', '.join(METRICS)}")


def _within_budget(passages: list[Passage], budget: int) -> list[Passage]:
    """Passages in rank order while their text fits in `budget` characters (at least one)."""
    out, used = [], 0
    for p in passages:
        if out and used + len(p.text) > budget:
            break
        out.append(p)
        used += len(p.text)
    return out
