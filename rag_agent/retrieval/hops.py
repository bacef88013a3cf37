"""A bounded second retrieval hop for multi-hop fact questions.

"What government position was held by the woman who portrayed Corliss Archer in the film Kiss
and Tell?": the first hop finds the film; the passage that answers is about the actress, whom
the question never names but the film's passage does. Offline, the second hop looks for
documents of the index whose title the first hop's best passages name and the question does
not, and retrieves the best passage inside each of them; each found passage is placed right
after the passage that named it. With a chat model the agent can write a follow-up query
instead (`rag_agent.agent`); both are one hop, never a loop.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Hop", "TitleMatcher", "bare_title", "title_hop"]

_DISAMBIGUATION = re.compile(r"\s*\([^)]*\)\s*$")
_WORD = re.compile(r"[\w'’.&-]+")
MAX_NAMES = 6
"""Most named documents one passage's hop retrieves from (the best-matching ones are kept)."""
MIN_TITLE_CHARS = 4
"""Shorter titles ("It", "Yes") are everywhere in text and name nothing."""


def bare_title(title: str) -> str:
    """The title as text names it: "Kiss and Tell (1945 film)" -> "Kiss and Tell"."""
    return _DISAMBIGUATION.sub("", title).strip()


def _words(text: str) -> list[str]:
    return [w.strip(".'’-") for w in _WORD.findall(text)]


@dataclass
class TitleMatcher:
    """Finds the titles of a set of documents where a text names them (case-sensitive, whole
    words), in one pass over the text's words."""

    titles: Iterable[str]
    _by_first: dict[str, list[tuple[tuple[str, ...], str]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for title in sorted(set(self.titles)):  # sorted: the same matches in every process
            words = tuple(_words(bare_title(title)))
            if not words or len(" ".join(words)) < MIN_TITLE_CHARS:
                continue
            if not any(c.isupper() or c.isdigit() for c in "".join(words)):
                continue  # a title in lower case is a common phrase, not a name
            self._by_first.setdefault(words[0], []).append((words, title))
        for options in self._by_first.values():
            options.sort(key=lambda o: (-len(o[0]), o[1]))

    def named(self, text: str) -> list[str]:
        """Titles named in `text`, in order of first mention (the longest title at a word)."""
        words = _words(text)
        found: list[str] = []
        i = 0
        while i < len(words):
            step = 1
            for seq, _ in self._by_first.get(words[i], ()):
                if tuple(words[i:i + len(seq)]) == seq:
                    # every title read as these words ("Kiss and Tell (1945 film)" and
                    # "(1998 film)"): the hop's retrieval tells them apart
                    found += [t for s, t in self._by_first[words[i]]
                              if s == seq and t not in found]
                    step = len(seq)
                    break
            i += step
        return found


@dataclass(frozen=True)
class Hop:
    """What one second hop did, for the state and traces."""

    via: str
    """"titles named in passages" or "follow-up query"."""
    query: str
    named: dict[str, list[str]]
    """First-hop passage id -> titles of other documents it names."""
    found: list[str]
    """Titles of the documents whose passages the hop added."""


def title_hop(retriever: Any, question: str, documents: list[Any], matcher: TitleMatcher,
              parents: dict[str, str], *, hop_from: int = 2, per_passage: int = 1,
              base_filter: dict[str, Any] | None = None) -> tuple[list[Any], Hop]:
    """The second hop over titles the first hop's best passages name (see module docstring).

    Args:
        retriever: the first hop's retriever; it is asked once per named document, restricted
            to that document's title.
        documents: the first hop's passages, best first.
        parents: passage id -> the text to read names in (its parent, or the passage itself).
        hop_from: how many of the best passages are read.
        per_passage: most documents added after each of them.
    """
    in_question = set(matcher.named(question))
    own = {str(d.metadata.get("title", "")) for d in documents[:hop_from]}
    named: dict[str, list[str]] = {}
    found: dict[str, list[Any]] = {}
    titles_found: list[str] = []
    for doc in documents[:hop_from]:
        key = doc.id or doc.page_content
        names = [t for t in matcher.named(parents.get(key, doc.page_content))
                 if t not in in_question and t not in own and t not in titles_found]
        named[key] = names
        tried: list[tuple[float, str, Any]] = []
        for title in names[:MAX_NAMES]:
            flt = {"title": title} if base_filter is None else {"$and": [base_filter,
                                                                        {"title": title}]}
            hits = retriever.invoke(question, k=1, filter=flt)
            if hits:
                tried.append((float(hits[0].metadata.get("score") or 0.0), title, hits[0]))
        tried.sort(key=lambda t: (-t[0], t[1]))
        found[key] = [_tag(hit, title) for _, title, hit in tried[:per_passage]]
        titles_found += [title for _, title, _ in tried[:per_passage]]
    out: list[Any] = []
    ids: set[str] = set()
    for doc in documents:
        key = doc.id or doc.page_content
        for d in [doc, *found.get(key, [])]:
            dkey = d.id or d.page_content
            if dkey not in ids:
                ids.add(dkey)
                out.append(d)
    return out, Hop("titles named in passages", question, named, titles_found)


def _tag(doc: Any, title: str) -> Any:
    doc.metadata["hop"] = 2
    doc.metadata["named_title"] = title
    return doc
