"""Keyword ranking on the server backend: PostgreSQL full-text search.

The query's words (the same words `index.keyword.query_words` keeps: stop words and punctuation
dropped) each become a `phraseto_tsquery('english', word)`, OR-ed, so user text is never query
syntax and "XJ-9042" stays one phrase. Units are ranked by `ts_rank` over the generated
`tsvector` column (GIN-indexed), pre-filtered in the same query. `ts_rank` weighs how often the
words occur, not how rare they are (no IDF), so keyword scores differ from the embedded
backend's BM25, and the `tsvector` holds the unit text only, where the embedded backend also
indexes the document title; rankings that fuse them count ranks, and dense scores are the same
on both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rag_agent.index.filters import Filter
from rag_agent.index.keyword import query_words
from rag_agent.index.scope import Scope

__all__ = ["document_frequency", "keyword_ids"]


def keyword_ids(conn: Any, query: str, *, kind: str, k: int, filter: Filter | None,
                tenant: str, doc_ids: Sequence[str] | None) -> list[tuple[int, float]]:
    """(unit id, rank) of the top-k units of `kind` holding a word of `query`, within the
    tenant, filter and `doc_ids`, best first (ties by id)."""
    words = query_words(query)
    if not words or k <= 0 or (doc_ids is not None and not doc_ids):
        return []
    tsquery = " || ".join(["phraseto_tsquery('english', ?)"] * len(words))
    where, args = Scope.of(kind, tenant, filter, doc_ids, "postgres").sql()
    sql = (f"SELECT u.id, ts_rank(u.tsv, q.q) AS score FROM (SELECT {tsquery} AS q) q, units u "
           f"JOIN documents d ON d.doc_id = u.doc_id WHERE u.tsv @@ q.q AND {where} "
           "ORDER BY score DESC, u.id LIMIT ?")
    return [(int(i), float(s)) for i, s in conn.execute(sql, [*words, *args, k]).fetchall()]


def document_frequency(conn: Any, words: Sequence[str], *, tenant: str) -> dict[str, int]:
    """How many of the tenant's documents hold each word in a child (as the server stems it)."""
    return {word: conn.execute(
        "SELECT count(DISTINCT u.doc_id) FROM units u JOIN documents d ON d.doc_id = u.doc_id "
        "WHERE u.kind = 'child' AND d.tenant = ? AND u.tsv @@ phraseto_tsquery('english', ?)",
        [tenant, word]).fetchone()[0] for word in words}
