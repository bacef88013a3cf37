"""Metadata filters: one syntax, compiled to SQL and applied before ranking.

Syntax (MongoDB-style, as in Chroma and LangChain's structured query):

    {"year": 2023}                                  equality (also matches inside list fields)
    {"ticker": {"$in": ["AAPL", "MSFT"]}}           $eq $ne $in $nin
    {"date": {"$gte": "2023-01-01", "$lt": "2024-01-01"}}   $gt $gte $lt $lte on numbers or
                                                    ISO date strings (compared as the same type)
    {"draft": {"$exists": False}}
    {"$and": [...]}, {"$or": [...]}, {"$not": {...}}

Several fields in one dict are AND-ed. Dates and datetimes may be given as Python objects.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from rag_agent.errors import InvalidFilterError

__all__ = ["Filter", "and_filters", "compile_filter", "normalize_value"]

Filter = dict[str, Any]
_FIELD = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_\-]*(\.[A-Za-z0-9_\-]+)*$")
_RANGE = {"$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}
_OPS = {"$eq", "$ne", "$in", "$nin", "$exists", *_RANGE}


def normalize_value(value: Any) -> Any:
    """Dates become ISO strings; bools stay bools; other scalars pass through."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def and_filters(*filters: Filter | None) -> Filter | None:
    """The AND of the non-empty filters (None when there are none)."""
    parts = [f for f in filters if f]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else {"$and": parts}


def _path(field: str) -> str:
    if not isinstance(field, str) or not _FIELD.match(field):
        raise InvalidFilterError(
            f"bad field name {field!r} in filter; use letters, digits, '_', '-' and '.' for nesting"
        )
    return "$" + "".join(f'."{part}"' for part in field.split("."))


def _scalar(field: str, op: str, value: Any) -> Any:
    value = normalize_value(value)
    if isinstance(value, bool) or isinstance(value, (str, int, float)):
        return int(value) if isinstance(value, bool) else value
    raise InvalidFilterError(
        f"filter {field!r} {op}: value {value!r} must be a string, number, bool or date"
    )


def filter_fields(flt: Filter | None) -> list[str]:
    """The metadata fields a filter names, in order, through $and / $or / $not."""
    out: list[str] = []
    for key, cond in (flt or {}).items() if isinstance(flt, dict) else []:
        if key in ("$and", "$or"):
            for sub in cond if isinstance(cond, list) else []:
                out += [f for f in filter_fields(sub) if f not in out]
        elif key == "$not":
            out += [f for f in filter_fields(cond) if f not in out]
        elif not key.startswith("$") and key not in out:
            out.append(key)
    return out


def compile_filter(flt: Filter | None, column: str = "d.metadata", *,
                   dialect: str = "sqlite") -> tuple[str, list[Any]]:
    """SQL boolean expression over a JSON metadata column, and its parameters (`?`).

    `dialect` "sqlite" reads a TEXT column with SQLite's JSON functions; "postgres" a JSONB
    column. Both give the same answer on every document (tests/unit/test_filter_property.py
    checks each against a brute-force reference).
    """
    if dialect not in _DIALECTS:
        raise ValueError(f"unknown SQL dialect {dialect!r}")
    if not flt:
        return _DIALECTS[dialect].true, []
    if not isinstance(flt, dict):
        raise InvalidFilterError(f"a filter must be a dict, got {type(flt).__name__}: {flt!r}")
    sql_of = _DIALECTS[dialect]
    parts: list[str] = []
    params: list[Any] = []
    for key, cond in flt.items():
        sql, p = _compile_key(key, cond, column, sql_of)
        parts.append(sql)
        params.extend(p)
    return "(" + " AND ".join(parts) + ")", params


def _compile_key(key: str, cond: Any, column: str, sql_of: _Sql) -> tuple[str, list[Any]]:
    if key in ("$and", "$or"):
        if not isinstance(cond, list) or not cond:
            raise InvalidFilterError(f"{key} takes a non-empty list of filters, got {cond!r}")
        compiled = [compile_filter(c, column, dialect=sql_of.name) for c in cond]
        joiner = " AND " if key == "$and" else " OR "
        return "(" + joiner.join(s for s, _ in compiled) + ")", [p for _, ps in compiled for p in ps]
    if key == "$not":
        sql, params = compile_filter(cond, column, dialect=sql_of.name)
        return f"(NOT {sql})", params
    if key.startswith("$"):
        raise InvalidFilterError(f"unknown operator {key!r} at top level; use $and, $or, $not")
    _path(key)
    if not isinstance(cond, dict):
        cond = {"$eq": cond}
    if not cond:
        raise InvalidFilterError(f"empty condition for field {key!r}")
    parts, params = [], []
    for op, value in cond.items():
        sql, p = _compile_op(key, op, value, column, sql_of)
        parts.append(sql)
        params.extend(p)
    return "(" + " AND ".join(parts) + ")", params


def _compile_op(field: str, op: str, value: Any, column: str,
                sql_of: _Sql) -> tuple[str, list[Any]]:
    if op not in _OPS:
        raise InvalidFilterError(
            f"unknown operator {op!r} for field {field!r}; use one of {', '.join(sorted(_OPS))}"
        )
    if op == "$exists":
        if not isinstance(value, bool):
            raise InvalidFilterError(f"$exists on {field!r} takes true or false, got {value!r}")
        return sql_of.exists(field, column, value)
    if op in ("$eq", "$ne"):
        sql, params = sql_of.member(field, column, [_scalar(field, op, value)])
        return (sql if op == "$eq" else f"NOT {sql}"), params
    if op in ("$in", "$nin"):
        if not isinstance(value, (list, tuple, set)) or not value:
            raise InvalidFilterError(f"{op} on {field!r} takes a non-empty list, got {value!r}")
        sql, params = sql_of.member(field, column, [_scalar(field, op, v) for v in value])
        return (sql if op == "$in" else f"NOT {sql}"), params
    return sql_of.compare(field, column, _RANGE[op], _scalar(field, op, value))


class _Sql:
    """How one SQL dialect reads a metadata field: membership (a scalar, or an element of a
    list field), presence, and comparison of a number or string of the same type."""

    name = ""
    true = ""

    def member(self, field: str, column: str, values: list[Any]) -> tuple[str, list[Any]]:
        raise NotImplementedError

    def exists(self, field: str, column: str, present: bool) -> tuple[str, list[Any]]:
        raise NotImplementedError

    def compare(self, field: str, column: str, op: str, bound: Any) -> tuple[str, list[Any]]:
        raise NotImplementedError


class _SQLite(_Sql):
    name, true = "sqlite", "1"

    def member(self, field: str, column: str, values: list[Any]) -> tuple[str, list[Any]]:
        marks = ",".join("?" * len(values))
        return (f"EXISTS (SELECT 1 FROM json_each({column}, ?) WHERE value IN ({marks}))",
                [_path(field), *values])

    def exists(self, field: str, column: str, present: bool) -> tuple[str, list[Any]]:
        return f"json_type({column}, ?) IS {'NOT ' if present else ''}NULL", [_path(field)]

    def compare(self, field: str, column: str, op: str, bound: Any) -> tuple[str, list[Any]]:
        path = _path(field)
        if isinstance(bound, str):
            kind = f"json_type({column}, ?) = 'text'"
        else:
            kind = f"json_type({column}, ?) IN ('integer', 'real')"
        # coalesce: a missing field gives NULL here, and NOT NULL would drop it from a $not
        return (f"coalesce(({kind} AND json_extract({column}, ?) {op} ?), 0)",
                [path, path, bound])


class _Postgres(_Sql):
    """JSONB: `#>` reads the field (JSON null stays a value, a missing field is SQL NULL);
    strings compare byte-wise (COLLATE "C", as SQLite does), numbers as numeric, and a
    boolean equals 1 or 0, as in SQLite's JSON functions."""

    name, true = "postgres", "TRUE"

    def member(self, field: str, column: str, values: list[Any]) -> tuple[str, list[Any]]:
        texts = [v for v in values if isinstance(v, str)]
        numbers = [v for v in values if not isinstance(v, str)]
        tests, params = [], []
        if texts:
            tests.append("(jsonb_typeof(e) = 'string' AND e #>> '{}' = ANY(?::text[]))")
            params.append(texts)
        if numbers:
            tests.append("(jsonb_typeof(e) = 'number' AND (e #>> '{}')::numeric = "
                         "ANY(?::numeric[]))")
            tests.append("(jsonb_typeof(e) = 'boolean' AND (CASE WHEN e = 'true'::jsonb THEN 1 "
                         "ELSE 0 END) = ANY(?::numeric[]))")
            exact = [repr(float(v)) if isinstance(v, float) else str(v) for v in numbers]
            params += [exact, exact]  # as text, so numeric compares them exactly
        value = f"({column} #> ?::text[])"
        elements = (f"jsonb_array_elements(CASE WHEN jsonb_typeof({value}) = 'array' THEN "
                    f"{value} ELSE jsonb_build_array({value}) END)")
        return (f"EXISTS (SELECT 1 FROM {elements} AS x(e) WHERE {' OR '.join(tests)})",
                [field.split("."), field.split("."), field.split("."), *params])

    def exists(self, field: str, column: str, present: bool) -> tuple[str, list[Any]]:
        return (f"({column} #> ?::text[]) IS {'NOT ' if present else ''}NULL",
                [field.split(".")])

    def compare(self, field: str, column: str, op: str, bound: Any) -> tuple[str, list[Any]]:
        value = f"({column} #> ?::text[])"
        if isinstance(bound, str):
            test = (f"jsonb_typeof({value}) = 'string' AND ({value} #>> '{{}}') COLLATE \"C\" "
                    f"{op} ?::text")
        else:
            test = (f"jsonb_typeof({value}) = 'number' AND ({value} #>> '{{}}')::numeric {op} "
                    "?::numeric")
            bound = repr(float(bound)) if isinstance(bound, float) else str(bound)
        return f"coalesce(({test}), FALSE)", [field.split(".")] * 2 + [bound]


_DIALECTS: dict[str, _Sql] = {"sqlite": _SQLite(), "postgres": _Postgres()}
