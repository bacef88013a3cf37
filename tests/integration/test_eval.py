"""`rag-agent eval scifact --quick`: the evaluation runner end to end on real data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.data]


def test_eval_scifact_quick(tmp_path: Path, shared_data: Path) -> None:
    out = tmp_path / "result.json"
    run = subprocess.run(
        [sys.executable, "-m", "rag_agent.cli", "eval", "scifact", "--quick", "--data",
         str(shared_data), "--out", str(out)],
        capture_output=True, text=True, timeout=900, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert run.returncode == 0, run.stderr
    assert "| routed parent-chunk (route 100 docs) |" in run.stdout
    result = json.loads(out.read_text())
    assert result["queries"] == 20
    for name in ("summary-only", "sentence-window (w=2)", "routed parent-chunk (route 100 docs)",
                 "parent-chunk, no routing"):
        scores = result[name]
        # 300 abstracts holding every gold one: a pipeline that mixed up ids, texts or vectors
        # would rank the gold abstracts near chance (nDCG@10 about 0.03)
        assert scores["ndcg@10"] > 0.7 and scores["recall@100"] > 0.9, (name, scores)
