"""Retrieval quality with each encoder: SciFact test nDCG@10 of our retrievers over an index
built by torch, the same index queried through ONNX fp32, and an index built by ONNX int8.

    python bench/encoder_quality.py [--data ../shared/data] [--workdir /tmp/rag_agent_eval]
        [--out FILE]

The torch index is the one `rag-agent eval scifact` builds in WORKDIR/scifact/ours (built here
if missing); the int8 index goes to WORKDIR/scifact/ours-onnx-int8 (reused when present). All
strategies run through the harness's `evaluate`, so the figures are the harness's. Prints one
JSON record: per encoder and strategy, the set's metrics, and the int8 ingest time.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _emit import emit  # noqa: E402

from rag_agent import RagIndex  # noqa: E402
from rag_agent.eval.datasets import SPECS, load_dataset  # noqa: E402
from rag_agent.eval.ours import as_source_documents, our_strategies  # noqa: E402
from rag_agent.eval.runner import evaluate  # noqa: E402
from rag_agent.onnx_encoder import OnnxEmbedder  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/rag_agent_eval"))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    data = load_dataset("scifact", args.data)
    docs = as_source_documents(data.docs)
    route = SPECS["scifact"].route_docs
    folder = args.workdir / "scifact"
    record: dict = {"queries": len(data.queries), "documents": len(data.docs), "encoders": {}}
    builds = {}
    for name, path, embedder in [("torch", folder / "ours", None),
                                 ("onnx-fp32 (queries; torch-built index)", folder / "ours",
                                  OnnxEmbedder()),
                                 ("onnx-int8", folder / "ours-onnx-int8",
                                  OnnxEmbedder(precision="int8"))]:
        with RagIndex.open(path, embedder=embedder) as index:
            start = time.perf_counter()
            report = index.add_documents(docs)  # nothing to do when the index is complete
            builds[name] = {"seconds": round(time.perf_counter() - start, 1),
                            "embedded": report.embedded}
            strategies = {k: v for k, v in our_strategies(index, route_docs=route).items()
                          if "no routing" not in k}
            scores = evaluate(data, strategies)
            record["encoders"][name] = {
                k: {m: v for m, v in s["all"].items() if not m.startswith("n:")}
                for k, s in scores.items()}
    record["builds"] = builds
    emit(record, args.out)


if __name__ == "__main__":
    main()
