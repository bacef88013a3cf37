"""The metadata catalogue of one tenant: fields, types, values with counts, and mined aliases.

It is read from the `documents` table of the current generation, so it is true after every
upsert and delete by construction (`RagIndex.catalogue` caches it per generation).

Aliases: for each value of a field, the organization names the documents themselves use, when
those names occur only in documents holding that value. With `ticker` from file names and
`organizations` from the text, "Apple" and "Apple Inc" become aliases of ticker AAPL; a name
found under every ticker (a stock exchange) is nobody's alias.

Only a document's first organization speaks for it: a filing's opening names its filer first,
then the exchange, auditor or customers it deals with. "Nasdaq Stock Market LLC" on each of
Apple's cover pages (and under no other ticker) is therefore not an alias of AAPL.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

from rag_agent.ingest.metadata import name_variants

__all__ = ["ALIAS_SOURCES", "Catalogue", "FieldInfo", "build_catalogue"]

ALIAS_SOURCES = ("organizations", "organization", "company", "companies")
"""Fields whose names become aliases of other fields' values."""
SHOWN_VALUES = 50
ID_FIELDS = frozenset({"source", "source_id", "title", "id", "_id", "record_id", "doc_id",
                       "file", "path", "url", "eval_key"})
"""Fields that name a document, never a set of documents."""
MIN_DOCS_ID = 10
"""Below this many documents, a field with one value per document may still be a real
category (five companies, one filing each); from it on, such a field is an identifier."""
_ISO_DATE = re.compile(r"^\d{4}-\d\d-\d\d")
_CODE = re.compile(r"^[Qq][1-4]$|^[Hh][12]$|^\d+$")


@dataclass(frozen=True)
class FieldInfo:
    """One metadata field across a tenant's documents."""

    name: str
    type: str
    """int, float, bool, date (ISO strings), str, or list (of strings)."""
    documents: int
    """Documents that have the field."""
    values: dict[Any, int]
    """Every distinct value (list fields: every element) with its document count."""
    aliases: dict[Any, list[str]] = field(default_factory=dict)
    """For a value, other names the documents holding it use for it."""

    @property
    def distinct(self) -> int:
        return len(self.values)

    @property
    def identifier(self) -> bool:
        """Ids and paths, or one value per document in a larger set: useless as a filter."""
        if self.name in ID_FIELDS:
            return True
        return self.type in ("str", "list") and self.distinct == self.documents >= MIN_DOCS_ID \
            and self.name not in ALIAS_SOURCES

    def to_dict(self) -> dict[str, Any]:
        top = sorted(self.values.items(), key=lambda kv: (-kv[1], str(kv[0])))[:SHOWN_VALUES]
        return {"type": self.type, "documents": self.documents, "distinct": self.distinct,
                "identifier": self.identifier,
                "values": {str(v): n for v, n in top},
                "aliases": {str(v): a for v, a in self.aliases.items()}}


@dataclass(frozen=True, eq=False)  # identity: hashable, so derived matchers can be cached
class Catalogue:
    """Fields of one tenant's documents at one index generation."""

    tenant: str
    documents: int
    generation: int
    fields: dict[str, FieldInfo]

    def __getitem__(self, name: str) -> FieldInfo:
        return self.fields[name]

    def __contains__(self, name: object) -> bool:
        return name in self.fields

    def unknown_fields(self, flt: dict[str, Any] | None) -> list[str]:
        """Fields `flt` names that no document has (such a condition matches nothing)."""
        from rag_agent.index.filters import filter_fields

        return [f for f in filter_fields(flt) if f not in self.fields]

    def field_summary(self, shown: int = 6) -> str:
        """One line per filterable field with its commonest values, for prompts and tools."""
        lines = []
        for name, info in sorted(self.fields.items()):
            if info.identifier:
                continue
            top = sorted(info.values.items(), key=lambda kv: (-kv[1], str(kv[0])))[:shown]
            more = ", ..." if info.distinct > shown else ""
            lines.append(f"{name} ({info.type}): {', '.join(map(str, (v for v, _ in top)))}{more}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {"tenant": self.tenant, "documents": self.documents,
                "generation": self.generation,
                "fields": {n: f.to_dict() for n, f in sorted(self.fields.items())}}

    def lines(self) -> list[str]:
        """The catalogue as the CLI prints it."""
        out = [f"tenant {self.tenant}: {self.documents} documents"]
        for name, info in sorted(self.fields.items()):
            kind = "identifier" if info.identifier else info.type
            shown = sorted(info.values.items(), key=lambda kv: (-kv[1], str(kv[0])))[:8]
            values = ", ".join(f"{v}={n}" for v, n in shown)
            more = f", ... ({info.distinct} distinct)" if info.distinct > len(shown) else ""
            out.append(f"  {name} ({kind}, {info.documents} docs): {values}{more}")
            for value, names in sorted(info.aliases.items(), key=lambda kv: str(kv[0])):
                out.append(f"      {value} also called: {', '.join(names)}")
        return out


def _type_of(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, list):
        return "list"
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            dt.date.fromisoformat(value[:10])
            return "date"
        except ValueError:
            return "str"
    return "str"


def _hashable(value: Any) -> Any:
    return value if isinstance(value, (str, int, float, bool)) else json.dumps(value)


def build_catalogue(rows: list[dict[str, Any]], tenant: str, generation: int) -> Catalogue:
    """The catalogue of `rows` (one metadata dict per document)."""
    values: dict[str, Counter[Any]] = defaultdict(Counter)
    types: dict[str, Counter[str]] = defaultdict(Counter)
    present: Counter[str] = Counter()
    for meta in rows:
        for name, value in meta.items():
            if value is None or isinstance(value, dict):
                continue
            present[name] += 1
            types[name][_type_of(value)] += 1
            items = value if isinstance(value, list) else [value]
            for item in dict.fromkeys(_hashable(v) for v in items):  # first-seen, not set order
                values[name][item] += 1
    kinds = {name: t.most_common(1)[0][0] if len(t) == 1 else "str" for name, t in types.items()}
    fields = {name: FieldInfo(name, kinds[name], present[name], dict(values[name]))
              for name in present}
    aliases = _mine_aliases(rows, fields)
    fields = {name: replace(info, aliases=aliases.get(name, {})) for name, info in fields.items()}
    return Catalogue(tenant, len(rows), generation, fields)


def _mine_aliases(rows: list[dict[str, Any]],
                  fields: dict[str, FieldInfo]) -> dict[str, dict[Any, list[str]]]:
    """value -> names, for names found only in documents holding that value."""
    names_in: list[set[str]] = []
    for meta in rows:
        names: set[str] = set()
        for source in ALIAS_SOURCES:
            raw = meta.get(source)
            first = raw[0] if isinstance(raw, list) and raw else raw
            if isinstance(first, str):  # the document's own name (see the module docstring)
                names.update(name_variants(first))
        names_in.append(names)
    out: dict[str, dict[Any, list[str]]] = {}
    for name, info in fields.items():
        codes = all(_CODE.match(str(v)) for v in info.values)  # periods ("Q3") have no names
        if info.identifier or codes or info.type not in ("str", "list") or info.distinct < 2:
            continue
        if name in ALIAS_SOURCES:  # a name's own shorter forms
            found = {v: name_variants(v)[1:] for v in info.values if isinstance(v, str)}
            out[name] = {v: a for v, a in found.items() if a}
            continue
        holders: dict[str, set[Any]] = defaultdict(set)  # alias -> values of docs using it
        for meta, names in zip(rows, names_in, strict=True):
            raw = meta.get(name)
            vals = {_hashable(v) for v in (raw if isinstance(raw, list) else [raw])}
            for alias in names:
                holders[alias] |= vals
        per_value: dict[Any, list[str]] = defaultdict(list)
        for alias, vals in holders.items():
            if len(vals) == 1:
                (value,) = vals
                if value is not None and str(value) != alias:  # "Acme" for ACME is news
                    per_value[value].append(alias)
        if per_value:
            out[name] = {v: sorted(a, key=str.lower) for v, a in per_value.items()}
    return out
