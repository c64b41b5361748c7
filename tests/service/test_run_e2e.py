"""End to end: a real ``alertbot run`` process, the Bot API stand-in and a loopback fixture source.

One service process for the whole story, in order:

1. the source is pinned to a loopback URL that never answers; a staff ``/crawl`` starts it, the bot keeps
   answering commands meanwhile, the crawl is killed at ``ALERTBOT_CRAWL_TIMEOUT`` and recorded failed,
   and staff get ONE health notice;
2. the source is pinned (by the CLI, in another process) to the fixture gazette; a staff ``/crawl`` leads
   to an alert delivered to the enterprise's chat through the stand-in, and staff get ONE recovery notice;
3. SIGTERM: the process exits 0 within 30 s, with no crawl run left running and no delivery left leased.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlmodel import col, select
from typer.testing import CliRunner

from alertbot import db
from alertbot.cli import app
from alertbot.db import transaction
from alertbot.models import CrawlRun, Delivery, Enterprise, Role
from alertbot.settings import Settings, get_settings
from alertbot.sources import CATALOGUE
from tests.bot.standin import BotStandIn
from tests.spiders.standins import fixture_bytes, start_server, zip_bytes
from tests.support.seed import add_subscriber

STAFF, ENTERPRISE = 601, 602
pytestmark = pytest.mark.slow


def _wait(predicate, timeout: float, what: str, log: Path) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}:\n" + log.read_text(errors="replace")[-6000:])
        time.sleep(0.1)


def test_crawl_command_to_delivered_alert_hang_timeout_and_clean_shutdown(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = settings.resolved_database_url()
    db.upgrade(url)
    factory = db.session_factory(settings)
    with transaction(factory) as session:
        session.add(
            Enterprise(
                id="suveneer",
                name_zh="苏维尼尔纸业",
                name_en="Suveneer Paper",
                marks=["SUVENEER"],
                classes=[16],
            )
        )
    add_subscriber(
        factory,
        name="centre",
        role=Role.STAFF.value,
        telegram_user_id=STAFF,
        channels={"telegram": str(STAFF)},
        language="en",
    )
    add_subscriber(
        factory,
        name="suveneer-ip",
        role=Role.ENTERPRISE.value,
        enterprise_id="suveneer",
        enterprise_ids=["suveneer"],
        telegram_user_id=ENTERPRISE,
        channels={"telegram": str(ENTERPRISE)},
        language="en",
    )
    www = tmp_path / "www"
    (www / "files").mkdir(parents=True)
    (www / "files" / "apc240925.zip").write_bytes(
        zip_bytes({"apc240925.xml": fixture_bytes("uspto_tm_daily", "uspto-tm-daily.sample.xml")})
    )
    server, httpd, thread = start_server(www)

    def never_answers(_request):  # type: ignore[no-untyped-def]
        time.sleep(120)
        return 200, {}, b""

    server.routes["/hang/apc240926.zip"] = never_answers
    runner = CliRunner()
    for name in CATALOGUE:
        if name != "uspto_tm_daily":
            assert runner.invoke(app, ["sources", "pause", name]).exit_code == 0
    for edition in ("cieme-2026", "giic-2026"):
        assert runner.invoke(app, ["sources", "pause", edition]).exit_code == 0
    result = runner.invoke(app, ["sources", "set-url", "uspto_tm_daily", server.url("hang/apc240926.zip")])
    assert result.exit_code == 0, result.output

    log = tmp_path / "run.log"
    with BotStandIn() as api:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ALERTBOT_")}
        env.update(
            ALERTBOT_DATABASE_URL=url,
            ALERTBOT_DATA_DIR=str(settings.data_dir),
            ALERTBOT_OUTBOX_DIR=str(settings.outbox_dir),
            ALERTBOT_TELEGRAM_TOKEN=api.token,
            ALERTBOT_TELEGRAM_BASE_URL=api.base_url,
            ALERTBOT_CRAWL_TIMEOUT="30",
            ALERTBOT_RECONCILE_INTERVAL="1",
            ALERTBOT_LOG_FORMAT="json",
        )
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [str(Path(sys.executable).parent / "alertbot"), "run"],
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        try:
            _wait(lambda: api.calls("getUpdates"), 60, "the bot to poll", log)

            # 1. A hanging source: killed at its timeout, recorded failed, one health notice; bot still answers.
            reply = api.say(STAFF, "/crawl uspto_tm_daily", lang="en")
            assert "crawl started" in reply
            _wait(
                lambda: server.hits("/hang/apc240926.zip"), 30, "the crawl to reach the hanging server", log
            )
            assert "already running" in api.say(STAFF, "/crawl uspto_tm_daily", lang="en")
            started = time.monotonic()
            whoami = api.say(STAFF, "/whoami", lang="en")
            assert time.monotonic() - started < 5
            assert "staff" in whoami.lower()

            def fault_notices() -> list[str]:
                return [t for t in api.sent_texts(STAFF) if "Source fault" in t]

            _wait(lambda: fault_notices(), 60, "the health notice", log)
            with factory() as session:
                [run] = session.exec(select(CrawlRun).where(CrawlRun.spider == "uspto_tm_daily")).all()
            assert run.status == "error"
            assert "timeout" in (run.error_detail or "")
            assert run.finished_at is not None

            # 2. Point the source at the fixture file from another process (the CLI), crawl, get the alert.
            result = runner.invoke(
                app, ["sources", "set-url", "uspto_tm_daily", server.url("files/apc240925.zip")]
            )
            assert result.exit_code == 0, result.output
            assert "crawl started" in api.say(STAFF, "/crawl uspto_tm_daily", lang="en")
            _wait(lambda: any("SUVENEER" in t for t in api.sent_texts(ENTERPRISE)), 90, "the alert", log)
            _wait(
                lambda: any("recovered" in t for t in api.sent_texts(STAFF)), 30, "the recovery notice", log
            )
            time.sleep(1.5)  # a second fault notice, if one were (wrongly) queued, would have gone out by now
            assert len(fault_notices()) == 1
            assert len([t for t in api.sent_texts(STAFF) if "recovered" in t]) == 1
        finally:
            # 3. SIGTERM: exit 0 within 30 s.
            stopped_at = time.monotonic()
            process.send_signal(signal.SIGTERM)
            try:
                code = process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                raise
            took = time.monotonic() - stopped_at
            httpd.shutdown()
            httpd.server_close()
            thread.join(timeout=5)
    output = log.read_text(errors="replace")
    assert code == 0, output[-6000:]
    assert took < 30
    assert '"msg": "alertbot stopped"' in output
    assert '"source": "uspto_tm_daily"' in output  # JSON log lines carry the source, run and alert ids
    assert '"run_id": 2' in output
    assert '"alert_id": ' in output
    assert "Traceback" not in output, output[-6000:]
    get_settings.cache_clear()
    with factory() as session:
        runs = session.exec(select(CrawlRun)).all()
        assert [run.status for run in runs] == ["error", "ok"]
        assert session.exec(select(Delivery).where(col(Delivery.lease_owner).is_not(None))).all() == []
        assert session.exec(select(CrawlRun).where(CrawlRun.status == "running")).all() == []
