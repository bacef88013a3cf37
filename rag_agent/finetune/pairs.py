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

from rag_agent.errors import ConfigError
from rag_agent.settings import DEFAULT_TENANT

__all__ = ["LabelledQuery", "Pair", "PairsReport", "read_labelled", "resolve_pairs"]


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


def resolve_pairs(index: Any, labelled: Sequence[LabelledQuery], *,
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
