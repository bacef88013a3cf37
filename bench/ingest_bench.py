"""Ingest benchmark: our ingestion vs a plain `SentenceTransformer.encode` of the same texts.

    python bench/ingest_bench.py ../shared/data/scifact/corpus.jsonl [--limit N] [--out FILE]

Both run in this one process on the same loaded model: first our `RagIndex.add_paths` into a
fresh folder (recording every text it embeds), then `encode` of exactly those texts in one call.
Peak memory of the plain encode is read in a fresh subprocess (ru_maxrss never goes down).
Prints a JSON record: wall and CPU seconds of each, their ratio, units/s, disk size versus the
raw float32 vectors, peak RSS, and the time of a second, unchanged ingest.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _emit import emit  # noqa: E402

from rag_agent import RagIndex, SentenceTransformerEmbedder  # noqa: E402


class Recording(SentenceTransformerEmbedder):
    """The default embedder, remembering every text it was asked to embed."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def encode(self, texts):  # type: ignore[override]
        self.texts.extend(texts)
        return super().encode(texts)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def encode_only(texts_file: Path) -> None:
    """Peak RSS of loading the model and encoding the texts, in a fresh process."""
    texts = json.loads(texts_file.read_text())
    emb = SentenceTransformerEmbedder()
    emb.model.encode(texts, batch_size=emb.batch_size, normalize_embeddings=True,
                     convert_to_numpy=True, show_progress_bar=False)
    print(json.dumps({"peak_rss_mb": round(_rss_mb())}))


def main() -> None:
    if sys.argv[1:2] == ["--encode-only"]:
        return encode_only(Path(sys.argv[2]))
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--limit", type=int, default=0, help="first N records only (JSONL)")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    corpus = args.corpus
    work = Path(tempfile.mkdtemp(prefix="rag-bench-"))
    if args.limit:
        sliced = work / "corpus.jsonl"
        with corpus.open() as src, sliced.open("w") as dst:
            dst.writelines(itertools.islice(src, args.limit))
        corpus = sliced

    emb = Recording()
    emb.encode(["warm up the model"] * 64)
    emb.texts.clear()
    rss_model = _rss_mb()

    t0, c0 = time.perf_counter(), time.process_time()
    index = RagIndex.open(work / "index", embedder=emb)
    report = index.add_paths([corpus], progress=True)
    index.close()
    ours_wall, ours_cpu = time.perf_counter() - t0, time.process_time() - c0
    rss_ingest = _rss_mb()

    t0 = time.perf_counter()
    with RagIndex.open(work / "index", embedder=emb) as index:
        again = index.add_paths([corpus])
        stats = index.stats()
    reingest_wall = time.perf_counter() - t0

    texts = list(emb.texts)
    texts_file = work / "texts.json"
    texts_file.write_text(json.dumps(texts))
    rss_base = json.loads(subprocess.run(
        [sys.executable, __file__, "--encode-only", str(texts_file)],
        check=True, capture_output=True, text=True).stdout)
    t0, c0 = time.perf_counter(), time.process_time()
    emb.model.encode(texts, batch_size=emb.batch_size, normalize_embeddings=True,
                     convert_to_numpy=True, show_progress_bar=False)
    base_wall, base_cpu = time.perf_counter() - t0, time.process_time() - c0

    result = {
        "corpus": str(args.corpus), "limit": args.limit, "documents": report.documents,
        "parents": report.parents, "children": report.children, "sentences": report.sentences,
        "summaries": report.summaries, "units": report.units, "embedded_texts": len(texts),
        "ingest_s": round(ours_wall, 1), "ingest_cpu_s": round(ours_cpu, 1),
        "encode_s": round(base_wall, 1), "encode_cpu_s": round(base_cpu, 1),
        "ratio_wall": round(ours_wall / base_wall, 3), "ratio_cpu": round(ours_cpu / base_cpu, 3),
        "units_per_s": round(report.units / ours_wall, 1),
        "reingest_unchanged_s": round(reingest_wall, 2), "reingest_embedded": again.embedded,
        "disk_mb": round(stats.disk_bytes / 1e6, 1),
        "raw_vectors_mb": round(stats.raw_vector_bytes / 1e6, 1),
        "disk_to_raw": round(stats.disk_bytes / stats.raw_vector_bytes, 2),
        "peak_rss_mb_model_loaded": round(rss_model), "peak_rss_mb_after_ingest": round(rss_ingest),
        "peak_rss_mb_plain_encode_subprocess": rss_base["peak_rss_mb"],
        "peak_rss_ratio": round(rss_ingest / rss_base["peak_rss_mb"], 2),
        "skipped": len(report.skipped),
    }
    emit(result, args.out)


if __name__ == "__main__":
    sys.exit(main())
