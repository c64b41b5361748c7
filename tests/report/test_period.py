"""Report periods: months, quarters and years, with errors that say what is wrong."""

from __future__ import annotations

import datetime as dt

import pytest

from alertbot.report import PeriodError, parse_period, period_of
from alertbot.report.period import previous_month, trailing_months

D = dt.date


@pytest.mark.parametrize(
    ("text", "start", "end", "label"),
    [
        ("2026-10", D(2026, 10, 1), D(2026, 11, 1), "2026-10"),
        ("2026-12", D(2026, 12, 1), D(2027, 1, 1), "2026-12"),
        (" 2026-3 ", D(2026, 3, 1), D(2026, 4, 1), "2026-03"),
        ("2026-Q1", D(2026, 1, 1), D(2026, 4, 1), "2026-Q1"),
        ("2026-Q3", D(2026, 7, 1), D(2026, 10, 1), "2026-Q3"),
        ("2026-q4", D(2026, 10, 1), D(2027, 1, 1), "2026-Q4"),
        ("2026", D(2026, 1, 1), D(2027, 1, 1), "2026"),
    ],
)
def test_periods_are_half_open_day_ranges(text: str, start: dt.date, end: dt.date, label: str) -> None:
    assert parse_period(text) == (start, end)
    assert period_of(text).label == label


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-13", "month 13 is not 1-12"),
        ("2026-00", "month 0 is not 1-12"),
        ("2026-Q5", "quarter 5 is not Q1-Q4"),
        ("2026-Q0", "quarter 0 is not Q1-Q4"),
        ("1999", "year 1999 is out of range"),
        ("Oct 2026", "is not a month 2026-10, a quarter 2026-Q3 or a year 2026"),
        ("2026/10", "is not a month"),
        ("", "is not a month"),
    ],
)
def test_bad_periods_are_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(PeriodError, match=message):
        parse_period(text)


def test_a_month_starts_at_local_midnight() -> None:
    start, end = period_of("2026-10").bounds("Asia/Shanghai")
    assert start == dt.datetime(2026, 9, 30, 16, 0, tzinfo=dt.UTC)
    assert end == dt.datetime(2026, 10, 31, 16, 0, tzinfo=dt.UTC)


def test_previous_month_and_the_trend_window() -> None:
    assert previous_month(D(2027, 1, 15)).label == "2026-12"
    trend = trailing_months(period_of("2026-10"))
    assert (trend.start, trend.end) == (D(2025, 11, 1), D(2026, 11, 1))
    assert len(trend.months()) == 12
    year = trailing_months(period_of("2026"))
    assert (year.start, year.end) == (D(2026, 1, 1), D(2027, 1, 1))
