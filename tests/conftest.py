"""Shared fixtures: the real packaged embedder (loaded once), a fast fake, and the shared data."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from rag_agent.models import LangChainEmbedder, SentenceTransformerEmbedder  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("RAG_AGENT_SHARED_DATA", REPO.parent / "shared" / "data"))


class CountingEmbedder:
    """Wraps an embedder and counts every text it is asked to embed."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.max_tokens = inner.max_tokens
        self.texts: list[str] = []

    @property
    def dim(self) -> int:
        return self.inner.dim

    def encode(self, texts: list[str]) -> np.ndarray:
        self.texts.extend(texts)
        return self.inner.encode(texts)

    def count_tokens(self, texts: list[str]) -> list[int]:
        return self.inner.count_tokens(texts)


@pytest.fixture(scope="session")
def real_embedder() -> SentenceTransformerEmbedder:
    """The packaged all-MiniLM-L6-v2, loaded once for the whole run."""
    emb = SentenceTransformerEmbedder()
    emb.model  # noqa: B018 - load now, not inside a timed test
    return emb


@pytest.fixture
def counting(real_embedder: SentenceTransformerEmbedder) -> CountingEmbedder:
    return CountingEmbedder(real_embedder)


@pytest.fixture
def fake_embedder() -> LangChainEmbedder:
    """Deterministic hashing embeddings: fast, for unit tests of plumbing only."""
    return LangChainEmbedder(DeterministicFakeEmbedding(size=32), model_id="fake-32")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared evaluation data not found at {SHARED_DATA} (present in CI)")
    return SHARED_DATA


# ----- storage backends -----------------------------------------------------------------------
BACKENDS = ["sqlite", "postgres"]
"""What backend-parametrised tests run against: a folder (FAISS + SQLite) and PostgreSQL."""


@pytest.fixture(scope="session")
def pg_server():
    """A PostgreSQL server with pgvector on 127.0.0.1, started for this run and stopped after
    (tests/pgserver.py). Skipped where the `postgres` extra is not installed, unless
    RAG_AGENT_REQUIRE_POSTGRES=1 (as `make test` sets), which makes that a failure."""
    from tests.pgserver import available, local_server

    why = available()
    if why:
        if os.environ.get("RAG_AGENT_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL backend required but unavailable: {why}")
        pytest.skip(why)
    with local_server() as server:
        yield server


@pytest.fixture
def pg_url(pg_server, request: pytest.FixtureRequest) -> str:
    """A new empty database on the test server, for one test."""
    import re
    import uuid

    name = re.sub(r"\W", "_", request.node.name.lower())[:40] + "_" + uuid.uuid4().hex[:8]
    return pg_server.database(name)


@pytest.fixture(params=BACKENDS)
def backend_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a backend-parametrised test makes its index: a new folder, or a new database."""
    if request.param == "postgres":
        return request.getfixturevalue("pg_url")
    return str(tmp_path / "idx")
