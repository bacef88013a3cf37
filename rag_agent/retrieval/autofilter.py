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

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from rag_agent.index.catalogue import Catalogue, FieldInfo
from rag_agent.ingest.periods import Period, find_dates, find_periods
from rag_agent.settings import DEFAULT_TENANT

__all__ = ["Inference", "PeriodFields", "and_filters", "filterable_fields", "infer_filter",
           "period_fields"]

MAX_TARGETS = 6
_QUARTER_VALUE = re.compile(r"^(?:Q|q)([1-4])$")
_LATEST = re.compile(r"\b(?:latest|most\s+recent|newest|current\s+quarter|this\s+quarter|"
                     r"last\s+(?:quarter|10-?Q|filing|report))\b", re.I)
_PAST_YEAR = re.compile(r"\b(?:past|last|previous|prior|trailing)\s+(?:year|12\s+months|"
                        r"twelve\s+months|four\s+quarters|4\s+quarters)\b", re.I)
_ACROSS = re.compile(r"\b(?:previous|prior|past|earlier|preceding|other)\s+(?:quarters|ones|"
                     r"periods|filings|reports|10-?Qs)\b|\bover\s+time\b|\bacross\s+(?:the\s+)?"
                     r"(?:quarters|periods)\b|\b(?:these|all|the\s+reported|each\s+reported)\s+"
                     r"(?:quarters|periods|10-?Qs|filings|reports)\b|\breporting\s+period", re.I)
_PREVIOUS_ONE = re.compile(r"\b(?:previous|prior|preceding)\s+quarter\b", re.I)


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


@dataclass(frozen=True)
class PeriodFields:
    """Which catalogue fields hold years, quarters and dates."""

    year: str | None = None
    quarter: str | None = None
    fiscal_year: str | None = None
    fiscal_quarter: str | None = None
    date: str | None = None

    @property
    def names(self) -> set[str]:
        return {n for n in (self.year, self.quarter, self.fiscal_year, self.fiscal_quarter,
                            self.date) if n}


def _pick(fields: list[FieldInfo], preferred: tuple[str, ...]) -> str | None:
    for name in preferred:
        for f in fields:
            if f.name == name:
                return f.name
    return fields[0].name if fields else None


def period_fields(cat: Catalogue) -> PeriodFields:
    """Year, quarter and date fields of the catalogue, by type and values (names break ties)."""
    infos = list(cat.fields.values())
    years = [f for f in infos if f.type == "int" and "year" in f.name.lower()
             and all(1900 <= int(v) <= 2100 for v in f.values)]
    quarters = [f for f in infos if f.type == "str"
                and all(_QUARTER_VALUE.match(str(v)) for v in f.values)]
    dates = [f for f in infos if f.type == "date"]
    plain_years = [f for f in years if not f.name.lower().startswith("fiscal")]
    plain_quarters = [f for f in quarters if not f.name.lower().startswith("fiscal")]
    return PeriodFields(
        year=_pick(plain_years, ("year",)),
        quarter=_pick(plain_quarters, ("quarter",)),
        fiscal_year=_pick([f for f in years if f not in plain_years], ("fiscal_year",)),
        fiscal_quarter=_pick([f for f in quarters if f not in plain_quarters],
                             ("fiscal_quarter",)),
        date=_pick(dates, ("period_end", "date")),
    )


def and_filters(*filters: dict[str, Any] | None) -> dict[str, Any] | None:
    """The AND of the non-empty filters (None when there are none)."""
    parts = [f for f in filters if f]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else {"$and": parts}


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


def _mentions(question: str, fields: list[FieldInfo]) -> list[_Mention]:
    found: list[_Mention] = []
    for info in fields:
        for value in info.values:
            if not isinstance(value, str):
                continue
            for n, surface in enumerate([value, *info.aliases.get(value, [])]):
                pattern = _surface_pattern(surface, alias=n > 0)
                if pattern is None:
                    continue
                for m in pattern.finditer(question):
                    found.append(_Mention(info.name, value, m.start(), m.end(), m.group(0)))
    # a mention inside a longer one (of any field) is not a mention of its own
    found.sort(key=lambda m: m.start - m.end)
    kept: list[_Mention] = []
    for m in found:
        inside = any(k.start <= m.start and m.end <= k.end and (k.end - k.start) >
                     (m.end - m.start) for k in kept)
        if not inside:
            kept.append(m)
    return sorted(kept, key=lambda m: m.start)


# ----- periods ------------------------------------------------------------------------------
def _quarter_value(cat: Catalogue, name: str, quarter: int) -> Any:
    for value in cat[name].values:
        m = _QUARTER_VALUE.match(str(value))
        if m and int(m.group(1)) == quarter:
            return value
    return f"Q{quarter}"


def _date_range(name: str, first: dt.date, last: dt.date) -> dict[str, Any]:
    after = last + dt.timedelta(days=1)  # "$lt" the next day keeps datetimes of the last day
    return {name: {"$gte": first.isoformat(), "$lt": after.isoformat()}}


def _period_filter(period: Period, cat: Catalogue, pf: PeriodFields) -> dict[str, Any] | None:
    year_f, quarter_f = pf.year, pf.quarter
    if period.fiscal and pf.fiscal_year:
        year_f, quarter_f = pf.fiscal_year, pf.fiscal_quarter
    first, last = period.bounds()
    if period.month:
        if pf.date and ("end" in pf.date or "period" in pf.date):
            # a reporting period covers the month: it ends after the month, within a quarter
            return _date_range(pf.date, last, first + dt.timedelta(days=97))
        if pf.date:
            return _date_range(pf.date, first, last)
        if year_f and quarter_f:
            q = (period.month - 1) // 3 + 1
            return {year_f: period.year, quarter_f: _quarter_value(cat, quarter_f, q)}
        return {year_f: period.year} if year_f else None
    if period.quarter:
        if year_f and quarter_f:
            return {year_f: period.year, quarter_f: _quarter_value(cat, quarter_f,
                                                                    period.quarter)}
        if pf.date:
            return _date_range(pf.date, first, last)
        return None
    if year_f:
        return {year_f: period.year}
    return _date_range(pf.date, first, last) if pf.date else None


def _period_key(meta: dict[str, Any], cat: Catalogue, pf: PeriodFields) -> tuple | None:
    """A sortable key of a document's period, and the filter that selects exactly it."""
    if pf.year and pf.quarter and meta.get(pf.year) is not None and meta.get(pf.quarter):
        m = _QUARTER_VALUE.match(str(meta[pf.quarter]))
        q = int(m.group(1)) if m else 0
        return (int(meta[pf.year]), q, str(meta.get(pf.date) or "")), \
            {pf.year: meta[pf.year], pf.quarter: meta[pf.quarter]}
    if pf.date and meta.get(pf.date):
        return (0, 0, str(meta[pf.date])), {pf.date: meta[pf.date]}
    if pf.year and meta.get(pf.year) is not None:
        return (int(meta[pf.year]), 0, ""), {pf.year: meta[pf.year]}
    return None


def _periods_of(index: Any, within: dict[str, Any] | None, tenant: str, cat: Catalogue,
                pf: PeriodFields) -> list[tuple]:
    """Distinct periods (by the filter selecting them) of the matching documents, oldest first;
    companies whose quarters end on different days share one period."""
    periods: dict[str, tuple] = {}
    for meta in index.documents_metadata(within, tenant=tenant):
        key = _period_key(meta, cat, pf)
        if key is not None:
            name = repr(sorted(key[1].items()))
            if name not in periods or key[0] > periods[name][0]:
                periods[name] = key
    return sorted(periods.values(), key=lambda k: k[0])


def _relative(question: str, index: Any, within: dict[str, Any] | None, tenant: str,
              cat: Catalogue, pf: PeriodFields, trace: list[str]) -> list[dict[str, Any]]:
    """Filters of the periods a relative expression names (empty: none, or all periods)."""
    latest = _LATEST.search(question)
    past = _PAST_YEAR.search(question)
    if not (latest or past):
        return []
    if _ACROSS.search(question):
        trace.append("relative period spans earlier periods too: no period filter")
        return []
    keyed = _periods_of(index, within, tenant, cat, pf)
    if not keyed:
        trace.append("relative period, but no document period fields: no period filter")
        return []
    if past:
        chosen = keyed[-4:] if pf.quarter or pf.date else keyed[-1:]
        what = past.group(0)
    elif _PREVIOUS_ONE.search(question):
        chosen, what = keyed[-2:], f"{latest.group(0)} and the previous"  # type: ignore[union-attr]
    else:
        chosen, what = keyed[-1:], latest.group(0)  # type: ignore[union-attr]
    trace.append(f"{what!r} -> {', '.join(str(f) for _, f in chosen)}")
    return [f for _, f in chosen]


def _any_of(filters: list[dict[str, Any]]) -> dict[str, Any] | None:
    if not filters:
        return None
    return filters[0] if len(filters) == 1 else {"$or": filters}


# ----- inference ----------------------------------------------------------------------------
def infer_filter(index: Any, question: str, *, tenant: str = DEFAULT_TENANT,
                 base_filter: dict[str, Any] | None = None) -> Inference:
    """The metadata filter `question` implies over `index`'s catalogue for `tenant`."""
    cat = index.catalogue(tenant=tenant)
    out = Inference()
    pf = period_fields(cat)
    mentions = _mentions(question, _entity_fields(cat, pf))
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
            flt = _period_filter(period, cat, pf)
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
            period_filters = _relative(question, index, and_filters(base_filter, entity or None),
                                       tenant, cat, pf, out.trace)
    elif find_periods(question):
        out.trace.append("the question names a period, but no document has period fields")

    period = _any_of(period_filters)
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
    if not out.targets and period is None and pf.names and _ACROSS.search(question):
        out.targets = _period_targets(index, and_filters(base_filter, inferred), inferred,
                                      tenant, cat, pf)
    return out


def _period_targets(index: Any, within: dict[str, Any] | None, inferred: dict[str, Any],
                    tenant: str, cat: Catalogue, pf: PeriodFields) -> list[dict[str, Any]]:
    """One target per period of the matching documents ("over these quarters"), latest last."""
    keyed = _periods_of(index, within, tenant, cat, pf)
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
