"""The graph's nodes. Each returns a partial update and never mutates state or context."""

from __future__ import annotations

from typing import Any, Literal

from langchain_core.documents import Document
from langgraph.runtime import Runtime

from rag_agent.agent.classify import TASKS, OfflineTaskClassifier
from rag_agent.agent.compare_nodes import PASSAGE_CHARS, CompareNodes
from rag_agent.agent.context import Context
from rag_agent.agent.conversation import answer_message
from rag_agent.agent.extractive import extractive_answer
from rag_agent.agent.infer import llm_infer_filter
from rag_agent.agent.llm import FollowUp, TaskChoice, call_or_none
from rag_agent.agent.policy import POLICY, Policy, Rule, question_shape, rule_for
from rag_agent.agent.state import State
from rag_agent.agent.synthesize import (
    best_score,
    citations_for,
    citations_in_order,
    cited_numbers,
    format_context,
    merge_evidence,
    number_passages,
    unique_passages,
)
from rag_agent.index.filters import and_filters
from rag_agent.index.protocol import SearchIndex
from rag_agent.retrieval.budget import fit_budget
from rag_agent.retrieval.fused import FusedRetriever
from rag_agent.retrieval.hops import Hop, TitleMatcher, title_hop
from rag_agent.retrieval.tools import make_retrievers

__all__ = ["AgentNodes", "route_after_grade", "route_after_retrieval", "route_task"]

Tool = Literal["fused", "summary", "sentence_window", "parent_chunk"]
_NEXT_TOOL = {"sentence_window": "parent_chunk", "parent_chunk": "sentence_window",
              "summary": "parent_chunk", "fused": "parent_chunk"}


def route_task(state: State, policy: Policy = POLICY) -> Tool | Literal["plan_compare"]:
    """The node of the policy's tool for the question's shape (pure: reads state only)."""
    task = state.get("task")
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; expected one of {', '.join(TASKS)}")
    shape = question_shape(state["question"], task)
    if shape == "comparison":
        return "plan_compare"
    return rule_for(shape, policy).tool


def route_after_retrieval(state: State, policy: Policy = POLICY) -> Literal["hop", "grade"]:
    """A second hop when the rule asks for one and none was made yet."""
    rule = rule_for(question_shape(state["question"], state.get("task", "fact")), policy)
    return "hop" if rule.hops and not state.get("hops") else "grade"


def route_after_grade(state: State) -> Literal["synthesize", "sentence_window",
                                               "parent_chunk"]:
    """Back to another tool when grading asked for a retry, else on to synthesis."""
    if state.get("retry"):
        return _NEXT_TOOL[state["tool"]]  # type: ignore[return-value]
    return "synthesize"


class AgentNodes(CompareNodes):
    """Nodes bound to one index, classifier and optional chat model."""

    def __init__(self, index: SearchIndex, classifier: OfflineTaskClassifier, chat_model: Any,
                 policy: Policy = POLICY) -> None:
        self.index = index
        self.classifier = classifier
        self.chat_model = chat_model
        self.policy = policy
        self._matchers: dict[str, tuple[int, TitleMatcher]] = {}

    def _structured(self, schema: type) -> Any:
        """The chat model answering in `schema` by function calling (works with local servers)."""
        return self.chat_model.with_structured_output(schema, method="function_calling")

    def _filter(self, ctx: Context, state: State | None) -> dict[str, Any] | None:
        return and_filters(ctx.filter, (state or {}).get("inferred_filter"))

    def _retrievers(self, ctx: Context, state: State | None = None,
                    **overrides: Any) -> dict[str, Any]:
        """Retrievers under the caller's filter AND the inferred one (tenant always kept)."""
        opts = {"k": ctx.k, "window": ctx.window, "route_docs": ctx.route_docs,
                "filter": self._filter(ctx, state), "tenant": ctx.tenant,
                "hybrid": ctx.hybrid, "adapter": ctx.adapter, **overrides}
        return make_retrievers(self.index, **opts)

    def _fused(self, ctx: Context, rule: Rule, **overrides: Any) -> FusedRetriever:
        opts = {"index": self.index, "k": ctx.k, "tenant": ctx.tenant, "hybrid": ctx.hybrid,
                "adapter": ctx.adapter, "signals": rule.signals, "keyword": rule.keyword,
                # under a budget the retriever sizes regions itself (`region_budget`)
                "region_chars": PASSAGE_CHARS, "region_budget": ctx.budget_chars,
                "region_share": rule.region_share,
                "regions_per_doc": rule.regions_per_doc, "child_context": rule.child_context,
                **overrides}
        return FusedRetriever(**opts)

    def _matcher(self, tenant: str) -> TitleMatcher:
        """Titles of the tenant's documents, rebuilt only when the index changed."""
        generation = self.index.stats().generation
        cached = self._matchers.get(tenant)
        if cached is None or cached[0] != generation:
            cached = (generation, TitleMatcher(self.index.titles(tenant=tenant)))
            self._matchers[tenant] = cached
        return cached[1]

    def classify(self, state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        ctx = runtime.context or Context()
        question = state["question"]
        notes = []
        if self.chat_model is not None:
            out, why = call_or_none(lambda: self._structured(TaskChoice).ainvoke(
                ctx.classify_prompt.format(question=question)), ctx.llm_timeout)
            task = str(getattr(out, "task", "")).strip().lower() if out is not None else ""
            if task in TASKS:
                return {"task": task, "task_confidence": 1.0, "classified_by": "llm",
                        "shape": question_shape(question, task)}
            notes.append(f"llm classifier unusable ({why or f'answered {task!r}'}); offline used")
        task, p = self.classifier.predict(question)
        return {"task": task, "task_confidence": p, "classified_by": "offline", "notes": notes,
                "shape": question_shape(question, task)}

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
            inference = self._offline_filter(question, ctx)
        return {"inferred_filter": inference.filter, "filter_trace": trace + inference.trace,
                "filter_fallback": inference.fallback, "target_filters": inference.targets,
                "notes": [f"filter fallback: {inference.fallback}"] if inference.fallback
                else []}

    def _offline_filter(self, question: str, ctx: Context) -> Any:
        from rag_agent.retrieval.autofilter import infer_filter

        return infer_filter(self.index, question, tenant=ctx.tenant, base_filter=ctx.filter)

    # ----- retrieval ---------------------------------------------------------------------------
    def _rule(self, state: State) -> Rule:
        return rule_for(question_shape(state["question"], state.get("task", "fact")),
                        self.policy)

    def fused(self, state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        """The policy's passages: documents by every representation, then their best regions
        (with the best documents' summaries first where the rule says so)."""
        ctx = runtime.context or Context()
        rule = self._rule(state)
        flt = self._filter(ctx, state)
        docs = self._fused(ctx, rule).invoke(state["question"], filter=flt)
        if rule.with_summary:
            docs = self._central_summaries(ctx, flt, min(3, ctx.k)) + docs
        return {"documents": docs, "tool": "fused"}

    def _central_summaries(self, ctx: Context, flt: dict[str, Any] | None,
                           k: int) -> list[Document]:
        """Summaries of the documents closest to what the scope is about as a whole: a
        question like "What is this about?" names nothing to rank by."""
        centre = self.index.centroid(filter=flt, tenant=ctx.tenant)
        if centre is None:
            return []
        hits = self.index.search(centre, kind="summary", k=k, filter=flt, tenant=ctx.tenant)
        return [h.to_document() for h in hits]

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

    def hop(self, state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        """One bounded second hop: a follow-up query from the chat model, else the documents
        whose titles the best passages name (see `rag_agent.retrieval.hops`)."""
        ctx = runtime.context or Context()
        docs = state.get("documents", [])
        if ctx.max_hops < 1 or not docs:
            return {"hops": [{"via": "none", "query": "", "found": [],
                              "why": "max_hops is 0" if ctx.max_hops < 1 else "no passages"}]}
        rule = self._rule(state)
        flt = self._filter(ctx, state)
        retriever = self._fused(ctx, rule)
        notes: list[str] = []
        if self.chat_model is not None:
            out, why = call_or_none(lambda: self._structured(FollowUp).ainvoke(
                ctx.follow_up_prompt.format(context=format_context(
                    number_passages(docs[:3])), question=state["question"])), ctx.llm_timeout)
            query = str(getattr(out, "query", "") or "").strip()
            if query:
                extra = retriever.invoke(query, k=2, filter=flt)
                merged = docs[:2] + [d for d in extra if d.id not in {x.id for x in docs[:2]}]
                merged += [d for d in docs[2:] if d.id not in {x.id for x in merged}]
                return {"documents": merged, "hops": [{
                    "via": "follow-up query", "query": query,
                    "found": [str(d.metadata.get("title", "")) for d in extra]}]}
            notes.append(f"llm follow-up unusable ({why or 'empty query'}); titles used")
        parents = self._hop_texts(docs[:2], ctx.tenant)
        merged, hop = title_hop(retriever, state["question"], docs, self._matcher(ctx.tenant),
                                parents, base_filter=flt)
        return {"documents": merged, "hops": [_hop_record(hop)], "notes": notes}

    def _hop_texts(self, docs: list[Document], tenant: str) -> dict[str, str]:
        """Text to read names in: each passage's parent (a window may miss the name)."""
        ids = [d.metadata.get("parent_id") for d in docs]
        parents = self.index.docstore_for(tenant).mget([i for i in ids if i])
        by_id = {p.id: p.page_content for p in parents if p is not None}
        return {d.id: by_id.get(d.metadata.get("parent_id"), d.page_content) for d in docs}

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

    # ----- answer ------------------------------------------------------------------------------
    def synthesize(self, state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        ctx = runtime.context or Context()
        task = state.get("task", "fact")
        targets = state.get("targets") or []
        per_target = task == "comparison" and len(targets) >= 2
        if state.get("evidence"):
            docs = merge_evidence(state["evidence"], ctx.budget_chars, ctx.k)
        else:
            docs = fit_budget(state.get("documents", []), ctx.budget_chars, ctx.k)
        passages = number_passages(docs)
        unique = unique_passages(passages)
        notes: list[str] = []
        if self.chat_model is not None and passages:
            prompt = {"fact": ctx.fact_prompt, "summary": ctx.summary_prompt,
                      "comparison": ctx.comparison_prompt}[task]
            text = prompt.format(context=format_context(unique), question=state["question"],
                                 targets=", ".join(targets) or "the subjects")
            out, why = call_or_none(lambda: self.chat_model.ainvoke(text), ctx.llm_timeout)
            answer = str(getattr(out, "content", "") or "").strip()
            if answer:
                return _answered(answer, citations_for(unique, cited_numbers(answer, unique)),
                                 notes=notes, passages=docs)
            notes.append(f"llm answer unusable ({why or 'empty'}); extractive answer used")
        shape = state.get("shape") or question_shape(state["question"], task)
        offline = extractive_answer(state["question"], passages, self.index,
                                    shape="comparison" if per_target else
                                    ("fact" if shape == "comparison" else shape),
                                    sentences=ctx.answer_sentences,
                                    targets=targets if per_target else None,
                                    adapter=ctx.adapter)
        return _answered(offline.text, citations_in_order(unique, offline.cited),
                         notes=notes, passages=docs)


def _answered(answer: str, citations: list[Any], **update: Any) -> dict[str, Any]:
    return {"answer": answer, "citations": citations,
            "messages": [answer_message(answer, citations)], **update}


def _hop_record(hop: Hop) -> dict[str, Any]:
    return {"via": hop.via, "query": hop.query, "found": hop.found,
            "named": {k: v for k, v in hop.named.items() if v}}
