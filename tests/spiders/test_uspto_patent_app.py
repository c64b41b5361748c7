"""USPTO weekly patent applications: the concatenated-document split, both applicant paths, quarantine."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from alertbot.crawling import run_crawl
from alertbot.settings import Settings
from spiders.items import QuarantineItem, RecordIn
from spiders.uspto_patent_app import UsptoPatentAppSpider, split_documents
from tests.spiders.standins import FAST_CRAWL, LocalServer, fixture_bytes, stored, zip_bytes

WEEKLY = fixture_bytes("uspto_patent_app", "uspto-patent-app.sample.xml")
OLDER = fixture_bytes("uspto_patent_app", "uspto-patent-app-v42.derived.xml")


def test_concatenated_documents_are_split_on_each_xml_declaration() -> None:
    indented = WEEKLY.replace(b"\n<?xml", b"\n  <?xml", 1)
    documents = list(split_documents(io.BytesIO(indented), "ipa220728.xml", 10**7, 10**9))
    assert len(documents) == 3
    assert all(d.lstrip().startswith(b"<?xml") for d in documents)
    assert b"US20220240351A1-20220728.XML" in documents[1]
    assert sum(len(d) for d in documents) == len(indented)


def test_weekly_file_fields_with_v46_applicants() -> None:
    items = list(UsptoPatentAppSpider().parse_source(zip_bytes({"ipa220728.xml": WEEKLY}), "ipa220728.zip"))
    assert all(isinstance(i, RecordIn) for i in items)
    by_id = {i.native_id: i for i in items if isinstance(i, RecordIn)}
    assert list(by_id) == ["US20220240350", "US20220240351", "US20230080311"]
    beihang = by_id["US20220240351"]
    assert beihang.source == "uspto-patent"
    assert beihang.kind == "patent"
    assert beihang.text == "SELF-REGULATING ELECTRIC HEATING FILM AND PREPARATION METHOD AND USE THEREOF"
    assert (beihang.applicant, beihang.applicant_country) == ("Beihang University", "CN")
    assert beihang.publication_date == dt.date(2022, 7, 28)
    assert beihang.filing_date == dt.date(2021, 6, 28)
    assert beihang.raw["ipc"][:2] == ["H05B 1/02", "H01C 7/02"]
    assert beihang.raw["dtd_version"] == "v4.6 2022-02-17"
    jabil = by_id["US20220240350"]
    assert (jabil.applicant, jabil.applicant_country) == ("JABIL INC.", "US")
    dtu = by_id["US20230080311"]
    assert (dtu.applicant, dtu.applicant_country) == ("Danmarks Tekniske Universitet", "DK")


def test_pre_v43_parties_path_is_read() -> None:
    items = list(UsptoPatentAppSpider().parse_source(OLDER, "ipa070104.xml"))
    assert len(items) == 1
    record = items[0]
    assert isinstance(record, RecordIn)
    assert record.raw["dtd_version"].startswith("v4.2")
    assert record.raw["applicants"][0] == {
        "name": "Beihang University",
        "organisation": True,
        "country": "CN",
        "category": "applicant",
        "role": None,
    }


def test_a_malformed_document_is_quarantined_and_the_next_one_parsed() -> None:
    documents = WEEKLY.split(b"<?xml")
    broken = b"<?xml" + documents[1].replace(b"</us-patent-application>", b"")
    data = broken + b"<?xml" + documents[2]
    items = list(UsptoPatentAppSpider().parse_source(data, "ipa220728.xml"))
    assert isinstance(items[0], QuarantineItem)
    assert "ipa220728.xml#1" in items[0].reason
    assert items[0].snippet.startswith("<?xml")
    assert isinstance(items[1], RecordIn)
    assert items[1].native_id == "US20220240351"


@pytest.mark.slow
def test_crawl_of_a_zipped_weekly_file_over_http(http_server: LocalServer, settings: Settings) -> None:
    (http_server.root / "ipa220728.zip").write_bytes(
        zip_bytes({"ipa220728.xml": WEEKLY + OLDER.replace(b"20220240351", b"20070000001")})
    )
    result = run_crawl(
        "uspto_patent_app", file=http_server.url("ipa220728.zip"), settings=FAST_CRAWL, timeout_s=120
    )
    assert result.status == "ok", result.log_tail
    db = stored(settings.resolved_database_url())
    assert {key[1] for key in db.records} == {
        "US20220240350",
        "US20220240351",
        "US20230080311",
        "US20070000001",
    }
    assert db.records[("uspto-patent", "US20070000001")].applicant_country == "CN"


def test_bad_utf8_in_one_document_quarantines_that_document_only() -> None:
    # parse_document path (one small document at a time): a stray byte in the first title.
    documents = WEEKLY.split(b"<?xml")
    first = documents[1].replace(b"CONFORMABLE HEATER", b"CONFORMABLE \xe9HEATER", 1)
    assert first != documents[1]
    data = b"<?xml" + first + b"<?xml" + documents[2]
    items = list(UsptoPatentAppSpider().parse_source(data, "ipa220728.xml"))
    assert isinstance(items[0], QuarantineItem)
    assert "not valid UTF-8" in items[0].reason
    assert "text" in items[0].reason
    assert isinstance(items[1], RecordIn)
    assert items[1].native_id == "US20220240351"
