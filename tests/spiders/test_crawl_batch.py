"""alertbot.crawling.CrawlBatch: several crawls in one Scrapy process (``scrapy crawlmany``), one result each."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from alertbot import db
from alertbot.crawling import CrawlBatch, sample_sources
from alertbot.models import CrawlRun, Record
from alertbot.settings import Settings


@pytest.mark.slow
def test_batch_runs_each_crawl_and_reports_each_outcome(settings: Settings, tmp_path: Path) -> None:
    db.upgrade(settings.resolved_database_url())
    good = dict(sample_sources())["kipris_tm"]
    broken = tmp_path / "broken.xml"
    broken.write_bytes(b"<response><body><items><item>")
    batch = CrawlBatch([("kipris_tm", {"file": good}), ("st66", {"file": broken.resolve().as_uri()})])

    results = {args["file"]: result for (_name, args), result in batch.run(timeout_s=240)}

    assert set(results) == {good, broken.resolve().as_uri()}
    assert results[good].status == "ok"
    assert results[broken.resolve().as_uri()].status == "error"
    assert results[broken.resolve().as_uri()].errors
    with db.session_factory(settings)() as session:
        runs = session.exec(select(CrawlRun)).all()
        assert {run.spider for run in runs} == {"kipris_tm", "st66"}
        assert session.exec(select(Record).where(Record.source_key.startswith("kipris"))).all()


def test_batch_reports_a_crawl_as_crashed_when_the_process_dies_without_its_summary(
    settings: Settings,
) -> None:
    batch = CrawlBatch([("no_such_spider", {})])

    [(_crawl, result)] = list(batch.run(timeout_s=120))

    assert result.status == "crashed"
    assert "without a run summary" in result.errors[0]
