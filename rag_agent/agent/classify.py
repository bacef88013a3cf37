"""Offline task classification: fact lookup, summary or comparison, with no LLM.

Features are the question's embedding (the index's own model, so no second model is loaded)
plus lexical cues (summarize/overview, compare/versus/which-or, change over time); a logistic
regression is fitted on labelled example questions shipped in `rag_agent/data`, written for
this project. Fitting takes a few seconds once; the weights are cached as JSON.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np

__all__ = ["TASKS", "OfflineTaskClassifier", "Task", "cue_features", "load_examples"]

Task = Literal["fact", "summary", "comparison"]
TASKS: tuple[Task, ...] = ("fact", "summary", "comparison")

_CUES: list[tuple[str, str]] = [
    ("summary", r"^\s*(summari[sz]e|sum up|recap|outline|tl;?dr)\b"),
    ("summary", r"\bsummar(y|ies|i[sz]e)\b"),
    ("summary", r"\b(overview|gist|recap|highlights?|takeaways?)\b"),
    ("summary", r"\bmain (points?|topics?|ideas?|idea|discussion|themes?|conclusions?)\b"),
    ("summary", r"\bkey (points?|discussion points?|takeaways?|topics?)\b"),
    ("summary", r"\bwhat (is|are|was|were) (this|these|the) (\w+ ){0,3}(about|covering)\b"),
    ("summary", r"\b(whole|entire|overall) (meeting|document|report|discussion|hearing)\b"),
    ("comparison", r"\bcompar(e|ed|es|ing|ison)\b"),
    ("comparison", r"\b(vs\.?|versus|contrast)\b"),
    ("comparison", r"\bdiffer(ence|ences|ent|s|)\b|\bsimilarit"),
    ("comparison", r"\b(both|same|either)\b"),
    ("comparison", r"\b(more|less|fewer|higher|lower|larger|smaller|older|younger|earlier|later"
                   r"|first|longer|shorter|taller|bigger|faster|slower|busier|greater)\b.*\bor\b"),
    ("comparison", r"^\s*(which|who|were|are|is|did|do|was)\b.*\bor\b.*\?\s*$"),
    ("comparison", r"\b(chang(e|ed|es|ing)|evolv(e|ed|ing)|trend(ed|s)?)\b"),
    ("comparison", r"\b(over time|over the (last|past)|across (the )?(\w+ )?(quarters|years|periods|"
                   r"filings|companies)|quarter over quarter|year over year|from \w+ to \w+)\b"),
    ("comparison", r"\b(each|all|these|the (two|three|four|five)) (companies|quarters|cities|"
                   r"filings|years|documents)\b"),
    ("comparison", r"\b(over|across|throughout|in|during) (the |these |all )?(\w+ )?"
                   r"(quarters|periods|reporting period|timeframe|10-?qs|filings|reports)\b"),
]
_COMPILED = [(task, re.compile(p, re.I)) for task, p in _CUES]
_CUE_WEIGHT = 0.6


def cue_features(question: str) -> np.ndarray:
    """One 0/1 feature per cue pattern."""
    return np.array([1.0 if rx.search(question) else 0.0 for _, rx in _COMPILED], "float32")


def load_examples() -> list[tuple[str, Task]]:
    """The labelled example questions shipped with the package."""
    text = resources.files("rag_agent.data").joinpath("task_examples.jsonl").read_text("utf-8")
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    return [(r["question"], r["task"]) for r in rows]


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "rag_agent"


class OfflineTaskClassifier:
    """Embedding + cue logistic regression over the three tasks."""

    def __init__(self, embedder: Any, examples: list[tuple[str, Task]] | None = None,
                 *, c: float = 2.0, cache: bool = True,
                 embed_query: Callable[[str], np.ndarray] | None = None) -> None:
        self.embedder = embedder
        self.embed_query = embed_query
        self.examples = examples if examples is not None else load_examples()
        self.c = c
        self.cache = cache
        self._w: np.ndarray | None = None
        self._b: np.ndarray | None = None

    def _features(self, questions: list[str]) -> np.ndarray:
        emb = self.embedder.encode(list(questions))
        cues = np.stack([cue_features(q) for q in questions]) * _CUE_WEIGHT
        return np.hstack([emb, cues]).astype("float32")

    def _key(self) -> str:
        raw = json.dumps([self.embedder.model_id, self.c, _CUES, _CUE_WEIGHT, self.examples])
        return hashlib.sha256(raw.encode()).hexdigest()[:16]

    def fit(self) -> OfflineTaskClassifier:
        """Fit on the examples, or load the cached weights of an identical fit."""
        path = _cache_dir() / f"task-classifier-{self._key()}.json"
        if self.cache and path.exists():
            try:
                data = json.loads(path.read_text())
                self._w, self._b = np.array(data["w"], "float32"), np.array(data["b"], "float32")
                return self
            except (OSError, ValueError, KeyError):
                pass
        from sklearn.linear_model import LogisticRegression

        x = self._features([q for q, _ in self.examples])
        y = np.array([TASKS.index(t) for _, t in self.examples])
        model = LogisticRegression(C=self.c, max_iter=2000).fit(x, y)
        self._w, self._b = model.coef_.astype("float32"), model.intercept_.astype("float32")
        if self.cache:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(".tmp")
                tmp.write_text(json.dumps({"w": self._w.tolist(), "b": self._b.tolist()}))
                os.replace(tmp, path)
            except OSError:
                pass  # a read-only home only costs a refit next time
        return self

    def predict_proba(self, questions: list[str]) -> np.ndarray:
        """Rows of probabilities over `TASKS`."""
        if self._w is None:
            self.fit()
        logits = self._features(questions) @ self._w.T + self._b
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=1, keepdims=True)

    def predict(self, question: str) -> tuple[Task, float]:
        """The task of one question and its probability."""
        if self.embed_query is not None:  # the caller's cache: the question is embedded once
            if self._w is None:
                self.fit()
            x = np.hstack([self.embed_query(question)[0], cue_features(question) * _CUE_WEIGHT])
            logits = x @ self._w.T + self._b
            p = np.exp(logits - logits.max())
            p /= p.sum()
        else:
            p = self.predict_proba([question])[0]
        i = int(np.argmax(p))
        return TASKS[i], float(p[i])
