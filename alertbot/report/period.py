"""Report periods: a month (``2026-10``), a quarter (``2026-Q3``) or a year (``2026``).

A period is a half-open range of calendar days ``[start, end)`` in the deployment's time zone: a month report
counts the alerts raised from the 1st 00:00 Beijing time up to (not including) the next month's 1st.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
_BAD_QUARTER = re.compile(r"^(\d{4})-[Qq](\d+)$")
PERIOD_HELP = "a month 2026-10, a quarter 2026-Q3 or a year 2026"


class PeriodError(ValueError):
    """A period string that is not a month, a quarter or a year."""


@dataclass(frozen=True)
class Period:
    """A named range of days ``[start, end)``."""

    label: str  # normalised: 2026-10, 2026-Q3, 2026
    start: dt.date
    end: dt.date  # exclusive

    def bounds(self, tz: str) -> tuple[dt.datetime, dt.datetime]:
        """The UTC instants of local midnight at ``start`` and ``end`` in the time zone ``tz``."""
        zone = ZoneInfo(tz)
        return (
            dt.datetime.combine(self.start, dt.time(), zone).astimezone(dt.UTC),
            dt.datetime.combine(self.end, dt.time(), zone).astimezone(dt.UTC),
        )

    def months(self) -> list[dt.date]:
        """The first day of every month in the period, in order."""
        months: list[dt.date] = []
        current = self.start.replace(day=1)
        while current < self.end:
            months.append(current)
            current = _add_months(current, 1)
        return months


def _add_months(day: dt.date, count: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


def _year(text: str, value: str) -> int:
    year = int(value)
    if not 2000 <= year <= 2100:
        raise PeriodError(f"period {text!r}: year {year} is out of range 2000-2100 ({PERIOD_HELP})")
    return year


def period_of(text: str) -> Period:
    """Parse ``text`` into a :class:`Period`; raises :class:`PeriodError` naming what is wrong."""
    value = text.strip()
    if match := _MONTH.match(value):
        year, month = _year(text, match[1]), int(match[2])
        if not 1 <= month <= 12:
            raise PeriodError(f"period {text!r}: month {month} is not 1-12 ({PERIOD_HELP})")
        start = dt.date(year, month, 1)
        return Period(f"{year:04d}-{month:02d}", start, _add_months(start, 1))
    if match := _QUARTER.match(value):
        year, quarter = _year(text, match[1]), int(match[2])
        start = dt.date(year, 3 * (quarter - 1) + 1, 1)
        return Period(f"{year:04d}-Q{quarter}", start, _add_months(start, 3))
    if match := _BAD_QUARTER.match(value):
        raise PeriodError(f"period {text!r}: quarter {match[2]} is not Q1-Q4 ({PERIOD_HELP})")
    if match := _YEAR.match(value):
        year = _year(text, match[1])
        return Period(f"{year:04d}", dt.date(year, 1, 1), dt.date(year + 1, 1, 1))
    raise PeriodError(f"period {text!r} is not {PERIOD_HELP}")


def parse_period(text: str) -> tuple[dt.date, dt.date]:
    """``(start, end)`` of the period named by ``text``: the first day and the day after the last (exclusive).

    ``parse_period("2026-10") == (date(2026, 10, 1), date(2026, 11, 1))``; ``"2026-Q3"`` runs from July 1st to
    October 1st, ``"2026"`` from January 1st to the next January 1st. Raises :class:`PeriodError`.
    """
    period = period_of(text)
    return period.start, period.end


def previous_month(today: dt.date) -> Period:
    """The calendar month before the one ``today`` is in (what the monthly report covers)."""
    start = _add_months(today.replace(day=1), -1)
    return period_of(f"{start.year:04d}-{start.month:02d}")


def current_month(today: dt.date) -> Period:
    """The calendar month ``today`` is in."""
    return period_of(f"{today.year:04d}-{today.month:02d}")


def trailing_months(period: Period, count: int = 12) -> Period:
    """The ``count`` months ending with the period's last month, or the period itself when it is longer:
    the month-by-month chart of a one-month report shows the trend leading up to it."""
    last = period.months()[-1]
    start = min(period.start, _add_months(last, -(count - 1)))
    return Period(period.label, start, period.end)
