"""`build_agent`: the compiled LangGraph state machine.

    START -> intake (question from `question` or `messages`) -> classify -> infer_filter
        -> route_task (the policy's tool for the question's shape)
        -> fused | summary | sentence_window | parent_chunk -> [hop] -> grade
        -> plan_compare -> Send(compare_target) per target -> synthesize
    grade -> (retry: another tool, at most twice) | synthesize -> END
    intake -> empty_question -> END (a question with no word in it: nothing is retrieved)
"""

from __future__ import annotations

from functools import partial
from typing import Any

from langchain_core.language_models import BaseChatModel
from langgraph.graph import END, START, StateGraph

from rag_agent.agent.classify import OfflineTaskClassifier
from rag_agent.agent.compare_nodes import TargetTask
from rag_agent.agent.context import Context
from rag_agent.agent.conversation import empty_question, intake, route_intake
from rag_agent.agent.nodes import (
    AgentNodes,
    route_after_grade,
    route_after_retrieval,
    route_task,
)
from rag_agent.agent.policy import POLICY, Policy
from rag_agent.agent.state import InputState, OutputState, State
from rag_agent.index.protocol import SearchIndex

__all__ = ["build_agent"]


def build_agent(
    index: SearchIndex,
    chat_model: BaseChatModel | None = None,
    *,
    classifier: OfflineTaskClassifier | None = None,
    checkpointer: Any = None,
    name: str = "rag_agent",
    policy: Policy = POLICY,
) -> Any:
    """The agent over `index`: works with no chat model; a chat model makes answers better.

    Args:
        index: an open `RagIndex`.
        chat_model: any LangChain chat model (e.g. from `make_chat_model`), or None for the
            offline classifier and extractive answers.
        classifier: the offline task classifier (default: fitted on the shipped examples with
            the index's own embedding model).
        policy: which retrieval answers which shape of question (default: the measured
            `rag_agent.agent.policy.POLICY`).
    """
    classifier = classifier or OfflineTaskClassifier(  # trained on the model's own vectors
        index.embedder, embed_query=lambda q: index.embed_query(q, adapter=False))
    nodes = AgentNodes(index, classifier, chat_model, policy)
    graph = StateGraph(State, context_schema=Context, input_schema=InputState,
                       output_schema=OutputState)
    graph.add_node("intake", intake)
    graph.add_node("empty_question", empty_question)
    graph.add_node("classify", nodes.classify)
    graph.add_node("infer_filter", nodes.infer_filter)
    graph.add_node("fused", nodes.fused)
    graph.add_node("summary", nodes.summary)
    graph.add_node("sentence_window", nodes.sentence_window)
    graph.add_node("parent_chunk", nodes.parent_chunk)
    graph.add_node("hop", nodes.hop)
    graph.add_node("grade", nodes.grade)
    graph.add_node("plan_compare", nodes.plan_compare)
    graph.add_node("compare_target", nodes.compare_target, input_schema=TargetTask)
    graph.add_node("synthesize", nodes.synthesize)

    graph.add_edge(START, "intake")
    graph.add_conditional_edges("intake", route_intake, ["classify", "empty_question"])
    graph.add_edge("empty_question", END)
    graph.add_edge("classify", "infer_filter")
    tools = ["fused", "summary", "sentence_window", "parent_chunk"]
    graph.add_conditional_edges("infer_filter", partial(route_task, policy=policy),
                                [*tools, "plan_compare"])
    for tool in tools:
        graph.add_conditional_edges(tool, partial(route_after_retrieval, policy=policy),
                                    ["hop", "grade"])
    graph.add_edge("hop", "grade")
    graph.add_conditional_edges(
        "grade", route_after_grade, ["synthesize", "sentence_window", "parent_chunk"])
    graph.add_conditional_edges("plan_compare", nodes.fan_out, ["compare_target"])
    graph.add_edge("compare_target", "synthesize")
    graph.add_edge("synthesize", END)
    return graph.compile(checkpointer=checkpointer, name=name)
