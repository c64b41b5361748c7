"""A real crawl stores into PostgreSQL too, and a re-run is idempotent there."""

from __future__ import annotations

import datetime as dt

import pytest

from alertbot.crawling import run_crawl
from alertbot.settings import Settings
from tests.spiders.standins import FAST_CRAWL, LocalServer, fixture_bytes, stored, zip_bytes


@pytest.mark.slow
@pytest.mark.postgres
def test_st66_crawl_into_postgres_is_idempotent(http_server: LocalServer, pg_settings: Settings) -> None:
    archive = zip_bytes(
        {
            "EM_APPLICANT.xml": fixture_bytes("st66", "euipo-eutm-applicants.sample.xml"),
            "EM_TRADEMARK.xml": fixture_bytes("st66", "wipo-st66.sample.xml"),
        }
    )
    (http_server.root / "EM.zip").write_bytes(archive)
    for _ in range(2):
        result = run_crawl("st66", file=http_server.url("EM.zip"), settings=FAST_CRAWL, timeout_s=120)
        assert result.status == "ok", result.log_tail
    db = stored(pg_settings.resolved_database_url())
    assert len(db.records) == 4
    record = db.records[("euipo", "019990001")]
    assert (record.applicant_country, record.opposition_end) == ("CN", dt.date(2025, 4, 10))
    assert [(run.records_new, run.records_unchanged) for run in db.runs] == [(4, 0), (0, 4)]
