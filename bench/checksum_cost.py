"""What checksumming the FAISS files costs: a save and an open, with and without SHA-256.

    python bench/checksum_cost.py [--units 70555] [--repeat 3] [--out FILE]

Synthetic unit vectors (384-d float32, the packaged model's size; the default 70,555 units,
split by kind as there, is the SciFact index: about 100 MB of vectors) are saved with the index's own
`save_collections` and opened with its own `load_collections`, which hash every file. The
baselines in the same process are the same steps without the hash: FAISS's own
`write_index` to a file with the same atomic rename, and its own `read_index`. Each figure is the median of
`--repeat` runs; the result is the checksum's share of each step, as a ratio.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))

import faiss  # noqa: E402
import numpy as np  # noqa: E402
from _emit import emit  # noqa: E402

from rag_agent.index import vectors  # noqa: E402

DIM = 384
SHARES = {"child": 13562 / 70555, "sentence": 44571 / 70555, "summary": 5183 / 70555}
"""Units per kind, as in the SciFact index (bench/results/ingest_scifact.json)."""


def _collections(units: int) -> dict[str, vectors.VectorCollection]:
    rng = np.random.default_rng(0)
    out, start = {}, 1
    for kind, share in SHARES.items():
        n = int(units * share)
        coll = vectors.VectorCollection(kind, DIM)
        vecs = rng.standard_normal((n, DIM)).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        coll.add(np.arange(start, start + n, dtype=np.int64), vecs)
        out[kind], start = coll, start + n
    return out


def _median(step, repeat: int) -> float:  # noqa: ANN001
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=70_555)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    colls = _collections(args.units)
    with tempfile.TemporaryDirectory() as tmp:
        folder, plain = Path(tmp) / "index", Path(tmp) / "plain"  # a save prunes other files
        folder.mkdir()
        plain.mkdir()
        generation = iter(range(1, 10_000))

        def plain_save() -> None:  # the same writes, no hash
            for kind, coll in colls.items():
                tmp = plain / f"{kind}.faiss.tmp"
                faiss.write_index(coll.index, str(tmp))
                with open(tmp, "rb") as fh:
                    os.fsync(fh.fileno())
                os.replace(tmp, plain / f"{kind}.faiss")
            fd = os.open(plain, os.O_RDONLY)
            os.fsync(fd)
            os.close(fd)

        def checked_save() -> None:
            vectors.save_collections(folder, colls, next(generation))

        save_plain = _median(plain_save, args.repeat)
        save_checked = _median(checked_save, args.repeat)
        gen = vectors.saved_generation(folder)
        conn = sqlite3.connect(":memory:")  # the counts query needs a units table
        conn.execute("CREATE TABLE units (kind TEXT)")
        conn.executemany("INSERT INTO units VALUES (?)",
                         [(k,) for k, c in colls.items() for _ in range(c.ntotal)])

        def plain_open() -> None:
            for kind in colls:
                faiss.read_index(str(plain / f"{kind}.faiss"))

        def checked_open() -> None:
            loaded, rebuilt = vectors.load_collections(folder, conn, DIM, gen)
            assert not rebuilt, rebuilt  # every file matched its checksum

        open_plain = _median(plain_open, args.repeat)
        open_checked = _median(checked_open, args.repeat)
        size = sum(p.stat().st_size for p in plain.glob("*.faiss"))
        raw = (plain / "sentence.faiss").read_bytes()
        hash_rate = len(raw) / _median(lambda: hashlib.sha256(raw).hexdigest(), args.repeat)
    emit({
        "units": args.units, "dim": DIM, "faiss_bytes": size, "repeat": args.repeat,
        "save_s": {"without_checksum": round(save_plain, 3), "with_checksum": round(save_checked, 3),
                   "ratio": round(save_checked / save_plain, 3)},
        "open_s": {"without_checksum": round(open_plain, 3), "with_checksum": round(open_checked, 3),
                   "ratio": round(open_checked / open_plain, 3)},
        "sha256_mb_per_s": round(hash_rate / 1e6, 1),
        "note": "open with checksum also runs the index's per-kind count query (in memory)",
    }, args.out)


if __name__ == "__main__":
    main()
