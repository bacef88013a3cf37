"""Shared by the benchmark scripts: print a result as JSON and keep it in a file if asked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def emit(result: dict[str, Any], out: Path | None) -> None:
    """Print `result` as JSON and write it to `out` (if given)."""
    text = json.dumps(result, indent=2)
    print(text)
    if out:
        out.write_text(text + "\n")


def save(result: dict[str, Any], out: Path | None, *, indent: int = 1) -> None:
    """Write `result` to `out` (if given) without printing it, making its folder."""
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=indent) + "\n")
