"""Large files: peak memory and time of ingesting a 1 MB and a 50 MB text file.

    python bench/large_file.py [--blocks 50] [--block-chars 1000000] [--out FILE]

Each file is ingested into a fresh index with the packaged model, in a subprocess of its own
(`--worker`), so each peak RSS (`resource.getrusage`) belongs to one ingest. The 1 MB file is one
block of distinct prose sentences, exactly `IndexConfig.max_document_chars` characters ending at
a paragraph break; the 50 MB file is that block repeated, so each of its parts is one block and
every sentence and child text after the first part reuses a stored vector (the record says how
many texts were embedded, so this is checked, not assumed). Memory that grows with the index
itself (FAISS holds every vector in memory) is reported beside the peak. `--block-chars` scales
the whole run down (block and `max_document_chars` alike) where the full one takes too long.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))

from _emit import emit  # noqa: E402

from rag_agent.settings import IndexConfig  # noqa: E402

BLOCK_CHARS = IndexConfig.max_document_chars
RIVERS = ["Danube", "Rhine", "Loire", "Elbe", "Tagus", "Oder", "Vistula", "Rhone", "Po", "Ebro"]
THINGS = ["the ferry timetable", "a grain barge", "the lock keeper", "spring floods",
          "the night shift", "a survey boat", "the harbour crane", "winter ice"]
VERBS = ["delayed", "reported", "recorded", "inspected", "repaired", "measured"]
MONTHS = ["January", "March", "April", "June", "August", "October", "November", "December"]


def block(chars: int = BLOCK_CHARS) -> str:
    """Distinct sentences in paragraphs of five, exactly `chars` long, ending in a blank line."""
    paras, size, n = [], 0, 0
    while True:
        sents = []
        for _ in range(5):
            sents.append(f"In {MONTHS[n % 8]} of year {1800 + n // 40}, station {n} on the "
                         f"{RIVERS[n % 10]} {VERBS[n % 6]} {THINGS[(n // 3) % 8]} at "
                         f"{(n * 37) % 1000} metres.")
            n += 1
        para = " ".join(sents) + "\n\n"
        if size + len(para) > chars - 2:
            break
        paras.append(para)
        size += len(para)
    text = "".join(paras)
    return text[:-2] + " " * (chars - len(text)) + "\n\n"  # pad the last paragraph's end


def worker(path: Path, index_dir: Path, max_chars: int) -> dict:
    """Ingest one file into a fresh index; what it cost (run in its own process)."""
    import psutil

    from rag_agent import RagIndex, SentenceTransformerEmbedder

    emb = SentenceTransformerEmbedder()
    emb.model  # noqa: B018 - load before the clock starts
    loaded_rss = psutil.Process().memory_info().rss
    loaded_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    started = time.perf_counter()
    config = IndexConfig(max_document_chars=max_chars)
    with RagIndex.open(index_dir, embedder=emb, config=config) as index:
        report = index.add_paths([path])
        seconds = time.perf_counter() - started
        vectors = sum(c.ntotal for c in index.collections.values())
        faiss_bytes = vectors * index.dim * 4
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {
        "file_mb": round(path.stat().st_size / 1e6, 1),
        "seconds": round(seconds, 1),
        "documents": report.documents,
        "skipped": [s.reason for s in report.skipped],
        "units": report.units,
        "embedded": report.embedded,
        "reused_vectors": report.reused_vectors,
        "peak_rss_mb": round(peak / 1e6),
        "rss_after_model_load_mb": round(loaded_rss / 1e6),
        "peak_rss_before_ingest_mb": round(loaded_peak / 1e6),
        "faiss_in_memory_mb": round(faiss_bytes / 1e6),
        "peak_rss_less_faiss_mb": round((peak - faiss_bytes) / 1e6),
    }


def run(path: Path, index_dir: Path, max_chars: int) -> dict:
    cmd = [sys.executable, __file__, "--worker", str(path), str(index_dir), str(max_chars)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return {"error": proc.stderr[-2000:], "returncode": proc.returncode}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--blocks", type=int, default=50)
    ap.add_argument("--block-chars", type=int, default=BLOCK_CHARS)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--worker", nargs=3, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(Path(args.worker[0]), Path(args.worker[1]),
                                int(args.worker[2]))))
        return 0
    work = Path(tempfile.mkdtemp(prefix="rag-large-"))
    one = block(args.block_chars)
    small, large = work / "block_small.txt", work / "block_large.txt"
    small.write_text(one)
    with large.open("w") as fh:
        for _ in range(args.blocks):
            fh.write(one)
    del one
    results = {"small": run(small, work / "ix-small", args.block_chars),
               "large": run(large, work / "ix-large", args.block_chars)}
    a, b = results["small"], results["large"]
    ratio = {}
    if "error" not in a and "error" not in b:
        ratio = {
            "peak_rss": round(b["peak_rss_mb"] / a["peak_rss_mb"], 2),
            "peak_rss_less_faiss": round(b["peak_rss_less_faiss_mb"] / a["peak_rss_less_faiss_mb"],
                                         2),
            "seconds": round(b["seconds"] / max(a["seconds"], 1e-9), 2),
            "embedded": round(b["embedded"] / max(a["embedded"], 1), 2),
        }
    result = {
        "command": " ".join(["python", "bench/large_file.py", *sys.argv[1:]]),
        "max_document_chars": args.block_chars,
        "block_chars": args.block_chars,
        "blocks": args.blocks,
        "cpus": os.cpu_count(),
        "results": results,
        "ratio_large_to_small": ratio,
    }
    emit(result, args.out)
    for path in work.rglob("*"):
        if path.is_file():
            path.unlink()
    return 0 if ratio else 1


if __name__ == "__main__":
    sys.exit(main())
