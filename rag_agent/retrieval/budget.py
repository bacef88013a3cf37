"""A context budget in characters: what of a ranked list of passages is handed to synthesis.

Long parents and short windows then compete at equal cost: a 1,500-character parent uses as much
of the budget as five 300-character windows. Passages are taken in rank order while they fit
(one that does not fit is passed over for the shorter ones behind it); a first passage longer
than the whole budget is cut to it around the text that matched.
"""

from __future__ import annotations

from langchain_core.documents import Document

__all__ = ["cut_passage", "fit_budget", "share_budget"]


def cut_passage(doc: Document, chars: int) -> Document:
    """`doc` cut to at most `chars` characters, keeping the matched sentence or child (when the
    metadata names it) and whole words."""
    text = doc.page_content
    if len(text) <= chars:
        return doc
    anchor = str(doc.metadata.get("matched_sentence") or doc.metadata.get("matched_child") or "")
    at = text.find(anchor) if anchor else -1
    centre = at + len(anchor) // 2 if at >= 0 else 0
    start = max(0, min(centre - chars // 2, len(text) - chars))
    end = start + chars
    if start > 0:
        space = text.find(" ", start, end)
        start = space + 1 if space >= 0 else start
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    return Document(page_content=text[start:end], id=doc.id,
                    metadata={**doc.metadata, "cut": [start, end]})


def fit_budget(docs: list[Document], budget_chars: int | None, k: int | None = None
               ) -> list[Document]:
    """At most `k` passages in rank order whose text fits in `budget_chars` together (None: no
    limit on characters); at least one passage whenever there is one."""
    out: list[Document] = []
    used = 0
    for doc in docs:
        if k is not None and len(out) >= k:
            break
        size = len(doc.page_content)
        if budget_chars is None or used + size <= budget_chars:
            out.append(doc)
            used += size
        elif not out:
            out.append(cut_passage(doc, budget_chars))
            used = budget_chars
    return out


def share_budget(budget_chars: int | None, parts: int) -> int | None:
    """Each of `parts` targets' share of a budget (a comparison's fan-out)."""
    if budget_chars is None:
        return None
    return max(1, budget_chars // max(1, parts))
