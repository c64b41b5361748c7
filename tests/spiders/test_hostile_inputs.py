"""Every spider refuses hostile input with a clear error, and a crawl records it instead of crashing."""

from __future__ import annotations

from pathlib import Path

import pytest

from alertbot.crawling import run_crawl
from alertbot.settings import Settings
from spiders.base.archive import ZipBombError
from spiders.base.safexml import UnsafeXMLError
from spiders.epo_ops import EpoOpsSpider
from spiders.kipris_tm import KiprisTmSpider
from spiders.st66 import St66TrademarkSpider
from spiders.uspto_patent_app import UsptoPatentAppSpider
from spiders.uspto_tm_daily import UsptoTmDailySpider
from tests.spiders.standins import FAST_CRAWL, LocalServer, stored, zip_bytes

SPIDERS = [UsptoTmDailySpider, UsptoPatentAppSpider, St66TrademarkSpider, EpoOpsSpider, KiprisTmSpider]


def _xxe(tmp_path: Path) -> bytes:
    secret = tmp_path / "passwd"
    secret.write_text("root:x:0:0")
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY leak SYSTEM "file://{secret}">]>\n'
        "<x><case-file><serial-number>&leak;</serial-number></case-file></x>\n"
    ).encode()


@pytest.mark.parametrize("spider_class", SPIDERS, ids=lambda c: c.name)
def test_external_entities_are_refused_by_every_spider(spider_class: type, tmp_path: Path) -> None:
    with pytest.raises(UnsafeXMLError, match="external entity"):
        list(spider_class().parse_source(_xxe(tmp_path), "hostile.xml"))


@pytest.mark.parametrize("spider_class", SPIDERS, ids=lambda c: c.name)
def test_zip_bombs_are_refused_by_every_spider(spider_class: type) -> None:
    bomb = zip_bytes({"bomb.xml": b"<x>" + b" " * 20_000_000 + b"</x>"})
    with pytest.raises(ZipBombError, match="ratio"):
        list(spider_class().parse_source(bomb, "bomb.zip"))


@pytest.mark.slow
def test_a_crawl_records_a_zip_bomb_and_goes_on_with_the_next_file(
    http_server: LocalServer, settings: Settings, tmp_path: Path
) -> None:
    (http_server.root / "bomb.zip").write_bytes(
        zip_bytes({"apc240925.xml": b"<x>" + b"\0" * 20_000_000 + b"</x>"})
    )
    (http_server.root / "xxe.xml").write_bytes(_xxe(tmp_path))
    bomb = run_crawl("uspto_tm_daily", file=http_server.url("bomb.zip"), settings=FAST_CRAWL, timeout_s=120)
    assert bomb.status == "error"
    assert bomb.stats["files_unsafe"] == 1
    assert "zip bomb" in bomb.errors[0]
    xxe = run_crawl("kipris_tm", file=http_server.url("xxe.xml"), settings=FAST_CRAWL, timeout_s=120)
    assert xxe.status == "error"
    assert "external entity" in xxe.errors[0]
    db = stored(settings.resolved_database_url())
    assert [run.status for run in db.runs] == ["error", "error"]
    assert "zip bomb" in (db.runs[0].error_detail or "")
    assert not db.records


BAD_UTF8 = (
    Path(__file__).resolve().parents[1] / "fixtures" / "st66" / "wipo-st66-bad-utf8.sample.xml"
).read_bytes()


def _bad_utf8_daily() -> bytes:
    from tests.spiders.standins import fixture_bytes

    sample = fixture_bytes("uspto_tm_daily", "uspto-tm-daily.sample.xml")
    return sample.replace(b"<mark-identification>SUVENEER<", b"<mark-identification>SUVEN\xc3(EER<", 1)


def test_bad_utf8_in_the_middle_costs_one_record_not_the_rest_of_the_file() -> None:
    from spiders.items import QuarantineItem, RecordIn

    items = list(St66TrademarkSpider().parse_source(BAD_UTF8, "EM.xml"))
    records = [i.native_id for i in items if isinstance(i, RecordIn)]
    quarantined = [i for i in items if isinstance(i, QuarantineItem)]
    assert records == ["019990001", "019990003", "019990004"]
    assert [q.native_id for q in quarantined] == ["019990002"]
    assert "not valid UTF-8" in quarantined[0].reason
    assert "text" in quarantined[0].reason


def test_bad_utf8_in_a_uspto_daily_file_costs_one_record() -> None:
    from spiders.items import QuarantineItem, RecordIn

    good = {
        i.native_id
        for i in UsptoTmDailySpider().parse_source(_bad_utf8_daily().replace(b"\xc3(", b""), "apc240925.xml")
        if isinstance(i, RecordIn)
    }
    items = list(UsptoTmDailySpider().parse_source(_bad_utf8_daily(), "apc240925.xml"))
    records = {i.native_id for i in items if isinstance(i, RecordIn)}
    [quarantined] = [i for i in items if isinstance(i, QuarantineItem)]
    assert quarantined.native_id in good
    assert records == good - {quarantined.native_id}
    assert "not valid UTF-8" in quarantined.reason


@pytest.mark.slow
def test_a_crawl_of_a_file_with_bad_utf8_stores_every_other_record(
    http_server: LocalServer, settings: Settings
) -> None:
    (http_server.root / "EM.xml").write_bytes(BAD_UTF8)
    result = run_crawl("st66", file=http_server.url("EM.xml"), settings=FAST_CRAWL, timeout_s=120)
    assert result.status == "partial", result.log_tail
    db = stored(settings.resolved_database_url())
    assert {key[1] for key in db.records} == {"019990001", "019990003", "019990004"}
    [row] = db.quarantine
    assert row.native_id == "019990002"
    assert "UTF-8" in row.reason
