"""Documents out of JSON and JSON Lines files of BEIR-style records.

A record is an object with an id (`_id`, `id` or `doc_id`) and a text (`text`, `content`,
`page_content`, `body` or `abstract`); its `title`, its `metadata` object and its other plain
fields come along as metadata. A record that cannot be a document is skipped with a reason;
the others in the same file are loaded.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from rag_agent.ingest.clean import display_path
from rag_agent.ingest.documents import Skipped, SourceDocument
from rag_agent.ingest.reading import SkipFile

__all__ = ["RECORD_SUFFIXES", "load_records"]

RECORD_SUFFIXES = {".json", ".jsonl", ".ndjson"}
_RECORD_KEYS = ("_id", "id", "doc_id")
_TEXT_KEYS = ("text", "content", "page_content", "body", "abstract")


def load_records(path: Path, source: str, text: str,
                 skipped: list[Skipped]) -> Iterator[SourceDocument]:
    """The records of file `path` (read as `text`); a file that is no JSON at all raises
    `SkipFile`, a bad record or line goes to `skipped`."""
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SkipFile(f"invalid JSON at line {exc.lineno}: {exc.msg}") from None
        except (ValueError, RecursionError) as exc:  # a 5,000-digit number; nesting too deep
            raise SkipFile(f"unusable JSON ({type(exc).__name__}: {str(exc)[:160]})") from None
        records = data if isinstance(data, list) else [data]
        numbered: Iterable[tuple[int, Any]] = enumerate(records, 1)
        where = "record"
    else:
        numbered = _jsonl_records(text, display_path(path), skipped)
        where = "line"
    for n, record in numbered:
        doc = _record_document(record)
        if isinstance(doc, str):
            skipped.append(Skipped(f"{display_path(path)}:{where} {n}", doc))
        else:
            doc.metadata.setdefault("file", source)
            yield doc


def _jsonl_records(text: str, label: str, skipped: list[Skipped]) -> Iterator[tuple[int, Any]]:
    # JSON Lines are split on "\n" only: str.splitlines would also cut at U+2028, \x85 and
    # others that JSON strings may hold unescaped
    for n, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            yield n, json.loads(line)
        except json.JSONDecodeError as exc:
            skipped.append(Skipped(f"{label}:line {n}", f"invalid JSON: {exc.msg}"))
        except (ValueError, RecursionError) as exc:
            skipped.append(Skipped(f"{label}:line {n}", f"unusable JSON "
                                   f"({type(exc).__name__}: {str(exc)[:160]})"))


def _record_document(record: Any) -> SourceDocument | str:
    """A document from a BEIR-style record, or the reason it cannot be one."""
    if not isinstance(record, dict):
        return f"a record must be a JSON object, got {type(record).__name__}"
    rid = next((record[k] for k in _RECORD_KEYS if record.get(k) not in (None, "")), None)
    if rid is None:
        return "record has no id; give it an '_id' (or 'id') field"
    body = next((record[k] for k in _TEXT_KEYS if isinstance(record.get(k), str)), None)
    if body is None or not body.strip():
        return f"record {rid!r} has no text; give it a non-empty 'text' field"
    title = record.get("title") if isinstance(record.get("title"), str) else ""
    meta: dict[str, Any] = {}
    nested = record.get("metadata")
    if isinstance(nested, dict):
        meta.update(nested)
    skip = {*_RECORD_KEYS, *_TEXT_KEYS, "title", "metadata"}
    meta.update({k: v for k, v in record.items() if k not in skip and _is_plain(v)})
    meta["record_id"] = str(rid)
    return SourceDocument(str(rid), body, title.strip() or str(rid), meta)


def _is_plain(value: Any) -> bool:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return True
    if isinstance(value, list):
        return all(isinstance(v, (str, int, float, bool)) for v in value)
    return False
