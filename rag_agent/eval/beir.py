"""BEIR-format datasets (SciFact): corpus, queries and qrels."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

__all__ = ["BeirSet", "load_beir"]


@dataclass
class BeirSet:
    """Queries of one split with their graded relevant document ids."""

    corpus: Path
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]


def load_beir(folder: Path, split: str = "test") -> BeirSet:
    """Queries that have qrels in `split`, and the qrels (query id -> doc id -> grade)."""
    qrels: dict[str, dict[str, int]] = {}
    lines = (folder / "qrels" / f"{split}.tsv").read_text().splitlines()
    for line in lines[1:] if lines and lines[0].startswith("query") else lines:
        qid, did, score = line.split("\t")[:3]
        qrels.setdefault(qid, {})[did] = int(score)
    queries = {}
    with (folder / "queries.jsonl").open() as fh:
        for line in fh:
            q = json.loads(line)
            if q["_id"] in qrels:
                queries[q["_id"]] = q["text"]
    return BeirSet(folder / "corpus.jsonl", queries, qrels)
