"""Real Scrapy crawls of every list format against a loopback show site: every row, with the right fields,
stored; the planted look-alikes and counterfeit-brand rows flagged, the watched enterprises' own booths not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from alertbot import db
from alertbot.expo import exhibitors, flagged_booths, get_edition
from alertbot.expo.runner import crawl_edition
from alertbot.settings import Settings
from tests.expo.conftest import FAST, edition_file, expected_rows
from tests.spiders.standins import LocalServer

FIELDS = ("name_zh", "name_en", "booth", "hall", "country", "products", "brands", "website")
# Which rows each fixture holds (tests/expo/fixture_data.py): the PDF catalogue all 320, the others 60.
ROWS = {"test-pdf": 320, "test-csv": 60, "test-xlsx": 60, "test-html": 60, "test-json": 60}


def _crawl(name: str, site: LocalServer, settings: Settings, tmp_path: Path, **replace: str) -> Any:
    edition = get_edition(settings, name, edition_file(name, site, tmp_path / "editions", **replace))
    return edition, crawl_edition(edition, settings, timeout_s=240, scrapy_settings=FAST)


def _expected(name: str) -> dict[str, dict[str, Any]]:
    rows = expected_rows()[: ROWS[name]]
    expected = {}
    for row in rows:
        values = {field: row[field] for field in FIELDS}
        # Table formats without a website column, and the PDF catalogue, carry no website.
        if name == "test-pdf":
            values["website"] = ""
        expected[row["booth"]] = values
    return expected


@pytest.mark.slow
@pytest.mark.parametrize("name", list(ROWS))
def test_crawl_extracts_every_row_with_its_fields(
    name: str, expo_site: LocalServer, watched: Settings, tmp_path: Path
) -> None:
    edition, crawl = _crawl(name, expo_site, watched, tmp_path)
    assert crawl.result.status == "ok", (crawl.result.errors, crawl.result.log_tail)
    assert crawl.counts["seen"] == ROWS[name]
    assert crawl.counts["quarantined"] == 0
    assert crawl.diff is not None
    assert (crawl.diff["added"], crawl.diff["changed"], crawl.diff["removed"]) == (ROWS[name], 0, 0)
    with db.session_factory(watched)() as session:
        stored = {e.booth: e for e in exhibitors(session, edition.id)}
        flagged = flagged_booths(session, edition.id)
    expected = _expected(name)
    assert set(stored) == set(expected)
    for booth, values in expected.items():
        got = stored[booth]
        assert {field: getattr(got, field) for field in FIELDS} == values, booth
        assert got.name_raw  # as published, never empty
    # name_raw keeps what was published: traditional characters and full-width brackets stay there.
    raw_by_booth = {r["booth"]: r["name_raw"] for r in expected_rows()[: ROWS[name]]}
    assert stored["E1-A002"].name_raw == raw_by_booth["E1-A002"] == "新松機器人（香港）有限公司"
    assert stored["E1-A002"].name_zh == "新松機器人(香港)有限公司"
    # Exactly the planted rows are flagged, each for the planted enterprise.
    planted = {r["booth"]: r["flag"] for r in expected_rows()[: ROWS[name]] if r["flag"]}
    assert {f.booth: f.watch_id for f in flagged} == planted
    assert all(f.show == edition.title and f.hall == f.booth.split("-")[0] for f in flagged)
    # The watched enterprises' own booths (and an affiliate's) raise nothing.
    assert not {"E1-A001", "E1-A002", "E3-A001"} & {f.booth for f in flagged}


@pytest.mark.slow
def test_json_api_is_paged_and_calls_the_detail_endpoint_per_exhibitor(
    expo_site: LocalServer, watched: Settings, tmp_path: Path
) -> None:
    _, crawl = _crawl("test-json", expo_site, watched, tmp_path)
    assert crawl.result.status == "ok", crawl.result.errors
    pages = expo_site.hits("/api/shops")
    assert [p.query["page"] for p in pages] == [["1"], ["2"], ["3"]]
    assert all(p.query["size"] == ["20"] for p in pages)
    details = expo_site.hits("/api/shop")
    assert sorted(d.query["shopCode"][0] for d in details) == [f"S{i:05d}" for i in range(1, 61)]


@pytest.mark.slow
def test_html_list_follows_next_page_links_to_the_end(
    expo_site: LocalServer, watched: Settings, tmp_path: Path
) -> None:
    _, crawl = _crawl("test-html", expo_site, watched, tmp_path)
    assert crawl.result.status == "ok", crawl.result.errors
    assert [r.path for r in expo_site.requests] == [
        "/html/list-1.html",
        "/html/list-2.html",
        "/html/list-3.html",
    ]


@pytest.mark.slow
def test_a_saved_json_page_given_as_file_is_read_once(
    expo_site: LocalServer, watched: Settings, tmp_path: Path
) -> None:
    edition = get_edition(watched, "test-json", edition_file("test-json", expo_site, tmp_path / "editions"))
    crawl = crawl_edition(
        edition, watched, expo_site.url("api/list-1.json"), timeout_s=240, scrapy_settings=FAST
    )
    assert crawl.result.status == "ok", crawl.result.errors
    assert crawl.counts["seen"] == 20
    assert [r.path for r in expo_site.requests if not r.path.startswith("/api/shop")] == ["/api/list-1.json"]
    assert len(expo_site.hits("/api/shop")) == 20
