"""Trademark opposition deadlines per office, with the legal source of each rule.

Every trademark alert carries the end of the opposition period and the days left. Offices state the
period on some records (TMview ``OppositionPeriodEndDate``); when they do not, it is computed here from
the publication date. All functions are pure: no clock, no I/O (pass ``today`` explicitly).

Rules (checked against the texts named in ``legal_source``; re-check when an office changes its law):

* **USPTO** – a notice of opposition is due *within thirty days after publication* in the Official
  Gazette (15 U.S.C. §1063(a)). Extensions under 37 CFR §2.102(c): 30 days as of right or 90 days for
  good cause, then further 60 days, but **never beyond 180 days from publication** (TBMP §207, §209.02).
* **EUIPO** – *within a period of three months following the publication* of the EU trade mark
  application (Art. 46(1) Regulation (EU) 2017/1001, EUTMR); not extendable. For an international
  registration designating the EU the three months start one month after EUIPO's republication
  (Art. 196(2) EUTMR).
* **KIPO** – *within two months from the date of publication* of the application (Korean Trademark Act
  Art. 60(1)); not extendable. An amendment shortening this to 30 days passed the National Assembly in
  December 2024; switch the rule here when its effective date is confirmed.
* **WIPO Madrid** – no central opposition: each designated office applies its own period (Madrid
  Protocol Art. 5), so a Madrid record's deadline is the designated office's rule.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class OppositionRule:
    """How one office's opposition period is counted from the publication date."""

    office: str
    months: int = 0
    days: int = 0
    max_extended_days: int | None = None
    legal_source: str = ""


RULES: dict[str, OppositionRule] = {
    "US": OppositionRule(
        office="US",
        days=30,
        max_extended_days=180,
        legal_source="15 U.S.C. §1063(a); 37 CFR §2.102(c); TBMP §207, §209.02",
    ),
    "EM": OppositionRule(office="EM", months=3, legal_source="Art. 46(1) Regulation (EU) 2017/1001 (EUTMR)"),
    "KR": OppositionRule(office="KR", months=2, legal_source="Korean Trademark Act Art. 60(1)"),
}

MADRID_OFFICE = "WO"
_EU_IR_REPUBLICATION_DELAY_MONTHS = 1  # Art. 196(2) EUTMR: the 3 months start one month after republication.


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus whole calendar months, clamped to the last day of a shorter month (31 Jan + 1 = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def opposition_rule(office: str) -> OppositionRule | None:
    """The rule for an office code (``US``, ``EM``, ``KR``), or None when no rule is known."""
    return RULES.get(office.upper())


def opposition_deadline(
    office: str,
    publication_date: dt.date,
    *,
    designated_office: str | None = None,
    international_registration: bool = False,
) -> dt.date | None:
    """Last day to file an opposition, counted from the publication that opened the period.

    ``office`` ``WO`` (Madrid) uses ``designated_office``'s rule; without one there is no central
    deadline and None is returned. ``international_registration`` marks an IR designating the EU, whose
    period starts one month after EUIPO's republication. Unknown offices return None.
    """
    office = office.upper()
    if office == MADRID_OFFICE:
        if designated_office is None or designated_office.upper() == MADRID_OFFICE:
            return None
        return opposition_deadline(designated_office, publication_date, international_registration=True)
    rule = RULES.get(office)
    if rule is None:
        return None
    start = publication_date
    if office == "EM" and international_registration:
        start = add_months(start, _EU_IR_REPUBLICATION_DELAY_MONTHS)
    return add_months(start, rule.months) + dt.timedelta(days=rule.days)


def latest_extended_deadline(office: str, publication_date: dt.date) -> dt.date | None:
    """The furthest an office lets the period be extended (USPTO: 180 days), or None if not extendable."""
    rule = RULES.get(office.upper())
    if rule is None or rule.max_extended_days is None:
        return None
    return publication_date + dt.timedelta(days=rule.max_extended_days)


def days_left(deadline: dt.date, today: dt.date) -> int:
    """Whole days from ``today`` to ``deadline``: 0 on the last day, negative once it has passed."""
    return (deadline - today).days
