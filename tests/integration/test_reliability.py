"""The standing reliability suite's process tests: writers SIGKILLed at random moments, and
writers that share sources running at once. Quick settings here; `make bench` runs the long
version (bench/reliability.py, figures in docs/RELIABILITY.md)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rag_agent import RagIndex
from tests.integration.chaos import chaos, concurrent_rounds
from tests.integration.helpers import assert_consistent

pytestmark = pytest.mark.integration

RUNS = int(os.environ.get("RAG_AGENT_CHAOS_RUNS", "10"))


def test_random_kills_across_ingest_upsert_and_delete_leave_a_consistent_index(
        tmp_path: Path, real_embedder) -> None:
    tally = chaos(tmp_path / "idx", RUNS, real_embedder, seed=11)
    assert tally.failures == []
    assert tally.consistent == tally.runs == RUNS
    # kills land mid-work (how many depends on timing: a run may finish inside its delay)
    assert tally.killed >= 2 and tally.killed_after_a_commit >= 1
    with RagIndex.open(tmp_path / "idx", embedder=real_embedder) as index:
        assert_consistent(index)


def test_concurrent_writers_sharing_sources_lose_nothing(tmp_path: Path, real_embedder) -> None:
    """Two processes write overlapping source sets at once, three rounds: both finish, every
    source is held exactly once, at the version of one of the writers that wrote it."""
    tally = concurrent_rounds(tmp_path / "idx", 3, real_embedder)
    assert tally.failures == [] and tally.consistent == 3 and tally.finished == 6
