"""Offline answers: the passages' own sentences, chosen and ordered so that they read as an answer.

Each candidate sentence comes with the vector the index stored for it (nothing is embedded again
when the passage is a window, a parent, a region or a summary of the index). Then, by task:

- fact: the sentence that best answers first, then the ones that add most (maximal marginal
  relevance), one sentence per point, each followed by its passage number;
- summary: the best distinct sentences, put back in reading order within each passage;
- comparison: one line per target, from that target's passages only, and never a passage or a
  sentence already used for another target.

Sentences too short to say anything ("Yeah.", "Okay, so."), table rows, code, headings and
unfinished sentences (a lead-in ending in ":", a list item ending in ";") are never picked, and a
sentence that nearly repeats one already picked is skipped. Citations are numbered in the order
the answer first uses them ([1], [2], ...), whatever the passages' places in the context.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import zip_longest

import numpy as np
from langchain_core.documents import Document

from rag_agent.agent.compare import target_query
from rag_agent.index.protocol import SearchIndex
from rag_agent.ingest.split import (
    is_prose,
    split_sentences,
    strip_list_marker,
    table_row_text,
)
from rag_agent.settings import DEFAULT_TENANT

_SPEAKER = re.compile(r"^[\w .'’-]{1,40}:\s+")
"""A transcript's "Speaker: " prefix, which does not count as words of the sentence."""

__all__ = ["Candidate", "ExtractiveAnswer", "candidates", "extractive_answer"]

NEAR_DUPLICATE = 0.92
"""Cosine above which a sentence repeats one already picked."""
DIVERSITY = 0.3
"""Weight of redundancy against relevance after the first pick (maximal marginal relevance)."""
_STOP = frozenset("the and for of in on at to a an q1 q2 q3 q4".split())
FACT_MARGIN = 0.4
"""A fact answer keeps a further sentence only within this cosine of the best one."""
_MARK = "\x00{n}\x00"
"""A citation while the answer is composed (no source text holds it), numbered at the end."""
_MARKED = re.compile("\x00(\\d+)\x00")


@dataclass(frozen=True)
class Candidate:
    """A sentence that may go into an answer."""

    n: int
    """Number of its passage."""
    target: str
    position: int
    """Place in its passage (reading order)."""
    text: str
    vector: np.ndarray


@dataclass(frozen=True)
class ExtractiveAnswer:
    """An offline answer and the passages it cites."""

    text: str
    """The answer; its citations are [1], [2], ... in the order it first uses them."""
    cited: tuple[int, ...]
    """The cited passages' own numbers: `cited[i - 1]` is the passage the answer calls [i]."""


def _usable(text: str) -> bool:
    return is_prose(_SPEAKER.sub("", text))


def _stored(index: SearchIndex, doc: Document) -> list[tuple[str, np.ndarray]] | None:
    """The passage's sentences as the index stored them, with vectors; None if unknown."""
    meta = doc.metadata
    doc_id = meta.get("doc_id")
    if not doc_id or not hasattr(index, "sentence_rows"):
        return None
    kind, tenant = meta.get("kind"), meta.get("tenant", DEFAULT_TENANT)
    if kind == "parent" and meta.get("parent_id"):
        rows = index.sentence_rows(doc_id, parent_id=meta["parent_id"], tenant=tenant)
    elif meta.get("window_start") is not None and meta.get("window_end") is not None:
        rows = index.sentence_rows(doc_id, int(meta["window_start"]), int(meta["window_end"]),
                                   tenant=tenant)
    elif kind == "summary":
        text = doc.page_content
        rows = [r for r in index.sentence_rows(doc_id, tenant=tenant) if r.text in text]
    else:
        return None
    return [(r.text, r.vector) for r in rows] or None


def candidates(index: SearchIndex, passages: list[tuple[int, Document]]) -> list[Candidate]:
    """Usable sentences of the numbered passages, in passage order, with their vectors."""
    out: list[Candidate] = []
    missing: list[tuple[int, str, int, str]] = []
    seen: set[tuple[int, str]] = set()
    for n, doc in passages:
        target = str(doc.metadata.get("target", ""))
        rows = _stored(index, doc)
        if rows is None:
            missing += [(n, target, i, table_row_text(s.text)) for i, s in enumerate(
                split_sentences(doc.page_content)) if _usable(table_row_text(s.text))]
            continue
        for i, (text, vec) in enumerate(rows):
            text = table_row_text(text)  # a table row can be the answer: read as a line
            if _usable(text) and (n, text) not in seen:
                seen.add((n, text))
                out.append(Candidate(n, target, i, text, vec))
    if missing:
        vectors = index.embed_texts([m[3] for m in missing])
        out += [Candidate(n, t, i, text, v) for (n, t, i, text), v in
                zip(missing, vectors, strict=True)]
    return out


def _pick(pool: list[Candidate], scores: np.ndarray, count: int,
          avoid: list[Candidate]) -> list[int]:
    """Indexes into `pool`: the best first, then by maximal marginal relevance, skipping near
    repeats of each other and of `avoid`."""
    if not pool:
        return []
    vecs = np.stack([c.vector for c in pool])
    redundancy = np.full(len(pool), -1.0)
    texts = {c.text for c in avoid}
    if avoid:
        redundancy = (vecs @ np.stack([c.vector for c in avoid]).T).max(axis=1)
    picked: list[int] = []
    while len(picked) < count:
        value = scores - (DIVERSITY * np.maximum(redundancy, 0) if picked or avoid else 0)
        value[picked] = -np.inf
        value[redundancy > NEAR_DUPLICATE] = -np.inf
        value[[i for i, c in enumerate(pool) if c.text in texts]] = -np.inf
        best = int(np.argmax(value))
        if not np.isfinite(value[best]):
            break
        picked.append(best)
        texts.add(pool[best].text)
        redundancy = np.maximum(redundancy, vecs @ vecs[best])
    return picked


def _line(chosen: list[Candidate]) -> str:
    return " ".join(f"{strip_list_marker(c.text)} {_MARK.format(n=c.n)}" for c in chosen)


def extractive_answer(
    question: str,
    passages: list[tuple[int, Document]],
    index: SearchIndex,
    *,
    shape: str = "fact",
    sentences: int = 4,
    targets: list[str] | None = None,
    adapter: bool | None = None,
) -> ExtractiveAnswer:
    """An answer made of the passages' sentences, each cited (see the module docstring).

    Args:
        passages: numbered passages, best first (a comparison's carry `metadata["target"]`).
        shape: the policy's shape of the question (`rag_agent.agent.policy.question_shape`).
        sentences: points in the answer (a comparison shares them out, two per target at
            least).
        targets: the comparison's targets, in the order their lines are written.
        adapter: the query adapter choice of the search (`RagIndex.embed_query`).
    """
    return _numbered(_compose(question, passages, index, shape=shape, sentences=sentences,
                              targets=targets, adapter=adapter))


def _numbered(text: str) -> ExtractiveAnswer:
    """Marks replaced by [1], [2], ... in order of first use."""
    cited = tuple(dict.fromkeys(int(n) for n in _MARKED.findall(text)))
    new = {n: i + 1 for i, n in enumerate(cited)}
    return ExtractiveAnswer(_MARKED.sub(lambda m: f"[{new[int(m[1])]}]", text), cited)


def _compose(question: str, passages: list[tuple[int, Document]], index: SearchIndex, *,
             shape: str, sentences: int, targets: list[str] | None,
             adapter: bool | None) -> str:
    pool = candidates(index, passages)
    if not pool:
        return "No passage in the index matches this question."
    vectors = np.stack([c.vector for c in pool])
    if shape == "comparison" and targets and len(targets) >= 2:
        return _comparison(question, pool, vectors, index, max(2, sentences // len(targets)),
                           targets, adapter)
    scores = vectors @ index.embed_query(question, adapter=adapter)[0]
    if shape == "whole_summary":
        return _bullets(_whole(pool, passages, sentences), titled=passages)
    chosen = [pool[i] for i in _pick(pool, scores, sentences, [])]
    if shape == "topic_summary":
        rank = {c.n: r for r, c in enumerate(sorted(chosen, key=lambda c: c.n))}
        return _bullets(sorted(chosen, key=lambda c: (rank[c.n], c.position)))
    return _line(_fact(pool, scores, sentences))


def _fact(pool: list[Candidate], scores: np.ndarray, count: int) -> list[Candidate]:
    """The best sentence, then the best sentence of each other passage in rank order (a
    multi-hop answer reads along its passages: the film, then the actress it names), while it
    stays within FACT_MARGIN of the best and says something new."""
    first = int(np.argmax(scores))
    best = float(scores[first])
    chosen = [first]
    for n in dict.fromkeys(c.n for c in pool):
        if len(chosen) >= count:
            break
        members = [i for i, c in enumerate(pool) if c.n == n and i not in chosen]
        for i in sorted(members, key=lambda i: -scores[i])[:1]:
            near = any(float(pool[i].vector @ pool[j].vector) > NEAR_DUPLICATE for j in chosen)
            if float(scores[i]) >= best - FACT_MARGIN and not near:
                chosen.append(i)
    return [pool[i] for i in chosen]


def _bullets(chosen: list[Candidate],
             titled: list[tuple[int, Document]] | None = None) -> str:
    """One point per line; with `titled`, points from several documents open with their
    document's title, so a summary of a collection says which document says what."""
    titles = {n: str(d.metadata.get("title") or "") for n, d in titled or []}
    if len({titles.get(c.n) for c in chosen}) < 2 or not all(titles.get(c.n) for c in chosen):
        titles = {}
    return "\n".join(f"- {titles[c.n] + ': ' if titles else ''}{_line([c])}" for c in chosen)


def _whole(pool: list[Candidate], passages: list[tuple[int, Document]],
           count: int) -> list[Candidate]:
    """A whole-document summary: the best documents' summary sentences, in reading order, then
    the sentences of spread passages closest to what those summaries say."""
    summary_ns = [n for n, d in passages if d.metadata.get("kind") == "summary"]
    from_summaries = [c for c in pool if c.n in summary_ns]
    by_doc = [[c for c in from_summaries if c.n == n] for n in dict.fromkeys(summary_ns)]
    chosen: list[Candidate] = []
    for row in zip_longest(*by_doc):  # a sentence of each summary in turn, best document first
        for c in row:
            if c is None or len(chosen) >= count:
                continue
            if all(float(c.vector @ o.vector) <= NEAR_DUPLICATE for o in chosen):
                chosen.append(c)
    chosen.sort(key=lambda c: (summary_ns.index(c.n), c.position))
    rest = [c for c in pool if c.n not in summary_ns]
    if len(chosen) < count and rest:
        centre = np.mean([c.vector for c in (from_summaries or rest)], axis=0)
        scores = np.stack([c.vector for c in rest]) @ centre
        chosen += [rest[i] for i in _pick(rest, scores, count - len(chosen), chosen)]
    return chosen


def _mentions(text: str, target: str) -> bool:
    """Whether a sentence names the target (any of its words of three letters or more)."""
    words = [w for w in re.findall(r"[\w'’-]+", target) if len(w) >= 3
             and w.lower() not in _STOP]
    return any(re.search(rf"(?<!\w){re.escape(w)}(?!\w)", text, re.I) for w in words)


def _comparison(question: str, pool: list[Candidate], vectors: np.ndarray, index: SearchIndex,
                count: int, targets: list[str], adapter: bool | None) -> str:
    lines: list[str] = []
    used: list[Candidate] = []
    for target in targets:
        members = [i for i, c in enumerate(pool) if c.target == target]
        naming = [i for i in members if _mentions(pool[i].text, target)]
        # sentences of its own passages that name the target; else any passage's sentences
        # that name it (never one used for another target); else its own passages
        elsewhere = [i for i, c in enumerate(pool) if _mentions(c.text, target)]
        members = naming or elsewhere or members
        sub = [pool[i] for i in members]
        query = index.embed_query(target_query(question, target, targets), adapter=adapter)[0]
        scores = vectors[members] @ query if members else np.zeros(0)
        picked = [sub[i] for i in _pick(sub, scores, count, used)]
        if picked:
            lines.append(f"{target}: {_line(picked)}")
            used += picked
        else:
            lines.append(f"{target}: no passage of its own in the index answers this.")
    return "\n".join(lines)
