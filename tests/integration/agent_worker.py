"""Runs the agent on questions over an index and prints what it answered, as JSON (run by
test_agent_determinism in separate processes, each with its own PYTHONHASHSEED).

    python agent_worker.py INDEX_DIR QUESTION [QUESTION ...]
"""

from __future__ import annotations

import json
import sys

from rag_agent import RagIndex, build_agent


def main() -> None:
    folder, questions = sys.argv[1], sys.argv[2:]
    out = []
    with RagIndex.open(folder, create=False) as index:
        agent = build_agent(index)
        for question in questions:
            final = agent.invoke({"question": question})
            out.append({
                "question": question, "task": final.get("task"), "targets": final.get("targets"),
                "inferred_filter": final.get("inferred_filter"), "answer": final["answer"],
                "passages": [[d.id, d.metadata.get("source_id"), d.metadata.get("target"),
                              d.page_content] for d in final["passages"]],
                "citations": [[c["n"], c["source_id"]] for c in final["citations"]]})
    print(json.dumps(out, sort_keys=True, default=str))


if __name__ == "__main__":
    main()
