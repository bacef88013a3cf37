"""Text out of HTML, Markdown front matter and PDF, with the standard library and pypdf only."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from typing import Any, BinaryIO

import yaml

__all__ = ["html_to_text", "markdown_front_matter", "pdf_to_text"]

_BLOCK = {
    "p", "div", "br", "li", "ul", "ol", "tr", "table", "section", "article", "header", "footer",
    "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "dd", "dt", "hr", "td", "th",
}
_SKIP = {"script", "style", "noscript", "template", "svg", "head"}
_HIDDEN = re.compile(r"<(" + "|".join(sorted(_SKIP)) + r")\b.*?</\1\s*>", re.I | re.S)
_TAG = re.compile(r"<[^>]*>?")


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title: list[str] = []
        self._skip = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag == "title":
            self._in_title = True
        elif tag in _SKIP:
            self._skip += 1
        elif tag in _BLOCK:
            self.parts.append("\n\n" if tag in {"p", "div", "section", "article"} else "\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag in _SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title.append(data)
        elif not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> tuple[str, str]:
    """Visible text (block elements become line breaks) and the <title>.

    Markup the standard parser gives up on (it raises on some malformed declarations, like
    `<![x`) falls back to stripping tags, so a garbled page still yields its words."""
    parser = _TextParser()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # noqa: BLE001 - html.parser raises AssertionError and others on bad markup
        parser.parts = [unescape(_TAG.sub(_tag_break, _HIDDEN.sub(" ", html)))]
    text = "".join(parser.parts)
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    text = re.sub(r" ?\n ?", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return text, " ".join("".join(parser.title).split())


def _tag_break(match: re.Match[str]) -> str:
    name = re.match(r"</?\s*([A-Za-z0-9]+)", match.group())
    return "\n" if name and name.group(1).lower() in _BLOCK else " "


def markdown_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Split a leading `---` YAML block off; its scalar fields become metadata."""
    if not text.startswith("---"):
        return {}, text
    match = re.match(r"---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|$)", text, re.S)
    if not match:
        return {}, text
    try:
        data = yaml.safe_load(match.group(1))
    except Exception:  # noqa: BLE001 - YAMLError, and ValueError for dates like 2023-02-30
        return {}, text
    if not isinstance(data, dict):
        return {}, text
    meta = {str(k): _plain(v) for k, v in data.items() if _plain(v) is not None}
    return meta, text[match.end():]


def _plain(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, list) and all(isinstance(v, (str, int, float, bool)) for v in value):
        return value
    return None


def pdf_to_text(data: BinaryIO, skip: type[Exception]) -> tuple[str, str]:
    """Text of every page and the PDF's title; raises `skip` with a reason on a bad PDF.

    Any exception of the parser is such a reason: a garbled file makes pypdf raise almost
    anything (IndexError, struct.error, RecursionError, ...), and it must not stop a batch.
    """
    from pypdf import PdfReader

    if not data.read(1):
        raise skip("empty file; nothing to index")
    data.seek(0)
    try:
        reader = PdfReader(data)
        pages = [page.extract_text() or "" for page in reader.pages]
        title = ""
        if reader.metadata is not None and reader.metadata.title:
            title = str(reader.metadata.title).strip()
    except Exception as exc:  # noqa: BLE001 - see the docstring
        raise skip(f"broken or encrypted PDF ({type(exc).__name__}: {str(exc)[:200]}); "
                   "re-export it or convert it to text") from None
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if not text:
        raise skip("PDF has no text layer (scanned?); run OCR first")
    return text, title
