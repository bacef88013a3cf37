"""Period resolution for auto-retrieval: which catalogue fields hold years, quarters and dates,
the filter for a named period, and relative periods ("latest", "over the past year") resolved
against the periods of the documents that match the rest of the question."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from rag_agent.index.catalogue import Catalogue, FieldInfo
from rag_agent.index.protocol import SearchIndex
from rag_agent.ingest.periods import Period

__all__ = ["ACROSS", "PeriodFields", "any_of", "period_fields", "period_filter", "periods_of",
           "relative_periods"]

_QUARTER_VALUE = re.compile(r"^(?:Q|q)([1-4])$")
_LATEST = re.compile(r"\b(?:latest|most\s+recent|newest|current\s+quarter|this\s+quarter|"
                     r"last\s+(?:quarter|10-?Q|filing|report))\b", re.I)
_PAST_YEAR = re.compile(r"\b(?:past|last|previous|prior|trailing)\s+(?:year|12\s+months|"
                        r"twelve\s+months|four\s+quarters|4\s+quarters)\b", re.I)
ACROSS = re.compile(r"\b(?:previous|prior|past|earlier|preceding|other)\s+(?:quarters|ones|"
                     r"periods|filings|reports|10-?Qs)\b|\bover\s+time\b|\bacross\s+(?:the\s+)?"
                     r"(?:quarters|periods)\b|\b(?:these|all|the\s+reported|each\s+reported)\s+"
                     r"(?:quarters|periods|10-?Qs|filings|reports)\b|\breporting\s+period", re.I)
_PREVIOUS_ONE = re.compile(r"\b(?:previous|prior|preceding)\s+quarter\b", re.I)

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


def period_filter(period: Period, cat: Catalogue, pf: PeriodFields) -> dict[str, Any] | None:
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


def periods_of(index: SearchIndex, within: dict[str, Any] | None, tenant: str, cat: Catalogue,
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
    return [periods[n] for n in sorted(periods, key=lambda n: (periods[n][0], n))]


def relative_periods(question: str, index: SearchIndex, within: dict[str, Any] | None, tenant: str,
              cat: Catalogue, pf: PeriodFields, trace: list[str]) -> list[dict[str, Any]]:
    """Filters of the periods a relative expression names (empty: none, or all periods)."""
    latest = _LATEST.search(question)
    past = _PAST_YEAR.search(question)
    if not (latest or past):
        return []
    if ACROSS.search(question):
        trace.append("relative period spans earlier periods too: no period filter")
        return []
    keyed = periods_of(index, within, tenant, cat, pf)
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


def any_of(filters: list[dict[str, Any]]) -> dict[str, Any] | None:
    if not filters:
        return None
    return filters[0] if len(filters) == 1 else {"$or": filters}
