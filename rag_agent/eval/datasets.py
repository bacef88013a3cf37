"""The evaluation sets of ../shared/data, each with the one record of what the harness knows
about it (`DatasetSpec`, registered in `SPECS`): SciFact, SEC 10-Q, HotpotQA, QMSum.

Each loader reads the files in place and never writes into the data folder. Task labels follow
the mapping in ../shared/data/README.md. `quick=True` gives a small slice for smoke runs: a few
queries, their gold documents and some filler, long documents cut short; its figures are not
comparable to the full set's. Adding a set is adding its loader and its entry in `SPECS`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path
from typing import Any

from rag_agent.errors import ConfigError
from rag_agent.eval.beir import load_beir
from rag_agent.eval.metrics import answer_in, normalize_answer, rouge_l
from rag_agent.eval.scoring import (
    BUDGET,
    BUDGET_LABEL,
    AnswerMetric,
    Scorer,
    score_hotpotqa,
    score_qmsum,
    score_scifact,
    score_sec10q,
)
from rag_agent.eval.types import CorpusDoc, EvalQuery, EvalSet
from rag_agent.finetune.pairs import LabelledQuery

__all__ = ["SPECS", "DatasetSpec", "load_dataset", "qmsum_document", "scifact_train_labels"]

QUICK_QUERIES = 20
QUICK_DOCS = 300
QUICK_DOC_CHARS = 12_000


def load_scifact(data: Path, quick: bool = False) -> EvalSet:
    """SciFact test: 300 claims over 5,183 abstracts, BEIR qrels."""
    beir = load_beir(data / "scifact")
    docs = []
    with beir.corpus.open() as fh:
        for line in fh:
            rec = json.loads(line)
            docs.append(CorpusDoc(rec["_id"], rec.get("title", ""), rec["text"]))
    queries = [EvalQuery(qid, text, beir.qrels[qid]) for qid, text in beir.queries.items()]
    out = EvalSet("scifact", docs, queries, depth=100)
    return _quick(out) if quick else out


def scifact_train_labels(data: Path) -> list[LabelledQuery]:
    """SciFact's train claims with the abstracts they cite (source ids of the corpus): labels
    for fine-tuning. Of the 809, the 2 whose text is also a test claim (SciFact repeats them,
    citing the same abstract) are left out, so a model tuned on these never saw a claim the
    harness scores."""
    test = set(load_beir(data / "scifact").queries.values())
    path = data / "scifact" / "claims_train_with_evidence.jsonl"
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            rec = json.loads(line)
            if rec["claim"] not in test:
                out.append(LabelledQuery(rec["claim"],
                                         tuple(str(d) for d in rec["cited_doc_ids"])))
    return out


_SEC_TASKS = {"Single-Doc Single-Chunk RAG": "fact", "Multi-Doc RAG": "comparison"}


def load_sec10q(data: Path, quick: bool = False) -> EvalSet:
    """Docugami SEC 10-Q dev: 131 questions over 20 filings; gold = source filings (file stems)."""
    folder = data / "docugami_sec10q"
    docs = [CorpusDoc(p.stem, p.stem, p.read_text(encoding="utf-8"))
            for p in sorted((folder / "texts").glob("*.txt"))]
    queries = []
    for line in (folder / "qna_dev.jsonl").read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        queries.append(EvalQuery(str(rec["id"]), rec["question"],
                                 {d: 1 for d in rec["gold_docs"]}, rec["question_type"],
                                 _SEC_TASKS.get(rec["question_type"])))
    out = EvalSet("sec10q", docs, queries, depth=60,
                  notes=["title = file name (e.g. '2023 Q3 AAPL'), given to every system"],
                  template="{year} {quarter} {ticker}")
    return _quick(out, queries=12, docs=4) if quick else out


def load_hotpotqa(data: Path, quick: bool = False) -> EvalSet:
    """HotpotQA dev distractor, first 103 records: all context paragraphs pooled into one
    corpus (~1,000 paragraphs); gold = the two supporting titles."""
    path = data / "hotpotqa_dev_103" / "hotpot_dev_distractor_v1_first103.json"
    records = json.loads(path.read_text(encoding="utf-8"))
    docs: dict[str, CorpusDoc] = {}
    queries = []
    for rec in records:
        for title, sentences in rec["context"]:
            docs.setdefault(title, CorpusDoc(title, title, "".join(sentences).strip()))
        gold = {title: 1 for title, _ in rec["supporting_facts"]}
        task = "comparison" if rec["type"] == "comparison" else "fact"
        queries.append(EvalQuery(rec["_id"], rec["question"], gold, rec["type"], task,
                                 answer=rec.get("answer")))
    out = EvalSet("hotpotqa", list(docs.values()), queries, depth=20)
    return _quick(out) if quick else out


def qmsum_document(meeting: dict, key: str) -> tuple[CorpusDoc, list[tuple[int, int]]]:
    """A meeting as one document, a 'Speaker: words' line per turn, and each turn's char span."""
    lines, spans, pos = [], [], 0
    for turn in meeting["meeting_transcripts"]:
        line = f"{turn['speaker']}: {' '.join(turn['content'].split())}"
        lines.append(line)
        spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    return CorpusDoc(key, f"Meeting {key}", "\n".join(lines)), spans


def _turn_spans(ranges: list[list[str]], turns: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """QMSum's inclusive [first, last] turn ranges as char spans of the meeting document."""
    out = []
    for first, last in ranges:
        a, b = int(first), min(int(last), len(turns) - 1)
        if 0 <= a <= b:
            out.append((turns[a][0], turns[b][1]))
    return tuple(out)


def load_qmsum(data: Path, quick: bool = False) -> EvalSet:
    """QMSum validation: 35 meetings; each query is asked of its own meeting (scope). Specific
    queries carry gold turn spans; general ones ("summarize the meeting") the meeting's topics."""
    docs, queries = [], []
    path = data / "qmsum" / "val.jsonl"
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        meeting = json.loads(line)
        key = f"qmsum-val-{i:02d}"
        doc, turns = qmsum_document(meeting, key)
        docs.append(doc)
        topics = tuple(s for t in meeting.get("topic_list", [])
                       for s in _turn_spans(t.get("relevant_text_span", []), turns))
        for j, q in enumerate(meeting.get("general_query_list", [])):
            queries.append(EvalQuery(f"{key}-g{j}", q["query"], {key: 1}, "general", "summary",
                                     scope=(key,), topics=topics, answer=q.get("answer")))
        for j, q in enumerate(meeting.get("specific_query_list", [])):
            summary = q["query"].lstrip().lower().startswith("summarize")
            queries.append(EvalQuery(
                f"{key}-s{j}", q["query"], {key: 1},
                "specific summary" if summary else "specific other",
                "summary" if summary else "fact", scope=(key,),
                spans=_turn_spans(q.get("relevant_text_span", []), turns),
                answer=q.get("answer")))
    out = EvalSet("qmsum", docs, queries, depth=20,
                  notes=["each query retrieves only inside its own meeting (scope)"])
    return _quick_qmsum(out) if quick else out


def _quick(full: EvalSet, queries: int = QUICK_QUERIES, docs: int = QUICK_DOCS) -> EvalSet:
    """`queries` queries (question types taken in turn), their gold documents, then filler up
    to `docs` documents; every document cut to QUICK_DOC_CHARS."""
    by_type: dict[str, list[EvalQuery]] = {}
    for q in full.queries:
        by_type.setdefault(q.qtype, []).append(q)
    mixed = [q for group in zip_longest(*by_type.values()) for q in group if q is not None]
    picked = mixed[:queries]
    wanted = {k for q in picked for k in q.gold}
    gold = [d for d in full.docs if d.key in wanted]
    filler = [d for d in full.docs if d.key not in wanted][: max(0, docs - len(gold))]
    cut = [CorpusDoc(d.key, d.title, d.text[:QUICK_DOC_CHARS], d.metadata) for d in gold + filler]
    return EvalSet(full.name, cut, picked, full.depth, [*full.notes, "quick slice"],
                   template=full.template)


def _quick_qmsum(full: EvalSet) -> EvalSet:
    """Two meetings and their queries (whole meetings: the spans must stay valid)."""
    keep = {d.key for d in full.docs[:2]}
    return EvalSet(full.name, [d for d in full.docs if d.key in keep],
                   [q for q in full.queries if q.scope and q.scope[0] in keep][:QUICK_QUERIES],
                   full.depth, [*full.notes, "quick slice"])


@dataclass(frozen=True)
class DatasetSpec:
    """Everything the harness knows about one evaluation set, in one place."""

    name: str
    loader: Callable[[Path, bool], EvalSet]
    """(data folder, quick) -> the set."""
    metrics: tuple[str, ...]
    """The retrieval metrics `score` gives, in table order."""
    headline: str
    """The one metric that stands for the set (the report's per-type plot)."""
    score: Scorer
    """Per-query retrieval metrics of a strategy's passages."""
    route_docs: int
    """Documents the routed parent-chunk strategy picks by summary (about the set's depth)."""
    agent_context: Mapping[str, Any] = field(default_factory=dict)
    """Overrides of the agent's `Context` when the harness runs the agent on this set."""
    needs_locator: bool = False
    """`score` places passages in their documents: give it a `TextLocator` over the corpus."""
    answer_metrics: tuple[AnswerMetric, ...] = ()
    """Scores of each strategy's answer against the gold answer, where a query has one."""
    answer_chars: int = 600
    """Every answer is cut to this many characters before the answer metrics, so all systems
    are compared at the same length."""

    @property
    def columns(self) -> list[str]:
        """The metrics of the set's tables and JSON: retrieval metrics, then answer metrics."""
        return [*self.metrics, *(m.column(self.answer_chars) for m in self.answer_metrics)]


def _span_answer(gold: str) -> bool:
    """HotpotQA: a gold answer that is a span of the text, not a comparison's yes or no."""
    return normalize_answer(gold) not in ("yes", "no")


RANKING_AGENT: Mapping[str, Any] = {"k": 10, "budget_chars": None}
"""The agent on a set scored by document rankings: 10 passages, no character budget, so that
its @10 metrics see ten passages like every other strategy's."""

SPECS: dict[str, DatasetSpec] = {spec.name: spec for spec in (
    DatasetSpec(
        name="scifact", loader=load_scifact, metrics=("ndcg@10", "recall@100", "mrr@10"),
        headline="ndcg@10", score=score_scifact, route_docs=100, agent_context=RANKING_AGENT),
    DatasetSpec(
        name="sec10q", loader=load_sec10q,
        metrics=("recall@1", "recall@4", "recall@10", "top1_exact"),
        headline="recall@4", score=score_sec10q, route_docs=10, agent_context=RANKING_AGENT),
    DatasetSpec(
        name="hotpotqa", loader=load_hotpotqa, metrics=("recall@2", "recall@5", "recall@10"),
        headline="recall@5", score=score_hotpotqa, route_docs=10, agent_context=RANKING_AGENT,
        answer_metrics=(AnswerMetric("answer_in", answer_in),
                        AnswerMetric("span_answer_in", answer_in, only=_span_answer))),
    DatasetSpec(
        name="qmsum", loader=load_qmsum,
        metrics=("span_coverage@4", f"span_coverage@{BUDGET_LABEL}", "topic_coverage@4",
                 f"topic_coverage@{BUDGET_LABEL}", "context_chars@4"),
        headline=f"span_coverage@{BUDGET_LABEL}", score=score_qmsum, needs_locator=True,
        route_docs=1, agent_context={"k": 10, "budget_chars": BUDGET},
        answer_metrics=(AnswerMetric("rougeL", rouge_l),)),
)}
"""The evaluation sets by name: the only registry (CLI choices, loading, scoring, report)."""


def load_dataset(name: str, data: Path, *, quick: bool = False) -> EvalSet:
    """One of SPECS, read from `data` (the folder holding ../shared/data's sets)."""
    if name not in SPECS:
        raise ConfigError(f"unknown dataset {name!r}; use one of {', '.join(SPECS)}")
    if not data.is_dir():
        raise ConfigError(f"no evaluation data at {str(data)!r}; pass --data with the folder "
                          "holding scifact/, docugami_sec10q/, hotpotqa_dev_103/, qmsum/")
    return SPECS[name].loader(data, quick)
