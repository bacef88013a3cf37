"""Both storage backends at scale, on synthetic vectors: ingest rate with 1 and 2 workers, query
latency exact and HNSW, HNSW's recall@10 against exact, and filtered queries returning k.

The documents go through the whole ingestion (split, hash, store, index); only the model is
replaced by `SyntheticEmbedder`, which gives each text a deterministic 384-d unit vector drawn
around one of 2,000 centres (clustered like real embeddings, where pure noise would flatter
neither exact search nor HNSW), so the figures are storage and search, not the encoder. Each
document is 8 sentences: 1 summary, 1 child and 8 sentence units. Metadata `bucket` = document
number mod 100 gives the filters: `{"bucket": 7}` matches 1% of units, `{"bucket": {"$lt": 10}}`
10%.

    .venv/bin/python bench/scale_bench.py --units 100000 1000000 \
        --out bench/results/scale.json

Per size and backend: a new index (a folder in --workdir; a new database on a PostgreSQL server
this script starts on 127.0.0.1, tests/pgserver.py) is filled to the size by one worker; then
one more slice of --slice units is ingested by one worker process and another by two at once
(each half), timed from the first worker starting to ingest to the last one done (units/s). Then 200 queries of k=10 on the sentence units, unfiltered and under both
filters: exact on both backends, and on PostgreSQL HNSW (pgvector, m=16, ef_construction=64,
ef_search=100, iterative scan) after building its index (timed).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _emit import emit  # noqa: E402

from rag_agent import IndexConfig, RagIndex, SourceDocument  # noqa: E402
from rag_agent.eval.metrics import percentiles  # noqa: E402

DIM = 384
CENTRES = 2000
UNITS_PER_DOC = 10
QUERIES = 200
K = 10
FILTERS = {"none": None, "1%": {"bucket": 7}, "10%": {"bucket": {"$lt": 10}}}
_centres = np.random.default_rng(0).standard_normal((CENTRES, DIM)).astype(np.float32)


class SyntheticEmbedder:
    """A stand-in for the model: each text's vector is a function of its bytes alone."""

    model_id = "synthetic-384"
    max_tokens = 256
    dim = DIM

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.empty((len(texts), DIM), dtype=np.float32)
        for i, text in enumerate(texts):
            seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")
            rng = np.random.default_rng(seed)
            out[i] = _centres[seed % CENTRES] + 0.6 * rng.standard_normal(DIM)
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    def count_tokens(self, texts: list[str]) -> list[int]:
        return [len(t.split()) + 2 for t in texts]


def document(n: int) -> SourceDocument:
    words = [f"w{(n * 7 + j) % 5003}" for j in range(48)]
    sentences = [f"Item {n} line {s} says {' '.join(words[s * 6:s * 6 + 6])}." for s in range(8)]
    return SourceDocument(f"doc-{n}", " ".join(sentences), f"Document {n}", {"bucket": n % 100})


def ingest(location: str, first: int, count: int) -> float:
    """Ingest documents `first` .. `first + count - 1`; returns the wall seconds."""
    started = time.perf_counter()
    with RagIndex.open(location, embedder=SyntheticEmbedder(),
                       config=IndexConfig(batch_docs=512, batch_texts=8192)) as index:
        index.add_documents(document(n) for n in range(first, first + count))
    return time.perf_counter() - started


def _workers(location: str, first: int, count: int, workers: int) -> float:
    """`workers` processes ingesting disjoint shares at once; wall seconds from the first one
    starting to ingest (its imports done) to the last one done."""
    share = count // workers
    procs = [subprocess.Popen([sys.executable, __file__, "--worker", location,
                               str(first + w * share), str(share)], env={**os.environ},
                              stdout=subprocess.PIPE, text=True) for w in range(workers)]
    spans = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in procs]
    if any(p.returncode for p in procs):
        raise SystemExit(f"an ingest worker failed: {[p.returncode for p in procs]}")
    return max(s["end"] for s in spans) - min(s["start"] for s in spans)


def _queries(rng: np.random.Generator) -> np.ndarray:
    picks = rng.integers(0, CENTRES, QUERIES)
    rows = _centres[picks] + 0.6 * rng.standard_normal((QUERIES, DIM)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def _search(index: RagIndex, queries: np.ndarray, flt: dict | None) -> dict:
    took, ids, full = [], [], 0
    for q in queries:
        t0 = time.perf_counter()
        hits = index.search(q.reshape(1, -1), kind="sentence", k=K, filter=flt)
        took.append(time.perf_counter() - t0)
        ids.append([h.unit_id for h in hits])
        full += len(hits) == K
    return {**percentiles(took), "returned_k": full / len(ids), "ids": ids}


def _hnsw_bytes(url: str) -> int:
    """Bytes of the HNSW indexes in the database of `url` (asked of the server directly)."""
    import psycopg

    with psycopg.connect(url) as conn:
        return int(conn.execute(
            "SELECT coalesce(sum(pg_relation_size(indexrelid)), 0) FROM pg_index WHERE "
            "indexrelid::regclass::text LIKE 'units_hnsw_%'").fetchone()[0])


def _recall(approx: list[list[int]], exact: list[list[int]]) -> float:
    return float(np.mean([len(set(a) & set(e)) / max(len(e), 1) for a, e in
                          zip(approx, exact, strict=True)]))


def measure(location: str, units: int, slice_units: int, out: dict, save, *,
            server: bool) -> None:
    """Fill `out` stage by stage, calling `save()` after each so a long run that is stopped
    keeps what it measured."""
    docs, extra = units // UNITS_PER_DOC, slice_units // UNITS_PER_DOC
    out["units"] = units
    seconds = ingest(location, 0, docs)
    out["fill"] = {"seconds": round(seconds, 1), "units_per_s": round(units / seconds)}
    one = _workers(location, docs, extra, 1)
    two = _workers(location, docs + extra, extra, 2)
    out["slice"] = {"units": slice_units, "one_worker_units_per_s": round(slice_units / one),
                    "two_workers_units_per_s": round(slice_units / two),
                    "two_over_one": round(one / two, 2)}
    print(json.dumps(out), flush=True)
    save()
    queries = _queries(np.random.default_rng(1))
    with RagIndex.open(location, embedder=SyntheticEmbedder()) as index:
        stats = index.stats()
        total = stats.children + stats.sentences + stats.summaries
        out["stored"] = {"units": total, "bytes": stats.disk_bytes,
                         "bytes_per_unit": round(stats.disk_bytes / total)}
        index.search(queries[0].reshape(1, -1), kind="sentence", k=K)  # warm caches
        exact = {name: _search(index, queries, flt) for name, flt in FILTERS.items()}
    out["exact"] = {n: {k: v for k, v in r.items() if k != "ids"} for n, r in exact.items()}
    print(json.dumps(out["exact"]), flush=True)
    save()
    if server:
        t0 = time.perf_counter()
        with RagIndex.open(location, embedder=SyntheticEmbedder(), vector_search="hnsw") as index:
            out["hnsw_build_seconds"] = round(time.perf_counter() - t0, 1)
            out["hnsw_bytes"] = _hnsw_bytes(location)
            index.search(queries[0].reshape(1, -1), kind="sentence", k=K)
            hnsw = {name: _search(index, queries, flt) for name, flt in FILTERS.items()}
        out["hnsw"] = {n: {**{k: v for k, v in r.items() if k != "ids"},
                           "recall_at_10": round(_recall(r["ids"], exact[n]["ids"]), 4)}
                       for n, r in hnsw.items()}
        print(json.dumps(out["hnsw"]), flush=True)
        save()


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        start = time.time()
        seconds = ingest(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
        print(json.dumps({"start": start, "end": start + seconds}), flush=True)
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--units", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--slice", type=int, default=50_000, help="units per timed slice")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/rag_agent_scale"))
    ap.add_argument("--backends", nargs="+", default=["sqlite", "postgres"])
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    from tests.pgserver import local_server

    result: dict = {"dim": DIM, "queries": QUERIES, "k": K, "units_per_document": UNITS_PER_DOC,
                    "filters": {k: v for k, v in FILTERS.items()}, "runs": []}
    shutil.rmtree(args.workdir, ignore_errors=True)
    args.workdir.mkdir(parents=True)
    settings = {"maintenance_work_mem": "4GB", "shared_buffers": "2GB",
                "max_parallel_maintenance_workers": "1", "checkpoint_timeout": "30min",
                "max_wal_size": "8GB"}
    with local_server(settings=settings) as server:
        for units in args.units:
            for backend in args.backends:
                location = (server.database(f"scale_{units}") if backend == "postgres"
                            else str(args.workdir / f"scale_{units}"))
                print(f"--- {backend}, {units} units", flush=True)
                run: dict = {"backend": backend}
                result["runs"].append(run)
                measure(location, units, args.slice, run, lambda: emit(result, args.out),
                        server=backend == "postgres")
                if backend == "sqlite":
                    shutil.rmtree(location, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
