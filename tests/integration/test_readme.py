"""README.md is true: every Python block runs as written (in order, each in a fresh interpreter,
in a folder holding the `./docs` and `./10q` it names), and every `rag-agent` command line it
shows parses with today's flags."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from rag_agent.cli_parser import build_parser

pytestmark = [pytest.mark.integration]

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text()
TENQ = REPO.parent / "shared" / "data" / "docugami_sec10q" / "texts"
# a slice of the 10-Q set: two companies, so aliases can be mined, and Apple's 2023 quarters
FILINGS = ["2023 Q2 AAPL.txt", "2023 Q3 AAPL.txt", "2023 Q3 INTC.txt"]


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, flags=re.S)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not TENQ.is_dir():
        pytest.skip(f"{TENQ} is absent: the README's structured-retrieval example reads it")
    work = tmp_path_factory.mktemp("readme")
    (work / "docs").symlink_to(REPO / "docs")
    (work / "10q").mkdir()
    for name in FILINGS:
        (work / "10q" / name).symlink_to(TENQ / name)
    return work


def _run(code: str, cwd: Path, **extra: str) -> str:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
           "TQDM_DISABLE": "1", **extra}
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, f"README block failed:\n{code}\n---\n{done.stderr[-3000:]}"
    return done.stdout


def test_readme_python_blocks_run_as_written(workdir: Path, pg_server) -> None:
    blocks = _blocks("python")
    assert len(blocks) == 5, "a README Python block was added or removed: update this test"
    url = pg_server.database("readme")
    first, server, structured, agent, chat = (_run(code, workdir, DATABASE_URL=url)
                                              for code in blocks)
    docs = len(list((REPO / "docs").glob("*.md")))  # what the block ingests from ./docs
    assert f"documents: {docs} added" in first
    # the top hit and its parent answer the question (ARCHITECTURE.md's storage section)
    assert "Architecture" in first and "SQLite is the source of truth" in first, first
    # the same index in PostgreSQL: the filtered hit, the agent's answer, HNSW still giving k
    assert server.splitlines()[0] == "Lake Baikal is the deepest lake on Earth.", server
    assert server.splitlines()[1].startswith("Lake Baikal is the deepest lake on Earth. [1]")
    assert server.splitlines()[-1] == "2"
    # the structured example: Apple's aliases, the latest quarter, one filter per quarter
    assert "AAPL also called: Apple, Apple Inc" in structured
    assert "'ticker': 'AAPL'" in structured and "'quarter': 'Q3'" in structured
    assert "['Q2 2023', 'Q3 2023']" in structured, structured
    assert "Nasdaq" not in structured.split("AAPL also called:")[1].splitlines()[0]
    assert agent.startswith("comparison comparison fused ")
    assert "SQLite" in agent and "FAISS" in agent
    assert "Sources:\n[1] " in chat and "[1] " in chat
    assert "Document(id='note-1'" in chat  # get_by_ids found the note the block added


def test_readme_command_lines_parse() -> None:
    parser = build_parser()
    lines = [line.split("  #")[0].strip() for block in _blocks("bash")
             for line in block.replace("\\\n", " ").splitlines()]
    commands = [shlex.split(line)[1:] for line in lines if line.startswith("rag-agent ")]
    assert len(commands) >= 10
    for argv in commands:
        try:
            parser.parse_args(argv)
        except SystemExit as exc:
            raise AssertionError(f"README command does not parse: rag-agent {shlex.join(argv)}") \
                from exc
