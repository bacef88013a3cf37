"""Encoder benchmark: torch against ONNX Runtime (fp32 and int8) on the same texts, one process.

    python bench/encoder_bench.py [--corpus ../shared/data/scifact/corpus.jsonl] [--texts N]
        [--queries N] [--rounds R] [--out FILE]

The texts are what ingestion embeds: every sentence and every 200-token window of the first
SciFact abstracts, each under its title ("<title>\\n<text>"). Each encoder encodes all of them
`rounds` times, interleaved (torch, fp32, int8, torch, ...), so machine load hits each alike;
throughput is the best round. Vectors are compared with torch's (cosine per text), and query
latency is the p50 of one-query encodes of the claims. Prints one JSON record.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _emit import emit  # noqa: E402

from rag_agent import SentenceTransformerEmbedder  # noqa: E402
from rag_agent.ingest.sentences import split_sentences  # noqa: E402
from rag_agent.onnx_encoder import OnnxEmbedder  # noqa: E402


def _texts(corpus: Path, limit: int) -> list[str]:
    out: list[str] = []
    for line in corpus.open():
        rec = json.loads(line)
        title, text = rec.get("title", ""), rec.get("text", "")
        out += [f"{title}\n{s.text}" for s in split_sentences(text)]
        words = text.split()
        out += [f"{title}\n{' '.join(words[i:i + 150])}" for i in range(0, len(words), 150)]
        if len(out) >= limit:
            return out[:limit]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path,
                        default=Path("../shared/data/scifact/corpus.jsonl"))
    parser.add_argument("--claims", type=Path,
                        default=Path("../shared/data/scifact/queries.jsonl"))
    parser.add_argument("--texts", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    texts = _texts(args.corpus, args.texts)
    queries = [json.loads(line)["text"] for line in args.claims.open()][:args.queries]
    encoders = {"torch": SentenceTransformerEmbedder(), "onnx-fp32": OnnxEmbedder(),
                "onnx-int8": OnnxEmbedder(precision="int8")}
    for enc in encoders.values():
        enc.encode(texts[:8])  # load (and export) before timing
    best = {name: float("inf") for name in encoders}
    vectors: dict[str, np.ndarray] = {}
    for _ in range(args.rounds):
        for name, enc in encoders.items():
            start = time.perf_counter()
            vectors[name] = enc.encode(texts)
            best[name] = min(best[name], time.perf_counter() - start)
    latency = {}
    for name, enc in encoders.items():
        times = []
        for q in queries:
            start = time.perf_counter()
            enc.encode([q])
            times.append(time.perf_counter() - start)
        latency[name] = round(float(np.percentile(times, 50)) * 1000, 2)
    record = {"texts": len(texts), "queries": len(queries), "rounds": args.rounds,
              "mean_chars": round(float(np.mean([len(t) for t in texts])), 1), "encoders": {}}
    for name in encoders:
        cos = (vectors[name] * vectors["torch"]).sum(axis=1)
        record["encoders"][name] = {
            "texts_per_s": round(len(texts) / best[name], 1),
            "speedup_vs_torch": round(best["torch"] / best[name], 2),
            "cosine_to_torch_min": round(float(cos.min()), 5),
            "cosine_to_torch_mean": round(float(cos.mean()), 5),
            "query_p50_ms": latency[name],
        }
    emit(record, args.out)


if __name__ == "__main__":
    main()
