"""`langgraph dev` serves both graphs from langgraph.json; the agent answers with citations."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _call(url: str, body: dict | None = None, timeout: float = 120) -> object:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"content-type": "application/json"},
                                 method="POST" if data is not None else "GET")
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read())


@pytest.fixture
def server(tmp_path: Path):
    cli = shutil.which("langgraph", path=str(Path(sys.executable).parent))
    assert cli, "langgraph-cli is missing: pip install 'rag-agent[studio]'"
    port = _free_port()
    env = {**os.environ, "RAG_AGENT_INDEX": str(tmp_path / "ix"), "HF_HUB_OFFLINE": "1",
           "LANGGRAPH_CLI_NO_ANALYTICS": "1", "LANGGRAPH_NO_VERSION_CHECK": "true",
           "LANGSMITH_TRACING": "false"}
    for key in ("RAG_AGENT_LLM_BASE_URL", "RAG_AGENT_LLM_MODEL"):
        env.pop(key, None)
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen([cli, "dev", "--no-browser", "--host", "127.0.0.1", "--port",
                             str(port)], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 240
        while True:
            try:
                _call(f"{base}/ok", timeout=5)
                break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError((tmp_path / "server.log").read_text()[-3000:]) from None
                time.sleep(1)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def test_langgraph_dev_serves_agent_and_indexer(server: str, tmp_path: Path) -> None:
    graphs = {a["graph_id"] for a in _call(f"{server}/assistants/search", {})}
    assert graphs == {"agent", "indexer"}

    note = tmp_path / "note.md"
    note.write_text("---\nkind: manual\n---\n# Lighthouse\n\n"
                    "The lighthouse keeper lights the lamp at 6 pm every day.")
    log = tmp_path / "log.md"
    log.write_text("---\nkind: log\n---\n# Lighthouse log\n\nThe lamp was lit late on Monday.")
    indexed = _call(f"{server}/runs/wait",
                    {"assistant_id": "indexer", "input": {"paths": [str(note), str(log)]}})
    assert indexed["report"]["added"] == 2 and indexed["report"]["skipped"] == []
    # the indexer takes what `rag-agent ingest` takes: a file-name template, metadata
    filed = tmp_path / "harbour_2023.md"
    filed.write_text("# Harbour\n\nThe harbour master opens the gate at dawn.")
    indexed = _call(f"{server}/runs/wait", {"assistant_id": "indexer", "input": {
        "paths": [str(filed)], "template": "{place}_{year}", "metadata": {"kind": "manual"},
        "tenant": "harbour"}})
    assert indexed["report"]["added"] == 1 and indexed["report"]["warnings"] == []
    out = _call(f"{server}/runs/wait", {"assistant_id": "agent", "context": {
        "tenant": "harbour", "filter": {"year": 2023, "place": "harbour", "kind": "manual"}},
        "input": {"question": "When does the harbour master open the gate?"}})
    assert [c["source_id"] for c in out["citations"]][:1] == [str(filed.resolve())]

    out = _call(f"{server}/runs/wait", {"assistant_id": "agent", "input": {
        "question": "When does the lighthouse keeper light the lamp?"}})
    assert out["task"] == "fact" and out["tool"] == "fused"
    assert "The lighthouse keeper lights the lamp at 6 pm every day." in out["answer"]
    assert any(c["source_id"] == str(note.resolve()) for c in out["citations"])

    # the filter inferred from the question (front matter field "kind") is part of the output
    out = _call(f"{server}/runs/wait", {"assistant_id": "agent", "input": {
        "question": "According to the log, when was the lamp lit?"}})
    assert out["inferred_filter"] == {"kind": "log"}, out.get("filter_trace")
    assert {c["source_id"] for c in out["citations"]} == {str(log.resolve())}

    # a chat thread, as Studio's chat view and chat UIs send it: messages in, AI message out
    thread = _call(f"{server}/threads", {})["thread_id"]
    for n, question in enumerate(["When does the lighthouse keeper light the lamp?",
                                  "When was the lamp lit late?"], start=1):
        out = _call(f"{server}/threads/{thread}/runs/wait", {"assistant_id": "agent", "input": {
            "messages": [{"role": "user", "content": question}]}})
        assert [m["type"] for m in out["messages"]] == ["human", "ai"] * n
        assert out["messages"][-2]["content"] == question
        reply = out["messages"][-1]["content"]
        assert reply.startswith(out["answer"]) and "\n\nSources:\n[1] " in reply
    assert "Monday" in out["answer"]
