"""What a search may return: one kind of unit, one tenant, a metadata filter and maybe a set of
documents. Both backends turn a `Scope` into the same SQL restriction over `units u JOIN
documents d`, applied before ranking (so k results come back whenever k units match)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rag_agent.errors import ConfigError
from rag_agent.index.filters import Filter, compile_filter

__all__ = ["KINDS", "Scope"]

KINDS = ("summary", "child", "sentence")


@dataclass(frozen=True)
class Scope:
    """The units one search ranks."""

    kind: str
    tenant: str
    where: str
    """SQL over `d.metadata` from the filter ("1" or "TRUE": no filter)."""
    params: tuple[Any, ...]
    doc_ids: tuple[str, ...] | None
    filtered: bool
    """True if a filter was given (else only kind, tenant and `doc_ids` restrict)."""

    @classmethod
    def of(cls, kind: str, tenant: str, flt: Filter | None, doc_ids: Sequence[str] | None,
           dialect: str) -> Scope:
        """The scope of a search call; raises `ConfigError` for an unknown kind and
        `InvalidFilterError` for a bad filter."""
        if kind not in KINDS:
            raise ConfigError(f"unknown unit kind {kind!r}; use one of {', '.join(KINDS)}")
        where, params = compile_filter(flt, dialect=dialect)
        return cls(kind, tenant, where, tuple(params),
                   None if doc_ids is None else tuple(dict.fromkeys(doc_ids)), bool(flt))

    @property
    def everything(self) -> bool:
        """No filter and no document list: every unit of the kind in the tenant."""
        return not self.filtered and self.doc_ids is None

    def documents_sql(self) -> tuple[str, list[Any]]:
        """The condition on `documents d` alone (tenant, filter, document list)."""
        sql = f"d.tenant = ? AND {self.where}"
        args: list[Any] = [self.tenant, *self.params]
        if self.doc_ids is not None:
            sql += f" AND d.doc_id IN ({','.join('?' * len(self.doc_ids))})" if self.doc_ids \
                else " AND FALSE"
            args += list(self.doc_ids)
        return sql, args

    def sql(self) -> tuple[str, list[Any]]:
        """The WHERE condition over `units u JOIN documents d ON d.doc_id = u.doc_id`, and its
        parameters (`?` placeholders). The kind is inlined (it is one of `KINDS`), so a server
        can match it against an index made for one kind."""
        sql = f"u.kind = '{self.kind}' AND d.tenant = ? AND {self.where}"
        args: list[Any] = [self.tenant, *self.params]
        if self.doc_ids is not None:
            sql += f" AND u.doc_id IN ({','.join('?' * len(self.doc_ids))})" if self.doc_ids \
                else " AND FALSE"
            args += list(self.doc_ids)
        return sql, args
