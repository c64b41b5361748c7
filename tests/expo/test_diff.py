"""Re-crawls: exhibitor ids are stable, an identical re-crawl changes nothing, a changed list is reported as
added / changed / removed, and only new or changed exhibitors are matched and alerted."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from alertbot import db
from alertbot.expo import exhibitors, flagged_booths, get_edition
from alertbot.expo.runner import EditionCrawl, crawl_edition
from alertbot.models import Alert
from alertbot.settings import Settings
from tests.expo.conftest import FAST, edition_file, expected_rows
from tests.expo.fixture_data import Row, write_csv
from tests.spiders.standins import LocalServer


def _rows() -> list[Row]:
    return [Row(**r) for r in expected_rows()[:60]]


def _crawl(site: LocalServer, settings: Settings, tmp_path: Path) -> EditionCrawl:
    edition = get_edition(settings, "test-csv", edition_file("test-csv", site, tmp_path / "editions"))
    return crawl_edition(edition, settings, timeout_s=240, scrapy_settings=FAST)


def _ids(settings: Settings, include_removed: bool = False) -> dict[str, int]:
    with db.session_factory(settings)() as session:
        return {e.booth: e.id for e in exhibitors(session, "test-csv", include_removed=include_removed)}


def _alerts(settings: Settings) -> int:
    with db.session_factory(settings)() as session:
        return len(session.exec(select(Alert)).all())


@pytest.mark.slow
def test_recrawl_is_idempotent_and_a_changed_list_is_diffed(
    expo_site: LocalServer, watched: Settings, tmp_path: Path
) -> None:
    csv_path = expo_site.root / "exhibitors-gb18030.csv"
    first = _crawl(expo_site, watched, tmp_path)
    assert first.result.status == "ok", first.result.errors
    assert first.diff is not None
    assert (first.diff["added"], first.diff["changed"], first.diff["removed"]) == (60, 0, 0)
    ids, alerts = _ids(watched), _alerts(watched)
    assert len(ids) == 60
    assert alerts == first.counts["alerts"] > 0

    again = _crawl(expo_site, watched, tmp_path)
    assert again.diff is not None
    assert (again.diff["added"], again.diff["changed"], again.diff["removed"]) == (0, 0, 0)
    assert again.counts["unchanged"] == 60
    assert again.counts["alerts"] == 0
    assert _ids(watched) == ids
    assert _alerts(watched) == alerts

    rows = _rows()
    dropped = [rows[10].booth, rows[11].booth]
    rows[20].brands = ["ZWZ"]  # a counterfeit brand shows up: changed, and alerted
    rows[21].website = "https://changed.example.cn"  # changed, nothing to alert
    rows[30].name_raw = rows[30].name_raw.replace("有限公司", "有限公司 ").replace("(", "（")  # spacing only
    rows[31].name_raw = rows[31].name_raw + "（沈阳）"  # a new name at the booth: another exhibitor
    new = [
        Row(
            "新松机电科技（大连）有限公司",
            "新松机电科技(大连)有限公司",
            "",
            "W2-D500",
            "W2",
            "中国",
            ["机器人"],
            [],
            "",
            "siasun",
        ),
        Row(
            "沈阳盛京数控机床有限公司", "沈阳盛京数控机床有限公司", "", "W2-D501", "W2", "中国", ["数控车床"]
        ),
    ]
    changed_list = [r for r in rows if r.booth not in dropped] + new
    write_csv(changed_list, csv_path)
    third = _crawl(expo_site, watched, tmp_path)
    assert third.result.status == "ok", third.result.errors
    assert third.diff is not None
    # Added: the two new rows and the renamed exhibitor at rows[31]'s booth; removed: two dropped and
    # the old name at that booth; changed: the ZWZ brand and the website. Spacing and full-width brackets
    # alone are the same exhibitor, unchanged.
    assert (third.diff["added"], third.diff["changed"], third.diff["removed"]) == (3, 2, 3)
    after = _ids(watched)
    assert set(dropped).isdisjoint(after)
    kept = {b: i for b, i in ids.items() if b not in dropped and b != rows[31].booth}
    assert {b: after[b] for b in kept} == kept  # never renumbered
    assert after[rows[31].booth] != ids[rows[31].booth]
    assert set(third.diff["changed_ids"]) == {ids[rows[20].booth], ids[rows[21].booth]}
    # Only the new look-alike and the changed row with the ZWZ brand raise alerts.
    assert third.counts["alerts"] == 2
    with db.session_factory(watched)() as session:
        flagged = {f.booth: f.watch_id for f in flagged_booths(session, "test-csv")}
        removed = {e.booth for e in exhibitors(session, "test-csv", include_removed=True) if e.removed}
    assert flagged["W2-D500"] == "siasun"
    assert flagged[rows[20].booth] == "zwz"
    assert removed == {*dropped, rows[31].booth}

    # The original list again: the removed exhibitors return under their old ids.
    write_csv(_rows(), csv_path)
    fourth = _crawl(expo_site, watched, tmp_path)
    assert fourth.diff is not None
    assert fourth.diff["removed"] == 3
    assert fourth.diff["added"] == 0
    back = _ids(watched)
    assert {b: back[b] for b in ids} == ids
    assert fourth.counts["alerts"] == 0


@pytest.mark.slow
def test_a_failed_crawl_removes_nothing(expo_site: LocalServer, watched: Settings, tmp_path: Path) -> None:
    first = _crawl(expo_site, watched, tmp_path)
    assert first.result.status == "ok"
    (expo_site.root / "exhibitors-gb18030.csv").unlink()
    failed = _crawl(expo_site, watched, tmp_path)
    assert failed.result.status == "error"
    assert any("HTTP 404" in e for e in failed.result.errors)
    assert failed.diff is None
    assert len(_ids(watched)) == 60
