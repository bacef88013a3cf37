"""The agent graph on the offline path: real model, FAISS and SQLite; no chat model."""

from __future__ import annotations

import pytest
from langchain_core.language_models import FakeListChatModel

from rag_agent import RagIndex, SourceDocument
from rag_agent.agent.graph import build_agent

pytestmark = pytest.mark.integration

CITIES = {
    "Avalon": "Avalon is a port city on the northern coast. Avalon has a population of 412,000 "
              "people. The climate of Avalon is mild and rainy, with cool summers. The city was "
              "founded in 1702 by fishermen. Its economy depends on shipping and fisheries.",
    "Brightwater": "Brightwater is a desert city in the south. Brightwater has a population of "
                   "1.3 million people. The climate of Brightwater is hot and dry, with almost no "
                   "rain. The city grew around a railway junction in 1881. Its economy depends on "
                   "solar power and logistics.",
    "Cedar Falls": "Cedar Falls is a mountain town known for its waterfalls. Cedar Falls has a "
                   "population of 18,000 people. Winters in Cedar Falls are long and snowy. "
                   "Tourism and skiing are the main industries.",
}


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory, real_embedder) -> RagIndex:
    folder = tmp_path_factory.mktemp("agent") / "ix"
    ix = RagIndex.open(folder, embedder=real_embedder)
    ix.add_documents([SourceDocument(name.lower().replace(" ", "-"), text, name, {})
                      for name, text in CITIES.items()])
    yield ix
    ix.close()


@pytest.fixture(scope="module")
def agent(index: RagIndex):
    return build_agent(index)


def test_fact_question_uses_the_policy_tool_and_cites_the_source(agent) -> None:
    out = agent.invoke({"question": "What is the population of Brightwater?"})
    assert (out["task"], out["shape"], out["tool"]) == ("fact", "fact", "fused")
    first = out["answer"].split(" [")[0]
    assert first == "Brightwater has a population of 1.3 million people."
    cited = {c["source_id"] for c in out["citations"]}
    assert "brightwater" in cited
    assert all(f"[{c['n']}]" in out["answer"] for c in out["citations"])


def test_summary_questions_by_shape(agent) -> None:
    out = agent.invoke({"question": "Summarize what the documents say about Cedar Falls."})
    assert (out["task"], out["shape"]) == ("summary", "topic_summary")
    assert out["citations"][0]["title"] == "Cedar Falls"
    assert all(d.metadata["kind"] == "region" for d in out["passages"])
    whole = agent.invoke({"question": "Summarize the documents."})
    assert whole["shape"] == "whole_summary"
    assert whole["passages"][0].metadata["kind"] == "summary"
    assert {c["title"] for c in whole["citations"]} == set(CITIES)  # every document has a say


def test_comparison_fans_out_per_target_and_cites_both(agent) -> None:
    out = agent.invoke({"question": "Compare the climate of Avalon and Brightwater."})
    assert out["task"] == "comparison"
    assert out["targets"] == ["Avalon", "Brightwater"]
    lines = out["answer"].splitlines()
    assert lines[0].startswith("Avalon: ") and lines[1].startswith("Brightwater: ")
    assert "The climate of Avalon is mild and rainy" in lines[0]
    assert "The climate of Brightwater is hot and dry" in lines[1]
    assert {c["source_id"] for c in out["citations"]} == {"avalon", "brightwater"}


def test_grade_and_retry_is_bounded(agent) -> None:
    ctx = {"min_score": 0.999, "max_retries": 2}
    final = None
    for update in agent.stream({"question": "What is the population of Avalon?"},
                               context=ctx, stream_mode="values"):
        final = update
    assert final is not None
    assert final["retries"] == 2  # never more, even though no passage reaches the threshold
    assert sum(n.startswith("retry:") for n in final["notes"]) == 2
    assert final["answer"]


def test_context_restricts_tenant_and_filter(agent) -> None:
    out = agent.invoke({"question": "What is the population of Avalon?"},
                       context={"tenant": "nobody"})
    assert out["citations"] == []
    assert out["answer"] == "No passage in the index matches this question."


def test_a_broken_chat_model_never_breaks_the_graph(index: RagIndex) -> None:
    """A chat model without tool calling cannot classify: the offline classifier takes over;
    its answers are used for synthesis, with citations parsed from them."""
    model = FakeListChatModel(responses=["Avalon has 412,000 people [1]."])
    agent = build_agent(index, chat_model=model)
    out = agent.invoke({"question": "What is the population of Avalon?"})
    assert out["task"] == "fact"
    assert out["answer"] == "Avalon has 412,000 people [1]."
    assert [c["n"] for c in out["citations"]] == [1]


def _final_state(agent, question: str, context: dict | None = None) -> dict:
    return list(agent.stream({"question": question}, context=context, stream_mode="values"))[-1]


def test_hybrid_context_fuses_keyword_ranking(agent) -> None:
    final = _final_state(agent, "What is the population of Brightwater?", {"hybrid": True})
    assert final["tool"] == "fused"
    assert final["documents"] and all("child_keyword" in d.metadata["ranked_by"]
                                      for d in final["documents"])
    assert final["answer"].startswith("Brightwater has a population of 1.3 million people.")
    plain = _final_state(agent, "What is the population of Brightwater?")
    assert not any("keyword" in d.metadata["ranked_by"] for d in plain["documents"])


def test_messages_in_answer_message_out(agent) -> None:
    from langchain_core.messages import AIMessage, HumanMessage

    out = agent.invoke({"messages": [HumanMessage("What is the population of Brightwater?")]})
    *_, asked, answered = out["messages"]
    assert asked.content == "What is the population of Brightwater?"
    assert isinstance(answered, AIMessage) and answered.content.startswith(out["answer"])
    assert "Sources:\n[1] Brightwater (brightwater)" in answered.content
    assert answered.response_metadata["citations"] == out["citations"]


def test_a_checkpointed_thread_starts_each_run_clean(index: RagIndex) -> None:
    """Studio and chat UIs keep one thread: the second question must not inherit the first
    one's comparison evidence, notes or retry count."""
    from langchain_core.messages import HumanMessage
    from langgraph.checkpoint.memory import InMemorySaver

    agent = build_agent(index, checkpointer=InMemorySaver())
    thread = {"configurable": {"thread_id": "chat"}}
    first = agent.invoke({"messages": [HumanMessage(
        "Compare the climate of Avalon and Brightwater.")]}, thread,
        context={"min_score": 0.999})
    assert first["targets"] == ["Avalon", "Brightwater"]
    second = agent.invoke({"messages": [HumanMessage("What is the population of Avalon?")]},
                          thread, context={"min_score": 0.999, "max_retries": 1})
    state = agent.get_state(thread).values
    assert second["task"] == "fact" and state["evidence"] == [] and state["retries"] == 1
    assert second["answer"].startswith("Avalon has a population of 412,000 people.")
    assert sum(n.startswith("retry:") for n in state["notes"]) == 1
    assert [m.type for m in second["messages"]] == ["human", "ai", "human", "ai"]
    third = agent.invoke({"question": "What is the climate of Cedar Falls?"}, thread)
    assert third["messages"][-2].content == "What is the climate of Cedar Falls?"
    assert "Cedar Falls" in third["answer"]


def test_an_unknown_context_key_is_named(agent) -> None:
    from rag_agent.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown agent context setting 'top_k'"):
        agent.invoke({"question": "What is the population of Avalon?"}, context={"top_k": 2})


def test_tokens_stream_from_the_background_loop_sync_and_async(index: RagIndex) -> None:
    """Chat-model calls run on call_or_none's own event loop; LangGraph's token stream (a
    callback in the caller's context) still sees them, under `stream` and `astream`."""
    import asyncio

    from langchain_core.language_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage, AIMessageChunk

    answer = "Avalon has a population of 412,000 people [1]."

    def tokens(parts: list) -> tuple[list[str], dict]:
        chunks, final = [], {}
        for mode, data in parts:
            if mode == "messages" and data[1].get("langgraph_node") == "synthesize" and \
                    isinstance(data[0], AIMessageChunk):
                chunks.append(data[0].content)
            elif mode == "values":
                final = data
        return chunks, final

    question = {"question": "What is the population of Avalon?"}
    sync = build_agent(index, GenericFakeChatModel(messages=iter([AIMessage(answer)])))
    chunks, final = tokens(list(sync.stream(question, stream_mode=["messages", "values"])))
    assert len(chunks) > 3 and "".join(chunks) == final["answer"] == answer

    async def run() -> list:
        agent = build_agent(index, GenericFakeChatModel(messages=iter([AIMessage(answer)])))
        return [part async for part in agent.astream(question,
                                                     stream_mode=["messages", "values"])]

    chunks, final = tokens(asyncio.run(run()))
    assert len(chunks) > 3 and "".join(chunks) == final["answer"] == answer


def test_a_question_with_no_word_is_answered_without_retrieval(agent) -> None:
    from rag_agent.agent.conversation import EMPTY_ANSWER

    for question in ["", "   ", "?!"]:
        updates = list(agent.stream({"question": question}, stream_mode="updates"))
        assert [next(iter(u)) for u in updates] == ["intake", "empty_question"]  # no search
        out = agent.invoke({"question": question})
        assert out["answer"] == EMPTY_ANSWER
        assert out["passages"] == [] and out["citations"] == []


def test_an_empty_chat_message_is_not_answered_from_the_last_runs_passages(
        index: RagIndex) -> None:
    from langchain_core.messages import HumanMessage
    from langgraph.checkpoint.memory import InMemorySaver

    from rag_agent.agent.conversation import EMPTY_ANSWER

    agent = build_agent(index, checkpointer=InMemorySaver())
    thread = {"configurable": {"thread_id": "empty"}}
    first = agent.invoke({"messages": [HumanMessage(
        "Compare the climate of Avalon and Brightwater.")]}, thread)
    assert first["passages"]
    for text in ["", "  "]:
        out = agent.invoke({"messages": [HumanMessage(text)]}, thread)
        assert out["answer"] == EMPTY_ANSWER
        assert out["passages"] == [] and out["citations"] == [] and out["targets"] == []
        assert out["messages"][-1].content == EMPTY_ANSWER


def test_cli_ask_refuses_an_empty_question_and_numbers_out_of_range(index: RagIndex,
                                                                    capsys) -> None:
    from rag_agent.cli import main

    def run(*argv: str) -> tuple[int, str, str]:
        try:
            code = main(["ask", *argv, "--index", str(index.path)])
        except SystemExit as exc:  # argparse's usage error
            code = exc.code
        out = capsys.readouterr()
        return code, out.out, out.err

    for question in ["", "   ", "?"]:
        code, out, err = run(question)
        assert (code, out) == (2, "") and "is empty: ask about something in the index" in err
    for option in (["-k", "-5"], ["-k", "0"], ["--budget", "-5"], ["--budget", "0"]):
        code, out, err = run("What is the population of Avalon?", *option)
        name = "k" if option[0] == "-k" else "budget"
        assert (code, out) == (2, ""), (option, out)
        assert name in err and option[1] in err, err
