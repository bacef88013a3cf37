"""A process SIGKILLed at any point of ingestion leaves an index that opens and is whole."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from rag_agent import RagIndex
from rag_agent.index.writer import content_hash, make_doc_id
from rag_agent.ingest.loaders import SourceDocument
from tests.integration.helpers import assert_consistent

pytestmark = pytest.mark.integration

WORKER = Path(__file__).with_name("crash_worker.py")
REPO = Path(__file__).resolve().parents[2]
N_DOCS = 40


def write_corpus(root: Path, version: int) -> dict[str, str]:
    """N_DOCS small files; returns source id -> content hash of this version."""
    root.mkdir(exist_ok=True)
    hashes = {}
    for i in range(N_DOCS):
        path = root / f"doc{i:02d}.txt"
        text = (f"Document {i} version {version} talks about topic {i * 7 % 13}. "
                f"It has a second sentence about item {i}. Version {version} ends here.")
        path.write_text(text)
        source = str(path.resolve())
        hashes[source] = content_hash(SourceDocument(
            source, text, path.stem, {"source": source, "file_type": "txt"}))
    return hashes


def run_worker(index: Path, corpus: Path, *, kill_after_acks: int = 0,
               kill_in_save: int = 0) -> tuple[list[str], bool]:
    """Run the worker; SIGKILL it after that many ACK lines. Returns (acked doc ids, finished)."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen(
        [sys.executable, str(WORKER), str(index), str(corpus), str(kill_in_save)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    acked: list[str] = []
    finished = False
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("ACK "):
            acked += line.split()[1:]
            if kill_after_acks and len(acked) // 2 >= kill_after_acks:
                proc.send_signal(signal.SIGKILL)
                break
        finished = finished or line.startswith("DONE")
    proc.wait(timeout=300)
    return acked, finished


def check(index_dir: Path, acked: set[str], versions: list[dict[str, str]],
          real_embedder) -> set[str]:
    """The index opens and is whole; every document is wholly one known version; every
    acknowledged (source, version) is present at that version or a later one."""
    version_of = {}  # doc id -> (source, version number)
    for n, hashes in enumerate(versions, 1):
        for source, chash in hashes.items():
            version_of[make_doc_id("default", source, chash)] = (source, n)
    with RagIndex.open(index_dir, embedder=real_embedder) as index:
        assert_consistent(index)
        rows = index.conn.execute("SELECT doc_id, source_id FROM documents").fetchall()
    present = {}
    for doc_id, source in rows:
        assert doc_id in version_of, f"{source} holds an unknown version"
        present[source] = version_of[doc_id][1]
    for doc_id in acked:
        source, version = version_of[doc_id]
        assert present.get(source, 0) >= version, f"acknowledged {source} v{version} is missing"
    return {d for d, (s, v) in version_of.items() if present.get(s) == v}


def test_sigkill_during_ingest_leaves_a_whole_index(tmp_path: Path, real_embedder) -> None:
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    v1 = write_corpus(corpus, 1)
    acked: set[str] = set()
    kills = [dict(kill_after_acks=1), dict(kill_in_save=2), dict(kill_after_acks=3),
             dict(kill_in_save=4), dict(kill_after_acks=2)]
    counts = []
    for kill in kills:
        got, finished = run_worker(index_dir, corpus, **kill)
        assert not finished, f"worker finished before the kill {kill}; make the corpus larger"
        if "kill_in_save" in kill:  # it died half-way through writing a FAISS file
            assert [p.name for p in index_dir.glob("*.faiss.tmp")], "no half-written file"
        acked |= set(got)
        counts.append(len(check(index_dir, acked, [v1], real_embedder)))
    assert counts == sorted(counts) and counts[-1] < N_DOCS  # progress, not yet complete

    # updates killed half-way: each document is wholly version 1 or wholly version 2
    v2 = write_corpus(corpus, 2)
    for kill in (dict(kill_after_acks=2), dict(kill_in_save=3)):
        got, _ = run_worker(index_dir, corpus, **kill)
        acked |= set(got)
        check(index_dir, acked, [v1, v2], real_embedder)

    # resuming finishes the job: every document present, all at version 2
    _, finished = run_worker(index_dir, corpus)
    assert finished
    final = check(index_dir, acked, [v1, v2], real_embedder)
    assert final == {make_doc_id("default", s, h) for s, h in v2.items()}
