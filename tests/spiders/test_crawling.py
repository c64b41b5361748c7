"""alertbot.crawling: subprocess crawls, the spider list, bundled samples and the timeout kill."""

from __future__ import annotations

import importlib
import time
from pathlib import Path

import pytest

import alertbot.crawling as crawling
from alertbot.crawling import crawl_command, list_spiders, run_crawl, run_crawl_async, sample_sources
from alertbot.settings import Settings
from spiders.base.spider import GazetteSpider
from spiders.items import RecordIn
from tests.spiders.standins import FAST_CRAWL, LocalServer, SeenRequest, stored

SPIDERS = {"epo_ops", "kipris_tm", "st66", "uspto_patent_app", "uspto_tm_daily"}
# The expo spider reads show editions; its samples are the editions' (alertbot/expo/samples).
ALL_SPIDERS = SPIDERS | {"expo_exhibitors"}


def test_crawl_command_passes_arguments_and_settings(tmp_path: Path) -> None:
    command = crawl_command(
        "st66",
        since="2025-01-01",
        file="x.zip",
        args={"applicants": "a.xml"},
        settings={"A": "1"},
        summary_path=tmp_path / "s.json",
    )
    assert command[1:5] == ["-m", "scrapy", "crawl", "st66"]
    assert "applicants=a.xml" in command
    assert "since=2025-01-01" in command
    assert "file=x.zip" in command
    assert f"ALERTBOT_RUN_SUMMARY={tmp_path / 's.json'}" in command


def test_sample_sources_cover_every_spider_with_file_urls() -> None:
    sources = sample_sources()
    assert {name for name, _url in sources} == SPIDERS
    for _name, url in sources:
        assert url.startswith("file://")
        assert Path(url.removeprefix("file://")).is_file()


@pytest.mark.slow
def test_list_spiders() -> None:
    assert set(list_spiders()) == ALL_SPIDERS


def test_every_bundled_sample_parses_without_quarantine() -> None:
    for name, url in sample_sources():
        module = importlib.import_module(f"spiders.{name}")
        spider_class = next(
            obj
            for obj in vars(module).values()
            if isinstance(obj, type) and issubclass(obj, GazetteSpider) and getattr(obj, "name", None) == name
        )
        path = Path(url.removeprefix("file://"))
        items = list(spider_class().parse_source(path, path.name))
        assert items, url
        assert all(isinstance(item, RecordIn) for item in items), url


@pytest.mark.slow
def test_constructed_sample_crawl_stores_the_squats(settings: Settings) -> None:
    url = dict((u.rsplit("/", 1)[-1], u) for _n, u in sample_sources())["apc261125.zip"]
    result = run_crawl("uspto_tm_daily", file=url, settings=FAST_CRAWL, timeout_s=120)
    assert result.status == "ok", result.log_tail
    db = stored(settings.resolved_database_url())
    neusoft = db.records[("uspto-tm", "99900002")]
    assert (neusoft.text, neusoft.applicant_country, neusoft.event) == ("NEUSOFT MEDICAL", "CN", "published")
    assert db.records[("uspto-tm", "99900001")].text == "SIASUN ROBOTICS"


@pytest.mark.slow
async def test_a_hanging_crawl_is_killed_at_the_timeout(
    http_server: LocalServer, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def hang(_request: SeenRequest) -> tuple[int, dict[str, str], bytes]:
        time.sleep(30)
        return 200, {}, b""

    http_server.routes["/apc240925.zip"] = hang
    monkeypatch.setattr(crawling, "TERMINATE_GRACE_S", 3.0)
    started = time.monotonic()
    result = await run_crawl_async(
        "uspto_tm_daily", file=http_server.url("apc240925.zip"), settings=FAST_CRAWL, timeout_s=4
    )
    assert result.timed_out
    assert result.status == "timeout"
    assert time.monotonic() - started < 20
    assert any("timeout" in error for error in result.errors)
