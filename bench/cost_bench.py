"""Cost side by side: ingest time, query latency, peak memory and index size of our index,
stock LangChain, LlamaIndex and BM25 on the same corpus and the same embedding model.

    python bench/cost_bench.py --dataset sec10q --out bench/results/cost_sec10q.json

Each system is built in a fresh child process (so peak memory is its own), from the same
`CorpusDoc`s, embedding with the packaged all-MiniLM-L6-v2 loaded once per process and no
embedding cache. Then the first `--queries` questions of the set are asked one by one, the query
embedding included. Ratios are against our index, from the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _emit import emit  # noqa: E402

from rag_agent.eval.metrics import percentiles  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SYSTEMS = ["ours", "langchain", "llamaindex-vector", "llamaindex-window", "bm25"]


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _disk_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def child(system: str, dataset: str, data: Path, folder: Path, n_queries: int) -> dict[str, Any]:
    """Build one system in this process and measure it."""
    from rag_agent.eval.datasets import load_dataset
    from rag_agent.models import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder()
    embedder.model  # noqa: B018 - load before measuring
    model_rss = _rss_mb()
    corpus = load_dataset(dataset, data)
    queries = corpus.queries[:n_queries]
    out: dict[str, Any] = {"system": system, "model_rss_mb": round(model_rss, 1)}
    wall, cpu = time.perf_counter(), time.process_time()
    forget = None
    if system == "ours":
        from rag_agent import RagIndex
        from rag_agent.eval.ours import as_source_documents, our_strategies

        index = RagIndex.open(folder, embedder=embedder)
        report = index.add_documents(as_source_documents(corpus.docs))
        index.save()
        strategies = our_strategies(index, route_docs=4)
        strategies = {k: v for k, v in strategies.items() if "no routing" not in k}
        # the index remembers recent query vectors; every timed call must embed its query, as
        # the other systems' calls do
        forget = index.forget_queries
        out.update(embedded=report.embedded, units=report.units)
    else:
        from rag_agent.eval import baselines

        build = {"langchain": lambda: baselines.build_langchain(corpus.docs, embedder),
                 "llamaindex-vector": lambda: baselines.build_llamaindex(
                     corpus.docs, embedder, strategies=["vector"]),
                 "llamaindex-window": lambda: baselines.build_llamaindex(
                     corpus.docs, embedder, strategies=["window"]),
                 "bm25": lambda: baselines.build_bm25(corpus.docs)}[system]
        built = build()
        built.save(folder)
        strategies = built.strategies
        out.update(embedded=built.embedded)
    out["ingest_s"] = round(time.perf_counter() - wall, 1)
    out["ingest_cpu_s"] = round(time.process_time() - cpu, 1)
    out["disk_mb"] = round(_disk_bytes(folder) / 1e6, 1)
    out["latency_ms"] = {}
    for name, retrieve in strategies.items():
        times = []
        for q in queries:
            if forget is not None:
                forget()
            t0 = time.perf_counter()
            retrieve(q, 4)
            times.append(time.perf_counter() - t0)
        out["latency_ms"][name] = percentiles(times, digits=1)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", default="sec10q")
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--systems", nargs="+", default=SYSTEMS)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--folder", type=Path, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.dataset, args.data, args.folder, args.queries)))
        return
    work = Path(tempfile.mkdtemp(prefix="rag-cost-"))
    runs: dict[str, Any] = {}
    try:
        for system in args.systems:
            folder = work / system
            folder.mkdir()
            print(f"building {system} ...", file=sys.stderr, flush=True)
            done = subprocess.run(
                [sys.executable, __file__, "--child", system, "--dataset", args.dataset,
                 "--data", str(args.data), "--folder", str(folder),
                 "--queries", str(args.queries)],
                capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise SystemExit(f"{system} failed:\n{done.stderr[-3000:]}")
            runs[system] = json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    base = runs.get("ours")
    if base:
        for run in runs.values():
            run["ratio_to_ours"] = {
                key: round(run[key] / base[key], 2) if base[key] else None
                for key in ("ingest_s", "ingest_cpu_s", "disk_mb", "peak_rss_mb")}
    emit({"dataset": args.dataset, "queries": args.queries, "runs": runs}, args.out)


if __name__ == "__main__":
    sys.exit(main())
