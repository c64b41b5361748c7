"""Opposition deadlines: the legal rules per office, month arithmetic and days left."""

from __future__ import annotations

import datetime as dt

import pytest

from alertbot.deadlines import (
    add_months,
    days_left,
    latest_extended_deadline,
    opposition_deadline,
    opposition_rule,
)


def test_uspto_is_thirty_days_after_official_gazette_publication() -> None:
    # Record 79366581 in the shared USPTO sample was published for opposition on 2024-02-20.
    assert opposition_deadline("US", dt.date(2024, 2, 20)) == dt.date(2024, 3, 21)


def test_uspto_extensions_never_go_beyond_180_days() -> None:
    assert latest_extended_deadline("US", dt.date(2024, 2, 20)) == dt.date(2024, 8, 18)
    assert latest_extended_deadline("EM", dt.date(2024, 2, 20)) is None


def test_euipo_is_three_months_and_matches_the_stated_period_end() -> None:
    # wipo-st66.sample.xml: published 2025-01-10, OppositionPeriodEndDate 2025-04-10.
    assert opposition_deadline("EM", dt.date(2025, 1, 10)) == dt.date(2025, 4, 10)
    assert opposition_deadline("em", dt.date(2024, 11, 30)) == dt.date(2025, 2, 28)


def test_euipo_international_registration_starts_one_month_after_republication() -> None:
    assert opposition_deadline("EM", dt.date(2025, 1, 10), international_registration=True) == dt.date(
        2025, 5, 10
    )


def test_kipo_is_two_months() -> None:
    # kipris sample item 14: 공고 (published) 2017-02-27.
    assert opposition_deadline("KR", dt.date(2017, 2, 27)) == dt.date(2017, 4, 27)


def test_madrid_uses_the_designated_office_rule() -> None:
    assert opposition_deadline("WO", dt.date(2025, 1, 10)) is None
    assert opposition_deadline("WO", dt.date(2024, 2, 20), designated_office="US") == dt.date(2024, 3, 21)
    assert opposition_deadline("WO", dt.date(2025, 1, 10), designated_office="EM") == dt.date(2025, 5, 10)


def test_unknown_office_has_no_deadline() -> None:
    assert opposition_deadline("RO", dt.date(2025, 1, 10)) is None
    assert opposition_rule("RO") is None
    rule = opposition_rule("us")
    assert rule is not None
    assert "1063" in rule.legal_source


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2024, 1, 31), 1, dt.date(2024, 2, 29)),
        (dt.date(2023, 1, 31), 1, dt.date(2023, 2, 28)),
        (dt.date(2024, 11, 15), 3, dt.date(2025, 2, 15)),
        (dt.date(2024, 12, 31), 2, dt.date(2025, 2, 28)),
    ],
)
def test_add_months_clamps_to_month_end(day: dt.date, months: int, expected: dt.date) -> None:
    assert add_months(day, months) == expected


def test_days_left_counts_down_to_zero_then_negative() -> None:
    deadline = dt.date(2025, 4, 10)
    assert days_left(deadline, dt.date(2025, 4, 1)) == 9
    assert days_left(deadline, deadline) == 0
    assert days_left(deadline, dt.date(2025, 4, 12)) == -2
