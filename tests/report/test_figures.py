"""The report's figures against hand counts of the seeded month (tests/report/seed.py has the table)."""

from __future__ import annotations

import datetime as dt

from alertbot import db
from alertbot.report.data import ReportData, collect
from alertbot.report.period import period_of
from alertbot.settings import Settings
from tests.report.seed import AS_OF, SHOW

D = dt.date


def _collect(settings: Settings, period: str = "2026-10", enterprise_id: str | None = None) -> ReportData:
    with db.session_factory(settings)() as session:
        return collect(
            session, period_of(period), enterprise_id=enterprise_id, as_of=AS_OF, tz=settings.timezone
        )


def _breakdown(rows) -> dict[str, tuple[int, int, int, int, int]]:  # type: ignore[no-untyped-def]
    return {
        row.key: (
            row.raised,
            row.by_status["confirmed"],
            row.by_status["dismissed"],
            row.by_status["escalated"],
            row.by_status["new"],
        )
        for row in rows
    }


def test_staff_report_figures_match_the_hand_counts(any_seeded: tuple[Settings, dict[int, int]]) -> None:
    settings, ids = any_seeded
    data = _collect(settings)
    # rows 1-11: row 11 was raised at 00:30 on October 1st Beijing time (still September in UTC); row 12 at
    # 23:30 on September 30th; row 13 in November.
    assert sorted(a.alert_id for a in data.alerts) == sorted(ids[n] for n in range(1, 12))
    assert data.status_totals == {"confirmed": 3, "dismissed": 2, "escalated": 1, "new": 5}
    #                                  raised, confirmed, dismissed, escalated, untouched
    assert _breakdown(data.by_enterprise) == {"acme": (7, 2, 1, 1, 3), "beta": (4, 1, 1, 0, 2)}
    assert _breakdown(data.by_office) == {
        "US": (5, 2, 1, 0, 2),
        "EM": (2, 0, 0, 1, 1),
        SHOW: (2, 1, 1, 0, 0),
        "KR": (1, 0, 0, 0, 1),
        "JP": (1, 0, 0, 0, 1),
    }
    assert _breakdown(data.by_country) == {
        "CN": (6, 3, 1, 1, 1),
        "KR": (1, 0, 0, 0, 1),
        "US": (1, 0, 0, 0, 1),
        "DE": (1, 0, 0, 0, 1),
        "JP": (1, 0, 0, 0, 1),
        "": (1, 0, 1, 0, 0),
    }
    assert [(row.key, row.raised) for row in data.by_risk] == [("high", 3), ("medium", 4), ("low", 4)]


def test_triage_times_median_and_p90(any_seeded: tuple[Settings, dict[int, int]]) -> None:
    settings, _ = any_seeded
    times = {
        t.group: (t.raised, t.triaged, t.median_hours, t.p90_hours) for t in _collect(settings).triage_times
    }
    # triaged after 2, 4, 6, 8, 10, 20 hours: median (6+8)/2, p90 the 6th of 6 (nearest rank ceil(5.4)).
    assert times["all"] == (11, 6, 7.0, 20.0)
    assert times["high"] == (3, 3, 4.0, 10.0)  # 2, 4, 10
    assert times["medium"] == (4, 2, 13.0, 20.0)  # 6, 20
    assert times["low"] == (4, 1, 8.0, 8.0)  # 8


def test_serial_filers_with_their_name_variants(any_seeded: tuple[Settings, dict[int, int]]) -> None:
    settings, _ = any_seeded
    filers = _collect(settings).serial_filers
    assert len(filers) == 1, "one-off applicants are not serial filers"
    copycat = filers[0]
    assert copycat.applicant == "Copycat Trading Ltd"  # the most frequent spelling
    assert copycat.variants == ("COPYCAT TRADING LIMITED", "Copycat Trading Co., Ltd.", "Copycat Trading Ltd")
    assert copycat.alerts == 4
    assert copycat.enterprises == ("acme", "beta")
    assert copycat.countries == ("CN",)


def test_deadlines_in_the_next_30_days_nobody_acted_on(any_seeded: tuple[Settings, dict[int, int]]) -> None:
    settings, ids = any_seeded
    deadlines = _collect(settings).deadlines
    # Row 1 (11-15) was confirmed, row 11 (11-04) has passed, row 8 (12-06) is 31 days out; row 12 was raised
    # in September but is still untouched and due 11-25; row 10 is due on the 30th day.
    assert [(a.alert_id, a.deadline) for a in deadlines] == [
        (ids[6], D(2026, 11, 20)),
        (ids[12], D(2026, 11, 25)),
        (ids[10], D(2026, 12, 5)),
    ]


def test_flagged_booths_per_show_edition_with_outcome(any_seeded: tuple[Settings, dict[int, int]]) -> None:
    settings, ids = any_seeded
    booths = _collect(settings).booths
    assert [
        (b.edition, b.show, b.hall, b.booth, b.exhibitor, b.alert.status, b.alert.alert_id) for b in booths
    ] == [
        ("cieme-2026", SHOW, "E2", "A320", "ACME智能装备", "confirmed", ids[5]),
        ("cieme-2026", SHOW, "E3", "B101", "北塔仿冒电子", "dismissed", ids[9]),
    ]


def test_source_health_counts_the_period_s_runs(any_seeded: tuple[Settings, dict[int, int]]) -> None:
    settings, _ = any_seeded
    sources = _collect(settings).sources
    assert sources is not None
    rows = {
        s.source: (s.runs, s.ok, s.partial, s.failed, s.records_seen, s.records_new, s.quarantined, s.errors)
        for s in sources
    }
    assert rows == {"us-tm": (3, 2, 0, 1, 150, 15, 1, 1), "kipris": (1, 0, 1, 0, 20, 20, 2, 2)}
    assert next(s for s in sources if s.source == "us-tm").last_error == "HTTP 503 from gazette server"


def test_alerts_per_month_for_the_trend_chart(any_seeded: tuple[Settings, dict[int, int]]) -> None:
    settings, _ = any_seeded
    monthly = _collect(settings).monthly
    assert next(iter(monthly)) == D(2025, 11, 1)
    assert list(monthly)[-1] == D(2026, 10, 1)
    assert monthly[D(2026, 10, 1)] == {"high": 3, "medium": 4, "low": 4}
    assert monthly[D(2026, 9, 1)] == {"high": 0, "medium": 0, "low": 1}
    assert sum(sum(m.values()) for m in monthly.values()) == 12


def test_quarter_and_year(any_seeded: tuple[Settings, dict[int, int]]) -> None:
    settings, _ = any_seeded
    assert _collect(settings, "2026-Q4").raised == 12  # October + row 13 in November
    assert _collect(settings, "2026-Q3").raised == 1  # row 12
    assert _collect(settings, "2026").raised == 13


def test_an_enterprise_report_counts_only_its_own_alerts(any_seeded: tuple[Settings, dict[int, int]]) -> None:
    settings, ids = any_seeded
    data = _collect(settings, enterprise_id="acme")
    assert sorted(a.alert_id for a in data.alerts) == sorted(ids[n] for n in (1, 2, 3, 4, 5, 6, 11))
    assert data.status_totals == {"confirmed": 2, "dismissed": 1, "escalated": 1, "new": 3}
    assert [row.key for row in data.by_enterprise] == ["acme"]
    overall = data.triage_times[0]
    assert (overall.triaged, overall.median_hours, overall.p90_hours) == (4, 5.0, 8.0)  # 2, 4, 6, 8
    assert [(f.applicant, f.alerts, f.enterprises) for f in data.serial_filers] == [
        ("COPYCAT TRADING LIMITED", 3, ("acme",))  # one spelling each: the alphabetically first
    ]
    assert [a.alert_id for a in data.deadlines] == [ids[6], ids[12]]
    assert [b.alert.alert_id for b in data.booths] == [ids[5]]
    assert data.sources is None, "crawler health is the centre's business, not an enterprise's"
