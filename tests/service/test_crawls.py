"""The crawl manager with real crawl processes against a loopback server that never answers: the
concurrency limit, one crawl per source, and a shutdown that stops the processes and closes their runs."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from sqlmodel import select

from alertbot.db import transaction
from alertbot.models import CrawlRun, Delivery
from alertbot.service.crawls import CrawlManager
from alertbot.settings import Settings
from alertbot.sources import set_url
from tests.service.conftest import add_staff
from tests.spiders.standins import start_server

pytestmark = pytest.mark.slow


def test_concurrency_limit_one_per_source_and_stop(
    settings: Settings, sqlite_factory, tmp_path: Path
) -> None:
    add_staff(sqlite_factory)
    www = tmp_path / "www"
    www.mkdir()
    server, httpd, thread = start_server(www)

    def never_answers(_request):  # type: ignore[no-untyped-def]
        time.sleep(60)
        return 200, {}, b""

    server.routes["/tm/apc260301.zip"] = never_answers
    server.routes["/patent/ipa260305.zip"] = never_answers
    with transaction(sqlite_factory) as session:
        set_url(session, "uspto_tm_daily", server.url("tm/apc260301.zip"), actor="test")
        set_url(session, "uspto_patent_app", server.url("patent/ipa260305.zip"), actor="test")
    limited = settings.model_copy(update={"crawl_concurrency": 1, "crawl_timeout": 120})

    async def main() -> tuple[float, list[str]]:
        manager = CrawlManager(limited, sqlite_factory)
        assert manager.start("uspto_tm_daily", reason="test")
        assert manager.start("uspto_patent_app", reason="test")
        assert not manager.start("uspto_tm_daily", reason="test")  # one crawl per source
        deadline = time.monotonic() + 60
        while not server.requests:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.1)
        await asyncio.sleep(3.0)  # time enough for a second process to start, were the limit not kept
        paths = [request.path for request in server.requests]
        assert manager.running() == ["uspto_patent_app", "uspto_tm_daily"]
        stopping = time.monotonic()
        await manager.stop()
        return time.monotonic() - stopping, paths

    try:
        took, paths = asyncio.run(main())
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
    assert paths == ["/tm/apc260301.zip"]  # the second crawl waited for the slot
    assert took < 15  # SIGTERM, then SIGKILL after 5 s at the latest
    with sqlite_factory() as session:
        runs = session.exec(select(CrawlRun)).all()
        # The started crawl's run is closed as stopped; the queued one never opened a run.
        assert [(run.spider, run.status) for run in runs] == [("uspto_tm_daily", "stopped")]
        assert runs[0].finished_at is not None
        assert "shut down" in (runs[0].error_detail or "")
        # A shutdown is not a fault of the source: no health notice.
        assert session.exec(select(Delivery)).all() == []
