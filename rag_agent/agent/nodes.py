"""The graph's nodes. Each returns a partial update and never mutates state or context."""

from __future__ import annotations

from typing import Any, Literal

from langchain_core.documents import Document
from langgraph.runtime import Runtime
from langgraph.types import Send
from typing_extensions import TypedDict

from rag_agent.agent.classify import TASKS, OfflineTaskClassifier
from rag_agent.agent.compare import Target, offline_targets
from rag_agent.agent.context import Context
from rag_agent.agent.infer import llm_infer_filter
from rag_agent.agent.llm import TargetList, TaskChoice, call_or_none
from rag_agent.agent.state import State
from rag_agent.agent.synthesize import (
    best_score,
    citations_for,
    cited_numbers,
    extractive_answer,
    format_context,
    number_passages,
    unique_passages,
)
from rag_agent.index.filters import and_filters
from rag_agent.retrieval.autofilter import infer_filter
from rag_agent.retrieval.tools import make_retrievers

__all__ = ["AgentNodes", "TargetTask", "route_after_grade", "route_task"]

Tool = Literal["summary", "sentence_window", "parent_chunk", "plan_compare"]
_CONTEXT_WORDS = ("why", "how", "explain", "describe")
_NEXT_TOOL = {"sentence_window": "parent_chunk", "parent_chunk": "sentence_window",
              "summary": "parent_chunk"}


class TargetTask(TypedDict):
    """What one comparison branch receives through `Send`."""

    question: str
    target: Target
    inferred_filter: dict[str, Any] | None


def route_task(state: State) -> Tool:
    """The tool for the classified task (pure: reads state only)."""
    task = state.get("task")
    if task == "summary":
        return "summary"
    if task == "comparison":
        return "plan_compare"
    if task == "fact":
        first = state["question"].strip().split(" ", 1)[0].lower()
        return "parent_chunk" if first in _CONTEXT_WORDS else "sentence_window"
    raise ValueError(f"unknown task {task!r}; expected one of {', '.join(TASKS)}")


def route_after_grade(state: State) -> Literal["synthesize", "sentence_window", "parent_chunk"]:
    """Back to another tool when grading asked for a retry, else on to synthesis."""
    if state.get("retry"):
        return _NEXT_TOOL[state["tool"]]  # type: ignore[return-value]
    return "synthesize"


class AgentNodes:
    """Nodes bound to one index, classifier and optional chat model."""

    def __init__(self, index: Any, classifier: OfflineTaskClassifier, chat_model: Any) -> None:
        self.index = index
        self.classifier = classifier
        self.chat_model = chat_model

    def _structured(self, schema: type) -> Any:
        """The chat model answering in `schema` by function calling (works with local servers)."""
        return self.chat_model.with_structured_output(schema, method="function_calling")

    def _retrievers(self, ctx: Context, state: State | None = None,
                    **overrides: Any) -> dict[str, Any]:
        """Retrievers under the caller's filter AND the inferred one (tenant always kept)."""
        flt = and_filters(ctx.filter, (state or {}).get("inferred_filter"))
        opts = {"k": ctx.k, "window": ctx.window, "route_docs": ctx.route_docs,
                "filter": flt, "tenant": ctx.tenant, "hybrid": ctx.hybrid, **overrides}
        return make_retrievers(self.index, **opts)

    def classify(self, state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        ctx = runtime.context or Context()
        question = state["question"]
        notes = []
        if self.chat_model is not None:
            out, why = call_or_none(lambda: self._structured(TaskChoice).invoke(
                ctx.classify_prompt.format(question=question)), ctx.llm_timeout)
            task = str(getattr(out, "task", "")).strip().lower() if out is not None else ""
            if task in TASKS:
                return {"task": task, "task_confidence": 1.0, "classified_by": "llm"}
            notes.append(f"llm classifier unusable ({why or f'answered {task!r}'}); offline used")
        task, p = self.classifier.predict(question)
        return {"task": task, "task_confidence": p, "classified_by": "offline", "notes": notes}

    def infer_filter(self, state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        """A metadata filter from the question over the catalogue (chat model first, if any)."""
        ctx = runtime.context or Context()
        if not ctx.auto_filter:
            return {"inferred_filter": None, "filter_trace": ["auto_filter is off"],
                    "target_filters": []}
        question = state["question"]
        trace: list[str] = []
        inference = None
        if self.chat_model is not None:
            inference = llm_infer_filter(
                self.chat_model, self.index, question, ctx.filter_prompt, tenant=ctx.tenant,
                base_filter=ctx.filter, timeout=ctx.llm_timeout)
            if inference is not None and inference.filter is None:
                trace += inference.trace + ["offline inference used"]
                inference = None
        if inference is None:
            inference = infer_filter(self.index, question, tenant=ctx.tenant,
                                     base_filter=ctx.filter)
        return {"inferred_filter": inference.filter, "filter_trace": trace + inference.trace,
                "filter_fallback": inference.fallback, "target_filters": inference.targets,
                "notes": [f"filter fallback: {inference.fallback}"] if inference.fallback
                else []}

    def _tool(self, name: str, state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        ctx = runtime.context or Context()
        docs = self._retrievers(ctx, state)[name].invoke(state["question"])
        return {"documents": docs, "tool": name}

    def summary(self, state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        return self._tool("summary", state, runtime)

    def sentence_window(self, state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        return self._tool("sentence_window", state, runtime)

    def parent_chunk(self, state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        return self._tool("parent_chunk", state, runtime)

    def grade(self, state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        """Ask for one more retrieval round when the best passage scores too low (bounded)."""
        ctx = runtime.context or Context()
        retries = state.get("retries", 0)
        score = best_score(state.get("documents", []))
        low = score < ctx.min_score and state.get("task") != "summary"  # summaries score low
        if low and retries < min(ctx.max_retries, 2):
            return {"retries": retries + 1, "retry": True,
                    "notes": [f"retry: best score {score:.2f} < {ctx.min_score} with "
                              f"{state['tool']}"]}
        return {"retry": False}

    def plan_compare(self, state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        ctx = runtime.context or Context()
        question = state["question"]
        titles = [t for (t,) in self.index.conn.execute(
            "SELECT DISTINCT title FROM documents WHERE tenant = ?", (ctx.tenant,))]
        notes: list[str] = []
        targets: list[Target] = []
        if len(state.get("target_filters") or []) >= 2:
            plan = [{"name": t["name"], "title": None, "filter": t["filter"]}
                    for t in state["target_filters"]]
            return {"targets": [t["name"] for t in plan], "tool": "parent_chunk",
                    "notes": ["targets from the inferred filter"], "plan": plan}
        if self.chat_model is not None:
            out, why = call_or_none(lambda: self._structured(TargetList).invoke(
                ctx.targets_prompt.format(question=question)), ctx.llm_timeout)
            names = [n.strip() for n in getattr(out, "targets", []) or [] if str(n).strip()]
            if len(names) >= 2:
                by_title = {t.lower(): t for t in titles}
                targets = [{"name": n, "title": by_title.get(n.lower())} for n in names[:6]]
            else:
                notes.append(f"llm targets unusable ({why or names}); offline used")
        if not targets:
            targets = offline_targets(question, titles)
        return {"targets": [t["name"] for t in targets], "tool": "parent_chunk",
                "notes": notes, "plan": targets}

    def fan_out(self, state: State) -> list[Send]:
        """One routed parent-chunk retrieval per target (the whole question if none)."""
        plan = state.get("plan") or [{"name": "", "title": None}]
        return [Send("compare_target", TargetTask(question=state["question"], target=t,
                                                  inferred_filter=state.get("inferred_filter")))
                for t in plan]

    def compare_target(self, task: TargetTask, runtime: Runtime[Context]) -> dict[str, Any]:
        ctx = runtime.context or Context()
        target = task["target"]
        flt = and_filters(ctx.filter, target.get("filter") or task.get("inferred_filter"),
                          {"title": target["title"]} if target.get("title") else None)
        query = f"{target['name']}: {task['question']}" if target["name"] else task["question"]
        wide = 1 if target["name"] else 2
        retriever = self._retrievers(ctx, filter=flt, k=ctx.k * wide,
                                     route_docs=ctx.route_docs * wide)["parent_chunk"]
        docs = [Document(page_content=d.page_content, id=d.id,
                         metadata={**d.metadata, "target": target["name"]})
                for d in retriever.invoke(query)]
        return {"evidence": [{"target": target["name"], "documents": docs}]}

    def synthesize(self, state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        ctx = runtime.context or Context()
        task = state.get("task", "fact")
        if state.get("evidence"):
            docs = [d for ev in state["evidence"] for d in ev["documents"]]
        else:
            docs = state.get("documents", [])
        passages = number_passages(docs)
        unique = unique_passages(passages)
        per_target = task == "comparison" and len(state.get("targets") or []) >= 2
        notes: list[str] = []
        if self.chat_model is not None and passages:
            prompt = {"fact": ctx.fact_prompt, "summary": ctx.summary_prompt,
                      "comparison": ctx.comparison_prompt}[task]
            text = prompt.format(context=format_context(unique), question=state["question"],
                                 targets=", ".join(state.get("targets") or []) or "the subjects")
            out, why = call_or_none(lambda: self.chat_model.invoke(text), ctx.llm_timeout)
            answer = str(getattr(out, "content", "") or "").strip()
            if answer:
                return {"answer": answer, "notes": notes,
                        "citations": citations_for(unique, cited_numbers(answer, unique))}
            notes.append(f"llm answer unusable ({why or 'empty'}); extractive answer used")
        sentences = ctx.answer_sentences * (2 if per_target else 1)
        answer = extractive_answer(state["question"], passages, self.index,
                                   sentences=sentences, per_target=per_target)
        return {"answer": answer, "notes": notes,
                "citations": citations_for(unique, cited_numbers(answer, unique))}
