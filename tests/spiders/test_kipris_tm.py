"""KIPRIS Plus trademark search: both field casings, error result codes, a paged crawl."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from alertbot.crawling import run_crawl
from alertbot.settings import Settings
from spiders.items import RecordIn
from spiders.kipris_tm import KiprisApiError, KiprisTmSpider
from tests.spiders.standins import FAST_CRAWL, LocalServer, SeenRequest, fixture_bytes, stored

SEARCH = fixture_bytes("kipris_tm", "kipris-trademark-search.sample.xml")
PASCAL = {
    b"applicantName": b"ApplicantName",
    b"applicationNumber": b"ApplicationNumber",
    b"applicationDate": b"ApplicationDate",
    b"applicationStatus": b"ApplicationStatus",
    b"classificationCode": b"GoodClassificationCode",
    b"publicationNumber": b"PublicNumber",
    b"publicationDate": b"PublicDate",
    b"title": b"Title",
}


def _pascal_case(data: bytes) -> bytes:
    for old, new in PASCAL.items():
        data = re.sub(rb"<(/?)" + old + rb"(/?)>", rb"<\1" + new + rb"\2>", data)
    return data


def _records(data: bytes) -> dict[str, RecordIn]:
    return {
        i.native_id: i for i in KiprisTmSpider().parse_source(data, "kipris.xml") if isinstance(i, RecordIn)
    }


@pytest.mark.parametrize("casing", ["camelCase", "PascalCase"])
def test_items_in_both_field_casings(casing: str) -> None:
    data = SEARCH if casing == "camelCase" else _pascal_case(SEARCH)
    if casing == "PascalCase":
        assert b"<ApplicantName>" in data
        assert b"<applicantName>" not in data
    records = _records(data)
    assert list(records) == ["4120150046772", "4020170013723", "4020160078536", "4020160056107"]
    published = records["4020160056107"]
    assert (published.source, published.office) == ("kipris", "KR")
    assert published.text == "heat2 heat square"
    assert published.applicant == "삼성물산 주식회사"
    assert published.classes == [9, 24, 25]
    assert published.event == "published"
    assert published.filing_date == dt.date(2016, 7, 22)
    assert published.publication_date == dt.date(2017, 2, 27)
    assert published.opposition_end == dt.date(2017, 4, 27)
    assert published.raw["publication_number"] == "4020170021439"
    assert records["4020170013723"].classes == [9, 16, 41]
    assert records["4020170013723"].event == "filed"
    assert records["4020160078536"].event == "registered"


def test_error_result_code_is_an_error_not_an_empty_result() -> None:
    refused = SEARCH.replace(b"<resultCode>00</resultCode>", b"<resultCode>30</resultCode>").replace(
        b"NORMAL SERVICE.", b"SERVICE KEY IS NOT REGISTERED ERROR."
    )
    with pytest.raises(KiprisApiError, match="resultCode=30 SERVICE KEY"):
        list(KiprisTmSpider().parse_source(refused, "kipris.xml"))


@pytest.mark.slow
def test_paged_word_search_crawl(http_server: LocalServer, settings: Settings) -> None:
    head, rest = SEARCH.split(b"<items>")
    items, tail = rest.split(b"</items>")
    all_items = [b"<item>" + chunk for chunk in items.split(b"<item>")[1:]]

    def word_search(request: SeenRequest) -> tuple[int, dict[str, str], bytes]:
        if request.query.get("ServiceKey") != ["kipris-test-key"]:
            return 200, {}, SEARCH.replace(b"<resultCode>00</resultCode>", b"<resultCode>30</resultCode>")
        size, page = int(request.query["numOfRows"][0]), int(request.query["pageNo"][0])
        chunk = all_items[(page - 1) * size : page * size]
        return (
            200,
            {"Content-Type": "application/xml"},
            head + b"<items>" + b"".join(chunk) + b"</items>" + tail,
        )

    http_server.routes["/kipo-api/kipi/trademarkInfoSearchService/getWordSearch"] = word_search
    result = run_crawl(
        "kipris_tm",
        args={"terms": "heat2"},
        settings={
            **FAST_CRAWL,
            "KIPRIS_BASE_URL": http_server.url("kipo-api/kipi/trademarkInfoSearchService"),
            "KIPRIS_PAGE_SIZE": "3",
        },
        env={"ALERTBOT_KIPRIS_API_KEY": "kipris-test-key"},
        timeout_s=120,
    )
    assert result.status == "ok", result.log_tail
    pages = http_server.hits("/kipo-api/kipi/trademarkInfoSearchService/getWordSearch")
    assert [p.query["pageNo"] for p in pages] == [["1"], ["2"]]
    assert pages[0].query["searchString"] == ["heat2"]
    db = stored(settings.resolved_database_url())
    assert len(db.records) == 4
    assert db.records[("kipris", "4020160056107")].opposition_end == dt.date(2017, 4, 27)
