"""Keyword (BM25) ranking over the FTS5 table of one unit kind (`keyword_<kind>`: each unit's
text under its document's title), pre-filtered in the same SQL query (the PostgreSQL backend
ranks with its full-text search instead: `index.pg.keyword`).

User text never reaches FTS5 as syntax: each whitespace-separated word becomes one quoted FTS5
string (inside quotes `NEAR`, `AND`, `*`, `:`, `-` and parentheses are plain characters, which the
tokenizer drops), and the strings are OR-ed. A word such as `XJ-9042` is thus the phrase
"xj 9042", matching the part number rather than either half anywhere.

Common English function words are left out of the query: with OR, they would fill the tail of a
keyword ranking with units that share nothing but "the" or "what" with the question, and rank
fusion counts ranks, not scores.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from rag_agent.errors import IndexMismatchError
from rag_agent.index import db, keyword_tables
from rag_agent.index.filters import Filter, compile_filter
from rag_agent.ingest.clean import clean_text

__all__ = ["STOPWORDS", "document_frequency", "fts_query", "keyword_ids", "query_words"]

# Lucene's English stop set plus question and auxiliary words, compared case-insensitively with
# the word stripped of punctuation ("What's" -> "what's").
STOPWORDS = frozenset("""
a an and are as at be but by for if in into is it no not of on or such that the their then there
these they this to was will with what what's which who whom whose when where why how do does did
done can could would should shall may might must i me my we our you your he she him his her its
it's them am been being were has have had about from than so too very any all some s t
""".split())


_POSSESSIVE = re.compile(r"['\u2019][sS](?=\W*$)")


def fts_query(text: str) -> str | None:
    """A safe FTS5 query matching units that contain any word of `text`; None if it has none.

    A possessive "'s" is cut ("Okonkwo's" -> "Okonkwo", not the phrase "okonkwo s"); words
    without a letter or digit (pure punctuation) and stop words are dropped; embedded double
    quotes are doubled, FTS5's escape inside a string.
    """
    words = query_words(text)
    if not words:
        return None
    unique = dict.fromkeys(w.replace('"', '""') for w in words)
    return " OR ".join(f'"{w}"' for w in unique)


def _is_stopword(word: str) -> bool:
    return "".join(ch for ch in word.lower() if ch.isalnum() or ch == "'").strip("'") in STOPWORDS


def keyword_ids(
    conn: Any,
    query: str,
    *,
    kind: str,
    k: int,
    filter: Filter | None,
    tenant: str,
    doc_ids: Sequence[str] | None,
) -> list[tuple[int, float]]:
    """(unit id, -bm25) of the top-k units of `kind` matching `query`, tenant, filter and
    `doc_ids`, best first (ties by id). The restriction is part of the query, not applied after.
    """
    if db.dialect(conn) == "postgres":
        from rag_agent.index.pg.keyword import keyword_ids as server_keyword_ids

        return server_keyword_ids(conn, query, kind=kind, k=k, filter=filter, tenant=tenant,
                                  doc_ids=doc_ids)
    match = fts_query(query)
    if match is None or k <= 0 or (doc_ids is not None and not doc_ids):
        return []
    table = keyword_tables.keyword_table(kind)
    where, params = compile_filter(filter)
    sql = (f"SELECT u.id, -bm25({table}) AS score FROM {table} "
           f"JOIN units u ON u.id = {table}.rowid JOIN documents d ON d.doc_id = u.doc_id "
           f"WHERE {table} MATCH ? AND d.tenant = ? AND {where}")
    args: list[Any] = [match, tenant, *params]
    if doc_ids is not None:
        sql += f" AND u.doc_id IN ({','.join('?' * len(doc_ids))})"
        args += list(doc_ids)
    sql += " ORDER BY score DESC, u.id LIMIT ?"
    with _older_schema_explained():
        return [(int(i), float(s)) for i, s in conn.execute(sql, [*args, k])]


def query_words(text: str) -> list[str]:
    """The words of `text` a keyword search looks for (stop words and punctuation dropped;
    lone surrogates, as from undecodable command-line bytes, made U+FFFD first)."""
    words = [_POSSESSIVE.sub("", w) for w in clean_text(text).split()]
    return list(dict.fromkeys(w for w in words
                              if any(ch.isalnum() for ch in w) and not _is_stopword(w)))


def document_frequency(conn: Any, words: Sequence[str], *,
                       tenant: str) -> dict[str, int]:
    """How many of the tenant's documents hold each word (as FTS5 tokenizes and stems it)."""
    if db.dialect(conn) == "postgres":
        from rag_agent.index.pg.keyword import document_frequency as server_frequency

        return server_frequency(conn, words, tenant=tenant)
    table = keyword_tables.keyword_table("child")
    out: dict[str, int] = {}
    for word in words:
        match = '"' + word.replace('"', '""') + '"'
        with _older_schema_explained():
            out[word] = conn.execute(
                f"SELECT count(DISTINCT u.doc_id) FROM {table} JOIN units u ON u.id = "
                f"{table}.rowid JOIN documents d ON d.doc_id = u.doc_id WHERE {table} MATCH ? "
                "AND d.tenant = ?", (match, tenant)).fetchone()[0]
    return out


@contextmanager
def _older_schema_explained() -> Iterator[None]:
    """A missing keyword table (an index of schema 2 opened read-only: its keyword index is
    rebuilt on the first writable open) as a clear error, checked only when SQLite reports it."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        if "no such table: keyword_" not in str(exc):
            raise
        raise IndexMismatchError(
            "this index's keyword index is of an older schema (one table over every kind); "
            "open the index once without read_only (or run "
            "`rag-agent check --index DIR --repair`) to rebuild it from the stored text, "
            "nothing embedded") from exc
