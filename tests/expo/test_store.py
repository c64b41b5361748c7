"""What the on-site teams read: flagged booths by hall, who is at a booth, each edition's status; and alerts
that name the show, hall and booth in every channel's format. Real SQLite and PostgreSQL, real ingestion."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from alertbot import db
from alertbot.expo import (
    close_snapshot,
    edition_status,
    exhibitors_at_booth,
    flagged_booths,
    load_editions,
)
from alertbot.ingest import Ingestor
from alertbot.lifecycle import alert_view
from alertbot.models import Alert, AlertStatus, Delivery, Source
from alertbot.notify.render import render_alert, render_digest
from alertbot.settings import Settings
from alertbot.watchlist import apply_watchlist, read_watchlist
from spiders.base.expo import build_exhibitor
from tests.expo.conftest import WATCHLIST

ROWS = [
    # (name_raw, booth, products, brands)
    ("新淞智能装备有限公司", "E10-A2", [], []),
    ("大连恒远轴承贸易有限公司", "E3-B105", ["深沟球轴承（瓦房店轴承）"], []),
    ("营口宏达机电设备有限公司", "E3-B18", [], ["ZWZ"]),
    ("瀋陽東軟智能裝備有限公司", "E2-C210", [], []),
    ("沈阳新松机器人自动化股份有限公司", "E2-A001", ["工业机器人"], ["新松"]),
    ("沈阳精诚数控机床有限公司", "E2-A320", ["数控车床"], []),
    ("营口恒信液压设备有限公司", "W1-A320", ["液压泵"], []),
]


def _ingest(settings: Settings, rows=ROWS) -> int:
    db.upgrade(settings.resolved_database_url())
    factory = db.session_factory(settings)
    with db.transaction(factory) as session:
        if not session.exec(select(Source)).first():
            apply_watchlist(session, read_watchlist(WATCHLIST), actor="test")
    edition = load_editions(settings)["cieme-2026"]
    ingestor = Ingestor.open(edition.id, "expo_exhibitors", settings=settings, kind="expo")
    for name, booth, products, brands in rows:
        item = build_exhibitor(
            edition, {"name_raw": name, "booth": booth, "products": products, "brands": brands}, "t"
        )
        ingestor.add(item)  # type: ignore[arg-type]
    ingestor.close()
    close_snapshot(factory, edition.id, ingestor.run_id)
    return ingestor.run_id


@pytest.mark.postgres
def test_flagged_booths_grouped_by_hall_in_natural_booth_order(any_settings: Settings) -> None:
    _ingest(any_settings)
    with db.session_factory(any_settings)() as session:
        flagged = flagged_booths(session, "cieme-2026")
        in_e3 = flagged_booths(session, "cieme-2026", hall="e3")
        source = session.get(Source, "cieme-2026")
    assert source is not None
    assert (source.kind, source.spider) == ("expo", "expo_exhibitors")
    # E2 < E3 < E10 (not E10 < E2), and B18 < B105 within a hall.
    assert [(f.hall, f.booth, f.watch_id) for f in flagged] == [
        ("E2", "E2-C210", "neusoft"),
        ("E3", "E3-B18", "zwz"),
        ("E3", "E3-B105", "zwz"),
        ("E10", "E10-A2", "siasun"),
    ]
    assert [f.booth for f in in_e3] == ["E3-B18", "E3-B105"]
    first = flagged[0]
    assert first.name_zh == "瀋陽東軟智能裝備有限公司"
    assert first.enterprise == "东软集团股份有限公司"
    assert first.mark == "东软"
    assert first.risk == "medium"
    assert "party:exhibitor" in first.reasons
    assert first.alert_status == "new"
    assert first.show == "中国国际装备制造业博览会 2026 (CIEME)"
    line = flagged[1].to_json()
    assert {"booth", "hall", "name_zh", "name_en", "watch_id", "risk", "reasons"} <= set(line)


@pytest.mark.postgres
def test_a_dismissed_alert_leaves_the_list_and_a_removed_exhibitor_too(any_settings: Settings) -> None:
    _ingest(any_settings)
    factory = db.session_factory(any_settings)
    with db.transaction(factory) as session:
        flagged = flagged_booths(session, "cieme-2026")
        alert = session.get(Alert, next(f.alert_id for f in flagged if f.booth == "E2-C210"))
        assert alert is not None
        alert.status = AlertStatus.DISMISSED.value
        session.add(alert)
    _ingest(any_settings, [r for r in ROWS if r[1] != "E10-A2"])
    with factory() as session:
        booths = [f.booth for f in flagged_booths(session, "cieme-2026")]
        everything = [f.booth for f in flagged_booths(session, "cieme-2026", include_dismissed=True)]
    assert booths == ["E3-B18", "E3-B105"]
    assert everything == ["E2-C210", "E3-B18", "E3-B105"]


@pytest.mark.postgres
def test_who_is_at_a_booth_and_what_they_matched(any_settings: Settings) -> None:
    _ingest(any_settings)
    with db.session_factory(any_settings)() as session:
        at_b105 = exhibitors_at_booth(session, "e3-b105")
        bare = exhibitors_at_booth(session, "A320")
        mine = exhibitors_at_booth(session, "E2-A001", "cieme-2026")
        nobody = exhibitors_at_booth(session, "E9-Z999")
    assert [(b.exhibitor.name_zh, [a.watch_id for a in b.alerts]) for b in at_b105] == [
        ("大连恒远轴承贸易有限公司", ["zwz"])
    ]
    assert {b.exhibitor.booth for b in bare} == {"E2-A320", "W1-A320"}
    assert all(b.alerts == [] for b in bare)
    assert mine[0].exhibitor.products == ["工业机器人"]
    assert mine[0].alerts == []  # SIASUN's own booth
    assert nobody == []


@pytest.mark.postgres
def test_edition_status_counts_exhibitors_flagged_and_the_last_crawl(any_settings: Settings) -> None:
    run_id = _ingest(any_settings)
    now = dt.datetime(2026, 8, 30, 3, 0, tzinfo=dt.UTC)
    with db.session_factory(any_settings)() as session:
        rows = {r.id: r for r in edition_status(session, any_settings, now=now)}
    cieme, giic = rows["cieme-2026"], rows["giic-2026"]
    assert (cieme.exhibitors, cieme.flagged, cieme.last_crawl_status) == (7, 4, "ok")
    assert cieme.expo_mode is True
    assert cieme.next_crawl_at == dt.datetime(2026, 8, 30, 4, 0, tzinfo=dt.UTC)
    assert cieme.format == "pdf"
    assert cieme.url is None
    assert (giic.exhibitors, giic.flagged, giic.last_crawl_at) == (0, 0, None)
    assert cieme.to_json()["starts"] == "2026-09-01"
    assert run_id > 0


def test_alert_messages_name_the_show_hall_and_booth_in_every_format(settings: Settings) -> None:
    from alertbot.models import Role, Subscriber

    db.upgrade(settings.resolved_database_url())
    factory = db.session_factory(settings)
    with db.transaction(factory) as session:
        session.add(
            Subscriber(name="team", role=Role.ENFORCEMENT.value, channels={"telegram": "42", "wecom": "x"})
        )
    _ingest(settings)
    with factory() as session:
        flagged = next(f for f in flagged_booths(session, "cieme-2026") if f.booth == "E3-B105")
        alert = session.get(Alert, flagged.alert_id)
        assert alert is not None
        deliveries = session.exec(select(Delivery).where(Delivery.alert_id == alert.id)).all()
        view = alert_view(session, alert, dt.date(2026, 8, 30))
    # The on-site team hears of exhibitor alerts at once, on every channel it has.
    assert {d.channel for d in deliveries if d.target in {"42", "x"}} == {"telegram", "wecom"}
    for lang, show, place in (
        ("zh", "中国国际装备制造业博览会 2026 (CIEME)", "E3 馆 E3-B105 展位"),
        ("en", "中国国际装备制造业博览会 2026 (CIEME)", "Hall E3, booth E3-B105"),
    ):
        message = render_alert(view, lang)
        for body in (message.text, message.html, message.chat_html, message.markdown):
            assert body is not None
            assert show in body, (lang, body)
            assert place in body, (lang, body)
        digest = render_digest([view], lang)
        assert place in digest.text
    zh = render_alert(view, "zh").text
    assert "展品中出现监测商标或企业字号（深沟球轴承（瓦房店轴承））" in zh
