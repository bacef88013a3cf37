"""Execute the notebooks and tell when their stored outputs are stale.

    python -m tests.notebooks.nbrun notebooks/*.ipynb          # execute, write outputs back
    python -m tests.notebooks.nbrun --check notebooks/*.ipynb  # execute, compare, write nothing

Each executed code cell gets `metadata.rag_agent.source_sha`, the hash of the source it ran.
A notebook is stale when a cell's source no longer matches its stamp (edited, not re-run) or
when a fresh run prints other text than the stored outputs (the library changed under it).
Text is compared, not images: PNG bytes differ between matplotlib builds. Absolute paths up to
`shared/data/` are compared from there on (a clone may live anywhere). A cell tagged
`volatile` (timings; `draw_ascii`, whose layout varies between runs) is executed but its text
is not compared.

The kernel runs offline with progress bars off, so stored outputs hold what a reader needs.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbformat import NotebookNode

__all__ = ["compare", "execute", "stale_cells", "text_outputs"]

_ADDRESS = re.compile(r" at 0x[0-9a-f]+")
_DATA_PATH = re.compile(r"/[^\s'\"()\[\]]*/shared/data/")
KERNEL_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
              "TQDM_DISABLE": "1", "HF_HUB_DISABLE_PROGRESS_BARS": "1",
              "PYTHONWARNINGS": "ignore:IProgress not found"}


def _sha(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def execute(path: Path, *, timeout: int = 900) -> NotebookNode:
    """The notebook at `path` run top to bottom in a fresh kernel, its cells stamped."""
    nb = nbformat.read(path, as_version=4)
    os.environ.update(KERNEL_ENV)  # the kernel inherits this process's environment
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent.resolve())}}).execute()
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.metadata["rag_agent"] = {"source_sha": _sha(cell.source)}
    return nb


def stale_cells(nb: NotebookNode) -> list[int]:
    """Code cells whose source differs from what was last executed (or never was)."""
    return [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
            and cell.metadata.get("rag_agent", {}).get("source_sha") != _sha(cell.source)]


def text_outputs(cell: NotebookNode) -> str:
    """What a reader sees as text: stdout, results and displays (not stderr, not images)."""
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream" and out.name == "stdout":
            parts.append(out.text)
        elif out.output_type in ("execute_result", "display_data"):
            data = out.get("data", {})
            if "text/plain" in data and not any(k.startswith("image/") for k in data):
                parts.append(data["text/plain"])
        elif out.output_type == "error":
            parts.append(f"{out.ename}: {out.evalue}")
    text = _DATA_PATH.sub(".../shared/data/", "".join(parts))
    return _ADDRESS.sub(" at 0x…", text).rstrip()


def compare(stored: NotebookNode, fresh: NotebookNode) -> list[str]:
    """Cells whose stored text differs from a fresh run's, each shown where the texts part."""
    problems = []
    pairs = zip(stored.cells, fresh.cells, strict=True)
    for i, (old, new) in enumerate(pairs):
        if old.cell_type != "code" or "volatile" in old.metadata.get("tags", []):
            continue
        before, after = text_outputs(old), text_outputs(new)
        if before != after:
            at = _first_difference(before, after)
            start = max(0, at - 60)
            problems.append(f"cell {i}: stored output {before[start:at + 120]!r} but a fresh "
                            f"run prints {after[start:at + 120]!r} (from character {start})")
    return problems


def _first_difference(a: str, b: str) -> int:
    """The index of the first character where two texts part."""
    return next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y),
                min(len(a), len(b)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--check", action="store_true",
                        help="compare with the stored outputs instead of writing them")
    args = parser.parse_args(argv)
    failed = 0
    for path in args.paths:
        start = time.perf_counter()
        fresh = execute(path)
        seconds = time.perf_counter() - start
        if args.check:
            problems = compare(nbformat.read(path, as_version=4), fresh)
            failed += bool(problems)
            for line in problems:
                print(f"{path}: {line}")
        else:
            nbformat.write(fresh, path)
        print(f"{path}: executed in {seconds:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
