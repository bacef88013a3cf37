"""SciFact test (300 claims): nDCG@10, recall@100, MRR@10 of our retrievers, by document id.

    python bench/scifact_eval.py --index /tmp/scifact_index [--out FILE]

Uses an index built by `rag-agent ingest ../shared/data/scifact/corpus.jsonl` (built here if the
folder is empty). Each retriever's passages are mapped to their documents (first occurrence
ranks). Part of issue 4; the stock LangChain, BM25 and LlamaIndex baselines are not here yet.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _emit import emit  # noqa: E402

from rag_agent import RagIndex  # noqa: E402
from rag_agent.eval.beir import load_beir  # noqa: E402
from rag_agent.eval.runner import evaluate, our_rankers  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "scifact"


def baselines(corpus: Path, embedder) -> dict:  # noqa: ANN001
    """Rankers a user of the stock libraries would write, on the same model."""
    import json
    import time

    import bm25s
    from langchain_community.vectorstores import FAISS
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    records = [json.loads(line) for line in corpus.open()]
    ids = [r["_id"] for r in records]
    texts = [f"{r['title']}\n{r['text']}" for r in records]
    bm25 = bm25s.BM25()
    bm25.index(bm25s.tokenize(texts, stopwords="en", show_progress=False), show_progress=False)

    def rank_bm25(query: str) -> list[str]:
        found, _ = bm25.retrieve(bm25s.tokenize([query], stopwords="en", show_progress=False),
                                 k=100, show_progress=False)
        return [ids[i] for i in found[0]]

    t0 = time.perf_counter()
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    chunks = splitter.split_documents(
        [Document(page_content=t, metadata={"_id": i}) for i, t in zip(ids, texts, strict=True)])
    store = FAISS.from_documents(chunks, embedder)
    print(f"stock LangChain: {len(chunks)} chunks embedded in {time.perf_counter() - t0:.0f} s",
          file=sys.stderr)

    def rank_naive(query: str) -> list[str]:
        return [d.metadata["_id"] for d in store.similarity_search(query, k=100)]

    return {"BM25 (bm25s, title + text)": rank_bm25,
            "stock LangChain: RecursiveCharacterTextSplitter(1000, 200) + FAISS": rank_naive}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--baselines", action="store_true",
                    help="also BM25 (bm25s) and stock LangChain chunks + FAISS (re-embeds the "
                         "corpus: about 10 minutes)")
    args = ap.parse_args()
    data = load_beir(args.data)
    index = RagIndex.open(args.index)
    if index.stats().documents == 0:
        index.add_paths([data.corpus], progress=True)
    rankers = our_rankers(index)
    if args.baselines:
        rankers.update(baselines(data.corpus, index.embedder))
    result = evaluate(data, rankers)
    emit(result, args.out)


if __name__ == "__main__":
    sys.exit(main())
