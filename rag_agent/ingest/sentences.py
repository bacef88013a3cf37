"""Cut text into sentences with their character offsets: the atoms every other unit is made of.

A period ends a sentence unless the whole word before it is a listed abbreviation or a single
letter; Markdown blocks (headings, list items, quotes, table rows, fenced code) start new
sentences, and a fenced code block's spans are marked `code`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Span", "fold_whitespace", "split_sentences"]

_ABBREVIATIONS = frozenset(
    "e.g i.e etc vs al fig figs eq eqs no nos dr mr mrs ms prof st jr sr inc ltd co corp "
    "approx ca cf resp dept univ vol pp ed eds est jan feb mar apr jun jul aug sep sept oct "
    "nov dec u.s u.k a.m p.m ph.d".split()
)
_BOUNDARY = re.compile(r"[.!?]+[\"'\u201d\u2019)\]]*(?=\s+[\"'\u201c\u2018(\[]?[A-Z0-9])")
_BLOCK_START = re.compile(r"\n(?=[ \t]*(?:#{1,6} |[-*+] |\d+[.)] |> |\||```|~~~))|(?<=```)\n|(?<=~~~)\n")
_NUMBERED = re.compile(r"[ \t]*0*(\d+)[.)] ")
_FENCE = re.compile(r"^[ \t]*(```|~~~)", re.MULTILINE)
_PARAGRAPH = re.compile(r"\n[ \t]*\n\s*")


@dataclass(frozen=True)
class Span:
    """A piece of the document text: `text` is `doc[start:end]` with whitespace folded."""

    text: str
    start: int
    end: int
    paragraph: int = 0
    code: bool = False
    """Inside a fenced code block (searched and shown, never picked as prose)."""


def fold_whitespace(text: str) -> str:
    """`text` with every run of whitespace folded into one space."""
    return " ".join(text.split())


def _is_abbreviation(text: str, dot: int) -> bool:
    """Whether the period at `dot` ends an abbreviation or an initial rather than a sentence.

    The whole whitespace-delimited word before the period is judged, so a word that merely ends
    in a letter or a listed abbreviation ("NF-kB.", "E3-14.7K.", "microm2/ms.") still ends a
    sentence, while "et al.", "(Fig.", "J." and "U.S." do not."""
    before = text[max(0, dot - 40):dot]
    if not before or before[-1].isspace():
        return False
    token = before.split()[-1].lstrip("\"'([{\u201c\u2018").lower().rstrip(".")
    if not token.replace(".", "").isalpha():
        return False
    return token in _ABBREVIATIONS or len(token) == 1


def split_sentences(text: str, max_chars: int = 600) -> list[Span]:
    """Sentences with their character offsets; over-long ones are cut at whitespace."""
    spans: list[Span] = []
    paragraph = 0
    pos = 0
    fenced = _fenced_ranges(text)
    for para_match in [*_PARAGRAPH.finditer(text), None]:
        end = para_match.start() if para_match else len(text)
        for block_start, block_end in _cuts(text, pos, end, _BLOCK_START):
            start = block_start
            marker = _NUMBERED.match(text, block_start)  # "2. " opens a list item, not a sentence
            for m in _BOUNDARY.finditer(text, block_start, block_end):
                if _is_abbreviation(text, m.start()) or (marker and m.start() < marker.end()):
                    continue
                _add(spans, text, start, m.end(), paragraph, max_chars, fenced)
                start = m.end()
            _add(spans, text, start, block_end, paragraph, max_chars, fenced)
        if para_match:
            pos = para_match.end()
            paragraph += 1
    return spans


def _fenced_ranges(text: str) -> list[tuple[int, int]]:
    """Character ranges of fenced code blocks (``` or ~~~ lines); an unclosed fence runs to
    the end of the text."""
    ranges, opened = [], None
    for m in _FENCE.finditer(text):
        if opened is None:
            opened = m.start()
        else:
            ranges.append((opened, m.end()))
            opened = None
    if opened is not None:
        ranges.append((opened, len(text)))
    return ranges


def _cuts(text: str, start: int, end: int, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    out, pos = [], start
    for m in pattern.finditer(text, start, end):
        if not _starts_block(text, m.end()):
            continue
        out.append((pos, m.start()))
        pos = m.end()
    out.append((pos, end))
    return out


def _starts_block(text: str, line_start: int) -> bool:
    """Whether a line that opens like a numbered list item ("40. ") starts one. As in
    CommonMark, a number other than 1 cannot interrupt a paragraph: "... about\n40. `make`"
    is a wrapped line, unless the line before is itself a list item or its indented
    continuation."""
    number = _NUMBERED.match(text, line_start)
    if number is None or number.group(1) == "1":
        return True
    previous = text[text.rfind("\n", 0, line_start - 1) + 1:line_start - 1]
    return bool(_NUMBERED.match(previous)) or previous[:1] in (" ", "\t")


def _add(spans: list[Span], text: str, start: int, end: int, para: int, max_chars: int,
         fenced: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start >= end:
        return
    code = any(a <= start < b for a, b in fenced)
    while end - start > max_chars:
        cut = text.rfind(" ", start + max_chars // 2, start + max_chars)
        cut = cut if cut > start else start + max_chars
        spans.append(Span(fold_whitespace(text[start:cut]), start, cut, para, code))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if start < end:
        spans.append(Span(fold_whitespace(text[start:end]), start, end, para, code))
