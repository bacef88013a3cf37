"""Training pairs for the embedder from labels a user gives: (query, positive text).

A JSONL file holds one labelled query per line, `{"query": ..., "source_ids": [...]}` naming
relevant documents of the index by source id, and/or `"texts": [...]` giving relevant passages
outright. `read_labelled` parses it (a malformed line is an error naming the file and line);
`resolve_pairs` turns each relevant document into its child that best matches the query under
the index's current model: what retrieval reads, so a long document gives its relevant passage
rather than its opening. Source ids the tenant does not hold are reported, never guessed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rag_agent.errors import ConfigError
from rag_agent.index.protocol import SearchIndex
from rag_agent.settings import DEFAULT_TENANT

__all__ = ["NEGATIVES", "LabelledQuery", "Pair", "PairsReport", "TrainingSet", "pairs_line",
           "read_labelled", "resolve_pairs", "training_set"]

NEGATIVES = 4
"""Hard negatives mined per pair: the best children of documents its query does not name."""
NEIGHBOURS = 64
"""Children read per query to find them (a long document's own children can fill the first
dozens)."""


@dataclass(frozen=True)
class LabelledQuery:
    """A query and what is relevant to it: documents by source id, or texts."""

    query: str
    source_ids: tuple[str, ...] = ()
    texts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Pair:
    """One training example: the query and a text that answers it."""

    query: str
    positive: str
    source_id: str | None = None
    """The document the positive was read from (None for a text given outright)."""
    unit_id: int | None = None
    """The index unit (child) whose text is the positive, so its stored vector can be read."""


@dataclass
class PairsReport:
    """Pairs made, and the labels that named documents the index does not hold."""

    pairs: list[Pair] = field(default_factory=list)
    missing: list[tuple[str, str]] = field(default_factory=list)
    """(query, source id) for every relevant source id not found in the tenant's documents."""


def pairs_line(pairs: int, missing: Sequence[tuple[str, str]]) -> str:
    """The first line of a training report: pairs made, labels that named unknown documents."""
    return f"{pairs} training pairs" + (
        f"; {len(missing)} labelled source id(s) not in the index (first: {missing[0][1]!r})"
        if missing else "")


def _strings(value: Any, key: str, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
        raise ConfigError(f"{where}: {key!r} must be a list of strings, got {value!r}")
    return tuple(str(v) for v in value if str(v).strip())


def read_labelled(path: str | Path) -> list[LabelledQuery]:
    """Labelled queries of a JSONL file; raises `ConfigError` naming the line of a bad one."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"pairs file {str(path)!r} does not exist; give a JSONL file with one "
                          '{"query": ..., "source_ids": [...]} per line')
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{n}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise ConfigError(f"{where}: not JSON ({e.msg}); each line must be one object"
                              ) from None
        if not isinstance(row, dict):
            raise ConfigError(f"{where}: expected an object with 'query', got {row!r}")
        query = row.get("query")
        if not isinstance(query, str) or not query.strip():
            raise ConfigError(f"{where}: 'query' must be a non-empty string")
        labelled = LabelledQuery(query.strip(), _strings(row.get("source_ids"), "source_ids",
                                                         where),
                                 _strings(row.get("texts"), "texts", where))
        if not labelled.source_ids and not labelled.texts:
            raise ConfigError(f"{where}: give 'source_ids' or 'texts' (what is relevant to the "
                              "query)")
        out.append(labelled)
    return out


def resolve_pairs(index: SearchIndex, labelled: Sequence[LabelledQuery], *,
                  tenant: str = DEFAULT_TENANT) -> PairsReport:
    """One pair per relevant document (its best-matching child) and per relevant text."""
    report = PairsReport()
    known = index.doc_ids([s for q in labelled for s in q.source_ids], tenant=tenant)
    for q in labelled:
        report.pairs += [Pair(q.query, text) for text in q.texts]
        wanted = [s for s in dict.fromkeys(q.source_ids) if s in known]
        report.missing += [(q.query, s) for s in dict.fromkeys(q.source_ids) if s not in known]
        if not wanted:
            continue
        vector = index.embed_query(q.query, adapter=False)  # what the trainer starts from
        for source_id in wanted:
            hits = index.search(vector, kind="child", k=1, doc_ids=[known[source_id]],
                                tenant=tenant)
            if hits:
                report.pairs.append(Pair(q.query, hits[0].text, source_id, hits[0].unit_id))
    return report


@dataclass
class TrainingSet:
    """What the adapter and the full fine-tune train on."""

    pairs: list[Pair]
    missing: list[tuple[str, str]]
    queries: np.ndarray
    """The model's own (unadapted) vector of each pair's query, (n, dim)."""
    negatives: list[list[int]]
    """Per pair, up to `NEGATIVES` child unit ids mined as hard negatives (fewer where the
    query's neighbours ran out: a small collection)."""


def _folded(text: str) -> str:
    return " ".join(text.lower().split())


def _negative_ids(index: SearchIndex, pairs: list[Pair], queries: np.ndarray,
                  relevant: dict[str, set[str]], tenant: str) -> list[list[int]]:
    """Per pair, the best children of documents its query does not name as relevant and whose
    text does not hold the query word for word (a corpus sentence repeated in another document,
    as filings repeat, is not a non-answer); fewer than `NEGATIVES` where they run out."""
    chosen: list[list[int]] = []
    for pair, row in zip(pairs, queries, strict=True):
        hits = index.search(row.reshape(1, -1), kind="child", k=NEIGHBOURS, tenant=tenant)
        skip = relevant.get(pair.query, set())
        words = _folded(pair.query)
        chosen.append([h.unit_id for h in hits
                       if h.source_id not in skip and h.text != pair.positive
                       and words not in _folded(h.text)][:NEGATIVES])
    return chosen


def training_set(index: SearchIndex, labelled: Sequence[LabelledQuery], pairs: Sequence[Pair] = (), *,
                 tenant: str = DEFAULT_TENANT) -> TrainingSet:
    """Pairs from `labelled` (resolved in `index`) and `pairs`, their raw query rows and mined
    hard negatives; raises `ConfigError` if fewer than 2 pairs can be made."""
    resolved = resolve_pairs(index, labelled, tenant=tenant)
    pairs = [*resolved.pairs, *pairs]
    if len(pairs) < 2:
        raise ConfigError(f"only {len(pairs)} training pair(s) could be made from "
                          f"{len(labelled)} labelled queries; give more, naming documents the "
                          "index holds (rag-agent stats lists its tenants)")
    queries = np.vstack([index.embed_query(p.query, adapter=False) for p in pairs])
    relevant: dict[str, set[str]] = {}
    for q in labelled:
        relevant.setdefault(q.query, set()).update(q.source_ids)
    for p in pairs:
        if p.source_id is not None:
            relevant.setdefault(p.query, set()).add(p.source_id)
    return TrainingSet(pairs, resolved.missing, queries,
                       _negative_ids(index, pairs, queries, relevant, tenant))
