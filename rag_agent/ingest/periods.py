"""Dates and reporting periods in free text: "July 1, 2023", "Q3 2023", "third quarter of fiscal 2023".

One parser serves both ends: the metadata extractor reads a document's own period at ingest, and
auto-retrieval reads the period a question asks about, so both normalize to the same `Period`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass

__all__ = [
    "MONTHS",
    "Period",
    "document_quarter",
    "find_dates",
    "find_periods",
    "parse_date",
    "quarter_of",
    "reporting_quarter",
]

MONTHS = {name: n for n, names in enumerate((
    ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
    ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
    ("october", "oct"), ("november", "nov"), ("december", "dec")), 1) for name in names}
_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3,
             "fourth": 4, "4th": 4}
_MONTH = r"(?P<mon>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_DATE_PATTERNS = (
    re.compile(_MONTH + r"\s+(?P<day>\d{1,2}),?\s+" + _YEAR + r"\b", re.I),   # July 1, 2023
    re.compile(r"\b(?P<day>\d{1,2})\s+" + _MONTH + r",?\s+" + _YEAR + r"\b", re.I),  # 1 July 2023
    re.compile(r"\b" + _YEAR + r"-(?P<mnum>\d\d)-(?P<day>\d\d)\b"),            # 2023-07-01
)
_FISCAL = r"(?P<fiscal>fiscal\s+(?:year\s+)?|FY\s?)?"
_JOIN = r"\s*(?:,|and|&|/|or|vs\.?|versus|to)\s*(?:and\s+)?"
# quarters that share one year: "Q2 and Q3 2023", "Q1, Q2 and Q3 of fiscal 2023", "Q2/Q3 2023"
_QUARTER_LIST = re.compile(r"\bQ[1-4](?:" + _JOIN + r"Q[1-4])+(?:\s*|\s+of\s+)" + _FISCAL
                           + r"(?P<y>(?:19|20)\d\d|'\d\d)\b", re.I)
# "second and third quarters of 2023", "the first, second and third quarter of fiscal 2023"
_ORDINAL_LIST = re.compile(
    r"\b(?:first|second|third|fourth|1st|2nd|3rd|4th)(?:" + _JOIN
    + r"(?:first|second|third|fourth|1st|2nd|3rd|4th))+\s+(?P<fq>fiscal\s+)?quarters?"
    r"(?:\s+of|,)?\s+(?:the\s+)?" + _FISCAL + r"(?P<y>(?:19|20)\d\d)\b", re.I)
_YEAR_BEFORE = re.compile(r"(?:(?:19|20)\d\d|FY\s?\d\d)\s*[-/]?\s*$", re.I)
_LIST_ITEM = re.compile(r"\bQ(?P<q>[1-4])\b|\b(?P<ord>first|second|third|fourth|1st|2nd|3rd|4th)\b",
                        re.I)
_PERIOD_PATTERNS = (
    # Q3 2023, Q3 FY2023, Q3 fiscal 2023, Q3'23
    re.compile(r"\bQ(?P<q>[1-4])(?:\s*|\s+of\s+)" + _FISCAL + r"(?P<y>(?:19|20)\d\d|'\d\d)\b", re.I),
    # 2023 Q3, FY2023 Q3, FY23 Q3
    re.compile(r"\b" + _FISCAL + r"(?P<y>(?:19|20)\d\d|(?<=FY)\d\d)\s*[-/ ]?\s*Q(?P<q>[1-4])\b", re.I),
    # third quarter of (fiscal (year)) 2023, 3rd quarter 2023, third fiscal quarter of 2023
    re.compile(r"\b(?P<ord>first|second|third|fourth|1st|2nd|3rd|4th)\s+(?P<fq>fiscal\s+)?quarter"
               r"(?:\s+of|,)?\s+(?:the\s+)?" + _FISCAL + r"(?P<y>(?:19|20)\d\d)\b", re.I),
    # July 2023 (no day)
    re.compile(r"(?<!\d\s)\b" + _MONTH + r"\s+(?:of\s+)?" + r"(?P<y>(?:19|20)\d\d)\b", re.I),
    # fiscal 2023, fiscal year 2023, FY2023, FY 2023
    re.compile(r"\b(?P<fy>fiscal\s+(?:year\s+)?|FY\s?)(?P<y>(?:19|20)\d\d)\b", re.I),
    # in 2023, during 2023, for 2023, year 2023
    re.compile(r"\b(?:in|during|for|throughout|calendar(?:\s+year)?|year)\s+(?P<y>(?:19|20)\d\d)\b",
               re.I),
)


@dataclass(frozen=True, order=True)
class Period:
    """A year, a quarter of a year or a month of a year; `fiscal` when the text said so."""

    year: int
    quarter: int | None = None
    month: int | None = None
    fiscal: bool = False

    @property
    def label(self) -> str:
        """'Q3 2023', 'July 2023' or '2023' (with 'FY' when fiscal)."""
        fy = "FY" if self.fiscal else ""
        if self.quarter:
            return f"Q{self.quarter} {fy}{self.year}"
        if self.month:
            return f"{dt.date(2000, self.month, 1):%B} {self.year}"
        return f"{fy}{self.year}"

    def bounds(self) -> tuple[dt.date, dt.date]:
        """First and last calendar day (a fiscal period is read as the calendar one)."""
        if self.month:
            first = dt.date(self.year, self.month, 1)
            nxt = dt.date(self.year + self.month // 12, self.month % 12 + 1, 1)
            return first, nxt - dt.timedelta(days=1)
        if self.quarter:
            first = dt.date(self.year, 3 * self.quarter - 2, 1)
            last_month = 3 * self.quarter
            nxt = dt.date(self.year + last_month // 12, last_month % 12 + 1, 1)
            return first, nxt - dt.timedelta(days=1)
        return dt.date(self.year, 1, 1), dt.date(self.year, 12, 31)


def _date(m: re.Match[str]) -> dt.date | None:
    groups = m.groupdict()
    month = int(groups["mnum"]) if groups.get("mnum") else MONTHS[groups["mon"].lower()]
    try:
        return dt.date(int(groups["year"]), month, int(groups["day"]))
    except ValueError:
        return None


def find_dates(text: str) -> list[tuple[dt.date, int]]:
    """Every full calendar date in `text` with its character offset, in order."""
    found = []
    for pattern in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            day = _date(m)
            if day is not None:
                found.append((day, m.start()))
    return sorted(found, key=lambda d: d[1])


def parse_date(text: str) -> dt.date | None:
    """The first full date in `text`, or None."""
    dates = find_dates(text)
    return dates[0][0] if dates else None


def _year(raw: str) -> int:
    raw = raw.lstrip("'")
    return int(raw) if len(raw) == 4 else 2000 + int(raw)


def find_periods(text: str) -> list[tuple[Period, int, int]]:
    """Periods named in `text` with their (start, end) offsets; overlapping matches keep the first
    pattern's (quarters before months before bare years), so "Q3 2023" is not also "2023"."""
    taken: list[tuple[int, int]] = []
    found: list[tuple[Period, int, int]] = []
    for pattern in (_QUARTER_LIST, _ORDINAL_LIST):  # one year shared by several quarters
        for m in pattern.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            if _YEAR_BEFORE.search(text, 0, m.start()):
                continue  # "FY2023 Q4 and Q1 2023": the first quarter has its own year
            g = m.groupdict()
            fiscal = bool(g.get("fiscal") or g.get("fq"))
            year = _year(g["y"])
            head = text[m.start():m.start("y")]
            for item in _LIST_ITEM.finditer(head):
                quarter = int(item["q"]) if item["q"] else _ORDINALS[item["ord"].lower()]
                found.append((Period(year, quarter=quarter, fiscal=fiscal),
                              m.start() + item.start(), m.start() + item.end()))
            taken.append((m.start(), m.end()))
    for pattern in _PERIOD_PATTERNS:
        for m in pattern.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            g = m.groupdict()
            fiscal = bool(g.get("fiscal") or g.get("fq") or g.get("fy"))
            year = _year(g["y"])
            if g.get("q"):
                period = Period(year, quarter=int(g["q"]), fiscal=fiscal)
            elif g.get("ord"):
                period = Period(year, quarter=_ORDINALS[g["ord"].lower()], fiscal=fiscal)
            elif g.get("mon"):
                period = Period(year, month=MONTHS[g["mon"].lower()])
            else:
                period = Period(year, fiscal=fiscal)
            taken.append((m.start(), m.end()))
            found.append((period, m.start(), m.end()))
    return sorted(found, key=lambda p: p[1])


def quarter_of(day: dt.date) -> tuple[int, int]:
    """(year, quarter) of the calendar quarter holding `day`."""
    return day.year, (day.month - 1) // 3 + 1


def reporting_quarter(period_end: dt.date) -> tuple[int, int]:
    """The calendar quarter most of a three-month period ending on `period_end` falls in.

    Quarters that end a few days off a month end (52/53-week years: "October 29, 2023") still
    land in the quarter they mostly cover.
    """
    return quarter_of(period_end - dt.timedelta(days=45))


def document_quarter(text: str, period_end: dt.date) -> tuple[int, int] | None:
    """The quarter a document calls its own period ("Q3 2023", "third quarter of 2023").

    Only plain (non-fiscal) quarter labels count, and only those of the period end's year or the
    next (fiscal years may run ahead of the calendar); the most named quarter number wins, with
    its latest year, since filings compare the current quarter with the same one a year before.
    None when the document names no such quarter.
    """
    votes: Counter[int] = Counter()
    years: dict[int, int] = {}
    for period, _, _ in find_periods(text):
        if period.quarter and not period.fiscal and period.year in (period_end.year,
                                                                    period_end.year + 1):
            votes[period.quarter] += 1
            years[period.quarter] = max(years.get(period.quarter, 0), period.year)
    if not votes:
        return None
    quarter = votes.most_common(1)[0][0]
    return years[quarter], quarter
