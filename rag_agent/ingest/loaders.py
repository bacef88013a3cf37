"""Turn paths into `SourceDocument`s: .txt, .md, .html, .pdf and JSON/JSONL records.

Bad input never stops a batch and never passes silently: each file or record that cannot be used
becomes a `Skipped` entry with a reason that says what to do; everything else is loaded.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.documents import Document

from rag_agent.errors import ConfigError
from rag_agent.ingest.formats import html_to_text, markdown_front_matter, pdf_to_text

__all__ = [
    "SUPPORTED_SUFFIXES",
    "Skipped",
    "SourceDocument",
    "as_source_document",
    "discover",
    "estimate_documents",
    "iter_documents",
    "with_metadata",
]

TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown", ".html", ".htm"}
RECORD_SUFFIXES = {".json", ".jsonl", ".ndjson"}
SUPPORTED_SUFFIXES = frozenset(TEXT_SUFFIXES | RECORD_SUFFIXES | {".pdf"})
_RECORD_KEYS = ("_id", "id", "doc_id")
_TEXT_KEYS = ("text", "content", "page_content", "body", "abstract")


@dataclass
class SourceDocument:
    """One document as loaded, before it is cut into units."""

    source_id: str
    """Stable identity: the file path, or the record id for JSON/JSONL records."""
    text: str
    title: str
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Skipped:
    """A file or record that was not ingested, and why."""

    source: str
    reason: str


def discover(paths: Iterable[str | Path], skipped: list[Skipped]) -> list[Path]:
    """Files to load, in a stable order; missing paths and unsupported files go to `skipped`."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            for root, dirs, names in os.walk(path, onerror=lambda e: skipped.append(
                    Skipped(str(e.filename), f"cannot list folder: {e.strerror}"))):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(names):
                    if not name.startswith("."):
                        _accept(Path(root) / name, files, skipped)
        elif path.exists() or path.is_symlink():
            _accept(path, files, skipped)
        else:
            skipped.append(Skipped(str(path), "no such file or folder; check the path"))
    return files


def _accept(path: Path, files: list[Path], skipped: list[Skipped]) -> None:
    suffix = path.suffix.lower()
    if suffix in SUPPORTED_SUFFIXES:
        files.append(path)
    else:
        kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
        skipped.append(Skipped(str(path), f"unsupported file type {suffix or '(none)'!r}; "
                               f"supported: {kinds}"))


def estimate_documents(files: list[Path]) -> int:
    """A cheap count for a progress bar: one per file, lines for JSONL."""
    total = 0
    for path in files:
        if path.suffix.lower() in {".jsonl", ".ndjson"}:
            try:
                with path.open("rb") as fh:
                    total += sum(1 for line in fh if line.strip())
            except OSError:
                total += 1
        else:
            total += 1
    return total


def iter_documents(
    files: Iterable[Path], skipped: list[Skipped], *, encoding: str = "utf-8"
) -> Iterator[SourceDocument]:
    """Load each file; a file that fails adds a `Skipped` and the rest go on."""
    for path in files:
        try:
            yield from _load_file(path, skipped, encoding)
        except _SkipFile as exc:
            skipped.append(Skipped(str(path), str(exc)))


class _SkipFile(Exception):
    pass


def _read_text(path: Path, encoding: str) -> str:
    try:
        data = path.read_bytes()
    except PermissionError:
        raise _SkipFile("permission denied; make the file readable") from None
    except OSError as exc:
        raise _SkipFile(f"cannot read: {exc.strerror or exc}") from None
    if not data.strip():
        raise _SkipFile("empty file; nothing to index")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif b"\x00" in data[:8192]:
        raise _SkipFile("binary content (NUL bytes) in a text file; is the extension wrong?")
    try:
        text = data.decode("utf-8-sig" if encoding.lower() in {"utf-8", "utf8"} else encoding)
    except UnicodeDecodeError as exc:
        raise _SkipFile(
            f"not valid {encoding} text (byte {exc.start}); convert the file to UTF-8 "
            "or pass the right encoding (--encoding)"
        ) from None
    if not text.strip():
        raise _SkipFile("empty file; nothing to index")
    return text


def _load_file(path: Path, skipped: list[Skipped], encoding: str) -> Iterator[SourceDocument]:
    suffix = path.suffix.lower()
    source = str(path.resolve())
    meta: dict[str, Any] = {"source": source, "file_type": suffix.lstrip(".")}
    if suffix == ".pdf":
        text, title = pdf_to_text(path, _SkipFile)
        yield SourceDocument(source, text, title or path.stem, meta)
        return
    text = _read_text(path, encoding)
    if suffix in RECORD_SUFFIXES:
        yield from _load_records(path, text, skipped)
        return
    title = path.stem
    if suffix in {".html", ".htm"}:
        text, html_title = html_to_text(text)
        title = html_title or title
    elif suffix in {".md", ".markdown"}:
        front, text = markdown_front_matter(text)
        title = str(front.pop("title", "") or _first_heading(text) or title)
        meta.update(front)
    if not text.strip():
        raise _SkipFile("no text left after removing markup; nothing to index")
    yield SourceDocument(source, text, title, meta)


def _first_heading(text: str) -> str:
    for line in text.splitlines()[:50]:
        if line.startswith("# "):
            return line[2:].strip()
    return ""


def _load_records(path: Path, text: str, skipped: list[Skipped]) -> Iterator[SourceDocument]:
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise _SkipFile(f"invalid JSON at line {exc.lineno}: {exc.msg}") from None
        records = data if isinstance(data, list) else [data]
        numbered: Iterable[tuple[int, Any]] = enumerate(records, 1)
        where = "record"
    else:
        numbered = _jsonl_records(text, path, skipped)
        where = "line"
    for n, record in numbered:
        doc = _record_document(record)
        if isinstance(doc, str):
            skipped.append(Skipped(f"{path}:{where} {n}", doc))
        else:
            doc.metadata.setdefault("file", str(path.resolve()))
            yield doc


def _jsonl_records(text: str, path: Path, skipped: list[Skipped]) -> Iterator[tuple[int, Any]]:
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            yield n, json.loads(line)
        except json.JSONDecodeError as exc:
            skipped.append(Skipped(f"{path}:line {n}", f"invalid JSON: {exc.msg}"))


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


def with_metadata(doc: SourceDocument, metadata: dict[str, Any]) -> SourceDocument:
    """The document with `metadata` laid over its own."""
    doc.metadata = {**doc.metadata, **metadata}
    return doc


def as_source_document(doc: SourceDocument | Document, n: int) -> SourceDocument:
    """A `SourceDocument` from a LangChain `Document` (its id, or 'source', is the source id)."""
    if isinstance(doc, SourceDocument):
        return doc
    meta = dict(doc.metadata)
    source = doc.id or meta.get("source") or meta.get("source_id")
    if not source:
        raise ConfigError(f"document #{n} has no id and no 'source' metadata; give it one so "
                          "re-ingesting it updates it instead of adding a copy")
    title = str(meta.pop("title", "") or source)
    return SourceDocument(str(source), doc.page_content, title, meta)
