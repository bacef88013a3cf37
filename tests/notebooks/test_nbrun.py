"""The staleness checks themselves: an edited cell and a changed output are both caught."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from tests.notebooks.nbrun import compare, execute, stale_cells, text_outputs


def _notebook(tmp_path: Path, *sources: str) -> Path:
    path = tmp_path / "nb.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell(s) for s in sources]), path)
    return path


def test_executed_cells_are_stamped_and_edits_are_caught(tmp_path: Path) -> None:
    path = _notebook(tmp_path, "print('a')", "1 + 1")
    assert stale_cells(nbformat.read(path, as_version=4)) == [0, 1]  # never executed
    nb = execute(path)
    assert stale_cells(nb) == [] and [text_outputs(c) for c in nb.cells] == ["a", "2"]
    nb.cells[1].source = "1 + 2"  # edited, not re-run
    assert stale_cells(nb) == [1]


def test_a_fresh_run_that_prints_otherwise_is_caught(tmp_path: Path) -> None:
    path = _notebook(tmp_path, "print('/x/y/shared/data/scifact at 0x7f00aa')", "print(3)")
    stored = execute(path)
    fresh = execute(path)
    assert compare(stored, fresh) == []  # same text (paths and addresses normalized)
    stored.cells[1].outputs[0]["text"] = "4\n"
    assert compare(stored, fresh) == [
        "cell 1: stored output '4' but a fresh run prints '3' (from character 0)"]
    stored.cells[1].metadata["tags"] = ["volatile"]  # timings: run, not compared
    assert compare(stored, fresh) == []
