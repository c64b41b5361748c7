"""Source health with a controlled clock: each fault is told to staff once, and its recovery once."""

from __future__ import annotations

import datetime as dt

from sqlmodel import col, select

from alertbot.db import transaction
from alertbot.models import Delivery, SourceConfig
from alertbot.service.health import sweep, update_health
from alertbot.sources import CATALOGUE, pause
from tests.service.conftest import T0, add_run, add_source, add_staff

DAY = dt.timedelta(days=1)


def _notices(factory) -> list[Delivery]:
    with factory() as session:
        return list(
            session.exec(
                select(Delivery).where(col(Delivery.kind) == "notice").order_by(col(Delivery.id))
            ).all()
        )


def _assess(factory, now: dt.datetime) -> str:
    with transaction(factory) as session:
        config = session.get(SourceConfig, "uspto_tm_daily")
        update_health(session, config, now)
        return config.health


def test_failure_low_count_and_staleness_are_told_once_each_with_recovery(factory) -> None:
    add_staff(factory, "centre")
    add_staff(factory, "duty")
    add_source(factory, "uspto_tm_daily", T0 - 30 * DAY)
    for day in range(4):
        add_run(factory, "uspto_tm_daily", T0 + day * DAY, seen=100 + day, new=10)
    assert _assess(factory, T0 + 4 * DAY) == "ok"
    assert _notices(factory) == []

    # A failed run: one notice per staff member; the next failures add nothing.
    for day in (4, 5, 6):
        add_run(factory, "uspto_tm_daily", T0 + day * DAY, status="error", seen=0, new=0, error="HTTP 503")
        assert _assess(factory, T0 + day * DAY + dt.timedelta(hours=1)) == "failing"
    faults = _notices(factory)
    assert len(faults) == 2
    assert {row.target for row in faults} == {"centre@example.org", "duty@example.org"}
    assert "uspto_tm_daily" in faults[0].payload["subject"]
    assert "HTTP 503" in faults[0].payload["body"]

    # It recovers: one recovery notice each.
    add_run(factory, "uspto_tm_daily", T0 + 7 * DAY, seen=98, new=9)
    assert _assess(factory, T0 + 7 * DAY + dt.timedelta(hours=1)) == "ok"
    assert _assess(factory, T0 + 7 * DAY + dt.timedelta(hours=2)) == "ok"
    rows = _notices(factory)
    assert len(rows) == 4
    assert all("recovered" in row.payload["subject"] for row in rows[2:])

    # Far fewer records than the recent median (~100): a "low" fault, once.
    add_run(factory, "uspto_tm_daily", T0 + 8 * DAY, seen=7, new=1, stats={"files_processed": 1})
    assert _assess(factory, T0 + 8 * DAY + dt.timedelta(hours=1)) == "low"
    assert _assess(factory, T0 + 8 * DAY + dt.timedelta(hours=2)) == "low"
    assert len(_notices(factory)) == 6
    # A run that found no new file is not "low" (staleness covers a source that stops publishing).
    add_run(factory, "uspto_tm_daily", T0 + 9 * DAY, seen=0, new=0, stats={"files_processed": 0})
    assert _assess(factory, T0 + 9 * DAY + dt.timedelta(hours=1)) == "ok"
    assert len(_notices(factory)) == 8

    # No new data for more than twice the daily cadence: "stale", found by the sweep, once.
    with transaction(factory) as session:
        for name in CATALOGUE:
            if name != "uspto_tm_daily":
                pause(session, name, actor="test")
    later = T0 + 8 * DAY + 2 * DAY + dt.timedelta(hours=1)
    with transaction(factory) as session:
        changes = [change for change in sweep(session, later) if change.source == "uspto_tm_daily"]
    assert [(change.before, change.after) for change in changes] == [("ok", "stale")]
    with transaction(factory) as session:
        again = [
            change
            for change in sweep(session, later + dt.timedelta(hours=1))
            if change.source == "uspto_tm_daily"
        ]
    assert again == []
    stale = _notices(factory)[8:]
    assert len(stale) == 2
    assert "no new data" in stale[0].payload["body"]


def test_a_paused_source_is_never_stale(factory) -> None:
    add_staff(factory)
    add_source(factory, "epo_ops", T0 - 60 * DAY, paused=True)
    with transaction(factory) as session:
        config = session.get(SourceConfig, "epo_ops")
        assert update_health(session, config, T0) is None
        assert config.health == "ok"
    assert _notices(factory) == []


def test_an_expo_edition_goes_stale_only_with_a_url_before_the_show_ends(sqlite_factory, settings) -> None:
    from alertbot.expo import get_edition
    from alertbot.sources import set_url

    add_staff(sqlite_factory)
    edition = get_edition(settings, "cieme-2026")
    start, end = edition.expo_mode_window()
    add_source(sqlite_factory, "cieme-2026", start - 30 * DAY, kind="expo", spider="expo_exhibitors")
    with transaction(sqlite_factory) as session:
        config = session.get(SourceConfig, "cieme-2026")
        if not edition.urls:
            # The bundled edition has no public URL yet: nothing to expect, no fault.
            assert update_health(session, config, start) is None
        set_url(session, "cieme-2026", "http://127.0.0.1:9/cieme/list", actor="test")
        change = update_health(session, config, start)
        assert change is not None
        assert change.after == "stale"
    # After the show the list is not expected any more: the fault clears (one recovery notice).
    with transaction(sqlite_factory) as session:
        config = session.get(SourceConfig, "cieme-2026")
        change = update_health(session, config, end + 3 * DAY)
        assert change is not None
        assert change.after == "ok"
