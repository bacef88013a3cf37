"""What a comparison compares: offline from titles and names in the question, or from an LLM."""

from __future__ import annotations

import re
from typing import Any

from rag_agent.ingest.periods import find_periods

__all__ = ["Target", "offline_targets", "target_query"]

Target = dict[str, Any]
"""{"name": str, "title": str | None}: a title when the target is a document of the index."""

_CONNECT = {"of", "for", "the", "de", "la", "von", "van", "and", "&"}
_QUESTION_WORDS = {"which", "who", "what", "were", "was", "are", "is", "did", "do", "does",
                   "how", "compare", "when", "where", "why", "has", "have", "in", "between",
                   # words that open a question or request, capitalized only for being first
                   "can", "could", "would", "should", "will", "shall", "may", "might", "if",
                   "outline", "describe", "list", "identify", "explain", "discuss", "give",
                   "show", "tell", "provide", "summarize", "summarise", "contrast", "evaluate",
                   "assess", "analyze", "analyse", "given", "based", "according", "during",
                   "over", "across", "on", "for", "from", "to", "please", "the", "a", "an",
                   "and", "or", "but", "as", "at", "by", "with", "since", "after", "before",
                   "among", "both", "either", "neither", "any", "all", "each",
                   "there", "here", "this", "that", "these", "those", "it", "they", "we", "i"}


def _names(question: str) -> list[str]:
    """Runs of capitalized words (allowing 'of', 'for'... inside) that are not question words."""
    words = re.findall(r"[\w'’.\-]+|[,?;:()]", question)
    names: list[list[str]] = []
    current: list[str] = []
    for i, word in enumerate(words):
        bare = re.sub(r"('s|’s)$", "", word)
        capital = bare[:1].isupper() or (bare.isdigit() and len(bare) == 4)
        opening = i == 0 and (bare.lower() in _QUESTION_WORDS or bare.lower().endswith("ing"))
        if capital and not opening and not (not current and bare.lower() in _QUESTION_WORDS):
            nxt = words[i + 1] if i + 1 < len(words) else ""
            if bare != word and not nxt[:1].isupper():  # "Toronto's and": the name ends here
                names.append([*current, bare])
                current = []
            else:  # "Arthur's Magazine": the possessive is part of the name
                current.append(word)
        elif (current and word.lower() in _CONNECT and i + 1 < len(words)
              and words[i + 1][:1].isupper() and word.lower() != "and"):
            current.append(word)
        else:
            if current:
                names.append(current)
            current = []
    if current:
        names.append(current)
    joined = [" ".join(n) for n in names]
    # the sentence's full stop is not part of a name ("... to AIDS."); "U.S." keeps its own
    return [n[:-1] if n.endswith(".") and n.count(".") == 1 else n for n in joined]


def offline_targets(question: str, titles: list[str]) -> list[Target]:
    """Targets named in the question: index document titles first, else capitalized names.

    Returns fewer than two targets when nothing distinct is named (a trend over time of one
    subject, say); the caller then retrieves once for the whole question.
    """
    lowered = question.lower()
    found: list[Target] = []
    # longest first; of titles differing only in case, the one written as in the question,
    # then text order (never set order, which changes between processes)
    for title in sorted(set(titles), key=lambda t: (-len(t), t not in question, t)):
        if 2 < len(title) <= 80 and re.search(rf"\b{re.escape(title.lower())}\b", lowered):
            if not any(title.lower() in t["name"].lower() for t in found):
                found.append({"name": title, "title": title})
    if len(found) >= 2:
        return sorted(found, key=lambda t: lowered.index(t["name"].lower()))
    aside = " ".join(re.findall(r"\(([^)]*)\)", question)).lower()
    names = [n for n in _names(question) if n.lower() not in {t["name"].lower() for t in found}
             and not find_periods(n)  # "Q2 2023" is when, not what (periods are filters)
             and n.lower() not in aside]  # "AWS (Amazon Web Services)" names one thing
    out = found + [{"name": n, "title": None} for n in names]
    unique: list[Target] = []
    for t in out:
        if t["name"].lower() not in {u["name"].lower() for u in unique}:
            unique.append(t)
    return unique if len(unique) >= 2 else []


def target_query(question: str, target: str, targets: list[str]) -> str:
    """The question as it concerns one target: the other targets' names taken out, the
    target's name in front ("Compare A's and B's climate" -> "B: Compare 's and B's climate")."""
    text = question
    for other in targets:
        if other and other.lower() != target.lower():
            text = re.sub(re.escape(other), " ", text, flags=re.I)
    return f"{target}: {' '.join(text.split())}" if target else question
