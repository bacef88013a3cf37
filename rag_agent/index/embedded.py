"""What was embedded for each unit, rebuilt from the stored text alone.

A child is embedded under its document's title line when the split settings say `embed_title`,
a sentence when they say `sentence_context`; an LLM summary is embedded as it reads, while an
extractive summary's vector is the mean of its document's child vectors (it has no text of its
own to embed). Re-embedding with another model (`index.model_switch`) and the sentence migration
(`index.migrate`) read units through here, so they embed exactly what ingestion embedded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rag_agent.ingest.split import contextual_text, embed_header

__all__ = ["UnitText", "unit_texts"]


@dataclass(frozen=True)
class UnitText:
    """One unit and the text its vector is made from."""

    unit_id: int
    kind: str
    doc_id: str
    embedded: str | None
    """None for an extractive summary: its vector is the mean of its document's children."""


def unit_texts(conn: Any, config: Any, count_tokens: Callable[[list[str]], list[int]], *,
               kinds: Sequence[str] = ("summary", "child", "sentence"),
               unit_ids: Sequence[int] | None = None, tenant: str | None = None,
               sentence_context: bool | None = None) -> list[UnitText]:
    """Units of `kinds` (or just `unit_ids`; of one `tenant` if given) by id, with their
    embedded text under `config`'s split settings (`sentence_context` overrides the config's,
    for a migration)."""
    titled = config.sentence_context if sentence_context is None else sentence_context
    sql = ("SELECT u.id, u.kind, u.doc_id, u.text, d.title, d.summary_kind FROM units u "
           "JOIN documents d ON d.doc_id = u.doc_id "
           f"WHERE u.kind IN ({','.join('?' * len(kinds))})")
    params: list[Any] = list(kinds)
    if unit_ids is not None:
        ids = [int(i) for i in unit_ids]
        sql += f" AND u.id IN ({','.join('?' * len(ids))})"
        params += ids
    if tenant is not None:
        sql += " AND d.tenant = ?"
        params.append(tenant)
    headers: dict[str, str] = {}

    def header(title: str) -> str:
        if title not in headers:
            headers[title] = embed_header(title, count_tokens, config.child_tokens)[0]
        return headers[title]

    out = []
    for uid, kind, doc_id, text, title, summary_kind in conn.execute(sql + " ORDER BY u.id",
                                                                     params):
        if kind == "summary":
            embedded = text if summary_kind == "llm" else None
        elif (kind == "child" and config.embed_title) or (kind == "sentence" and titled):
            embedded = contextual_text(header(title), text)
        else:
            embedded = text
        out.append(UnitText(uid, kind, doc_id, embedded))
    return out
