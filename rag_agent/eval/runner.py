"""Run retrieval strategies over a BEIR set and score them by document id."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rag_agent.eval.beir import BeirSet, load_beir
from rag_agent.eval.metrics import dedupe, mrr_at_k, ndcg_at_k, recall_at_k
from rag_agent.index.store import RagIndex
from rag_agent.retrieval.tools import make_retrievers

__all__ = ["Ranker", "evaluate", "markdown_table", "our_rankers", "quick_slice", "run_scifact"]

Ranker = Callable[[str], list[str]]
"""A strategy: query -> document ids, best first."""


def our_rankers(index: RagIndex, k: int = 100) -> dict[str, Ranker]:
    """Our retrievers as rankers of source ids (first passage of a document ranks it)."""
    strategies = {
        "summary-only": make_retrievers(index, k=k)["summary"],
        "sentence-window (w=2)": make_retrievers(index, k=k, window=2)["sentence_window"],
        "routed parent-chunk (route 100 docs)":
            make_retrievers(index, k=k, route_docs=100)["parent_chunk"],
        "parent-chunk, no routing": make_retrievers(index, k=k, route_docs=0)["parent_chunk"],
    }
    return {name: (lambda q, r=r: [d.metadata["source_id"] for d in r.invoke(q)])
            for name, r in strategies.items()}


def evaluate(data: BeirSet, rankers: dict[str, Ranker]) -> dict[str, Any]:
    """nDCG@10, recall@100 and MRR@10 of each ranker, averaged over the set's queries."""
    out: dict[str, Any] = {"queries": len(data.queries)}
    for name, rank in rankers.items():
        sums = {"ndcg@10": 0.0, "recall@100": 0.0, "mrr@10": 0.0}
        for qid, text in data.queries.items():
            ranked, gold = dedupe(rank(text)), data.qrels[qid]
            sums["ndcg@10"] += ndcg_at_k(ranked, gold, 10)
            sums["recall@100"] += recall_at_k(ranked, gold, 100)
            sums["mrr@10"] += mrr_at_k(ranked, gold, 10)
        out[name] = {m: round(v / max(1, len(data.queries)), 3) for m, v in sums.items()}
    return out


def quick_slice(data: BeirSet, folder: Path, queries: int = 20, docs: int = 300) -> BeirSet:
    """A small set: the first `queries` queries, their gold documents and filler, as a corpus
    file in `folder` (for smoke runs; its figures are not comparable to the full set's)."""
    qids = list(data.queries)[:queries]
    wanted = {d for q in qids for d in data.qrels[q]}
    gold_lines, filler = [], []
    with data.corpus.open() as fh:
        for line in fh:
            (gold_lines if json.loads(line)["_id"] in wanted else filler).append(line)
    corpus = folder / "corpus.jsonl"
    corpus.write_text("".join(gold_lines + filler[: max(0, docs - len(gold_lines))]))
    return BeirSet(corpus, {q: data.queries[q] for q in qids}, {q: data.qrels[q] for q in qids})


def run_scifact(data_dir: Path, index_dir: Path | None = None, *, quick: bool = False,
                progress: bool = True) -> dict[str, Any]:
    """Our strategies on SciFact test; builds the index if `index_dir` holds none."""
    data = load_beir(data_dir / "scifact")
    work = Path(tempfile.mkdtemp(prefix="rag-eval-"))
    if quick:
        data = quick_slice(data, work)
        index_dir = work / "index"
    with RagIndex.open(index_dir or work / "index") as index:
        if index.stats().documents == 0:
            index.add_paths([data.corpus], progress=progress)
        result = evaluate(data, our_rankers(index))
    result["dataset"] = "scifact" + (" (quick slice)" if quick else "")
    return result


def markdown_table(result: dict[str, Any]) -> str:
    """The result as a Markdown table."""
    rows = [(k, v) for k, v in result.items() if isinstance(v, dict)]
    lines = ["| strategy | nDCG@10 | recall@100 | MRR@10 |", "|---|---|---|---|"]
    lines += [f"| {k} | {v['ndcg@10']:.3f} | {v['recall@100']:.3f} | {v['mrr@10']:.3f} |"
              for k, v in rows]
    return "\n".join(lines)
