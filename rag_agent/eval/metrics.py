"""Metrics of the evaluation harness: ranking over document ids (as BEIR computes them, binary
or graded relevance), coverage of gold spans, answers against gold answers, latency percentiles."""

from __future__ import annotations

import math
import re
import string
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from rag_agent.errors import MissingExtraError

__all__ = [
    "answer_in",
    "dedupe",
    "hit_at_k",
    "merge_spans",
    "mrr_at_k",
    "ndcg_at_k",
    "normalize_answer",
    "percentiles",
    "recall_at_k",
    "rouge_l",
    "span_coverage",
    "topic_coverage",
]


def dedupe(ids: Sequence[str]) -> list[str]:
    """Ids in first-seen order (several passages of one document count once)."""
    seen: set[str] = set()
    return [i for i in ids if not (i in seen or seen.add(i))]


def hit_at_k(ranked: Sequence[str], relevant: Mapping[str, int], k: int) -> float:
    """1 if any relevant id is in the top k."""
    return float(any(relevant.get(i, 0) > 0 for i in ranked[:k]))


def recall_at_k(ranked: Sequence[str], relevant: Mapping[str, int], k: int) -> float:
    """Share of the relevant ids found in the top k."""
    gold = {i for i, r in relevant.items() if r > 0}
    return len(gold & set(ranked[:k])) / len(gold) if gold else 0.0


def mrr_at_k(ranked: Sequence[str], relevant: Mapping[str, int], k: int = 10) -> float:
    """Reciprocal rank of the first relevant id in the top k."""
    for rank, i in enumerate(ranked[:k], 1):
        if relevant.get(i, 0) > 0:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranked: Sequence[str], relevant: Mapping[str, int], k: int = 10) -> float:
    """nDCG@k with gains equal to the relevance grades (BEIR / trec_eval convention)."""
    dcg = sum(relevant.get(i, 0) / math.log2(rank + 1) for rank, i in enumerate(ranked[:k], 1))
    ideal = sorted((r for r in relevant.values() if r > 0), reverse=True)[:k]
    idcg = sum(r / math.log2(rank + 1) for rank, r in enumerate(ideal, 1))
    return dcg / idcg if idcg else 0.0


# ----- spans: how much of a gold location the retrieved text covers ---------------------------

Span = tuple[int, int]


def merge_spans(spans: Sequence[Span]) -> list[Span]:
    """Sorted, non-overlapping spans covering the same characters."""
    out: list[Span] = []
    for a, b in sorted(s for s in spans if s[1] > s[0]):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _overlap(a: Span, spans: list[Span]) -> int:
    return sum(max(0, min(a[1], b) - max(a[0], s)) for s, b in spans)


def span_coverage(gold: Sequence[Span], got: Sequence[Span]) -> float:
    """Share of the gold characters that lie inside the retrieved spans."""
    gold_m, got_m = merge_spans(gold), merge_spans(got)
    total = sum(b - a for a, b in gold_m)
    return sum(_overlap(g, got_m) for g in gold_m) / total if total else 0.0


def topic_coverage(topics: Sequence[Span], got: Sequence[Span]) -> float:
    """Share of the topics (each a span) that the retrieved spans touch at all."""
    got_m = merge_spans(got)
    return sum(_overlap(t, got_m) > 0 for t in topics) / len(topics) if topics else 0.0


# ----- answers: a system's answer text against the gold answer --------------------------------

_PUNCTUATION = str.maketrans("", "", string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize_answer(text: str) -> str:
    """SQuAD's normalization: lowercase, no punctuation, no articles (a/an/the), single spaces."""
    return " ".join(_ARTICLES.sub(" ", text.lower().translate(_PUNCTUATION)).split())


def answer_in(gold: str, answer: str) -> float:
    """1 if the normalized gold answer occurs in the normalized answer as whole words, else 0.

    Whole words, so that a gold "no" is not found inside "not" or "know".
    """
    want = normalize_answer(gold)
    return float(bool(want) and f" {want} " in f" {normalize_answer(answer)} ")


@cache
def _rouge_l_scorer() -> Any:
    try:
        from rouge_score import rouge_scorer
    except ImportError as exc:
        raise MissingExtraError("the rougeL answer metric (rouge-score)", "bench") from exc
    return rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)


def rouge_l(gold: str, answer: str) -> float:
    """ROUGE-L F1 of the answer against the gold answer (rouge-score, Porter stemmer; offline)."""
    return float(_rouge_l_scorer().score(gold, answer)["rougeL"].fmeasure)


# ----- latency --------------------------------------------------------------------------------


def percentiles(seconds: Sequence[float], digits: int = 2) -> dict[str, float]:
    """p50 and p95 of durations, in milliseconds rounded to `digits` ({} for no durations).

    Linear interpolation between the two nearest ranks (numpy's default, Hyndman-Fan type 7),
    so p50 is the median.
    """
    if not seconds:
        return {}
    ms = sorted(s * 1000 for s in seconds)
    out = {}
    for q in (50, 95):
        pos = q / 100 * (len(ms) - 1)
        lo = math.floor(pos)
        hi = min(lo + 1, len(ms) - 1)
        out[f"p{q}"] = round(ms[lo] + (ms[hi] - ms[lo]) * (pos - lo), digits)
    return out
