"""Ingests a folder, printing 'ACK <doc ids>' after each committed batch (run by test_crash).

    python crash_worker.py INDEX_DIR CORPUS_DIR KILL_IN_SAVE

With KILL_IN_SAVE = N > 0, the N-th FAISS file write stops half-way and the process SIGKILLs
itself, as a power cut would.
"""

from __future__ import annotations

import os
import signal
import sys

from rag_agent import IndexConfig, RagIndex
from rag_agent.index import vectors


def main() -> None:
    index_dir, corpus, kill_in_save = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if kill_in_save:
        calls = {"n": 0}
        real_write = vectors.write_index

        def dying_write(path, faiss_index):
            calls["n"] += 1
            if calls["n"] == kill_in_save:
                real_write(path, faiss_index)
                with open(path, "r+b") as fh:  # leave a truncated file behind
                    fh.truncate(os.path.getsize(path) // 2)
                print("KILL-IN-SAVE", flush=True)
                os.kill(os.getpid(), signal.SIGKILL)
            return real_write(path, faiss_index)

        vectors.write_index = dying_write
    index = RagIndex.open(index_dir, config=IndexConfig(batch_docs=2))

    def ack(doc_ids: list[str]) -> None:
        print("ACK " + " ".join(doc_ids), flush=True)
        index.save()

    index.add_paths([corpus], on_commit=ack)
    index.close()
    print("DONE", flush=True)


if __name__ == "__main__":
    main()
