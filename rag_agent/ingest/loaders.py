"""Turn paths into `SourceDocument`s: .txt, .md, .html, .pdf and JSON/JSONL records.

Bad input never stops a batch and never passes silently: each file or record that cannot be used
becomes a `Skipped` entry with a reason that says what to do; everything else is loaded. No
error of the file system (links, permissions, FIFOs and devices, unlistable folders) escapes,
and nothing blocks: see `rag_agent.ingest.reading`.

Every document leaves this module cleaned (`clean_document`), whether it came from a file or
from memory: no control character or lone surrogate reaches the index, and metadata keys are
names a filter accepts (`rag_agent.ingest.clean`).
"""

from __future__ import annotations

import errno
import itertools
import logging
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from rag_agent.ingest.clean import (
    clean_text,
    display_path,
)
from rag_agent.ingest.documents import (
    Skipped,
    SourceDocument,
    as_source_document,
    clean_document,
    with_metadata,
)
from rag_agent.ingest.formats import html_to_text, markdown_front_matter, pdf_to_text
from rag_agent.ingest.json_records import RECORD_SUFFIXES, load_records
from rag_agent.ingest.parts import as_parts, make_part, stream_parts
from rag_agent.ingest.reading import (
    SkipFile,
    check_encoding,
    iter_text,
    open_regular,
    os_reason,
    read_text,
)
from rag_agent.settings import IndexConfig

__all__ = [
    "SUPPORTED_SUFFIXES",
    "Skipped",
    "SourceDocument",
    "as_source_document",
    "clean_document",
    "discover",
    "estimate_documents",
    "iter_documents",
    "with_metadata",
]

TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown", ".html", ".htm"}
STREAMED_SUFFIXES = frozenset({".txt", ".text", ".md", ".markdown"})
"""Formats read part by part when large; the others (HTML, PDF, JSON) are parsed whole."""
MAX_CHARS = IndexConfig.max_document_chars
SUPPORTED_SUFFIXES = frozenset(TEXT_SUFFIXES | RECORD_SUFFIXES | {".pdf"})
log = logging.getLogger(__name__)


def discover(paths: Iterable[str | os.PathLike[str]], skipped: list[Skipped]) -> list[Path]:
    """Files to load, in a stable order; what cannot be one goes to `skipped` with a reason.

    Folders are walked without recursion (any depth) and without following links to folders
    (reported, never looped through); hidden names are left out. Whether a file can really be
    read (links, permissions, FIFOs) is decided when it is read, by `read_text`.
    """
    files: list[Path] = []
    for raw in paths:
        try:
            path = Path(raw).expanduser()
        except (TypeError, RuntimeError) as exc:  # not a path; '~user' with no such user
            skipped.append(Skipped(display_path(str(raw)), f"unusable path ({exc}); check it"))
            continue
        try:
            is_dir = stat.S_ISDIR(os.stat(path).st_mode)
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.ENOTDIR) and not os.path.lexists(path):
                skipped.append(Skipped(display_path(path), "no such file or folder; check the path"))
            elif os.path.lexists(path) and exc.errno not in (errno.EACCES, errno.EPERM):
                _accept(path, files, skipped)  # a broken link or loop: read_text names it
            else:
                skipped.append(Skipped(display_path(path), os_reason(path, exc)))
            continue
        except ValueError as exc:  # an embedded NUL
            skipped.append(Skipped(display_path(str(raw)), f"unusable path ({exc}); check it"))
            continue
        if is_dir:
            for file in _walk(path, skipped):
                _accept(file, files, skipped)
        else:
            _accept(path, files, skipped)
    return files


def _walk(top: Path, skipped: list[Skipped]) -> Iterator[Path]:
    """Non-folder entries under `top`, depth first, sorted, with an explicit stack."""
    stack = [top]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            skipped.append(Skipped(display_path(folder), f"cannot list folder: "
                                   f"{exc.strerror or exc}; make it readable"))
            continue
        folders = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                is_dir = entry.is_dir()
            except OSError:  # a link loop: read_text names it
                is_dir = False
            if is_dir and entry.is_symlink():
                skipped.append(Skipped(display_path(entry.path), "link to a folder, not "
                                       "followed; ingest the folder it points to by its path"))
            elif is_dir:
                folders.append(Path(entry.path))
            else:
                yield Path(entry.path)
        stack.extend(reversed(folders))


def _accept(path: Path, files: list[Path], skipped: list[Skipped]) -> None:
    suffix = path.suffix.lower()
    if suffix in SUPPORTED_SUFFIXES:
        files.append(path)
    else:
        kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
        skipped.append(Skipped(display_path(path), f"unsupported file type "
                               f"{clean_text(display_path(suffix)) or '(none)'!r}; "
                               f"supported: {kinds}"))


def estimate_documents(files: list[Path], max_chars: int = MAX_CHARS) -> int:
    """A cheap count for a progress bar: one per file (a part per `max_chars` bytes of a
    large one), lines for JSONL."""
    total = 0
    for path in files:
        if path.suffix.lower() in TEXT_SUFFIXES | {".pdf"}:
            total += max(1, -(-_size(path) // max_chars))
        elif path.suffix.lower() in {".jsonl", ".ndjson"}:
            try:
                with open_regular(path) as fh:
                    total += sum(1 for line in fh if line.strip())
            except (SkipFile, OSError):
                total += 1
        else:
            total += 1
    return total


def iter_documents(
    files: Iterable[Path], skipped: list[Skipped], *, encoding: str = "utf-8",
    warnings: list[Skipped] | None = None, max_chars: int = MAX_CHARS,
) -> Iterator[SourceDocument]:
    """Load each file; a file that fails adds a `Skipped` and the rest go on.

    Every document comes out cleaned (`clean_document`); what cleaning changed in its
    metadata goes to `warnings` (logged when None). A document longer than `max_chars` comes
    out as parts (`rag_agent.ingest.parts`); a large text or markdown file is read part by
    part, never whole. An unknown `encoding` is a ConfigError at once, before any file is read.
    """
    check_encoding(encoding)
    return _iter_documents(files, skipped, encoding, warnings, max_chars)


def _iter_documents(files: Iterable[Path], skipped: list[Skipped], encoding: str,
                    warnings: list[Skipped] | None,
                    max_chars: int) -> Iterator[SourceDocument]:
    for path in files:
        try:
            # streamed: a JSONL file's records, a large text file's parts are never all held
            for doc in _load_file(path, skipped, encoding, max_chars):
                yield from as_parts(clean_document(doc, warnings), max_chars)
        except SkipFile as exc:
            skipped.append(Skipped(display_path(path), str(exc)))


def _size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except (OSError, ValueError):
        return 0  # read_text names the problem


def _source(path: Path) -> str:
    try:
        return display_path(os.path.realpath(path))
    except (OSError, ValueError):
        return display_path(os.path.abspath(path))


def _load_file(path: Path, skipped: list[Skipped], encoding: str,
               max_chars: int) -> Iterator[SourceDocument]:
    suffix = path.suffix.lower()
    if suffix in STREAMED_SUFFIXES and _size(path) > max_chars:  # bytes >= characters
        yield from _stream_file(path, suffix, encoding, max_chars)
        return
    if suffix == ".pdf":
        try:
            with open_regular(path) as fh:
                text, title = pdf_to_text(fh, SkipFile)
        except OSError as exc:  # a read error after a good open
            raise SkipFile(os_reason(path, exc)) from None
        source = _source(path)
        meta: dict[str, Any] = {"source": source, "file_type": "pdf"}
        yield SourceDocument(source, text, title or display_path(path.stem), meta)
        return
    text = read_text(path, encoding)
    source = _source(path)
    if suffix in RECORD_SUFFIXES:
        yield from load_records(path, source, text, skipped)
        return
    meta = {"source": source, "file_type": suffix.lstrip(".")}
    title = display_path(path.stem)
    if suffix in {".html", ".htm"}:
        text, html_title = html_to_text(text)
        title = html_title or title
    elif suffix in {".md", ".markdown"}:
        front, text = markdown_front_matter(text)
        title = str(front.pop("title", "") or _first_heading(text) or title)
        meta.update(front)
    visible = clean_text(text)
    if not visible or visible.isspace():  # isspace: no stripped copy of a large text
        raise SkipFile("no text left after removing markup and control characters; "
                       "nothing to index")
    yield SourceDocument(source, text, title, meta)


def _stream_file(path: Path, suffix: str, encoding: str,
                 max_chars: int) -> Iterator[SourceDocument]:
    """A large text or markdown file, part by part (one if it decodes to few characters)."""
    # A first pass checks that the whole file is text, without holding it: a NUL byte or a bad
    # byte near the end skips the file whole, as `read_text` does, before any part is stored.
    if all(not chunk or chunk.isspace() for chunk in iter_text(path, encoding)):
        raise SkipFile("empty file; nothing to index")
    source = _source(path)
    meta: dict[str, Any] = {"source": source, "file_type": suffix.lstrip(".")}
    title = display_path(path.stem)
    parts = stream_parts(iter_text(path, encoding), max_chars)
    first = next(parts)
    if suffix in {".md", ".markdown"}:
        front, first = markdown_front_matter(first)
        title = str(front.pop("title", "") or _first_heading(first) or title)
        meta.update(front)
    second = next(parts, None)
    if second is None:
        yield SourceDocument(source, first, title, meta)
        return
    whole = SourceDocument(source, "", title, meta)
    head = iter([first, second])
    del first, second  # so that a part is dropped once the writer is done with it
    k = 0
    for text in itertools.chain(head, parts):
        if not text.isspace():
            k += 1
            yield make_part(whole, k, text)


def _first_heading(text: str) -> str:
    for line in text.splitlines()[:50]:
        if line.startswith("# "):
            return line[2:].strip()
    return ""
