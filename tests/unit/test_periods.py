import datetime as dt

import pytest

from rag_agent.ingest.periods import (
    Period,
    document_quarter,
    find_dates,
    find_periods,
    parse_date,
    quarter_of,
    reporting_quarter,
)


def periods(text: str) -> list[Period]:
    return [p for p, _, _ in find_periods(text)]


@pytest.mark.parametrize(("text", "expected"), [
    ("Q3 2023", Period(2023, quarter=3)),
    ("third quarter of fiscal 2023", Period(2023, quarter=3, fiscal=True)),
    ("Q3'23", Period(2023, quarter=3)),
    ("FY23 Q2", Period(2023, quarter=2, fiscal=True)),
    ("Q3 FY2023", Period(2023, quarter=3, fiscal=True)),
    ("2023 Q1", Period(2023, quarter=1)),
    ("Q1 of 2022", Period(2022, quarter=1)),
    ("July 2023", Period(2023, month=7)),
    ("Sept. 2022", Period(2022, month=9)),
    ("fiscal year 2024", Period(2024, fiscal=True)),
    ("FY 2021", Period(2021, fiscal=True)),
    ("during 2022", Period(2022)),
    ("3rd quarter, 2021", Period(2021, quarter=3)),
    ("second quarter of 2023", Period(2023, quarter=2)),
])
def test_find_periods_normalizes_one_period(text: str, expected: Period) -> None:
    assert periods(text) == [expected]
    assert periods(f"Revenue ({text}) rose.") == [expected]


def test_quarter_is_not_also_a_bare_year() -> None:
    found = find_periods("Revenue in Q3 2023 rose.")
    assert found == [(Period(2023, quarter=3), 11, 18)]
    # a month with a year is not also a year either
    assert periods("during July 2023") == [Period(2023, month=7)]


def test_several_periods_in_text_order_and_bare_numbers_ignored() -> None:
    text = ("Compare Q3 2023 with the second quarter of 2023 and fiscal 2022; "
            "2021 alone is no period.")
    assert periods(text) == [Period(2023, quarter=3), Period(2023, quarter=2),
                             Period(2022, fiscal=True)]
    assert periods("We sold 2023 units and 1999 widgets.") == []


def test_labels() -> None:
    assert Period(2023, quarter=3).label == "Q3 2023"
    assert Period(2023, quarter=3, fiscal=True).label == "Q3 FY2023"
    assert Period(2023, month=7).label == "July 2023"
    assert Period(2023).label == "2023"
    assert Period(2024, fiscal=True).label == "FY2024"


@pytest.mark.parametrize(("period", "first", "last"), [
    (Period(2023, quarter=1), dt.date(2023, 1, 1), dt.date(2023, 3, 31)),
    (Period(2023, quarter=3), dt.date(2023, 7, 1), dt.date(2023, 9, 30)),
    (Period(2023, quarter=4), dt.date(2023, 10, 1), dt.date(2023, 12, 31)),
    (Period(2023, month=7), dt.date(2023, 7, 1), dt.date(2023, 7, 31)),
    (Period(2024, month=2), dt.date(2024, 2, 1), dt.date(2024, 2, 29)),
    (Period(2023, month=12), dt.date(2023, 12, 1), dt.date(2023, 12, 31)),
    (Period(2023), dt.date(2023, 1, 1), dt.date(2023, 12, 31)),
    (Period(2023, quarter=2, fiscal=True), dt.date(2023, 4, 1), dt.date(2023, 6, 30)),
])
def test_bounds(period: Period, first: dt.date, last: dt.date) -> None:
    assert period.bounds() == (first, last)


def test_find_dates_formats_and_offsets() -> None:
    text = "On July 1, 2023; 1 July 2023; 2023-07-01; Sept. 30, 2022."
    assert find_dates(text) == [(dt.date(2023, 7, 1), 3), (dt.date(2023, 7, 1), 17),
                                (dt.date(2023, 7, 1), 30), (dt.date(2022, 9, 30), 42)]


def test_invalid_dates_are_ignored() -> None:
    assert find_dates("due February 30, 2023 or 2023-13-01") == []
    assert parse_date("February 30, 2023 then March 1, 2023") == dt.date(2023, 3, 1)
    assert parse_date("no date here, only Q3 2023") is None


def test_quarter_of_and_reporting_quarter() -> None:
    assert quarter_of(dt.date(2023, 12, 31)) == (2023, 4)
    assert quarter_of(dt.date(2023, 1, 1)) == (2023, 1)
    # a 52/53-week quarter ending a few days into the next month
    assert reporting_quarter(dt.date(2023, 10, 29)) == (2023, 3)
    # Apple's "July 1, 2023" quarter mostly covers April-June
    assert reporting_quarter(dt.date(2023, 7, 1)) == (2023, 2)
    assert reporting_quarter(dt.date(2023, 9, 30)) == (2023, 3)
    assert reporting_quarter(dt.date(2024, 1, 2)) == (2023, 4)


END = dt.date(2023, 7, 1)


@pytest.mark.parametrize(("text", "expected"), [
    # the most named quarter wins; the prior-year comparison does not pull it back a year
    ("Q3 2023 results. Compared with Q3 2022. Q3 2023 again. Q2 2023 once.", (2023, 3)),
    # the winner's latest year (the period end's year or the next)
    ("Q1 2024 and Q1 2024 versus Q4 2023.", (2024, 1)),
    # fiscal labels do not count: only the plain Q1 2023 does
    ("third quarter of fiscal 2023, Q4 fiscal 2023, FY2023 Q4 and Q1 2023", (2023, 1)),
    # labels of the year before the period end do not count
    ("Q4 2022 and Q4 2022 again, then Q1 2023", (2023, 1)),
    ("Q4 2022 only", None),
    ("no quarter named, only fiscal 2023 and July 2023", None),
    ("", None),
])
def test_document_quarter(text: str, expected: tuple[int, int] | None) -> None:
    end = dt.date(2023, 12, 30) if "2024" in text else END
    assert document_quarter(text, end) == expected


def test_document_quarter_allows_the_next_year_but_not_later() -> None:
    assert document_quarter("Q2 2024 Q2 2024", END) == (2024, 2)
    assert document_quarter("Q2 2025 Q2 2025", END) is None


@pytest.mark.parametrize(("text", "labels"), [
    ("Compare Apple's Q2 and Q3 2023 revenue", ["Q2 2023", "Q3 2023"]),
    ("Q1, Q2 and Q3 of fiscal 2023", ["Q1 FY2023", "Q2 FY2023", "Q3 FY2023"]),
    ("Q2/Q3 2023", ["Q2 2023", "Q3 2023"]),
    ("the second and third quarters of 2023", ["Q2 2023", "Q3 2023"]),
])
def test_quarters_that_share_one_year(text: str, labels: list[str]) -> None:
    assert [p.label for p, _, _ in find_periods(text)] == labels
