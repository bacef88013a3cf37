"""Reading one file safely: regular files only, streamed, binary detected anywhere.

Every way a file can fail to be read (a symbolic link loop or a broken link, permission denied,
a FIFO or device that would block or never end, a folder, undecodable bytes, NUL bytes) raises
`SkipFile` with a reason that says what to do; nothing else escapes.

Text is decoded strictly in the given encoding (UTF-8 by default; a UTF-16 or UTF-32 byte-order
mark wins): a file that is not valid in it is skipped with the byte offset, never silently
decoded with replacement characters, which would store mojibake that searches and answers quote.
"""

from __future__ import annotations

import codecs
import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from rag_agent.errors import ConfigError
from rag_agent.ingest.clean import display_path

__all__ = [
    "CHUNK_BYTES", "SkipFile", "check_encoding", "iter_text", "open_regular", "os_reason",
    "read_text",
]

CHUNK_BYTES = 1 << 20
"""How much of a file is read, decoded and checked for NUL at a time."""
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) \
    | getattr(os, "O_BINARY", 0)
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_BINARY = "binary content (NUL bytes) in a text file; is the extension wrong?"
_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


class SkipFile(Exception):
    """This file cannot be loaded; the message is the reason for the report."""


def check_encoding(encoding: str) -> str:
    """`encoding` if Python can decode text with it, else a ConfigError naming it."""
    try:
        info = codecs.lookup(encoding)
    except (LookupError, TypeError):
        raise ConfigError(f"unknown encoding {encoding!r}; use a Python codec name such as "
                          "utf-8, latin-1, cp1252 or utf-16") from None
    if not getattr(info, "_is_text_encoding", True):
        raise ConfigError(f"encoding {encoding!r} is not a text encoding; use e.g. utf-8")
    return encoding


def os_reason(path: str | os.PathLike[str], exc: OSError) -> str:
    """Why `path` could not be opened or listed, and what to do."""
    code = exc.errno
    if code == errno.ELOOP:
        return "symbolic link loop (a link that leads back to itself); fix or remove the link"
    if code in (errno.EACCES, errno.EPERM):
        return "permission denied; make the file readable"
    if code == errno.ENOENT and os.path.islink(path):
        try:
            target = display_path(os.readlink(path))
        except OSError:
            target = "?"
        return f"broken symbolic link (to {target!r}, which does not exist); fix or remove it"
    if code == errno.ENOENT:
        return "no such file (removed while ingesting?)"
    return f"cannot read: {exc.strerror or exc}"


def open_regular(path: str | os.PathLike[str]) -> BinaryIO:
    """`path` opened for binary reading, or `SkipFile` if it is not a readable regular file.

    The type is checked before opening (a tape device may act on open) and again on the
    opened descriptor, non-blocking, so a FIFO swapped in between cannot hang the read.
    """
    try:
        mode = os.stat(path).st_mode
        _require_regular(mode)
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        raise SkipFile(os_reason(path, exc)) from None
    except ValueError as exc:  # an embedded NUL in the name
        raise SkipFile(f"unusable file name ({exc})") from None
    try:
        _require_regular(os.fstat(fd).st_mode)
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def _require_regular(mode: int) -> None:
    if stat.S_ISREG(mode):
        return
    kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
    raise SkipFile(f"cannot read: {kind}, not a regular file; only regular files are ingested")


def read_text(path: Path, encoding: str = "utf-8") -> str:
    """The text of `path`, decoded chunk by chunk; `SkipFile` when it is binary (a NUL
    character anywhere), not valid `encoding` text, or empty."""
    try:
        with open_regular(path) as fh:
            text = "".join(_decoded_chunks(fh, encoding))
    except OSError as exc:  # a read error after a good open (EIO, a vanished network share)
        raise SkipFile(os_reason(path, exc)) from None
    if not text or text.isspace():  # no stripped copy of a large text
        raise SkipFile("empty file; nothing to index")
    return text


def iter_text(path: Path, encoding: str = "utf-8") -> Iterator[str]:
    """The text of `path` as decoded chunks of about `CHUNK_BYTES`, never held whole.

    Raises `SkipFile` as `read_text` does, but only when the bad chunk is reached (an empty
    file yields only blank chunks: the caller decides).
    """
    try:
        with open_regular(path) as fh:
            yield from _decoded_chunks(fh, encoding)
    except OSError as exc:
        raise SkipFile(os_reason(path, exc)) from None


def _decoded_chunks(fh: BinaryIO, encoding: str) -> Iterator[str]:
    data = fh.read(CHUNK_BYTES)
    name = next((enc for bom, enc in _BOMS if data.startswith(bom)), encoding)
    codec = "utf-8-sig" if name.lower().replace("_", "-") in {"utf-8", "utf8"} else name
    decoder = codecs.getincrementaldecoder(codec)(errors="strict")
    offset = 0
    while True:
        pending = len(decoder.getstate()[0])
        try:
            text = decoder.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            if b"\x00" in data:
                raise SkipFile(_BINARY) from None
            raise SkipFile(
                f"not valid {name} text (byte {offset - pending + exc.start}); convert the "
                "file to UTF-8 or pass the right encoding (--encoding)") from None
        if "\x00" in text:  # a NUL character, in any encoding, means this is not text
            raise SkipFile(_BINARY)
        yield text
        if not data:
            return
        offset += len(data)
        data = fh.read(CHUNK_BYTES)
