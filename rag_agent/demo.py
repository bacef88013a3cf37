"""`make demo`: ingest a corpus (default: this repository's own docs) and run a few retrievals.

    python -m rag_agent.demo [PATH ...] [--index DIR]

Runs offline on the packaged embedding model; a second ingest shows that unchanged files cost
no embedding work.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rag_agent.index.store import RagIndex

REPO = Path(__file__).resolve().parent.parent
QUESTIONS = [
    ("summary", "What is this project about?", None),
    ("sentence", "How does the index survive a crash during ingestion?", None),
    ("child", "Which metadata filter operators are supported?", None),
    ("child", "How are documents split into parents and children?",
     {"file_type": {"$in": ["md"]}}),
]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="rag-agent-demo", description=__doc__)
    ap.add_argument("paths", nargs="*", type=Path)
    ap.add_argument("--index", type=Path, default=REPO / ".demo_index")
    args = ap.parse_args(argv)
    paths = args.paths or [REPO / "README.md", REPO / "docs"]

    with RagIndex.open(args.index) as index:
        print(f"== ingest {', '.join(str(p) for p in paths)}")
        report = index.add_paths(paths, progress=True)
        print("\n".join(report.summary_lines()))
        print("\n".join(index.stats().lines()))
        for kind, question, flt in QUESTIONS:
            print(f"\n== [{kind}] {question}" + (f"  filter={flt}" if flt else ""))
            for hit in index.search(question, kind=kind, k=3, filter=flt):
                where = Path(hit.source_id).name
                text = " ".join(hit.text.split())
                print(f"  {hit.score:.3f}  {where}#{hit.position}  {text[:160]}")
        print("\n== ingest again (unchanged files are not embedded again)")
        again = index.add_paths(paths)
        print("\n".join(again.summary_lines()[:3]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
