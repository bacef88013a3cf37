"""What may be stored: text without control characters or lone surrogates, filterable keys.

Every text that enters the index (a loaded file, an in-memory document, its title and metadata)
and every text that reaches an embedding model passes through `clean_text`:

    clean_text("a\\x00b \\ud800 c\\x0bd")  ->  "ab \\ufffd c\\nd"

Lone surrogates (from JSON escapes like "\\ud800", or from undecodable bytes that Python turns
into surrogate escapes, e.g. an invalid UTF-8 command-line argument) become U+FFFD, because
tokenizers, SQLite and JSON encoders all refuse them. Control characters are dropped, except
tab, newline, carriage return and form feed; the ones Python reads as line breaks (\\x0b, \\x1c
to \\x1e, \\x85) become a newline, so lines stay lines.

Metadata keys must be names a filter accepts (`rag_agent.index.filters`: letters, digits, '_'
and '-', with '.' reserved for reaching into nested objects); `clean_metadata` renames the
others to such a name ("fiscal year" -> "fiscal_year") and says so.
"""

from __future__ import annotations

import math
import os
import re
import unicodedata
from typing import Any

__all__ = ["FIELD_NAME", "bad_keys", "clean_metadata", "clean_text", "display_path", "field_name",
           "has_words"]

FIELD_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_\-]*")
"""One metadata key a filter can name: `filters._FIELD` is these joined by '.' for nesting."""

_UNSAFE = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_LINE_BREAKS = frozenset("\x0b\x1c\x1d\x1e\x85")
_NOT_FIELD = re.compile(r"[^A-Za-z0-9_\-]+")
_WORD = re.compile(r"[^\W_]")


def clean_text(text: str) -> str:
    """`text` with lone surrogates as U+FFFD and stray control characters removed.

    Text with nothing to clean is returned as is, after one regex scan.
    """
    if not _UNSAFE.search(text):
        return text
    if _SURROGATE.search(text):
        # a valid high+low pair (e.g. from "surrogatepass") becomes its character
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return _CONTROL.sub(lambda m: "\n" if m.group() in _LINE_BREAKS else "", text)


def has_words(text: str) -> bool:
    """Whether the text holds anything to search for (a letter or a digit)."""
    return _WORD.search(text) is not None


def display_path(path: str | os.PathLike[str]) -> str:
    """`path` as storable text: bytes the file system name cannot decode become `\\xNN`."""
    raw = os.fspath(path)
    if not _SURROGATE.search(raw):
        return raw
    return os.fsencode(raw).decode("utf-8", "backslashreplace")


def field_name(key: Any) -> str:
    """The filterable name for `key`: itself when valid, else accents dropped and every run of
    other characters made '_' ("Fiscal Year" -> "Fiscal_Year"); "" when nothing is left."""
    key = clean_text(str(key))
    if FIELD_NAME.fullmatch(key):
        return key
    ascii_key = unicodedata.normalize("NFKD", key).encode("ascii", "ignore").decode()
    return "_".join(p for p in _NOT_FIELD.split(ascii_key) if p).lstrip("-")


def bad_keys(metadata: dict[str, Any]) -> list[str]:
    """Keys of `metadata` (not nested ones) that no filter can name."""
    return [str(k) for k in metadata if not FIELD_NAME.fullmatch(str(k))]


def clean_metadata(metadata: dict[str, Any], where: str = "") -> tuple[dict[str, Any], list[str]]:
    """Metadata that can be stored and filtered on, and a note for each change made.

    Keys (nested ones too) become `field_name`s; a key that cleans to nothing, or to a key
    already present, is dropped. String values are `clean_text`-ed; NaN and infinity, which
    are not JSON and would break every filter over the index, are dropped.
    """
    notes: list[str] = []
    return _clean_dict(metadata, where, notes), notes


def _clean_dict(metadata: dict[Any, Any], where: str, notes: list[str]) -> dict[str, Any]:
    valid = {str(k) for k in metadata if FIELD_NAME.fullmatch(str(k))}
    out: dict[str, Any] = {}
    for key, value in metadata.items():
        name = field_name(key)
        label = repr(f"{where}{key}")
        if not name:
            notes.append(f"metadata key {label} has no ASCII letter or digit a filter could "
                         "name; dropped (use letters, digits, '_' or '-')")
            continue
        if name != str(key):
            if name in valid or name in out:
                notes.append(f"metadata key {label} would be renamed {name!r}, which is "
                             "already a key; dropped (give it another name)")
                continue
            notes.append(f"metadata key {label} renamed {name!r}: filters accept letters, "
                         f"digits, '_' and '-'; filter on {f'{where}{name}'!r}")
        cleaned = _clean_value(value, f"{where}{name}", notes)
        if cleaned is not _DROP:
            out[name] = cleaned
    return out


_DROP = object()


def _clean_value(value: Any, where: str, notes: list[str]) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, float) and not math.isfinite(value):
        notes.append(f"metadata {where!r} holds {value!r}, which is not a JSON number; dropped")
        return _DROP
    if isinstance(value, dict):
        return _clean_dict(value, where + ".", notes)
    if isinstance(value, (list, tuple)):
        items = [_clean_value(v, where, notes) for v in value]
        return [v for v in items if v is not _DROP]
    return value
