"""Values of `rag-agent` options: argparse types that turn a bad value into a usage error
naming the option, and the --meta KEY=VALUE pairs."""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rag_agent.errors import RagAgentError
from rag_agent.index.pg.connection import is_server_url

__all__ = ["index_location", "json_filter", "meta_pairs", "positive_float", "positive_int"]


def _positive(cast: Callable[[str], float], what: str) -> Callable[[str], Any]:
    """An argparse type: `cast(text)`, finite and above 0."""
    def parse(text: str) -> Any:
        try:
            value = cast(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if not (math.isfinite(value) and value > 0):
            raise argparse.ArgumentTypeError(f"{text} must be above 0")
        return value

    return parse


positive_int = _positive(int, "a whole number")
positive_float = _positive(float, "a number")


def index_location(text: str) -> Path | str:
    """An `--index` value: a folder, or a PostgreSQL connection string kept as it is."""
    return text if is_server_url(text) else Path(text)


def json_filter(text: str) -> dict[str, Any]:
    """A --filter value: a JSON object (argparse turns the error into a usage message)."""
    example = """write it as a JSON object, like '{"year": 2023}' or '{"year": {"$gte": 2022}}'"""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise argparse.ArgumentTypeError(f"{text!r} is not JSON ({err.msg}); {example}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"{text!r} is a JSON {type(value).__name__}, not an "
                                         f"object; {example}")
    return value


def meta_pairs(pairs: list[str]) -> dict[str, object]:
    """--meta KEY=VALUE pairs as metadata (a value that is JSON is read as JSON)."""
    out: dict[str, object] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise RagAgentError(f"--meta {pair!r}: write KEY=VALUE")
        try:
            out[key] = json.loads(value)
        except ValueError:
            out[key] = value
    return out
