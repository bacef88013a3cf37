"""Cut a document into sentences, parents (synthesis units) and children (retrieval units).

Sentences are the atoms: every parent and every child is a run of whole sentences, so each
sentence belongs to exactly one child and one parent, and a window of neighbours can be read back
by position at query time. Children are sized in the embedder's own tokens.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from rag_agent.ingest.sentences import Span, fold_whitespace, split_sentences

__all__ = ["SplitDocument", "contextual_text", "embed_header", "is_prose", "split_document",
           "strip_list_marker", "table_row_text"]

_WORD = re.compile(r"\S+")
_NOT_PROSE = re.compile(r"```|[\u2500-\u257f\u2190-\u21ff\u25b2-\u25bc]|^\s*(#{1,6}\s|\||>\s|[-=*_]{3,})")
_CODE_TOKEN = re.compile(r"[/_{}()\[\]<>=|`]|\.\w+\(|^-+\w")
_LIST_MARK = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")


@dataclass
class SplitDocument:
    """Sentences, parents and children of one document, linked by index."""

    sentences: list[Span]
    parents: list[Span]
    children: list[Span]
    sentence_parent: list[int]
    sentence_child: list[int]
    child_parent: list[int]
    child_embed_texts: list[str]
    sentence_embed_texts: list[str]
    """What is embedded for each sentence: the sentence, or the document header and it."""


def is_prose(text: str, *, min_words: int = 5, max_words: int = 80) -> bool:
    """Whether a sentence reads as prose: not a heading, table row, code, diagram or path list,
    neither a fragment nor a run-on block, and finished (not ending in ":" or ";", which
    introduce what follows). Such sentences stay in the index (they are searched and shown in
    passages) but are never picked for summaries or offline answers."""
    if _NOT_PROSE.search(text) or text.rstrip().endswith((":", ";")):
        return False
    first = next((c for c in text if c.isalnum()), "")
    if first.islower():
        return False  # a fragment cut out of a sentence, a list or code
    words = text.split()
    if not min_words <= len(words) <= max_words:
        return False
    letters = sum(c.isalpha() for c in text)
    if letters < 0.6 * sum(not c.isspace() for c in text):
        return False
    return sum(bool(_CODE_TOKEN.search(w)) for w in words) <= 0.25 * len(words)


def table_row_text(text: str) -> str:
    """A Markdown table row as a line of text ("| `index.sqlite` | documents, units |" ->
    "`index.sqlite`: documents, units"); other text unchanged, a rule row to ""."""
    if not text.lstrip().startswith("|"):
        return text
    cells = [c.strip() for c in text.strip().strip("|").split("|")]
    cells = [c for c in cells if c]
    if not cells or all(set(c) <= set("-: ") for c in cells):
        return ""
    return cells[0] if len(cells) == 1 else f"{cells[0]}: {'; '.join(cells[1:])}"


def strip_list_marker(text: str) -> str:
    """A list item's text without its bullet or number ("- ", "2. ")."""
    return _LIST_MARK.sub("", text, count=1)


def _pack(lengths: list[int], budget: int, breaks: list[bool] | None = None) -> list[list[int]]:
    """Greedy runs of consecutive items whose lengths sum to at most `budget`.

    With `breaks`, a run also ends before a paragraph start once it is 60% full.
    """
    groups: list[list[int]] = []
    current: list[int] = []
    size = 0
    for i, n in enumerate(lengths):
        soft = breaks is not None and breaks[i] and size >= 0.6 * budget
        if current and (size + n > budget or soft):
            groups.append(current)
            current, size = [], 0
        current.append(i)
        size += n
    if current:
        groups.append(current)
    return groups


def embed_header(title: str, count_tokens: Callable[[list[str]], list[int]],
                 child_tokens: int) -> tuple[str, int]:
    """The title line embedded above children (and sentences), cut to a quarter of
    `child_tokens`, and its token count."""
    header = fold_whitespace(title)
    if not header:
        return "", 0
    header_tokens = count_tokens([header])[0] - 2
    if header_tokens > child_tokens // 4:
        words = header.split()
        header = " ".join(words[: max(1, len(words) * (child_tokens // 4) // header_tokens)])
        header_tokens = count_tokens([header])[0] - 2
    return header, header_tokens


def contextual_text(header: str, text: str) -> str:
    """What is embedded for a unit under a document header."""
    return f"{header}\n{text}" if header else text


def split_document(
    text: str,
    title: str,
    count_tokens: Callable[[list[str]], list[int]],
    *,
    parent_chars: int = 1500,
    child_tokens: int = 200,
    sentence_max_chars: int = 600,
    embed_title: bool = True,
    sentence_context: bool = False,
) -> SplitDocument:
    """Split one document; `count_tokens` is the embedder's tokenizer (special tokens included).

    With `embed_title`, each child is embedded under the document title; with
    `sentence_context`, so is each sentence (a sentence alone "may lack global context"). The
    header is cut to a quarter of `child_tokens`, and sentences are cut so that header and
    sentence fit in a child.
    """
    header, header_tokens = (embed_header(title, count_tokens, child_tokens)
                             if embed_title or sentence_context else ("", 0))
    budget = child_tokens - header_tokens - 2
    sentences = _fit_sentences(
        text, split_sentences(text, sentence_max_chars), count_tokens, budget
    )
    tokens = [max(1, n - 2) for n in count_tokens([s.text for s in sentences])]

    breaks = [i > 0 and s.paragraph != sentences[i - 1].paragraph for i, s in enumerate(sentences)]
    parent_groups = _pack([len(s.text) + 1 for s in sentences], parent_chars, breaks)
    parents, children, child_parent, embed_texts = [], [], [], []
    sentence_parent = [0] * len(sentences)
    sentence_child = [0] * len(sentences)
    for p, group in enumerate(parent_groups):
        parents.append(_join(text, [sentences[i] for i in group]))
        for run in _pack([tokens[i] for i in group], budget):
            members = [group[j] for j in run]
            child = _join(text, [sentences[i] for i in members])
            for i in members:
                sentence_parent[i] = p
                sentence_child[i] = len(children)
            children.append(child)
            child_parent.append(p)
            embed_texts.append(contextual_text(header, child.text))
    child_texts = embed_texts if embed_title else [c.text for c in children]
    sentence_texts = [contextual_text(header if sentence_context else "", s.text)
                      for s in sentences]
    return SplitDocument(sentences, parents, children, sentence_parent, sentence_child,
                         child_parent, child_texts, sentence_texts)


def _join(text: str, spans: list[Span]) -> Span:
    start, end = spans[0].start, spans[-1].end
    return Span(text[start:end].strip(), start, end, spans[0].paragraph)


def _fit_sentences(
    text: str, sentences: list[Span], count_tokens: Callable[[list[str]], list[int]], budget: int
) -> list[Span]:
    """Cut any sentence longer than `budget` tokens into word runs that fit."""
    counts = count_tokens([s.text for s in sentences])
    out: list[Span] = []
    for span, n in zip(sentences, counts, strict=True):
        if n - 2 <= budget:
            out.append(span)
            continue
        words = list(_WORD.finditer(text, span.start, span.end))
        step = max(1, math.ceil(len(words) / (math.ceil((n - 2) / budget) + 1)))
        for k in range(0, len(words), step):
            first, last = words[k], words[min(k + step, len(words)) - 1]
            piece = text[first.start():last.end()]
            out.append(Span(fold_whitespace(piece), first.start(), last.end(), span.paragraph, span.code))
    return out
