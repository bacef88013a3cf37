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


def compile_filter(flt: Filter | None, column: str = "d.metadata") -> tuple[str, list[Any]]:
    """SQL boolean expression over a JSON metadata column, and its parameters."""
    if not flt:
        return "1", []
    if not isinstance(flt, dict):
        raise InvalidFilterError(f"a filter must be a dict, got {type(flt).__name__}: {flt!r}")
    parts: list[str] = []
    params: list[Any] = []
    for key, cond in flt.items():
        sql, p = _compile_key(key, cond, column)
        parts.append(sql)
        params.extend(p)
    return "(" + " AND ".join(parts) + ")", params


def _compile_key(key: str, cond: Any, column: str) -> tuple[str, list[Any]]:
    if key in ("$and", "$or"):
        if not isinstance(cond, list) or not cond:
            raise InvalidFilterError(f"{key} takes a non-empty list of filters, got {cond!r}")
        compiled = [compile_filter(c, column) for c in cond]
        joiner = " AND " if key == "$and" else " OR "
        return "(" + joiner.join(s for s, _ in compiled) + ")", [p for _, ps in compiled for p in ps]
    if key == "$not":
        sql, params = compile_filter(cond, column)
        return f"(NOT {sql})", params
    if key.startswith("$"):
        raise InvalidFilterError(f"unknown operator {key!r} at top level; use $and, $or, $not")
    path = _path(key)
    if not isinstance(cond, dict):
        cond = {"$eq": cond}
    if not cond:
        raise InvalidFilterError(f"empty condition for field {key!r}")
    parts, params = [], []
    for op, value in cond.items():
        sql, p = _compile_op(key, path, op, value, column)
        parts.append(sql)
        params.extend(p)
    return "(" + " AND ".join(parts) + ")", params


def _member(path: str, column: str, placeholders: str) -> str:
    return f"EXISTS (SELECT 1 FROM json_each({column}, ?) WHERE value IN ({placeholders}))"


def _compile_op(field: str, path: str, op: str, value: Any, column: str) -> tuple[str, list[Any]]:
    if op not in _OPS:
        raise InvalidFilterError(
            f"unknown operator {op!r} for field {field!r}; use one of {', '.join(sorted(_OPS))}"
        )
    if op == "$exists":
        if not isinstance(value, bool):
            raise InvalidFilterError(f"$exists on {field!r} takes true or false, got {value!r}")
        sql = f"json_type({column}, ?) IS {'NOT ' if value else ''}NULL"
        return sql, [path]
    if op in ("$eq", "$ne"):
        sql = _member(path, column, "?")
        sql = sql if op == "$eq" else f"NOT {sql}"
        return sql, [path, _scalar(field, op, value)]
    if op in ("$in", "$nin"):
        if not isinstance(value, (list, tuple, set)) or not value:
            raise InvalidFilterError(f"{op} on {field!r} takes a non-empty list, got {value!r}")
        values = [_scalar(field, op, v) for v in value]
        sql = _member(path, column, ",".join("?" * len(values)))
        return (sql if op == "$in" else f"NOT {sql}"), [path, *values]
    bound = _scalar(field, op, value)
    if isinstance(bound, str):
        kind = "json_type({c}, ?) = 'text'"
    else:
        kind = "json_type({c}, ?) IN ('integer', 'real')"
    # coalesce: a missing field gives NULL here, and NOT NULL would drop it from a $not
    sql = f"coalesce(({kind.format(c=column)} AND json_extract({column}, ?) {_RANGE[op]} ?), 0)"
    return sql, [path, path, bound]
