"""``alertbot status``: every source's last run, counts and health, the outbox depth, failed deliveries and the
next scheduled jobs."""

from __future__ import annotations

import asyncio
import datetime as dt

from typer.testing import CliRunner

from alertbot.cli import app
from alertbot.db import transaction
from alertbot.models import SourceConfig
from alertbot.service.health import update_health
from alertbot.service.schedule import build_scheduler, desired_jobs, reconcile
from alertbot.settings import Settings
from tests.service.conftest import add_run, add_staff


def test_status_shows_sources_health_outbox_and_next_jobs(settings: Settings, sqlite_factory) -> None:
    add_staff(sqlite_factory)
    now = dt.datetime.now(dt.UTC)
    add_run(
        sqlite_factory,
        "epo_ops",
        now - dt.timedelta(hours=2),
        status="error",
        seen=0,
        new=0,
        error="HTTP 503",
    )
    with transaction(sqlite_factory) as session:
        wanted = desired_jobs(session, settings)
        update_health(session, session.get(SourceConfig, "epo_ops"), now)  # queues one staff notice

    async def schedule() -> None:
        scheduler = build_scheduler(settings)
        scheduler.start(paused=True)
        reconcile(scheduler, wanted)
        scheduler.shutdown(wait=False)

    asyncio.run(schedule())
    result = CliRunner().invoke(app, ["status"], terminal_width=250)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    epo = next(line for line in lines if line.strip().startswith("epo_ops"))
    assert "error" in epo
    assert "failing" in epo
    assert "epo_ops (failing): run 1 error: HTTP 503" in result.output
    assert "未运行" in next(line for line in lines if line.strip().startswith("uspto_tm_daily"))
    assert "the scheduler has stored no jobs yet" not in result.output  # the jobs table is there instead
    assert "outbox depth" in result.output
    assert next(line for line in lines if "outbox depth" in line).split("│")[2].strip() == "1"
    assert "failed deliveries" in result.output
    assert "crawl:uspto_tm_daily" in result.output
    assert "health-sweep" in result.output


def test_status_names_its_zone_explains_the_next_column_and_never_run(
    settings: Settings, sqlite_factory
) -> None:
    add_run(sqlite_factory, "epo_ops", dt.datetime.now(dt.UTC) - dt.timedelta(hours=2))
    result = CliRunner().invoke(app, ["status"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert f"时间 times: {settings.timezone} (CST)" in result.output
    # No jobs stored yet, but the 下次 column is filled: the screen says where those times come from.
    assert "the scheduler has stored no jobs yet" in result.output
    assert "computed from each source's schedule" in result.output
    tm = next(line for line in lines if line.strip().startswith("uspto_tm_daily"))
    assert tm.split()[-3:-2] == ["未运行"]  # health; the caption says "未运行 never run"
    assert "未运行 never run" in result.output
    epo = next(line for line in lines if line.strip().startswith("epo_ops"))
    assert epo.split()[-3:-2] == ["ok"]
    # Still one line per source on an 80-column terminal.
    assert all(len(line) <= 80 for line in lines[: lines.index(tm) + 1])
