"""Large documents as parts: bounded pieces, each ingested as a document of its own.

A text longer than `IndexConfig.max_document_chars` is cut into parts of at most that many
characters, at the last paragraph break before the limit (else the last sentence end, else
whitespace, else at the limit itself), searched for in the last `_WINDOW` of it. The parts
joined give the text back exactly. Part k (from 1) of source S is the `SourceDocument`
`S#part-000k`, with S's title (so embedded headers repeat and identical text reuses stored
vectors) and S's metadata plus `part: k` and `source_of_part: S`.

    list(cut_text("a" * 900 + "\\n\\n" + "b" * 900, 1000))  ->  ["a" * 900 + "\\n\\n", "b" * 900]

`stream_parts` does the same over text arriving in chunks (a file read chunk by chunk), holding
at most one part plus one chunk.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from rag_agent.ingest.documents import SourceDocument

__all__ = [
    "PART_KEY", "PART_MARK", "SOURCE_KEY", "as_parts", "cut_point", "cut_text", "family_range",
    "make_part", "part_source_id", "stream_parts",
]

PART_MARK = "#part-"
"""Between a source id and a part number: source ids of this form are reserved for parts."""
PART_KEY = "part"
SOURCE_KEY = "source_of_part"
_WINDOW = 0.2
"""A cut is looked for in the last fifth of the limit; a part is never shorter than 80% of it
(unless it is the last), so a source has few parts."""
_BREAKS = (
    re.compile(r"\n[ \t]*\n\s*"),                      # a paragraph break
    re.compile(r"[.!?][\"'\u201d\u2019)\]]*\s+"),      # a sentence end
    re.compile(r"\s+"),                                # any whitespace
)


def part_source_id(source_id: str, k: int) -> str:
    """The source id of part `k` (from 1) of `source_id`."""
    return f"{source_id}{PART_MARK}{k:04d}"


def family_range(source_id: str) -> tuple[str, str]:
    """Bounds `lo <= id < hi` of the source ids of every part of `source_id`."""
    return source_id + PART_MARK, source_id + PART_MARK[:-1] + chr(ord(PART_MARK[-1]) + 1)


def cut_point(text: str, limit: int) -> int:
    """Where to end the first part of `text` (at most `limit`; `len(text)` if it fits).

    The cut falls after a break (the whitespace stays with the part before), so no word,
    sentence or paragraph is split when one ends in the window.
    """
    if len(text) <= limit:
        return len(text)
    lo = int(limit * (1 - _WINDOW))
    for pattern in _BREAKS:
        best = -1
        for m in pattern.finditer(text, lo, limit + 1):
            if m.end() <= limit:
                best = m.end()
            elif m.start() > lo:  # the break straddles the limit: cut before it
                best = max(best, m.start())
        if best > 0:
            return best
    return limit


def cut_text(text: str, limit: int) -> Iterator[str]:
    """The parts of `text`, each at most `limit` characters; joined, they are `text`."""
    start = 0
    while start < len(text):
        end = start + cut_point(text[start:start + limit + 1], limit)
        yield text[start:end]
        start = end


def stream_parts(chunks: Iterable[str], limit: int) -> Iterator[str]:
    """`cut_text` over the concatenation of `chunks`, holding one part and one chunk."""
    buffer = ""
    for chunk in chunks:
        buffer += chunk
        while len(buffer) > limit:
            end = cut_point(buffer[:limit + 1], limit)
            part, buffer = buffer[:end], buffer[end:]
            yield part
    if buffer:
        yield buffer


def make_part(doc: SourceDocument, k: int, text: str) -> SourceDocument:
    """Part `k` of `doc`, holding `text`."""
    meta = {**doc.metadata, PART_KEY: k, SOURCE_KEY: doc.source_id}
    return SourceDocument(part_source_id(doc.source_id, k), text, doc.title, meta)


def as_parts(doc: SourceDocument, limit: int) -> Iterator[SourceDocument]:
    """`doc` itself if it fits in `limit` characters, else its parts (blank ones left out)."""
    if len(doc.text) <= limit:
        yield doc
        return
    k = 0
    for text in cut_text(doc.text, limit):
        if not text.isspace():
            k += 1
            yield make_part(doc, k, text)
