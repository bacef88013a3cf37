"""One write operation on an index, reporting each commit, for the kill-at-random-points test.

    python chaos_worker.py INDEX_DIR '{"op": "write", "version": 3, "sources": ["s01", ...]}'
    python chaos_worker.py INDEX_DIR '{"op": "delete", "sources": ["s04", ...]}'

Prints READY once the model is loaded, 'ACK <doc ids>' after each committed batch of a write,
'DEL <source>' after each committed delete, and DONE at the end.
"""

from __future__ import annotations

import json
import sys

from rag_agent import IndexConfig, RagIndex
from tests.integration.chaos import document


def main() -> None:
    index_dir, spec = sys.argv[1], json.loads(sys.argv[2])
    index = RagIndex.open(index_dir, config=IndexConfig(batch_docs=2))
    index.embedder.encode(["warm up"])
    print("READY", flush=True)
    if spec["op"] == "write":
        docs = [document(s, spec["version"]) for s in spec["sources"]]
        index.add_documents(docs, on_commit=lambda ids: print("ACK " + " ".join(ids),
                                                              flush=True))
    else:
        for source in spec["sources"]:
            index.delete_source(source)
            print(f"DEL {source}", flush=True)
    index.close()
    print("DONE", flush=True)


if __name__ == "__main__":
    main()
