"""The `rag-agent` command end to end, in a subprocess, on the real model."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "rag_agent.cli", *args], capture_output=True,
                          text=True, env=env, timeout=600)


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> str:
    """An index of two short notes (harbor, museum), ingested once for the ask tests."""
    docs = tmp_path_factory.mktemp("town")
    (docs / "harbor.txt").write_text("The harbor opens at dawn. Ferries leave every hour.")
    (docs / "museum.txt").write_text("The museum closes at five. Entry is free on Sundays.")
    ix = str(docs.parent / f"{docs.name}-ix")
    assert cli("ingest", str(docs), "--index", ix, "--no-progress").returncode == 0
    return ix


def test_ingest_stats_search_delete(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# Alpha\n\nThe alpha report covers solar panels on roofs.")
    (docs / "b.txt").write_text("Beta notes describe wind turbines at sea.")
    (docs / "c.txt").write_bytes("  \n".encode("utf-16"))  # UTF-16 with a BOM, only spaces
    (docs / "d.bin").write_bytes(b"\x00\x01")
    ix = str(tmp_path / "ix")

    run = cli("ingest", str(docs), "--index", ix, "--meta", "year=2024")
    assert run.returncode == 0, run.stderr
    assert "documents: 2 added, 0 updated, 0 unchanged" in run.stdout
    assert "skipped: 2" in run.stdout
    assert "c.txt: empty file" in run.stdout
    assert "d.bin: unsupported file type '.bin'" in run.stdout
    assert "ingest" in run.stderr and "doc" in run.stderr  # the progress bar

    again = cli("ingest", str(docs), "--index", ix, "--meta", "year=2024", "--json",
                "--no-progress")
    report = json.loads(again.stdout)
    assert (report["unchanged"], report["embedded"]) == (2, 0)

    stats = cli("stats", "--index", ix)
    assert "documents: 2 in 1 tenant(s) default=2" in stats.stdout

    found = cli("search", "wind power offshore", "--index", ix, "--kind", "sentence", "-k", "1",
                "--filter", '{"year": 2024}')
    assert "Beta notes describe wind turbines at sea." in found.stdout

    gone = cli("delete", str(docs / "b.txt"), "--index", ix)
    assert gone.returncode == 0 and "deleted" in gone.stdout
    assert "documents: 1 in" in cli("stats", "--index", ix).stdout
    missing = cli("delete", str(docs / "b.txt"), "--index", ix)
    assert missing.returncode == 1 and "no source" in missing.stderr


def test_stats_of_a_missing_index_says_what_to_do(tmp_path: Path) -> None:
    run = cli("stats", "--index", str(tmp_path / "none"))
    assert run.returncode == 2
    assert "no index at" in run.stderr and "rag-agent ingest" in run.stderr
    assert not (tmp_path / "none").exists()


def test_ask_prints_task_tool_answer_and_citations(town: str) -> None:
    ix = town
    run = cli("ask", "When does the museum close?", "--index", ix)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == "task: fact  tool: fused"
    assert lines[1].startswith("answer: The museum closes at five. [1]")
    assert "[1] museum (" in run.stdout


def test_ingest_with_template_and_extractor_then_catalogue_and_ask(tmp_path: Path) -> None:
    docs = tmp_path / "filings"
    docs.mkdir()
    for year, quarter, ticker, name in [(2023, "Q2", "ACME", "Acme Corporation"),
                                        (2023, "Q3", "ACME", "Acme Corporation"),
                                        (2023, "Q3", "GLBX", "Globex Inc.")]:
        (docs / f"{year} {quarter} {ticker}.txt").write_text(
            f"{name}. Quarterly report for {quarter} {year}. Revenue grew in the quarter. "
            f"The company hired more engineers.")
    (docs / "notes.txt").write_text("Loose notes with no period. Nothing else here.")
    ix = str(tmp_path / "ix")
    run = cli("ingest", str(docs), "--index", ix, "--no-progress", "--json",
              "--template", "{year} {quarter} {ticker}", "--extract", "offline")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["added"] == 4
    assert [Path(w["source"]).name for w in report["warnings"]] == ["notes.txt"]
    cat = cli("catalogue", "--index", ix)
    assert "ticker (str, 3 docs): ACME=2, GLBX=1" in cat.stdout
    assert "ACME also called: Acme, Acme Corporation" in cat.stdout
    ask = cli("ask", "How did Acme's revenue change in Q3 2023?", "--index", ix)
    assert ask.returncode == 0, ask.stderr
    assert "2023 Q3 ACME" in ask.stdout and "2023 Q2 ACME" not in ask.stdout
    assert any(line.startswith("inferred filter: ") for line in ask.stdout.splitlines())
    off = cli("ask", "How did Acme's revenue change in Q3 2023?", "--index", ix,
              "--no-auto-filter")
    assert "inferred filter" not in off.stdout


def test_ingest_of_missing_paths_fails_and_makes_no_index(tmp_path: Path) -> None:
    ix = tmp_path / "ix"
    run = cli("ingest", str(tmp_path / "missing.txt"), "--index", str(ix), "--no-progress")
    assert run.returncode == 2
    assert "no such file or folder" in run.stderr and "missing.txt" in run.stderr
    assert not ix.exists()
    (tmp_path / "note.txt").write_text("The harbor opens at dawn.")
    run = cli("ingest", str(tmp_path / "note.txt"), str(tmp_path / "gone.md"), "--index", str(ix),
              "--no-progress")
    assert run.returncode == 1  # the rest is ingested, the exit code says not all of it
    assert "documents: 1 added" in run.stdout and "gone.md" in run.stderr


@pytest.mark.parametrize(("value", "says"), [("{year: 2023}", "is not JSON"),
                                             ("[1,2]", "is a JSON list, not an object")])
def test_a_bad_filter_is_a_usage_error_that_shows_the_form(tmp_path: Path, value: str,
                                                            says: str) -> None:
    run = cli("search", "harbor", "--index", str(tmp_path / "ix"), "--filter", value)
    assert run.returncode == 2
    assert says in run.stderr and '{"year": 2023}' in run.stderr
    assert "Traceback" not in run.stderr


def test_a_filter_on_a_field_no_document_has_says_so(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "harbor.md").write_text("---\nyear: 2023\n---\nThe harbor opens at dawn.")
    ix = str(tmp_path / "ix")
    assert cli("ingest", str(docs), "--index", ix, "--no-progress").returncode == 0
    run = cli("search", "harbor", "--index", ix, "--filter", '{"yeer": 2023}')
    assert run.returncode == 0 and run.stdout == ""
    assert "no document of tenant 'default' has field(s) yeer" in run.stderr
    assert "year" in run.stderr  # the fields it does have
    run = cli("search", "harbor", "--index", ix, "--filter", '{"year": 2023}')
    assert "note:" not in run.stderr and "harbor" in run.stdout


def test_ask_shows_passages_with_scores_and_json_has_everything(town: str) -> None:
    ix = town
    run = cli("ask", "When does the museum close?", "--index", ix, "--stream")
    assert run.returncode == 0, run.stderr
    assert "--stream needs a chat model" in run.stderr  # not silently ignored
    lines = run.stdout.splitlines()
    first = lines.index("passages:") + 1
    assert re.match(r"\s+1\. \d\.\d{3}  museum  'The museum closes at five.", lines[first])
    assert any(line.startswith("  filter: ") for line in lines)  # the filter trace
    run = cli("ask", "When does the museum close?", "--index", ix, "--json")
    out = json.loads(run.stdout)
    assert out["task"] == "fact" and out["answer"].startswith("The museum closes at five.")
    assert out["passages"][0]["title"] == "museum" and 0 < out["passages"][0]["score"] <= 1
    assert set(out) >= {"citations", "filter_trace", "hops", "notes", "shape", "tool"}


def test_ask_with_a_dead_llm_endpoint_says_so_and_answers_offline(town: str) -> None:
    ix = town
    run = cli("ask", "When does the museum close?", "--index", ix,
              "--llm-base-url", "http://127.0.0.1:9/v1", "--llm-model", "m")
    assert run.returncode == 0, run.stderr
    assert "endpoint does not answer" in run.stderr and "answering offline" in run.stderr
    assert "answer: The museum closes at five. [1]" in run.stdout


def test_encoder_is_chosen_by_flag_and_never_mixed(town: str, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("onnxruntime", reason="the 'onnx' extra is not installed")
    monkeypatch.setenv("RAG_AGENT_CACHE", str(tmp_path))  # the ONNX export goes here
    stats = cli("stats", "--index", town, "--encoder", "onnx")
    assert stats.returncode == 0 and "encoder onnx-fp32" in stats.stdout
    found = cli("search", "When does the harbor open?", "--index", town, "--encoder", "onnx",
                "-k", "1")
    assert found.returncode == 0 and "harbor.txt" in found.stdout  # the torch-built vectors
    mixed = cli("search", "harbor", "--index", town, "--encoder", "onnx-int8")
    assert mixed.returncode == 2 and "all-MiniLM-L6-v2+onnx-int8" in mixed.stderr
    bad = cli("stats", "--index", town, "--encoder", "tpu")
    assert bad.returncode == 2 and "invalid choice: 'tpu'" in bad.stderr
