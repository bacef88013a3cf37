"""Training pairs made from the corpus alone: no labels, no chat model.

Three kinds, each a (query, positive) pair read from the index's own units:

- `ict` (inverse cloze task): a sentence as the query, the child that holds it *with that
  sentence removed* (under the child's title line) as the positive, so the model learns to
  match a claim to its context rather than to its own words;
- `title`: a document's title as the query, the text of one of its children without the title
  line (titles that only repeat the source id, a file name, are skipped; one pair per document);
- `sentence`: a sentence as the query, its own child as the index embeds it (the sentence is in
  it, so it rewards string overlap).

Pairs are spread over the tenant's documents (shuffled, then one pair per document in turn) and
are the same for the same index, `n`, `kind` and `seed`. Hard negatives are mined later, as for
labelled pairs (`pairs.training_set`): the nearest children of other documents.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence

from rag_agent.errors import ConfigError
from rag_agent.finetune.pairs import Pair
from rag_agent.index.protocol import SearchIndex
from rag_agent.index.records import StoredUnit
from rag_agent.settings import DEFAULT_TENANT

__all__ = ["DEFAULT_OFFLINE_KIND", "OFFLINE_KINDS", "offline_pairs", "sentence_candidates"]

OFFLINE_KINDS = ("ict", "title", "sentence")
DEFAULT_OFFLINE_KIND = "ict"
"""The kind `rag-agent finetune --offline` makes unless told: it tied `title` on SciFact's dev
claims and, unlike it, needs no real titles; every kind lowered retrieval there
(docs/BENCHMARKS.md, "Fine-tuning the model on offline pairs"), so none runs by default."""
MIN_WORDS = 6
"""A sentence shorter than this (a heading, a fragment, a table cell) is never a query."""


def _header(embedded: str, text: str) -> str:
    """The title line (with its newline) a child is embedded under, or ''."""
    return embedded[:-len(text)] if text and embedded.endswith(text) else ""


def _spread(groups: Sequence[list], n: int) -> list:
    """Up to `n` items taken one per group in turn (round robin over the groups)."""
    out: list = []
    depth = 0
    while len(out) < n:
        row = [g[depth] for g in groups if depth < len(g)]
        if not row:
            break
        out += row[:n - len(out)]
        depth += 1
    return out


def sentence_candidates(sentences: list[StoredUnit], children: dict[tuple[str, int], StoredUnit],
                        kind: str) -> dict[str, list[tuple[StoredUnit, StoredUnit, list[str]]]]:
    """Per document, (sentence, its child, the child's other sentences) for every sentence that
    can be a query: long enough, and (for `ict`) in a child with another sentence to keep."""
    by_child: dict[tuple[str, int], list[StoredUnit]] = defaultdict(list)
    for s in sentences:
        if s.child is not None:
            by_child[(s.doc_id, s.child)].append(s)
    out: dict[str, list[tuple[StoredUnit, StoredUnit, list[str]]]] = defaultdict(list)
    for key, members in by_child.items():
        child = children.get(key)
        if child is None:
            continue
        members.sort(key=lambda s: s.position)
        for s in members:
            if len(s.text.split()) < MIN_WORDS:
                continue
            rest = [o.text for o in members if o.id != s.id]
            if kind == "ict" and not rest:
                continue
            out[s.doc_id].append((s, child, rest))
    return out


def offline_pairs(index: SearchIndex, n: int = 2000, *, kind: str = DEFAULT_OFFLINE_KIND,
                  seed: int = 0, tenant: str = DEFAULT_TENANT) -> list[Pair]:
    """Up to `n` (query, positive) pairs of `kind` (one of `OFFLINE_KINDS`) from the tenant's
    own documents, spread over them; deterministic given `seed`. Raises `ConfigError` for an
    unknown kind or n < 1."""
    if kind not in OFFLINE_KINDS:
        raise ConfigError(f"unknown offline pair kind {kind!r}; use one of "
                          f"{', '.join(OFFLINE_KINDS)}")
    if n < 1:
        raise ConfigError(f"ask for at least 1 offline pair, not {n}")
    rng = random.Random(seed)
    child_rows = index.units("child", tenant=tenant)
    children = {(c.doc_id, c.position): c for c in child_rows}
    docs = sorted({c.doc_id for c in child_rows})
    rng.shuffle(docs)
    if kind == "title":
        by_doc: dict[str, list[StoredUnit]] = defaultdict(list)
        for c in child_rows:
            by_doc[c.doc_id].append(c)
        chosen = [rng.choice(by_doc[d]) for d in docs
                  if by_doc[d][0].title.strip() and by_doc[d][0].title != by_doc[d][0].source_id]
        return [Pair(c.title, c.text, c.source_id) for c in chosen[:n]]
    candidates = sentence_candidates(index.units("sentence", tenant=tenant), children, kind)
    groups = []
    for d in docs:
        mine = candidates.get(d, [])
        rng.shuffle(mine)
        groups.append(mine)
    picked = _spread(groups, n)
    if kind == "sentence":
        return [Pair(s.text, child.text, child.source_id, child.id) for s, child, _ in picked]
    embedded = index.embedded_texts(sorted({child.id for _, child, _ in picked}), tenant=tenant)
    return [Pair(s.text, _header(embedded.get(child.id, ""), child.text) + " ".join(rest),
                 child.source_id) for s, child, rest in picked]
