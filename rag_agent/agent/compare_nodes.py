"""The comparison branch of the graph: plan the targets, one retrieval per target via `Send`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from langchain_core.documents import Document
from langgraph.runtime import Runtime
from langgraph.types import Send
from typing_extensions import TypedDict

from rag_agent.agent.compare import Target, offline_targets, target_query
from rag_agent.agent.context import Context
from rag_agent.agent.llm import TargetList, call_or_none
from rag_agent.agent.policy import Policy, rule_for
from rag_agent.agent.state import State
from rag_agent.index.filters import and_filters
from rag_agent.index.protocol import SearchIndex
from rag_agent.retrieval.budget import share_budget

if TYPE_CHECKING:
    from rag_agent.retrieval.fused import FusedRetriever

__all__ = ["PASSAGE_CHARS", "CompareNodes", "TargetTask"]

PASSAGE_CHARS = 1500
"""Size of a region when no character budget is set (about a parent)."""


class TargetTask(TypedDict):
    """What one comparison branch receives through `Send`."""

    question: str
    target: Target
    order: int
    """The target's place in the plan (evidence is merged in this order)."""
    names: list[str]
    """Every target's name (the others are taken out of this target's query)."""
    inferred_filter: dict[str, Any] | None
    within: bool
    """No target is a document or a filter value: they are aspects that documents discuss
    together ("venules" and "arterioles"), so each branch asks the whole question."""


class CompareNodes:
    """plan_compare, fan_out and compare_target; mixed into `AgentNodes`, which provides the
    index, the chat model, the policy and the fused retriever factory."""

    index: SearchIndex
    chat_model: Any
    policy: Policy
    _structured: Callable[[type], Any]
    _fused: Callable[..., FusedRetriever]

    def plan_compare(self, state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        ctx = runtime.context or Context()
        question = state["question"]
        titles = self.index.titles(tenant=ctx.tenant)
        notes: list[str] = []
        targets: list[Target] = []
        if len(state.get("target_filters") or []) >= 2:
            plan = [{"name": t["name"], "title": None, "filter": t["filter"]}
                    for t in state["target_filters"]]
            return {"targets": [t["name"] for t in plan], "tool": "fused",
                    "notes": ["targets from the inferred filter"], "plan": plan}
        if self.chat_model is not None:
            out, why = call_or_none(lambda: self._structured(TargetList).ainvoke(
                ctx.targets_prompt.format(question=question)), ctx.llm_timeout)
            names = [n.strip() for n in getattr(out, "targets", []) or [] if str(n).strip()]
            if len(names) >= 2:
                by_title = {t.lower(): t for t in titles}
                targets = [{"name": n, "title": by_title.get(n.lower())} for n in names[:6]]
            else:
                notes.append(f"llm targets unusable ({why or names}); offline used")
        if not targets:
            targets = offline_targets(question, titles)
        return {"targets": [t["name"] for t in targets], "tool": "fused",
                "notes": notes, "plan": targets}

    def fan_out(self, state: State) -> list[Send]:
        """One retrieval per target (the whole question if none)."""
        plan = state.get("plan") or [{"name": "", "title": None}]
        within = not any(t.get("title") or t.get("filter") for t in plan)
        return [Send("compare_target", TargetTask(
            question=state["question"], target=t, order=i, names=[p["name"] for p in plan],
            inferred_filter=state.get("inferred_filter"), within=within))
            for i, t in enumerate(plan)]

    def compare_target(self, task: TargetTask, runtime: Runtime[Context]) -> dict[str, Any]:
        """The target's own passages, sized for its share of the budget; synthesis drops the
        ones another target ranked higher and cuts the rest to the share."""
        ctx = runtime.context or Context()
        target = task["target"]
        flt = and_filters(ctx.filter, target.get("filter") or task.get("inferred_filter"),
                          {"title": target["title"]} if target.get("title") else None)
        query = (task["question"] if task.get("within")
                 else target_query(task["question"], target["name"], task["names"]))
        rule = rule_for("comparison", self.policy)
        # the target's share of the budget, cut into regions as for any rule
        # (`FusedRetriever.region_budget`); twice k: passages another target claims are
        # dropped when the evidence is merged
        docs = self._fused(ctx, rule, region_budget=share_budget(ctx.budget_chars,
                                                                 len(task["names"])),
                           k=2 * ctx.k).invoke(query, filter=flt)
        docs = [Document(page_content=d.page_content, id=d.id,
                         metadata={**d.metadata, "target": target["name"]}) for d in docs]
        return {"evidence": [{"target": target["name"], "order": task["order"],
                              "documents": docs}]}
