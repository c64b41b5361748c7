"""ST.66: local-name matching across namespaces, Delete operations, the applicant companion join."""

from __future__ import annotations

import datetime as dt

import pytest

from alertbot.crawling import run_crawl
from alertbot.settings import Settings
from spiders.items import RecordIn
from spiders.st66 import St66TrademarkSpider, source_key_for
from tests.spiders.standins import FAST_CRAWL, LocalServer, fixture_bytes, stored, zip_bytes

EUTM = fixture_bytes("st66", "wipo-st66.sample.xml")
APPLICANTS = fixture_bytes("st66", "euipo-eutm-applicants.sample.xml")
TMVIEW_RO = fixture_bytes("st66", "st66-tmview-ro.sample.xml")
EUTM_NS = b"http://www.euipo.europa.eu/EUTM/EUTM_Download"


def _records(data: bytes, name: str, spider: St66TrademarkSpider | None = None) -> dict[str, RecordIn]:
    spider = spider or St66TrademarkSpider()
    return {i.native_id: i for i in spider.parse_source(data, name) if isinstance(i, RecordIn)}


def test_eutm_bulk_zip_joins_the_applicant_member_and_honours_delete() -> None:
    archive = zip_bytes({"EM_APPLICANT_20250304.xml": APPLICANTS, "EM_TRADEMARK_20250304.xml": EUTM})
    records = _records(archive, "EUTM-20250304.zip")
    assert list(records) == ["019990001", "019990002", "019990003", "019990004"]

    published = records["019990001"]
    assert (published.source, published.office, published.kind) == ("euipo", "EM", "trademark")
    assert published.text == "LANXIN VOLTA"
    assert published.applicant == "Shenzhen Lanxin Example Power Technology Co., Ltd."
    assert published.applicant_country == "CN"
    assert published.classes == [9, 11]
    assert published.event == "published"
    assert published.filing_date == dt.date(2024, 11, 18)
    assert published.publication_date == dt.date(2025, 1, 10)
    assert published.opposition_end == dt.date(2025, 4, 10)
    assert published.raw["goods"]["9"].startswith("Rechargeable batteries")

    cjk = records["019990002"]
    assert cjk.text == "华信 HUAXIN"
    assert cjk.applicant_country == "CN"
    assert cjk.classes == [7]
    assert cjk.raw["unclassified_goods"] is True

    co_applicants = records["019990003"]
    assert [a["name"] for a in co_applicants.raw["applicants"]] == [
        "Zofia Wiśniewska-Müller",
        "NINGBO EXAMPLE HOUSEWARE IMPORT & EXPORT CO., LTD.",
    ]
    assert [a["country"] for a in co_applicants.raw["applicants"]] == ["PL", "CN"]
    assert co_applicants.event == "registered"

    deleted = records["019990004"]
    assert deleted.deleted is True
    assert deleted.event == "deleted"
    assert deleted.text is None


def test_unjoined_applicant_keys_are_kept_unresolved() -> None:
    records = _records(EUTM, "trademarks.xml")
    assert records["019990001"].applicant is None
    assert records["019990001"].raw["applicant_keys_unresolved"] == ["990001"]


@pytest.mark.parametrize(
    "namespace",
    [b"http://www.wipo.int/standards/XMLSchema/trademarks", b"http://www.oami.europa.eu/TM-Search", None],
)
def test_elements_match_on_local_names_whatever_the_namespace(namespace: bytes | None) -> None:
    variant = EUTM.replace(
        b' xmlns="' + EUTM_NS + b'"', b"" if namespace is None else b' xmlns="' + namespace + b'"'
    )
    spider = St66TrademarkSpider()
    spider.load_applicants(APPLICANTS, "applicants.xml")
    records = _records(variant, "variant.xml", spider)
    assert records["019990001"].applicant_country == "CN"
    assert records["019990004"].deleted is True


def test_tmview_record_with_embedded_applicant_and_stated_opposition_period() -> None:
    record = _records(TMVIEW_RO, "RO.xml")["M 2012 00091"]
    assert record.source == "tmview-ro"
    assert source_key_for("WO") == "wipo-madrid"
    assert (record.text, record.applicant, record.applicant_country) == (
        "MSR",
        "AG CAMO INTERNATIONAL S.R.L.",
        "RO",
    )
    assert record.classes == [9, 16, 25, 28, 35, 42]
    assert record.opposition_end == dt.date(2012, 3, 31)
    assert record.raw["opposition_end_stated"] is True
    assert record.event == "registered"
    assert "ştiinţifice" in record.raw["goods"]["9"]


@pytest.mark.slow
def test_crawl_with_companion_url_then_a_delete_delta(http_server: LocalServer, settings: Settings) -> None:
    (http_server.root / "EM_APPLICANT.xml").write_bytes(APPLICANTS)
    (http_server.root / "EM_20250304.zip").write_bytes(
        zip_bytes({"EM_TRADEMARK.xml": EUTM, "RO.xml": TMVIEW_RO})
    )
    first = run_crawl(
        "st66",
        file=http_server.url("EM_20250304.zip"),
        args={"applicants": http_server.url("EM_APPLICANT.xml")},
        settings=FAST_CRAWL,
        timeout_s=120,
    )
    assert first.status == "ok", first.log_tail
    assert set(first.ingest) == {"euipo", "tmview-ro"}
    db = stored(settings.resolved_database_url())
    assert (
        db.records[("euipo", "019990001")].applicant == "Shenzhen Lanxin Example Power Technology Co., Ltd."
    )
    assert db.records[("euipo", "019990004")].deleted is True
    assert db.records[("tmview-ro", "M 2012 00091")].applicant_country == "RO"

    delta = EUTM.replace(
        b'<TradeMark operationCode="Insert">\n            <RegistrationOfficeCode>EM</RegistrationOfficeCode>\n            <ApplicationNumber>019990001',
        b'<TradeMark operationCode="Delete">\n            <RegistrationOfficeCode>EM</RegistrationOfficeCode>\n            <ApplicationNumber>019990001',
        1,
    )
    (http_server.root / "EM_20250305.zip").write_bytes(zip_bytes({"EM_TRADEMARK.xml": delta}))
    second = run_crawl("st66", file=http_server.url("EM_20250305.zip"), settings=FAST_CRAWL, timeout_s=120)
    assert second.status == "ok", second.log_tail
    db = stored(settings.resolved_database_url())
    assert len([k for k in db.records if k[0] == "euipo"]) == 4
    assert db.records[("euipo", "019990001")].deleted is True
    assert second.ingest["euipo"]["seen"] == 4
    assert second.ingest["euipo"]["new"] == 0


@pytest.mark.slow
def test_a_malformed_record_is_quarantined_in_the_store_and_the_rest_stored(
    http_server: LocalServer, settings: Settings
) -> None:
    broken = EUTM.replace(b"<ClassNumber>11</ClassNumber>", b"<ClassNumber>99</ClassNumber>", 1)
    (http_server.root / "EM.xml").write_bytes(broken)
    result = run_crawl("st66", file=http_server.url("EM.xml"), settings=FAST_CRAWL, timeout_s=120)
    # Partial, not ok: one record did not make it into the store (issue 8 item 2: the status tells the truth).
    assert result.status == "partial", result.log_tail
    assert result.stats["quarantined"] == 1
    db = stored(settings.resolved_database_url())
    assert ("euipo", "019990001") not in db.records
    assert {key[1] for key in db.records} == {"019990002", "019990003", "019990004"}
    [row] = db.quarantine
    assert (row.source_key, row.native_id) == ("euipo", "019990001")
    assert "ClassNumber" in row.reason
    assert "'99'" in row.reason
    assert "<ApplicationNumber>019990001</ApplicationNumber>" in row.snippet
    assert db.runs[-1].quarantined == 1
