"""Shared by the benchmark scripts: print a result as JSON and keep it in a file if asked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def emit(result: dict[str, Any], out: Path | None) -> None:
    text = json.dumps(result, indent=2)
    print(text)
    if out:
        out.write_text(text + "\n")
