"""Fuzz ingest: one `add_paths` call over a folder of hostile files mixed with good ones.

    python bench/fuzz_ingest.py [--long-line-chars N] [--out bench/results/fuzz_ingest.json]

The corpus is `tests/integration/bad_files.write_corpus` (links that loop or break, a FIFO, a
device, chmod 000 files and folders, NUL bytes past 8 KB, invalid UTF-8, UTF-16, lone
surrogates, a 2,000,000-character line, 1,100 nested folders, odd names, broken JSON, PDF, HTML
and front matter), ingested with the packaged model. Prints a JSON record: files tried,
ingested, skipped with a reason, failed (neither stored nor reported, or not what the case
expects; must be 0), seconds, and the per-file table. Exits 1 if anything failed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))

from _emit import emit  # noqa: E402

from rag_agent import RagIndex, SentenceTransformerEmbedder  # noqa: E402
from tests.integration.bad_files import outcomes, remove_corpus, write_corpus  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--long-line-chars", type=int, default=2_000_000)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="rag-fuzz-"))
    corpus = work / "corpus"
    cases = write_corpus(corpus, long_line_chars=args.long_line_chars)
    emb = SentenceTransformerEmbedder()
    emb.model  # noqa: B018 - load before the clock starts
    error = ""
    rows: list[dict[str, str]] = []
    started = time.perf_counter()
    try:
        with RagIndex.open(work / "index", embedder=emb) as index:
            report = index.add_paths([corpus])
            seconds = time.perf_counter() - started
            rows = outcomes(corpus, cases, report, index)
            documents, units = report.documents, report.units
    except Exception as exc:  # noqa: BLE001 - the benchmark records a raise as a failure
        seconds, documents, units = time.perf_counter() - started, 0, 0
        error = f"{type(exc).__name__}: {exc}"
    finally:
        remove_corpus(corpus)
    failed = [r for r in rows if r["outcome"] != r["expected"]
              or (r["outcome"] == "skipped" and not r["reason"])]
    result = {
        "command": "python bench/fuzz_ingest.py --out bench/results/fuzz_ingest.json",
        "as_root": os.geteuid() == 0,
        "files_tried": len(cases),
        "ingested": sum(r["outcome"] == "ingested" for r in rows),
        "skipped_with_reason": sum(r["outcome"] == "skipped" and bool(r["reason"]) for r in rows),
        "failed": len(failed) + (len(cases) if error else 0),
        "raised": error,
        "documents": documents, "units": units, "seconds": round(seconds, 2),
        "files": rows,
    }
    emit(result, args.out)
    return 1 if result["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
