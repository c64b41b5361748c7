"""USPTO Trademark Daily XML: field-level parsing, filtering, dedupe, quarantine, and real crawls."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import pytest
from lxml import etree

from alertbot.crawling import run_crawl
from alertbot.settings import Settings
from spiders.items import QuarantineItem, RecordIn
from spiders.uspto_tm_daily import UsptoTmDailySpider
from tests.spiders.standins import FAST_CRAWL, LocalServer, SeenRequest, fixture_bytes, stored, zip_bytes

SAMPLE = fixture_bytes("uspto_tm_daily", "uspto-tm-daily.sample.xml")


def _parse(
    data: bytes, name: str = "apc240925.xml"
) -> tuple[list[RecordIn], list[QuarantineItem], UsptoTmDailySpider]:
    spider = UsptoTmDailySpider()
    items = list(spider.parse_source(data, name))
    return (
        [i for i in items if isinstance(i, RecordIn)],
        [i for i in items if isinstance(i, QuarantineItem)],
        spider,
    )


def test_keeps_new_filings_and_marks_published_for_opposition() -> None:
    records, quarantined, spider = _parse(zip_bytes({"apc240925.xml": SAMPLE}), "apc240925.zip")
    assert quarantined == []
    by_serial = {r.native_id: r for r in records}
    assert set(by_serial) == {"98763166", "79366581"}
    assert spider.tally["case_files"] == 5
    assert spider.tally["skipped"] == 3

    filed = by_serial["98763166"]
    assert (filed.event, filed.text, filed.applicant, filed.applicant_country) == (
        "filed",
        "SUVENEER",
        "Nguyen Quang Huy",
        "VN",
    )
    assert filed.classes == [16]
    assert filed.filing_date == dt.date(2024, 9, 24)
    assert filed.opposition_end is None
    assert filed.raw["action_key"] == "NA"

    published = by_serial["79366581"]
    assert published.source == "uspto-tm"
    assert published.office == "US"
    assert published.event == "published"
    assert published.text == "NITRO GLISSERIN"
    assert published.applicant == "GIORGI TVILDIANI"
    assert published.applicant_country == "GE"
    assert published.classes == [3, 18, 32, 35]
    assert published.publication_date == dt.date(2024, 2, 20)
    assert published.opposition_end == dt.date(2024, 3, 21)
    assert published.status == "686"
    owners = published.raw["owners"]
    assert {(o["party_type"], o["nationality"], o["country"]) for o in owners} == {
        (20, "GE", "TR"),
        (10, "GE", "TR"),
    }
    assert published.raw["madrid_66a"] is True
    assert "GS0351" in published.raw["goods"]
    assert any(e["code"] == "PUBO" and e["date"] == "20240220" for e in published.raw["opposition_events"])


def test_same_serial_twice_keeps_the_later_snapshot() -> None:
    tree = etree.fromstring(SAMPLE, etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))
    segments = tree.find("application-information/file-segments")
    assert segments is not None
    second_group = etree.SubElement(segments, "action-keys")
    etree.SubElement(second_group, "action-key").text = "TX"
    later = etree.fromstring(etree.tostring(tree.xpath("//case-file[serial-number='79366581']")[0]))
    later.find("case-file-header/mark-identification").text = "NITRO GLISSERIN LATER"
    second_group.append(later)
    records, _quarantined, spider = _parse(etree.tostring(tree))
    nitro = [r for r in records if r.native_id == "79366581"]
    assert [r.text for r in nitro] == ["NITRO GLISSERIN LATER"]
    assert spider.tally["duplicates"] == 1


def test_malformed_case_file_is_quarantined_and_the_rest_goes_on() -> None:
    broken = SAMPLE.replace(
        b"<serial-number>98763166</serial-number>", b"<serial-number>98X63166</serial-number>"
    )
    broken = broken.replace(
        b"<published-for-opposition-date>20240220</published-for-opposition-date>",
        b"<published-for-opposition-date>20241340</published-for-opposition-date>",
    )
    records, quarantined, _spider = _parse(broken)
    assert records == []
    reasons = {q.native_id: q.reason for q in quarantined}
    assert "98X63166" in reasons["98X63166"]
    assert "published-for-opposition-date" in reasons["79366581"]
    assert all("<case-file>" in q.snippet for q in quarantined)


def test_truncated_file_keeps_earlier_records_then_reports_the_error() -> None:
    cut = SAMPLE[: SAMPLE.index(b"<serial-number>98186103")]
    items: list[object] = []
    with pytest.raises(etree.XMLSyntaxError, match=r"apc240925\.xml"):
        items.extend(UsptoTmDailySpider().parse_source(cut, "apc240925.xml"))
    assert sorted(i.native_id for i in items) == ["79366581", "98763166"]  # type: ignore[attr-defined]


def _odp_product(server: LocalServer, files: list[tuple[str, str]]) -> None:
    def product(request: SeenRequest) -> tuple[int, dict[str, str], bytes]:
        if request.headers.get("x-api-key") != "test-odp-key":
            return 403, {}, b'{"message": "Forbidden"}'
        bag = [
            {
                "fileName": name,
                "fileSize": (server.root / name).stat().st_size if (server.root / name).exists() else 1,
                "fileDataFromDate": date,
                "fileDownloadURI": server.url(f"files/{name}"),
            }
            for name, date in files
        ]
        body = {
            "count": 1,
            "bulkDataProductBag": [{"productIdentifier": "TRTDXFAP", "productFileBag": {"fileDataBag": bag}}],
        }
        return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()

    server.routes["/api/v1/datasets/products/TRTDXFAP"] = product


def _crawl(server: LocalServer, **kwargs: object) -> object:
    settings = {**FAST_CRAWL, "USPTO_TM_PRODUCT_URL": server.url("api/v1/datasets/products/TRTDXFAP")}
    return run_crawl(
        "uspto_tm_daily",
        settings=settings,
        env={"ALERTBOT_USPTO_API_KEY": "test-odp-key"},
        timeout_s=120,
        **kwargs,
    )  # type: ignore[arg-type]


@pytest.mark.slow
def test_discovery_crawl_stores_records_remembers_files_and_reruns_idempotently(
    http_server: LocalServer, settings: Settings
) -> None:
    files = http_server.root / "files"
    files.mkdir()
    previous_day = SAMPLE.replace(
        b"<serial-number>98763166</serial-number>", b"<serial-number>98700001</serial-number>"
    )
    (files / "apc240924.zip").write_bytes(zip_bytes({"apc240924.xml": previous_day}))
    (files / "apc240925.zip").write_bytes(zip_bytes({"apc240925.xml": SAMPLE}))
    (http_server.root / "apc240924.zip").write_bytes((files / "apc240924.zip").read_bytes())
    (http_server.root / "apc240925.zip").write_bytes((files / "apc240925.zip").read_bytes())
    _odp_product(http_server, [("apc240925.zip", "2024-09-25"), ("apc240924.zip", "2024-09-24")])

    first = _crawl(http_server, since=dt.date(2024, 9, 24))
    assert first.status == "ok", first.log_tail  # type: ignore[attr-defined]
    downloads = [r for r in http_server.requests if r.path.startswith("/files/")]
    assert [r.path for r in downloads] == ["/files/apc240924.zip", "/files/apc240925.zip"]
    assert all(r.headers["x-api-key"] == "test-odp-key" for r in downloads)
    db = stored(settings.resolved_database_url())
    assert {key for key in db.records} == {
        ("uspto-tm", "98763166"),
        ("uspto-tm", "98700001"),
        ("uspto-tm", "79366581"),
    }
    nitro = db.records[("uspto-tm", "79366581")]
    assert (nitro.text, nitro.applicant_country, nitro.opposition_end) == (
        "NITRO GLISSERIN",
        "GE",
        dt.date(2024, 3, 21),
    )
    assert db.runs[-1].status == "ok"
    assert db.runs[-1].records_new == 3
    assert set(db.states["uspto-tm"]["files"]) == {"apc240924.zip", "apc240925.zip"}
    assert db.states["uspto-tm"]["last_date"] == "2024-09-25"

    http_server.requests.clear()
    second = _crawl(http_server)
    assert second.status == "ok"  # type: ignore[attr-defined]
    product_call = http_server.hits("/api/v1/datasets/products/TRTDXFAP")[0]
    assert product_call.query["fileDataFromDate"] == ["2024-09-26"]
    assert not [r for r in http_server.requests if r.path.startswith("/files/")]

    backfill = _crawl(http_server, since=dt.date(2024, 9, 25))
    assert backfill.status == "ok"  # type: ignore[attr-defined]
    db = stored(settings.resolved_database_url())
    assert len(db.records) == 3
    assert (db.runs[-1].records_new, db.runs[-1].records_unchanged) == (0, 2)


@pytest.mark.slow
def test_http_errors_and_truncated_files_are_recorded_on_the_crawl_run(
    http_server: LocalServer, settings: Settings
) -> None:
    files = http_server.root / "files"
    files.mkdir()
    good = zip_bytes({"apc240925.xml": SAMPLE})
    (files / "apc240925.zip").write_bytes(good)
    (files / "apc240926.zip").write_bytes(good[: len(good) // 2])
    http_server.routes["/files/apc240927.zip"] = lambda _r: (500, {}, b"maintenance")
    _odp_product(
        http_server,
        [("apc240925.zip", "2024-09-25"), ("apc240926.zip", "2024-09-26"), ("apc240927.zip", "2024-09-27")],
    )
    result = _crawl(http_server, since=dt.date(2024, 9, 25))
    assert result.status == "partial"  # type: ignore[attr-defined]
    assert result.stats["http_errors"] == 1  # type: ignore[attr-defined]
    assert result.stats["files_corrupt"] == 1  # type: ignore[attr-defined]
    assert result.stats["retry/count"] >= 1  # type: ignore[attr-defined]
    assert len(http_server.hits("/files/apc240927.zip")) == 2  # first try + one retry
    db = stored(settings.resolved_database_url())
    run = db.runs[-1]
    assert run.status == "partial"
    assert run.errors == 2
    assert "HTTP 500" in (run.error_detail or "")
    assert "apc240926.zip" in (run.error_detail or "")
    assert {key[1] for key in db.records} == {"98763166", "79366581"}
    assert set(db.states["uspto-tm"]["files"]) == {"apc240925.zip"}


@pytest.mark.slow
def test_local_file_argument_streams_from_disk(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "apc240925.zip"
    path.write_bytes(zip_bytes({"apc240925.xml": SAMPLE}))
    result = run_crawl("uspto_tm_daily", file=str(path), settings=FAST_CRAWL, timeout_s=120)
    assert result.status == "ok", result.log_tail
    assert result.stats["records"] == 2
    assert result.ingest["uspto-tm"]["new"] == 2


@pytest.mark.slow
def test_download_timeouts_are_retried_then_recorded(http_server: LocalServer, settings: Settings) -> None:
    def slow(_request: SeenRequest) -> tuple[int, dict[str, str], bytes]:
        time.sleep(3)
        return 200, {}, b""

    http_server.routes["/apc240925.zip"] = slow
    result = run_crawl(
        "uspto_tm_daily",
        file=http_server.url("apc240925.zip"),
        settings={**FAST_CRAWL, "DOWNLOAD_TIMEOUT": "1"},
        timeout_s=120,
    )
    assert result.status == "error"
    assert result.stats["timeouts"] == 1
    assert result.stats["retry/count"] == 1
    assert "timed out" in result.errors[0]
    run = stored(settings.resolved_database_url()).runs[-1]
    assert (run.status, run.errors) == ("error", 1)


def test_file_date_comes_from_creation_datetime_when_the_name_has_none() -> None:
    records, _quarantined, _spider = _parse(SAMPLE, "daily.xml")
    assert sorted(r.native_id for r in records) == ["79366581", "98763166"]
    late, _q, _s = _parse(
        SAMPLE.replace(b"<creation-datetime>202409252348", b"<creation-datetime>202512012348"), "daily.xml"
    )
    # Two months later the filing of 98763166 is no longer new; the NA group still marks it as a new filing.
    assert {r.native_id: r.event for r in late} == {"98763166": "filed", "79366581": "published"}


@pytest.mark.slow
def test_download_redirect_to_the_cdn_is_followed_without_the_api_key(
    http_server: LocalServer, settings: Settings
) -> None:
    cdn = http_server.root / "cdn"
    cdn.mkdir()
    (cdn / "apc240925.zip").write_bytes(zip_bytes({"apc240925.xml": SAMPLE}))
    http_server.routes["/files/apc240925.zip"] = lambda _r: (
        302,
        {"Location": http_server.url("cdn/apc240925.zip")},
        b"",
    )
    _odp_product(http_server, [("apc240925.zip", "2024-09-25")])
    result = _crawl(http_server, since=dt.date(2024, 9, 25))
    assert result.status == "ok", result.log_tail  # type: ignore[attr-defined]
    assert http_server.hits("/files/apc240925.zip")[0].headers["x-api-key"] == "test-odp-key"
    [cdn_hit] = http_server.hits("/cdn/apc240925.zip")
    assert "x-api-key" not in cdn_hit.headers
    db = stored(settings.resolved_database_url())
    assert {key[1] for key in db.records} == {"98763166", "79366581"}
    assert "apc240925.zip" in db.states["uspto-tm"]["files"]
