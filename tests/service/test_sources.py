"""Sources as data: defaults, URL pins, schedules, pause/resume (audit-logged), the views and the CLI."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from alertbot.cli import app
from alertbot.cli._common import console
from alertbot.db import transaction
from alertbot.models import AuditLog, SourceConfig
from alertbot.service.schedule import ExpoTrigger, desired_jobs
from alertbot.sources import (
    CATALOGUE,
    SourceError,
    crawl_spec,
    get_source,
    list_sources,
    next_cron_time,
    pause,
    previous_cron_time,
    resume,
    set_schedule,
    set_url,
)
from tests.service.conftest import T0, add_run

TZ = "Asia/Shanghai"


@pytest.mark.parametrize(
    ("spider", "url", "expected"),
    [
        (
            "uspto_tm_daily",
            "http://127.0.0.1:8000/apc260301.zip",
            {"file": "http://127.0.0.1:8000/apc260301.zip"},
        ),
        (
            "uspto_tm_daily",
            "http://mirror.local/products/TRTDXFAP",
            {"args": {"product_url": "http://mirror.local/products/TRTDXFAP"}},
        ),
        ("uspto_patent_app", "https://m.local/ipa260305.XML", {"file": "https://m.local/ipa260305.XML"}),
        ("epo_ops", "http://127.0.0.1:9000/3.2", {"args": {"base_url": "http://127.0.0.1:9000/3.2"}}),
        ("kipris_tm", "http://127.0.0.1:9000/svc", {"args": {"base_url": "http://127.0.0.1:9000/svc"}}),
        (
            "st66",
            "http://127.0.0.1:9000/feed/",
            {"settings": {"ST66_FEED_URLS": "http://127.0.0.1:9000/feed/"}},
        ),
        (
            "st66",
            "file:///srv/mirror/2026-03-01-RO-DIFF.zip?x=1",
            {"file": "file:///srv/mirror/2026-03-01-RO-DIFF.zip?x=1"},
        ),
    ],
)
def test_set_url_pins_a_file_or_replaces_the_base(sqlite_factory, spider, url, expected) -> None:
    with transaction(sqlite_factory) as session:
        config = set_url(session, spider, url, actor="test")
        spec = crawl_spec(config)
    assert spec.spider == spider
    assert spec.file == expected.get("file")
    assert spec.args == expected.get("args", {})
    assert spec.settings == expected.get("settings", {})


def test_default_back_to_built_in(sqlite_factory) -> None:
    with transaction(sqlite_factory) as session:
        set_url(session, "epo_ops", "http://127.0.0.1:1/x", actor="test")
        config = set_url(session, "epo_ops", None, actor="test")
        assert crawl_spec(config).args == {}


def test_changes_are_audit_logged_and_validated(factory) -> None:
    with transaction(factory) as session:
        set_schedule(session, "uspto_tm_daily", "15 9 * * *", actor="staff:1", tz=TZ)
        pause(session, "uspto_tm_daily", actor="staff:1")
        resume(session, "uspto_tm_daily", actor="staff:2")
        with pytest.raises(SourceError, match="five-field crontab"):
            set_schedule(session, "uspto_tm_daily", "every day", actor="x", tz=TZ)
        with pytest.raises(SourceError, match=r"known sources: .*uspto_tm_daily"):
            get_source(session, "uspto_tm")
        with pytest.raises(SourceError, match="http"):
            set_url(session, "epo_ops", "ftp://example.org/x", actor="x")
    with factory() as session:
        config = session.get(SourceConfig, "uspto_tm_daily")
        assert config is not None
        assert config.cron == "15 9 * * *"
        assert not config.paused
        logs = session.exec(select(AuditLog).where(AuditLog.entity_id == "uspto_tm_daily")).all()
    assert [(log.action, log.actor) for log in logs] == [
        ("source.schedule", "staff:1"),
        ("source.pause", "staff:1"),
        ("source.resume", "staff:2"),
    ]
    assert logs[1].before == {"url": None, "cron": "15 9 * * *", "paused": False}
    assert logs[1].after == {"url": None, "cron": "15 9 * * *", "paused": True}


def test_default_crons_follow_publication_cadence() -> None:
    # Thursday 2026-03-05 is the USPTO patent day; Wednesday 2026-03-04 the EPO day.
    after = dt.datetime(2026, 3, 2, 0, 0, tzinfo=dt.UTC)
    patents = next_cron_time(CATALOGUE["uspto_patent_app"].cron, after, TZ)
    epo = next_cron_time(CATALOGUE["epo_ops"].cron, after, TZ)
    assert patents is not None
    assert patents.astimezone(dt.timezone(dt.timedelta(hours=8))).weekday() == 3
    assert epo is not None
    assert epo.astimezone(dt.timezone(dt.timedelta(hours=8))).weekday() == 2
    daily = next_cron_time(CATALOGUE["uspto_tm_daily"].cron, after, TZ)
    following = next_cron_time(CATALOGUE["uspto_tm_daily"].cron, daily, TZ) if daily else None
    assert daily is not None
    assert following is not None
    assert following - daily == dt.timedelta(days=1)
    for default in CATALOGUE.values():
        assert len(default.reason) > 40, default.spider  # every default says why


def test_previous_and_next_cron_time_with_a_controlled_clock() -> None:
    now = dt.datetime(2026, 3, 4, 10, 0, tzinfo=dt.UTC)  # Wed 18:00 Shanghai
    assert previous_cron_time("30 14 * * *", now, TZ) == dt.datetime(2026, 3, 4, 6, 30, tzinfo=dt.UTC)
    assert previous_cron_time("0 21 * * 4", now, TZ) == dt.datetime(2026, 2, 26, 13, 0, tzinfo=dt.UTC)
    assert previous_cron_time("*/15 * * * *", now, TZ) == now
    assert next_cron_time("*/15 * * * *", now, TZ) == now + dt.timedelta(minutes=15)
    assert previous_cron_time("0 9 1 * *", now, TZ) == dt.datetime(2026, 3, 1, 1, 0, tzinfo=dt.UTC)


def test_list_sources_shows_last_run_counts_and_next_run(factory) -> None:
    add_run(factory, "uspto_tm_daily", T0, seen=120, new=12)
    add_run(
        factory, "uspto_tm_daily", T0 + dt.timedelta(days=1), status="error", seen=0, new=0, error="HTTP 503"
    )
    with transaction(factory) as session:
        pause(session, "kipris_tm", actor="test")
    with factory() as session:
        views = {view.name: view for view in list_sources(session, T0 + dt.timedelta(days=1, hours=1), TZ)}
    assert set(CATALOGUE) <= set(views)
    tm = views["uspto_tm_daily"]
    assert tm.last_run is not None
    assert tm.last_run.status == "error"
    assert tm.last_run.error == "HTTP 503"
    assert tm.runs_total == 2
    assert tm.counts["records_seen"] == 120
    assert tm.counts["records_new"] == 12
    assert tm.last_success_at == T0 + dt.timedelta(minutes=5)
    assert tm.next_run_at == dt.datetime(2026, 3, 3, 6, 30, tzinfo=dt.UTC)
    assert views["kipris_tm"].paused
    assert views["kipris_tm"].next_run_at is None
    assert views["epo_ops"].last_run is None
    assert "uspto_tm_daily" in tm.summary_line()
    assert "error" in tm.summary_line()
    assert views["epo_ops"].summary_line().startswith("epo_ops · 未运行 never run · next ")


def test_cli_sources_round_trip(settings) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["sources", "schedule", "epo_ops", "0 8 * * 3"])
    assert result.exit_code == 0, result.output
    assert "next run" in result.output
    result = runner.invoke(app, ["sources", "pause", "epo_ops"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["sources", "set-url", "uspto_tm_daily", "http://127.0.0.1:9/apc260301.zip"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["sources", "list", "--json"])
    assert result.exit_code == 0, result.output
    assert '"name": "epo_ops"' in result.output
    assert '"paused": true' in result.output
    result = runner.invoke(app, ["sources", "show", "uspto_tm_daily"])
    assert result.exit_code == 0, result.output
    assert "apc260301.zip" in result.output
    assert "USPTO publishes" in result.output
    result = runner.invoke(app, ["sources", "schedule", "epo_ops", "61 * * * *"])
    assert result.exit_code == 2
    assert "crontab" in result.output
    result = runner.invoke(app, ["sources", "show", "nope"])
    assert result.exit_code != 0


def test_an_expo_edition_refuses_a_cron_and_keeps_expo_mode(settings, sqlite_factory) -> None:
    # A cron on an expo edition used to be stored and scheduled as a plain cron job: expo mode silently off.
    with transaction(sqlite_factory) as session:
        with pytest.raises(SourceError, match=r"expo mode.*expo_mode_interval.*cieme-2026\.yaml"):
            set_schedule(session, "cieme-2026", "0 1 * * *", actor="test", tz=TZ)
        # 'default' is still accepted: it clears a cron stored before the rule.
        assert set_schedule(session, "cieme-2026", "default", actor="test", tz=TZ).cron is None
    with transaction(sqlite_factory) as session:
        # A cron already on the row (set before the rule, or by hand) does not switch expo mode off either.
        row = get_source(session, "cieme-2026")
        row.cron = "0 1 * * *"
        session.add(row)
    with transaction(sqlite_factory) as session:
        wanted = desired_jobs(session, settings)
        view = next(view for view in list_sources(session, T0, TZ) if view.name == "cieme-2026")
    assert isinstance(wanted["crawl:cieme-2026"][1], ExpoTrigger)
    assert view.cron == "expo"
    result = CliRunner().invoke(app, ["sources", "schedule", "cieme-2026", "0 1 * * *"])
    assert result.exit_code == 2
    assert "expo mode" in result.output


def test_sources_list_names_the_zone_and_keeps_the_cron_in_its_own_column(settings, monkeypatch) -> None:
    # One line per source, whatever the test's terminal. The private `_width`, not `width`: monkeypatch would
    # restore `width` by setting the 80 columns it read back, fixing the console at 80 for later tests.
    monkeypatch.setattr(console, "_width", 250)
    runner = CliRunner()
    assert runner.invoke(app, ["sources", "schedule", "uspto_tm_daily", "0 15 * * *"]).exit_code == 0
    result = runner.invoke(app, ["sources", "list"], terminal_width=250)
    assert result.exit_code == 0, result.output
    assert f"时间 times: {settings.timezone}" in result.output
    header = next(line for line in result.output.splitlines() if "来源 source" in line)
    assert header.index("来源 source") < header.index("计划 schedule") < header.index("健康 health")
    cells = {
        line.split("│")[1].strip(): [cell.strip() for cell in line.split("│")[2:-1]]
        for line in result.output.splitlines()
        if line.startswith("│")
    }
    assert cells["uspto_tm_daily"][1:3] == ["0 15 * * *", "自定 custom"]
    assert cells["epo_ops"][1:3] == ["0 23 * * 3", "默认 default"]
    assert cells["uspto_tm_daily"][3].endswith(" CST")  # Asia/Shanghai, the default ALERTBOT_TIMEZONE
    assert cells["epo_ops"][-1] == "未运行 never run"
    show = runner.invoke(app, ["sources", "show", "uspto_tm_daily"], terminal_width=250)
    assert show.exit_code == 0, show.output
    assert "0 15 * * * (自定 custom)" in show.output
    assert "未运行 never run" in show.output
    assert f"时间 times: {settings.timezone}" in show.output
