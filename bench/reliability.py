"""The long run of the reliability suite: random SIGKILLs, concurrent writers sharing sources,
and the filter/tenant property test at 10,000 cases (docs/RELIABILITY.md quotes it).

    python bench/reliability.py [--kills 100] [--rounds 10] [--cases 10000] \
        [--out bench/results/reliability.json]

- kills: runs of one random ingest, upsert or delete (tests/integration/chaos.py), each SIGKILLed
  0-0.1 s after a random one of its acknowledgements (a run that ends first counts as finished);
  after each the index must open, pass `check_index`, and hold every source at a state its
  acknowledgements allow.
- rounds: two processes writing overlapping source sets at once; both must finish and every
  source must be held once, at a version one of its writers wrote.
- cases: `tests/unit/test_filter_property.py` with that many Hypothesis cases per backend,
  spread over its three properties (filtered search = brute-force top-k, keyword search inside
  filter and tenant, reads by id within the tenant), on a folder index and on one in
  PostgreSQL (a server it starts, tests/pgserver.py).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))

from _emit import emit  # noqa: E402

from rag_agent import SentenceTransformerEmbedder  # noqa: E402
from tests.integration.chaos import chaos, concurrent_rounds  # noqa: E402

PROPERTIES = 3  # the property tests in test_filter_property.py
BACKENDS = 2  # each runs on a folder index and on one in PostgreSQL


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kills", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    embedder = SentenceTransformerEmbedder()
    result: dict = {"command": " ".join(["python", "bench/reliability.py", *sys.argv[1:]])}
    log = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731

    with tempfile.TemporaryDirectory(prefix="rag-chaos-") as tmp:
        started = time.perf_counter()
        tally = chaos(Path(tmp) / "idx", args.kills, embedder, seed=args.seed, log=log)
        result["sigkill"] = {**vars(tally), "seconds": round(time.perf_counter() - started, 1)}
    with tempfile.TemporaryDirectory(prefix="rag-writers-") as tmp:
        started = time.perf_counter()
        tally = concurrent_rounds(Path(tmp) / "idx", args.rounds, embedder, log=log)
        result["concurrent_writers"] = {**vars(tally),
                                        "seconds": round(time.perf_counter() - started, 1)}
    per = -(-args.cases // PROPERTIES)  # per property and backend
    started = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "--hypothesis-show-statistics", "tests/unit/test_filter_property.py"], cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, "RAG_AGENT_PROPERTY_EXAMPLES": str(per),
             "RAG_AGENT_REQUIRE_POSTGRES": "1"})
    counts = re.findall(r"(\d+) passing, (\d+) failing", run.stdout)
    passing, failing = (sum(int(c[i]) for c in counts) for i in (0, 1))
    result["property"] = {"cases_asked": per * PROPERTIES * BACKENDS, "cases_passed": passing,
                          "cases_failed": failing, "properties": PROPERTIES,
                          "backends": BACKENDS,
                          "failed_properties": run.stdout.count("FAILED"),
                          "pytest": run.stdout.strip().splitlines()[-1],
                          "seconds": round(time.perf_counter() - started, 1)}
    emit(result, args.out)
    bad = (result["sigkill"]["failures"] or result["concurrent_writers"]["failures"]
           or run.returncode != 0)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
