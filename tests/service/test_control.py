"""The ServiceControl the bot calls (``bot_data["service"]``): schedules applied to the running scheduler at
once, URLs pinned, crawls refused with a reason, every change audit-logged."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlmodel import select

from alertbot.models import AuditLog, SourceConfig
from alertbot.service.runner import Service, as_service_control
from alertbot.service.schedule import CRAWL_PREFIX, build_scheduler
from alertbot.settings import Settings
from alertbot.sources import SourceError


def test_set_schedule_set_url_and_crawl_refusals(settings: Settings, sqlite_factory) -> None:
    async def main() -> None:
        service = Service(settings, factory=sqlite_factory)
        control = as_service_control(service)
        service.scheduler = build_scheduler(settings)
        service.scheduler.start(paused=True)
        try:
            upcoming = await control.set_schedule("epo_ops", "15 7 * * 3", actor="telegram:501:centre")
            assert (
                dt.datetime.fromisoformat(upcoming).astimezone(dt.timezone(dt.timedelta(hours=8))).hour == 7
            )
            job = service.scheduler.get_job(f"{CRAWL_PREFIX}epo_ops")
            assert "minute='15'" in str(job.trigger)
            assert "day_of_week='wed'" in str(job.trigger)
            with pytest.raises(SourceError, match="crontab"):
                await control.set_schedule("epo_ops", "61 7 * * 3", actor="telegram:501:centre")

            pinned = await control.set_url(
                "kipris_tm", "http://127.0.0.1:9/kipris", actor="telegram:501:centre"
            )
            assert "http://127.0.0.1:9/kipris" in pinned
            await control.set_url("cieme-2026", "http://127.0.0.1:9/cieme/list", actor="telegram:501:centre")
            assert (
                "http://127.0.0.1:9/cieme/list"
                in (settings.data_dir / "expos" / "cieme-2026.yaml").read_text()
            )

            with pytest.raises(SourceError, match="known sources"):
                await control.crawl_now("no_such_spider", actor="telegram:501:centre")
            # Not (yet) the leader: nothing is started, and the answer says so.
            assert "not the leader" in await control.crawl_now("kipris_tm", actor="telegram:501:centre")
        finally:
            service.scheduler.shutdown(wait=False)

    asyncio.run(main())
    with sqlite_factory() as session:
        actions = [
            (log.action, log.entity_id) for log in session.exec(select(AuditLog).order_by(AuditLog.id)).all()
        ]
        assert session.get(SourceConfig, "epo_ops").cron == "15 7 * * 3"
    assert actions == [
        ("source.schedule", "epo_ops"),
        ("source.set_url", "kipris_tm"),
        ("source.set_url", "cieme-2026"),
        ("source.crawl", "kipris_tm"),
    ]
