"""Switches an index to the model in a folder, printing 'ENCODED' after every batch it embeds
(run by test_finetune_model, which SIGKILLs it at chosen points).

    python switch_worker.py INDEX_DIR MODEL_DIR BATCH [die-after-commit]

With 'die-after-commit' the process SIGKILLs itself once the switch has committed, before the
FAISS files are saved, as a power cut would.
"""

from __future__ import annotations

import os
import signal
import sys

from rag_agent import RagIndex
from rag_agent.index import model_switch
from rag_agent.models import SentenceTransformerEmbedder


def main() -> None:
    index_dir, model_dir, batch = sys.argv[1], sys.argv[2], int(sys.argv[3])
    model_switch.BATCH = batch
    real_encode = SentenceTransformerEmbedder.encode

    def encode(self: SentenceTransformerEmbedder, texts: list[str]):
        rows = real_encode(self, texts)
        print("ENCODED", len(texts), flush=True)
        return rows

    SentenceTransformerEmbedder.encode = encode  # type: ignore[method-assign]
    index = RagIndex.open(index_dir, create=False)
    report = index.switch_model(model_dir)
    print("SWITCHED", report.embedded, report.resumed, flush=True)
    if sys.argv[4:] == ["die-after-commit"]:
        os.kill(os.getpid(), signal.SIGKILL)
    index.close()
    print("DONE", flush=True)


if __name__ == "__main__":
    main()
