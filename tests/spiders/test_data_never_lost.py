"""Issue 8, item 2: one bad record never costs a batch or a file; the run's status, the CLI's exit code and
the source's memory tell the truth. Real crawls (Scrapy subprocess) against the loopback server, on SQLite
and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from alertbot import db
from alertbot.cli import app
from alertbot.crawling import run_crawl
from alertbot.settings import Settings
from spiders.items import QuarantineItem, RecordIn
from spiders.st66 import St66TrademarkSpider
from tests.spiders.standins import FAST_CRAWL, LocalServer, fixture_bytes, stored, zip_bytes

EUTM = fixture_bytes("st66", "wipo-st66.sample.xml")
APPLICANTS = fixture_bytes("st66", "euipo-eutm-applicants.sample.xml")
ALL_FOUR = {"019990001", "019990002", "019990003", "019990004"}
runner = CliRunner()


def _archive(applicants: bytes = APPLICANTS, trademarks: bytes = EUTM) -> bytes:
    return zip_bytes({"EM_APPLICANT.xml": applicants, "EM_TRADEMARK.xml": trademarks})


def _over_long_country() -> bytes:
    """Applicant 990002 (of mark 019990002) with a 13-character country code; the column holds 8."""
    head, marker, tail = APPLICANTS.partition(b"<ApplicantIdentifier>990002</ApplicantIdentifier>")
    return head + marker + tail.replace(b"<AddressCountryCode>CN<", b"<AddressCountryCode>CNXXXXXXXXXXX<", 1)


def _execute(url: str, *statements: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


def _refuse(url: str, table: str, condition_sqlite: str, condition_pg: str) -> None:
    """A database rule (trigger) the models know nothing about, refusing some inserts into ``table``."""
    db.upgrade(url)
    name = f"refuse_{table}"
    if url.startswith("sqlite"):
        _execute(
            url,
            f"CREATE TRIGGER {name} BEFORE INSERT ON {table} WHEN {condition_sqlite} "
            f"BEGIN SELECT RAISE(ABORT, 'refused by a database rule'); END",
        )
    else:
        _execute(
            url,
            f"CREATE FUNCTION {name}() RETURNS trigger AS $$ BEGIN IF {condition_pg} THEN "
            f"RAISE EXCEPTION 'refused by a database rule'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
            f"CREATE TRIGGER {name} BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()",
        )


def _drop_refusal(url: str, table: str) -> None:
    name = f"refuse_{table}"
    if url.startswith("sqlite"):
        _execute(url, f"DROP TRIGGER {name}")
    else:
        _execute(url, f"DROP TRIGGER {name} ON {table}", f"DROP FUNCTION {name}()")


@pytest.fixture
def url(any_settings: Settings) -> Iterator[str]:
    database_url = any_settings.resolved_database_url()
    yield database_url
    db.dispose_engine(database_url)


@pytest.mark.slow
def test_an_over_long_field_is_quarantined_the_rest_stored_and_the_cli_says_partial(
    http_server: LocalServer, url: str
) -> None:
    (http_server.root / "EM.zip").write_bytes(_archive(applicants=_over_long_country()))
    result = runner.invoke(app, ["crawl", "st66", "--file", http_server.url("EM.zip")], terminal_width=200)
    assert result.exit_code == 1, result.output
    assert "st66: partial" in result.output
    data = stored(url)
    assert {key[1] for key in data.records} == ALL_FOUR - {"019990002"}
    [row] = data.quarantine
    assert row.native_id == "019990002"
    assert "applicant_country" in row.reason
    assert "13 characters" in row.reason
    assert "at most 8" in row.reason
    assert "CNXXXXXXXXXXX" in row.snippet
    run = data.runs[-1]
    assert (run.status, run.records_new, run.quarantined) == ("partial", 3, 1)


@pytest.mark.slow
def test_a_record_the_database_refuses_costs_only_that_record(http_server: LocalServer, url: str) -> None:
    _refuse(url, "record", "NEW.native_id = '019990003'", "NEW.native_id = '019990003'")
    (http_server.root / "EM.zip").write_bytes(_archive())
    result = run_crawl("st66", file=http_server.url("EM.zip"), settings=FAST_CRAWL, timeout_s=120)
    assert result.status == "partial", result.log_tail
    data = stored(url)
    assert {key[1] for key in data.records} == ALL_FOUR - {"019990003"}
    [row] = data.quarantine
    assert row.native_id == "019990003"
    assert "refused by a database rule" in row.reason
    assert data.runs[-1].status == "partial"
    assert data.runs[-1].records_new == 3


@pytest.mark.slow
def test_a_file_that_could_not_be_stored_is_fetched_again_next_time(
    http_server: LocalServer, url: str
) -> None:
    _refuse(url, "record", "1", "true")
    _refuse(url, "quarantine", "1", "true")
    (http_server.root / "EM.zip").write_bytes(_archive())
    feed = {**FAST_CRAWL, "ST66_FEED_URLS": http_server.url("EM.zip")}
    failed = run_crawl("st66", settings=feed, timeout_s=120)
    assert failed.status == "error", failed.log_tail
    assert any("not stored" in error or "storing" in error for error in failed.errors), failed.errors
    data = stored(url)
    assert not data.records
    assert "EM.zip" not in data.states["euipo"].get("files", {})
    assert data.runs[-1].status == "error"

    _drop_refusal(url, "record")
    _drop_refusal(url, "quarantine")
    again = run_crawl("st66", settings=feed, timeout_s=120)
    assert again.status == "ok", again.log_tail
    assert len(http_server.hits("/EM.zip")) == 2
    data = stored(url)
    assert {key[1] for key in data.records} == ALL_FOUR
    assert "EM.zip" in data.states["euipo"]["files"]
    third = run_crawl("st66", settings=feed, timeout_s=120)
    assert third.status == "ok"
    assert len(http_server.hits("/EM.zip")) == 2  # remembered once stored


def test_a_class_that_looks_like_a_digit_costs_one_record_not_the_file() -> None:
    # "²".isdigit() is True but int("²") fails: the record is quarantined, the records after it are read.
    broken = EUTM.replace(b"<ClassNumber>11</ClassNumber>", "<ClassNumber>1²</ClassNumber>".encode(), 1)
    items = list(St66TrademarkSpider().parse_source(_archive(trademarks=broken), "EM.zip"))
    records = {i.native_id for i in items if isinstance(i, RecordIn)}
    [quarantined] = [i for i in items if isinstance(i, QuarantineItem)]
    assert records == ALL_FOUR - {"019990001"}
    assert quarantined.native_id == "019990001"
    assert "ClassNumber" in quarantined.reason
    assert "1²" in quarantined.reason


@pytest.mark.slow
def test_a_crawl_with_such_a_class_stores_the_rest(http_server: LocalServer, settings: Settings) -> None:
    broken = EUTM.replace(b"<ClassNumber>11</ClassNumber>", "<ClassNumber>1²</ClassNumber>".encode(), 1)
    (http_server.root / "EM.zip").write_bytes(_archive(trademarks=broken))
    result = run_crawl("st66", file=http_server.url("EM.zip"), settings=FAST_CRAWL, timeout_s=120)
    assert result.status == "partial", result.log_tail
    data = stored(settings.resolved_database_url())
    assert {key[1] for key in data.records} == ALL_FOUR - {"019990001"}
    assert [q.native_id for q in data.quarantine] == ["019990001"]
