"""`make demo`: ingest a corpus (default: this repository's own docs) and ask the agent three
questions, one of each task, printing task, tool, answer and citations.

    python -m rag_agent.demo [PATH ...] [--index DIR] [--question Q ...]

Runs offline (packaged embedding model, offline classifier, extractive answers). Set
RAG_AGENT_LLM_BASE_URL (and RAG_AGENT_LLM_MODEL) to let a chat model write the answers.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rag_agent.agent.graph import build_agent
from rag_agent.index.store import RagIndex
from rag_agent.studio import chat_model_from_env

REPO = Path(__file__).resolve().parent.parent
QUESTIONS = [
    "How does the index survive a process killed during ingestion?",
    "Summarize what this project is about.",
    "Compare the SQLite file and the FAISS files of an index.",
]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="rag-agent-demo", description=__doc__)
    ap.add_argument("paths", nargs="*", type=Path)
    ap.add_argument("--index", type=Path, default=REPO / ".demo_index")
    ap.add_argument("--question", action="append", default=None)
    args = ap.parse_args(argv)
    paths = args.paths or [REPO / "README.md", REPO / "docs"]

    with RagIndex.open(args.index) as index:
        print(f"== ingest {', '.join(str(p) for p in paths)}")
        report = index.add_paths(paths, progress=True)
        print("\n".join(report.summary_lines()))
        print("\n".join(index.stats().lines()))
        agent = build_agent(index, chat_model_from_env())
        for question in args.question or QUESTIONS:
            out = agent.invoke({"question": question})
            print(f"\n== {question}")
            print(f"task: {out['task']}   tool: {out['tool']}"
                  + (f"   targets: {', '.join(out['targets'])}" if out.get("targets") else ""))
            print(f"answer: {out['answer']}")
            for c in out["citations"]:
                print(f"  [{c['n']}] {c['title']} ({Path(c['source_id']).name})")
        print("\n== ingest again (unchanged files are not embedded again)")
        print("\n".join(index.add_paths(paths).summary_lines()[:3]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
