"""Auto-retrieval: a metadata filter inferred from the question over the index's catalogue.

    inference = infer_filter(index, "What was Apple's gross margin in Q3 2023?")
    inference.filter   -> {"$and": [{"ticker": "AAPL"}, {"year": 2023, "quarter": "Q3"}]}

Offline and deterministic: catalogue values and their mined aliases found in the question;
periods ("Q3 2023", "third quarter of fiscal 2023", "July 2023", "2022") normalized by
`rag_agent.ingest.periods`; relative ones ("latest", "most recent", "over the past year")
resolved against the periods of the documents that match the rest of the question. An
inferred filter that matches no document (with the caller's filter) is relaxed, period first,
then dropped; every step is written to `trace`. The inferred filter is only ever AND-ed with
the caller's filter and the tenant, never a replacement for them.
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass, field
from typing import Any

from rag_agent.index.catalogue import Catalogue, FieldInfo
from rag_agent.index.filters import and_filters
from rag_agent.index.protocol import SearchIndex
from rag_agent.ingest.periods import find_dates, find_periods
from rag_agent.retrieval.periodfilter import (
    ACROSS,
    PeriodFields,
    any_of,
    period_fields,
    period_filter,
    periods_of,
    relative_periods,
)
from rag_agent.settings import DEFAULT_TENANT

__all__ = ["Inference", "PeriodFields", "and_filters", "filterable_fields", "infer_filter",
           "period_fields"]

MAX_TARGETS = 6


@dataclass
class Inference:
    """What auto-retrieval made of one question."""

    filter: dict[str, Any] | None = None
    """The inferred filter (AND it with the caller's), or None."""
    targets: list[dict[str, Any]] = field(default_factory=list)
    """One {"name", "filter"} per compared value when the question names several."""
    trace: list[str] = field(default_factory=list)
    """What was matched, resolved, relaxed or dropped, in order."""
    fallback: str | None = None
    """Why the inferred filter was relaxed or dropped (None: applied as inferred)."""


# ----- values and aliases in the question ----------------------------------------------------
@dataclass(frozen=True)
class _Mention:
    field: str
    value: Any
    start: int
    end: int
    text: str


def filterable_fields(cat: Catalogue) -> list[FieldInfo]:
    """Fields worth filtering on: two or more values, not one value per document."""
    return [f for f in cat.fields.values() if f.distinct >= 2 and not f.identifier
            and f.type in ("str", "list", "int", "date")]


def _entity_fields(cat: Catalogue, periods: PeriodFields) -> list[FieldInfo]:
    return [f for f in filterable_fields(cat)
            if f.type in ("str", "list") and f.name not in periods.names]


def _surface_pattern(surface: str, alias: bool) -> re.Pattern[str] | None:
    """Codes ("AAPL", "Q3") match as written; names and aliases in any case."""
    surface = surface.strip()
    if len(surface) < 2:
        return None
    code = not alias and len(surface) <= 5 and (surface.isupper()
                                               or any(c.isdigit() for c in surface))
    if not code and len(surface) < 3:
        return None
    body = r"\s+".join(re.escape(w) for w in surface.split())
    return re.compile(r"(?<![\w-])" + body + r"(?![\w-])", 0 if code else re.I)


_Surface = tuple[re.Pattern[str], str, Any]
_SURFACES: weakref.WeakKeyDictionary[Catalogue, list[_Surface]] = weakref.WeakKeyDictionary()


def _surfaces(cat: Catalogue, fields: list[FieldInfo]) -> list[_Surface]:
    """(pattern, field, value) for every value and alias, compiled once per catalogue."""
    cached = _SURFACES.get(cat)
    if cached is None:
        cached = []
        for info in fields:
            for value in info.values:
                if not isinstance(value, str):
                    continue
                for n, surface in enumerate([value, *info.aliases.get(value, [])]):
                    pattern = _surface_pattern(surface, alias=n > 0)
                    if pattern is not None:
                        cached.append((pattern, info.name, value))
        _SURFACES[cat] = cached
    return cached


def _mentions(question: str, surfaces: list[_Surface]) -> list[_Mention]:
    found = [_Mention(name, value, m.start(), m.end(), m.group(0))
             for pattern, name, value in surfaces for m in pattern.finditer(question)]
    # a mention inside a longer one (of any field) is not a mention of its own
    found.sort(key=lambda m: (m.start - m.end, m.start, m.field, str(m.value)))
    kept: list[_Mention] = []
    for m in found:
        inside = any(k.start <= m.start and m.end <= k.end and (k.end - k.start) >
                     (m.end - m.start) for k in kept)
        if not inside:
            kept.append(m)
    return sorted(kept, key=lambda m: (m.start, m.end, m.field, str(m.value)))


# ----- inference ----------------------------------------------------------------------------
def infer_filter(index: SearchIndex, question: str, *, tenant: str = DEFAULT_TENANT,
                 base_filter: dict[str, Any] | None = None) -> Inference:
    """The metadata filter `question` implies over `index`'s catalogue for `tenant`."""
    cat = index.catalogue(tenant=tenant)
    out = Inference()
    pf = period_fields(cat)
    mentions = _mentions(question, _surfaces(cat, _entity_fields(cat, pf)))
    by_field: dict[str, list[_Mention]] = {}
    for m in mentions:
        if all(x.value != m.value for x in by_field.get(m.field, [])):
            by_field.setdefault(m.field, []).append(m)
            out.trace.append(f"{m.text!r} -> {m.field} = {m.value!r}")
    entity = {name: (ms[0].value if len(ms) == 1 else {"$in": [m.value for m in ms]})
              for name, ms in by_field.items()}

    period_filters: list[dict[str, Any]] = []
    labels: list[str] = []
    if pf.names:
        named = [p for p, _, _ in find_periods(question)]
        dates = [d for d, _ in find_dates(question)]
        for period in dict.fromkeys(named):
            flt = period_filter(period, cat, pf)
            if flt:
                period_filters.append(flt)
                labels.append(period.label)
                out.trace.append(f"{period.label!r} -> {flt}")
        for day in dates:
            if pf.date:
                period_filters.append({pf.date: day.isoformat()})
                labels.append(day.isoformat())
                out.trace.append(f"{day.isoformat()!r} -> {pf.date} = {day.isoformat()!r}")
        if not period_filters:
            period_filters = relative_periods(question, index, and_filters(base_filter, entity or None),
                                       tenant, cat, pf, out.trace)
    elif find_periods(question):
        out.trace.append("the question names a period, but no document has period fields")

    period = any_of(period_filters)
    inferred = and_filters(entity or None, period)
    if inferred is None:
        out.trace.append("nothing in the question matches the catalogue: no inferred filter")
        return out
    if index.count_documents(and_filters(base_filter, inferred), tenant=tenant) == 0:
        relaxed = entity or None
        if period is not None and relaxed and index.count_documents(
                and_filters(base_filter, relaxed), tenant=tenant):
            out.fallback = f"no document matches {inferred}; period dropped"
            inferred, period, period_filters, labels = relaxed, None, [], []
        else:
            out.fallback = f"no document matches {inferred}; inferred filter dropped"
            out.trace.append(out.fallback)
            return out
        out.trace.append(out.fallback)
    out.filter = inferred
    out.targets = _targets(by_field, entity, period_filters, labels, period)
    if not out.targets and period is None and pf.names and ACROSS.search(question):
        out.targets = _period_targets(index, and_filters(base_filter, inferred), inferred,
                                      tenant, cat, pf)
    return out


def _period_targets(index: SearchIndex, within: dict[str, Any] | None, inferred: dict[str, Any],
                    tenant: str, cat: Catalogue, pf: PeriodFields) -> list[dict[str, Any]]:
    """One target per period of the matching documents ("over these quarters"), latest last."""
    keyed = periods_of(index, within, tenant, cat, pf)
    if not 2 <= len(keyed) <= MAX_TARGETS:
        return []
    return [{"name": " ".join(str(v) for v in flt.values()),
             "filter": and_filters(inferred, flt)} for _, flt in keyed]


def _targets(by_field: dict[str, list[_Mention]], entity: dict[str, Any],
             period_filters: list[dict[str, Any]], labels: list[str],
             period: dict[str, Any] | None) -> list[dict[str, Any]]:
    """One filter per compared value: several periods, or several values of one field."""
    targets: list[dict[str, Any]] = []
    if len(period_filters) >= 2 and len(labels) == len(period_filters):
        for label, flt in zip(labels, period_filters, strict=True):
            targets.append({"name": label, "filter": and_filters(entity or None, flt)})
    else:
        for name, ms in by_field.items():
            if len(ms) >= 2:
                rest = {k: v for k, v in entity.items() if k != name}
                targets = [{"name": m.text, "filter": and_filters({**rest, name: m.value},
                                                                  period)} for m in ms]
                break
    return targets[:MAX_TARGETS]
