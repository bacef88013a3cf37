"""Every notebook runs top to bottom, offline, and its stored outputs are what it prints now."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from tests.notebooks.nbrun import compare, execute, stale_cells

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))
DATA = Path(__file__).resolve().parents[3] / "shared" / "data"

pytestmark = [pytest.mark.integration, pytest.mark.data]


def test_there_are_notebooks() -> None:
    assert len(NOTEBOOKS) >= 5, [p.name for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_outputs_are_current(path: Path) -> None:
    stored = nbformat.read(path, as_version=4)
    stale = stale_cells(stored)
    assert not stale, (f"{path.name}: cells {stale} were edited after the last run; "
                       f"re-run `make notebooks`")
    if not DATA.is_dir():
        pytest.skip(f"{DATA} is absent: the notebooks read its evaluation sets")
    problems = compare(stored, execute(path))
    assert not problems, f"{path.name} is stale (re-run `make notebooks`):\n" + "\n".join(problems)
