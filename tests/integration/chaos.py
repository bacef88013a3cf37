"""Kill-at-random-points runs: random writes, upserts and deletes on one index, each SIGKILLed
after a random delay, the index checked after every run against what was acknowledged; and
rounds of two writers sharing sources at once.

Shared by tests/integration/test_reliability.py (a few runs in `make test`) and
bench/reliability.py (the long run docs/RELIABILITY.md quotes).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from rag_agent import RagIndex, SourceDocument
from rag_agent.index.check import check_index
from rag_agent.index.writer import content_hash, make_doc_id

REPO = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("chaos_worker.py")
SOURCES = [f"s{i:02d}" for i in range(16)]
TOPICS = ["rivers", "volcanoes", "glaciers", "forests", "deserts", "oceans", "caves", "lakes"]


def document(source: str, version: int) -> SourceDocument:
    """The text of `source` at `version` (every version differs, so an upsert re-embeds)."""
    n = int(source[1:])
    topic = TOPICS[(n + version) % len(TOPICS)]
    text = (f"Record {source} version {version} is about {topic}. Version {version} adds that "
            f"{topic} change over time. A third sentence for {source} closes version {version}.")
    return SourceDocument(source, text, f"{source} v{version}", {"version": version})


def doc_id(source: str, version: int) -> str:
    return make_doc_id("default", source, content_hash(document(source, version)))


@dataclass
class Tally:
    """What the runs did and found."""

    runs: int = 0
    killed: int = 0
    finished: int = 0
    consistent: int = 0
    by_op: dict[str, int] = field(default_factory=dict)
    killed_by_op: dict[str, int] = field(default_factory=dict)
    killed_after_a_commit: int = 0
    """Killed runs that had acknowledged part of their work: the kill landed mid-way."""
    failures: list[str] = field(default_factory=list)


def _run(index_dir: Path, spec: dict, after: int | None, extra: float
         ) -> tuple[set[str], set[str], bool]:
    """(acknowledged doc ids, acknowledged deletes, finished) of one worker SIGKILLed `extra`
    seconds after its `after`-th acknowledgement (0: after READY; None: never), unless it
    finishes first."""
    import json
    import threading
    import time

    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen([sys.executable, str(WORKER), str(index_dir), json.dumps(spec)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env=env)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "READY"
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    if after is None:
        proc.wait(timeout=600)
    else:
        while proc.poll() is None and sum(not x.startswith("DONE") for x in lines) < after:
            time.sleep(0.002)
        try:
            proc.wait(timeout=extra)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=300)
    reader.join(timeout=60)
    acked = {d for line in lines if line.startswith("ACK ") for d in line.split()[1:]}
    deleted = {line.split()[1] for line in lines if line.startswith("DEL ")}
    return acked, deleted, any(line.strip() == "DONE" for line in lines)


def chaos(index_dir: Path, runs: int, embedder, *, seed: int = 7, log=None) -> Tally:
    """`runs` random operations, each killed at a random moment; after each, the index must
    open, pass every check, and hold each source at a state the acknowledgements allow.

    The moment: after a random number of the run's acknowledgements (batches of 2 documents,
    or single deletes), then a random 0-0.1 s more, so kills land before the first commit,
    between commits, and during the final FAISS save; a run that ends first is counted as
    finished.
    """
    rng = random.Random(seed)
    tally = Tally()
    state: dict[str, int | None] = {s: None for s in SOURCES}  # source -> version (None: absent)
    version = 0
    for run in range(runs):
        absent = [s for s in SOURCES if state[s] is None]
        present = [s for s in SOURCES if state[s] is not None]
        ops = [o for o, pool in (("ingest", absent), ("upsert", present), ("delete", present))
               if len(pool) >= 4]
        op = rng.choice(ops)
        pool = absent if op == "ingest" else present
        chosen = sorted(rng.sample(pool, rng.randint(4, len(pool))))
        if op != "delete":
            version += 1
            spec = {"op": "write", "version": version, "sources": chosen}
        else:
            spec = {"op": "delete", "sources": chosen}
        steps = len(chosen) if op == "delete" else -(-len(chosen) // 2)
        after, extra = rng.randint(0, steps - 1), rng.uniform(0.0, 0.1)
        acked, deleted, finished = _run(index_dir, spec, after, extra)
        tally.runs += 1
        tally.finished += finished
        tally.killed += not finished
        tally.by_op[op] = tally.by_op.get(op, 0) + 1
        if not finished:
            tally.killed_by_op[op] = tally.killed_by_op.get(op, 0) + 1
            tally.killed_after_a_commit += bool(acked or deleted)
        target = version if op != "delete" else None
        allowed = {}
        for s in SOURCES:
            if s not in chosen:
                allowed[s] = {state[s]}
            elif (op != "delete" and doc_id(s, version) in acked) or (op == "delete" and
                                                                      s in deleted):
                allowed[s] = {target}
            elif finished:
                allowed[s] = {target}
            else:
                allowed[s] = {state[s], target}
        problems = _verify(index_dir, embedder, allowed, version, state)
        if problems:
            tally.failures.append(f"run {run} ({op}, kill {extra:.2f} s after ack {after}): "
                                  + "; ".join(problems))
        else:
            tally.consistent += 1
        if log is not None:
            log(f"run {run}: {op} of {len(chosen)}, {'finished' if finished else 'killed'} "
                f"{extra:.2f} s after ack {after}, {len(acked) + len(deleted)} acknowledged, "
                f"{'consistent' if not problems else problems}")
    return tally


def _verify(index_dir: Path, embedder, allowed: dict, version: int,
            state: dict[str, int | None]) -> list[str]:
    """Problems of the index against `allowed`; updates `state` to what it holds."""
    known = {doc_id(s, v): (s, v) for s in SOURCES for v in range(1, version + 1)}
    problems: list[str] = []
    try:
        with RagIndex.open(index_dir, embedder=embedder) as index:
            report = check_index(index)
            problems += report.problems
            rows = index.conn.execute("SELECT doc_id, source_id FROM documents").fetchall()
    except Exception as exc:  # noqa: BLE001 - any failure to open is the finding
        return [f"does not open: {type(exc).__name__}: {exc}"]
    present: dict[str, int | None] = {s: None for s in SOURCES}
    for did, source in rows:
        if did not in known:
            problems.append(f"{source} holds an unknown version")
            continue
        present[source] = known[did][1]
    for s in SOURCES:
        if present[s] not in allowed[s]:
            problems.append(f"{s} is at {present[s]}, allowed {sorted(map(str, allowed[s]))}")
    state.update(present)
    return problems


def _start(index_dir: Path, spec: dict) -> subprocess.Popen:
    import json

    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen([sys.executable, str(WORKER), str(index_dir), json.dumps(spec)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def concurrent_rounds(index_dir: Path, rounds: int, embedder, log=None) -> Tally:
    """Per round, two processes write overlapping source sets at once (sources 0-11 and 4-15,
    each at its own new version): both must finish, and every source must be held exactly once,
    at the version of one of the writers that wrote it, with every invariant holding."""
    tally = Tally()
    first, second = SOURCES[:12], SOURCES[4:]
    for round_ in range(rounds):
        a, b = 2 * round_ + 1, 2 * round_ + 2
        procs = [_start(index_dir, {"op": "write", "version": a, "sources": first}),
                 _start(index_dir, {"op": "write", "version": b, "sources": second})]
        outs = [p.communicate(timeout=600) for p in procs]
        tally.runs += 1
        problems = [f"a writer failed: {err.strip().splitlines()[-1] if err.strip() else ''}"
                    for p, (out, err) in zip(procs, outs, strict=True)
                    if p.returncode != 0 or not out.rstrip().endswith("DONE")]
        tally.finished += 2 - len(problems)
        with RagIndex.open(index_dir, embedder=embedder) as index:
            problems += check_index(index).problems
            rows = index.conn.execute("SELECT source_id, doc_id FROM documents").fetchall()
        held = dict(rows)
        if len(rows) != len(SOURCES) or len(held) != len(rows):
            problems.append(f"{len(rows)} documents for {len(SOURCES)} sources")
        for s in SOURCES:
            versions = ([a] if s in first else []) + ([b] if s in second else [])
            if held.get(s) not in {doc_id(s, v) for v in versions}:
                problems.append(f"{s} is not at a version its writers wrote")
        if problems:
            tally.failures.append(f"round {round_}: " + "; ".join(problems))
        else:
            tally.consistent += 1
        if log is not None:
            log(f"round {round_}: {'consistent' if not problems else problems}")
    return tally
