"""The scheduler side with a controlled clock: catch-up after downtime, reconciling the desired schedule into
a persistent job store (surviving a restart), and expo mode."""

from __future__ import annotations

import asyncio
import datetime as dt

from alertbot.db import transaction
from alertbot.expo import get_edition, next_crawl_at
from alertbot.models import SourceConfig
from alertbot.service.schedule import (
    CRAWL_PREFIX,
    HEALTH_JOB,
    REPORT_JOB,
    ExpoTrigger,
    build_scheduler,
    catch_up_plan,
    desired_jobs,
    drop_missed_fire_times,
    reconcile,
)
from alertbot.sources import CATALOGUE, pause, set_schedule
from tests.service.conftest import T0, add_run, add_source

TZ = "Asia/Shanghai"


def _only_tm(factory, created: dt.datetime) -> None:
    """uspto_tm_daily set up at ``created``; every other catalogue source paused."""
    add_source(factory, "uspto_tm_daily", created)
    with transaction(factory) as session:
        for name in CATALOGUE:
            if name != "uspto_tm_daily":
                pause(session, name, actor="test")


def test_a_week_of_downtime_is_one_catch_up_run_since_the_last_success(factory) -> None:
    _only_tm(factory, T0 - dt.timedelta(days=30))
    add_run(factory, "uspto_tm_daily", T0 - dt.timedelta(days=1), status="ok")
    add_run(factory, "uspto_tm_daily", T0, status="error", seen=0, new=0)  # last attempt failed
    now = T0 + dt.timedelta(days=7, hours=3)
    with transaction(factory) as session:
        plan = catch_up_plan(session, now, TZ)
    [item] = [entry for entry in plan if entry.source == "uspto_tm_daily"]
    # The latest missed fire time (14:30 Shanghai = 06:30 UTC), once, since the day of the last success.
    assert item.missed == dt.datetime(2026, 3, 8, 6, 30, tzinfo=dt.UTC)
    assert item.since == (T0 - dt.timedelta(days=1)).date()
    assert [entry.source for entry in plan].count("uspto_tm_daily") == 1


def test_no_catch_up_when_nothing_was_missed_or_the_source_is_new(factory) -> None:
    _only_tm(factory, T0 - dt.timedelta(days=30))
    # Ran at the last fire time (06:30 UTC), now 08:00 UTC the same day: nothing missed.
    add_run(factory, "uspto_tm_daily", dt.datetime(2026, 3, 2, 6, 30, 5, tzinfo=dt.UTC))
    with transaction(factory) as session:
        assert catch_up_plan(session, dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC), TZ) == []
        # Paused: never caught up, however long ago it ran.
        pause(session, "uspto_tm_daily", actor="test")
        assert catch_up_plan(session, dt.datetime(2026, 3, 20, tzinfo=dt.UTC), TZ) == []


def test_a_source_set_up_after_its_last_fire_time_is_not_caught_up(factory) -> None:
    now = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
    _only_tm(factory, now - dt.timedelta(minutes=5))  # a fresh install: its first run is the next fire time
    with transaction(factory) as session:
        assert catch_up_plan(session, now, TZ) == []
    # A day later with no run at all, the 06:30 UTC fire was missed: one catch-up with no since.
    with transaction(factory) as session:
        [item] = catch_up_plan(session, now + dt.timedelta(days=1), TZ)
    assert item.source == "uspto_tm_daily"
    assert item.since is None


def test_reconcile_persists_and_survives_a_restart(any_settings, factory) -> None:
    async def main() -> None:
        with transaction(factory) as session:
            set_schedule(session, "epo_ops", "5 8 * * 3", actor="test", tz=TZ)
            pause(session, "kipris_tm", actor="test")
            wanted = desired_jobs(session, any_settings)
        assert f"{CRAWL_PREFIX}kipris_tm" not in wanted
        assert {HEALTH_JOB, REPORT_JOB, f"{CRAWL_PREFIX}epo_ops", "crawl:cieme-2026"} <= set(wanted)
        first = build_scheduler(any_settings)
        first.start(paused=True)
        added = reconcile(first, wanted).added
        assert f"{CRAWL_PREFIX}epo_ops" in added
        # Nothing changed: a second reconcile keeps every job (and its next run time).
        assert reconcile(first, wanted).added == []
        first.shutdown(wait=False)

        # A "restart": a new scheduler on the same job store finds the jobs as they were.
        second = build_scheduler(any_settings)
        second.start(paused=True)
        job = second.get_job(f"{CRAWL_PREFIX}epo_ops")
        assert job is not None
        assert "day_of_week='wed'" in str(job.trigger)
        assert "minute='5'" in str(job.trigger)
        assert second.get_job(f"{CRAWL_PREFIX}kipris_tm") is None
        # A schedule changed meanwhile (by the CLI in another process) is applied at the next reconcile.
        with transaction(factory) as session:
            set_schedule(session, "epo_ops", "0 7 * * 4", actor="cli", tz=TZ)
            pause(session, "epo_ops", actor="cli")
            set_schedule(session, "st66", "30 2 * * *", actor="cli", tz=TZ)
            wanted = desired_jobs(session, any_settings)
        result = reconcile(second, wanted)
        assert f"{CRAWL_PREFIX}epo_ops" in result.removed
        assert result.added == [f"{CRAWL_PREFIX}st66"]
        assert "hour='2'" in str(second.get_job(f"{CRAWL_PREFIX}st66").trigger)
        assert second._job_defaults["misfire_grace_time"] == any_settings.misfire_grace_time > 1
        second.shutdown(wait=False)

    asyncio.run(main())


def test_missed_fire_times_are_dropped_not_replayed(settings, sqlite_factory) -> None:
    async def main() -> None:
        scheduler = build_scheduler(settings)
        scheduler.start(paused=True)
        with transaction(sqlite_factory) as session:
            wanted = desired_jobs(session, settings)
        reconcile(scheduler, wanted)
        job = scheduler.get_job(f"{CRAWL_PREFIX}uspto_tm_daily")
        past = dt.datetime(2026, 1, 1, 6, 30, tzinfo=dt.UTC)
        job.modify(next_run_time=past)
        now = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
        moved = drop_missed_fire_times(scheduler, now)
        assert f"{CRAWL_PREFIX}uspto_tm_daily" in moved
        assert scheduler.get_job(f"{CRAWL_PREFIX}uspto_tm_daily").next_run_time == dt.datetime(
            2026, 3, 3, 6, 30, tzinfo=dt.UTC
        )
        scheduler.shutdown(wait=False)

    asyncio.run(main())


def test_expo_trigger_follows_expo_mode(settings) -> None:
    edition = get_edition(settings, "cieme-2026")
    start, end = edition.expo_mode_window()
    trigger = ExpoTrigger("cieme-2026")
    # Outside the window: daily; inside: every expo_mode_interval; after the show: daily again.
    before = start - dt.timedelta(days=3, hours=5)
    inside = start + dt.timedelta(hours=2, minutes=10)
    after = end + dt.timedelta(days=2)
    for now in (before, inside, after):
        assert trigger.get_next_fire_time(None, now) == next_crawl_at(edition, now)
    first = trigger.get_next_fire_time(None, inside)
    second = trigger.get_next_fire_time(first, first + dt.timedelta(seconds=1))
    assert second - first == edition.expo_mode_interval
    daily_first = trigger.get_next_fire_time(None, before)
    daily_second = trigger.get_next_fire_time(daily_first, daily_first + dt.timedelta(seconds=1))
    assert daily_second - daily_first == dt.timedelta(days=1)
    assert ExpoTrigger("no-such-edition").get_next_fire_time(None, inside) is None


def test_expo_editions_are_sources(factory, any_settings) -> None:
    with transaction(factory) as session:
        wanted = desired_jobs(session, any_settings)
        row = session.get(SourceConfig, "cieme-2026")
    assert row is not None
    assert row.kind == "expo"
    assert isinstance(wanted["crawl:cieme-2026"][1], ExpoTrigger)


def test_daily_digest_times_and_the_monthly_report_are_jobs(sqlite_factory, settings) -> None:
    from tests.support.seed import add_subscriber

    add_subscriber(
        sqlite_factory, name="a", digest="daily", digest_time="08:30", channels={"file": "a@x.org"}
    )
    add_subscriber(
        sqlite_factory, name="b", digest="daily", digest_time="08:30", channels={"file": "b@x.org"}
    )
    add_subscriber(
        sqlite_factory, name="c", digest="daily", digest_time="18:05", channels={"file": "c@x.org"}
    )
    add_subscriber(
        sqlite_factory, name="d", digest="instant", digest_time="07:00", channels={"file": "d@x.org"}
    )
    with transaction(sqlite_factory) as session:
        wanted = desired_jobs(session, settings)
    digests = {job_id: job for job_id, job in wanted.items() if job_id.startswith("digest:")}
    assert set(digests) == {"digest:08:30", "digest:18:05"}
    func, trigger, _kwargs = digests["digest:08:30"]
    assert func == "alertbot.service.schedule:digest_job"
    fire = trigger.get_next_fire_time(None, T0)
    assert fire == dt.datetime(2026, 3, 2, 0, 30, tzinfo=dt.UTC)  # 08:30 Shanghai
    report = wanted[REPORT_JOB][1].get_next_fire_time(None, T0)
    assert report == dt.datetime(2026, 4, 1, 1, 0, tzinfo=dt.UTC)  # the 1st, 09:00 Shanghai
