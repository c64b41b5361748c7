"""The storage seam: records upsert idempotently, matches become one alert per (record, enterprise) with
outbox rows in the same transaction, follow-ups, serial filers, dismissals and the retro-match report.

Runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlmodel import select

from alertbot import db
from alertbot.alerting import applicant_key
from alertbot.ingest import (
    Ingestor,
    build_matcher,
    load_enterprises,
    match_records,
    match_stored_records,
    retro_match,
)
from alertbot.models import (
    Alert,
    AuditLog,
    CrawlRun,
    Delivery,
    Dismissal,
    Quarantine,
    Record,
    Role,
    Subscriber,
)
from alertbot.schemas import RecordIn
from alertbot.settings import Settings
from alertbot.watchlist import apply_watchlist, read_watchlist

SAMPLE = Path(__file__).parents[1] / "watchlists" / "liaoning-export-enterprises.csv"


def _seed(settings: Settings, *, ids: set[str] | None = None) -> None:
    db.upgrade(settings.resolved_database_url())
    rows = [r for r in read_watchlist(SAMPLE) if ids is None or r.id in ids]
    with db.transaction(db.session_factory(settings)) as session:
        apply_watchlist(session, rows, actor="test")
        session.add(Subscriber(name="staff", role=Role.STAFF.value, channels={"file": "staff@example.org"}))
        session.flush()
        for row in rows:
            if row.id in {"siasun", "neusoft"}:
                session.add(_enterprise_subscriber(row.id))


def _enterprise_subscriber(enterprise_id: str) -> Subscriber:
    return Subscriber(
        name=f"{enterprise_id} ip",
        role=Role.ENTERPRISE.value,
        enterprise_id=enterprise_id,
        channels={"email": f"ip@{enterprise_id}.example.cn"},
    )


def _squat(
    native_id: str, text: str, applicant: str = "Shenzhen Copycat Trading Co., Ltd.", **extra
) -> RecordIn:
    fields = {
        "source": "uspto-tm",
        "native_id": native_id,
        "kind": "trademark",
        "text": text,
        "applicant": applicant,
        "applicant_country": "CN",
        "classes": [7],
        "office": "US",
        "event": "filed",
        "filing_date": dt.date(2026, 11, 2),
    }
    fields.update(extra)
    return RecordIn(**fields)


def _ingest(settings: Settings, items: list[RecordIn]) -> CrawlRun:
    ingestor = Ingestor.open("uspto-tm", "uspto_tm_daily", settings=settings)
    for item in items:
        ingestor.add(item)
    return ingestor.close()


def _all(settings: Settings, model):  # type: ignore[no-untyped-def]
    with db.session_factory(settings)() as session:
        return list(session.exec(select(model)).all())


def test_records_alerts_and_outbox_are_written_once(any_settings: Settings) -> None:
    _seed(any_settings)
    items = [_squat("90000001", "SIASUN"), _squat("90000002", "PAKASAR", applicant="PT Sinar Jaya Abadi")]
    run = _ingest(any_settings, items)
    assert (run.records_seen, run.records_new, run.alerts_new, run.status) == (2, 2, 1, "ok")

    alerts = _all(any_settings, Alert)
    assert [(a.enterprise_id, a.risk) for a in alerts] == [("siasun", "high")]
    deliveries = _all(any_settings, Delivery)
    assert sorted((d.channel, d.target) for d in deliveries) == [
        ("email", "ip@siasun.example.cn"),
        ("file", "staff@example.org"),
    ]
    assert "ip@neusoft.example.cn" not in {d.target for d in deliveries}, (
        "an enterprise sees only its own alerts"
    )

    again = _ingest(any_settings, items)
    assert (again.records_new, again.records_updated, again.records_unchanged, again.alerts_new) == (
        0,
        0,
        2,
        0,
    )
    assert len(_all(any_settings, Record)) == 2
    assert len(_all(any_settings, Alert)) == 1
    assert len(_all(any_settings, Delivery)) == 2


def test_a_later_event_is_a_follow_up_not_a_new_alert(any_settings: Settings) -> None:
    _seed(any_settings)
    _ingest(any_settings, [_squat("90000003", "SIASUN")])
    published = _squat(
        "90000003",
        "SIASUN",
        event="published",
        publication_date=dt.date(2026, 11, 24),
        opposition_end=dt.date(2026, 12, 24),
    )
    run = _ingest(any_settings, [published])
    assert (run.records_updated, run.alerts_new) == (1, 0)
    (alert,) = _all(any_settings, Alert)
    assert alert.events == ["filed", "published"]
    assert alert.opposition_deadline == dt.date(2026, 12, 24)
    kinds = sorted(d.kind for d in _all(any_settings, Delivery))
    assert kinds == ["alert", "alert", "followup", "followup"]


def test_serial_filer_alerts_rise_and_staff_get_one_note(any_settings: Settings) -> None:
    _seed(any_settings)
    _ingest(any_settings, [_squat("90000010", "SIASUN", applicant="Serial Squat LLC", classes=[35])])
    first = _all(any_settings, Alert)
    _ingest(any_settings, [_squat("90000011", "NEUSOFT", applicant="SERIAL SQUAT, LLC", classes=[35])])
    alerts = {a.enterprise_id: a for a in _all(any_settings, Alert)}
    assert set(alerts) == {"siasun", "neusoft"}
    assert all("serial-filer" in a.reasons for a in alerts.values())
    assert alerts["siasun"].risk in {"medium", "high"}
    assert alerts["siasun"].risk != first[0].risk or first[0].risk == "high"
    notes = [d for d in _all(any_settings, Delivery) if d.kind == "notice"]
    assert len(notes) == 1
    assert "Serial Squat" in notes[0].payload["subject"] or "SERIAL SQUAT" in notes[0].payload["subject"]


def test_a_dismissed_applicant_and_mark_stays_quiet(any_settings: Settings) -> None:
    _seed(any_settings)
    _ingest(any_settings, [_squat("90000020", "SIASUN", applicant="Known Reseller GmbH")])
    (alert,) = _all(any_settings, Alert)
    with db.transaction(db.session_factory(any_settings)) as session:
        session.add(
            Dismissal(
                applicant_key=applicant_key("Known Reseller GmbH"),
                mark_key="siasun",
                enterprise_id="siasun",
                alert_id=alert.id,
            )
        )
    run = _ingest(any_settings, [_squat("90000021", "SIASUN", applicant="Known Reseller GmbH")])
    assert run.alerts_new == 0
    assert len(_all(any_settings, Alert)) == 1


def test_quarantine_keeps_reason_and_snippet(settings: Settings) -> None:
    _seed(settings)
    ingestor = Ingestor.open("uspto-tm", "uspto_tm_daily", settings=settings)
    ingestor.quarantine("case-file without serial-number", "<case-file><mark>X</mark></case-file>")
    ingestor.add(_squat("90000030", "PAKASAR"))
    run = ingestor.close()
    assert (run.quarantined, run.records_new) == (1, 1)
    (bad,) = _all(settings, Quarantine)
    assert bad.reason == "case-file without serial-number"
    assert "<mark>X</mark>" in bad.snippet
    assert bad.crawl_run_id == run.id


def test_source_state_persists_between_runs(settings: Settings) -> None:
    _seed(settings)
    first = Ingestor.open("uspto-tm", "uspto_tm_daily", settings=settings)
    first.update_source_state({"files": {"apc261126.zip": 123}})
    first.close()
    second = Ingestor.open("uspto-tm", "uspto_tm_daily", settings=settings)
    assert second.source_state() == {"files": {"apc261126.zip": 123}}
    second.close()


def test_unmatched_records_are_matched_from_the_database(settings: Settings) -> None:
    _seed(settings, ids={"neusoft"})
    _ingest(settings, [_squat("90000040", "SIASUN")])
    assert _all(settings, Alert) == []
    with db.transaction(db.session_factory(settings)) as session:
        for record in session.exec(select(Record)).all():
            record.matched_at = None
            session.add(record)
        apply_watchlist(session, read_watchlist(SAMPLE), actor="test")
    assert match_stored_records(settings) == 1
    assert match_stored_records(settings) == 0


def test_retro_match_sends_one_initial_report_not_a_flood(any_settings: Settings) -> None:
    _seed(any_settings, ids={"neusoft"})
    _ingest(
        any_settings,
        [_squat(f"9000005{i}", text) for i, text in enumerate(["SIASUN", "SIASUN ROBOTICS", "XINSONG"])],
    )
    assert _all(any_settings, Alert) == []
    with db.transaction(db.session_factory(any_settings)) as session:
        apply_watchlist(session, read_watchlist(SAMPLE), actor="staff:li")
        session.flush()
        session.add(_enterprise_subscriber("siasun"))
    found = retro_match(["siasun"], any_settings)
    assert len(found["siasun"]) >= 2
    alerts = _all(any_settings, Alert)
    assert {a.origin for a in alerts} == {"retro"}
    deliveries = _all(any_settings, Delivery)
    assert {d.kind for d in deliveries} == {"initial-report"}
    assert sorted(d.target for d in deliveries) == ["ip@siasun.example.cn", "staff@example.org"]
    assert sorted(deliveries[0].payload["alert_ids"]) == sorted(found["siasun"])
    assert any(a.action == "watchlist.add" and a.actor == "staff:li" for a in _all(any_settings, AuditLog))


def test_hidden_characters_are_stripped_for_matching_kept_visible_and_named_in_the_alert(
    any_settings: Settings,
) -> None:
    from alertbot.lifecycle import alert_view
    from alertbot.notify.render import render_alert

    _seed(any_settings, ids={"siasun"})
    # Zero-width space inside the mark (evades a naive match), bidi override in the applicant ("Trading Ltd").
    run = _ingest(any_settings, [_squat("90000077", "SIA\u200bSUN", applicant="\u202egnidarT\u202c Ltd")])
    assert run.alerts_new == 1
    [record] = _all(any_settings, Record)
    assert (record.text, record.applicant) == ("SIASUN", "gnidarT Ltd")
    assert record.raw["hidden_characters"] == {
        "text": "SIA⟨U+200B⟩SUN",
        "applicant": "⟨U+202E⟩gnidarT⟨U+202C⟩ Ltd",
    }
    [alert] = _all(any_settings, Alert)
    assert "hidden-characters:U+200B,U+202C,U+202E" in alert.reasons
    with db.session_factory(any_settings)() as session:
        view = alert_view(session, alert, dt.date(2026, 12, 1))
    for lang, wording in (("en", "hidden characters"), ("zh", "隐藏字符")):
        text = render_alert(view, lang).text
        assert wording in text
        assert "U+202E" in text
        assert "\u202e" not in text
        assert "\u200b" not in text


def test_records_the_database_cannot_hold_are_quarantined_before_it_sees_them(any_settings: Settings) -> None:
    _seed(any_settings, ids={"siasun"})
    items = [
        _squat("90000101", "SIASUN"),
        _squat("90000102", "SIASUN", url="https://tsdr.example/\x00"),
        _squat("90000103", "SIASUN", applicant_country="CNXXXXXXXXXXX"),
        _squat("9" * 200, "SIASUN"),
        _squat("90000105", "SIASUN", raw={"note": "lone \udcff surrogate"}),
        _squat("90000106", "SIASUN", applicant="Null\x00Byte Trading"),
    ]
    run = _ingest(any_settings, items)
    assert (run.records_seen, run.records_new, run.quarantined) == (6, 2, 4)
    records = {r.native_id: r for r in _all(any_settings, Record)}
    assert set(records) == {"90000101", "90000106"}
    # A control character in a shown field is removed at ingest and shown in raw (item 10), not a refusal.
    assert records["90000106"].applicant == "NullByte Trading"
    assert records["90000106"].raw["hidden_characters"] == {"applicant": "Null⟨U+0000⟩Byte Trading"}
    reasons = {q.native_id: q.reason for q in _all(any_settings, Quarantine)}
    assert "url: contains a NUL character" in reasons["90000102"]
    assert "applicant_country: 13 characters, the column holds at most 8" in reasons["90000103"]
    assert "native_id: 200 characters, the column holds at most 128" in reasons["9" * 128]
    assert "raw: not valid Unicode" in reasons["90000105"]
    assert all("\x00" not in q.snippet for q in _all(any_settings, Quarantine))


class _FaultOnOneRecord:
    """The real matcher, with a fault injected for one record's text (a bug the engine once had)."""

    def __init__(self, matcher: object) -> None:
        self.matcher = matcher

    def __getattr__(self, name: str) -> object:
        return getattr(self.matcher, name)

    def match(self, candidate):  # type: ignore[no-untyped-def]
        if candidate.text == "SIASUN ROBOTICS":
            raise ValueError("not enough values to unpack")
        return self.matcher.match(candidate)  # type: ignore[attr-defined]


def test_a_matcher_fault_on_one_record_quarantines_it_and_the_batch_goes_on(settings: Settings) -> None:
    _seed(settings, ids={"neusoft"})
    _ingest(settings, [_squat("90000050", "SIASUN"), _squat("90000051", "SIASUN ROBOTICS")])
    assert _all(settings, Alert) == []
    with db.transaction(db.session_factory(settings)) as session:
        apply_watchlist(session, read_watchlist(SAMPLE), actor="test")
        session.flush()
        records = list(session.exec(select(Record)).all())
        matcher = _FaultOnOneRecord(build_matcher(load_enterprises(session)))
        outcome = match_records(session, records, matcher, tz=settings.timezone)
    assert outcome.new_alerts == 1
    quarantined = _all(settings, Quarantine)
    assert [(q.native_id, q.reason, q.snippet) for q in quarantined] == [
        ("90000051", "matching failed: ValueError: not enough values to unpack", "SIASUN ROBOTICS")
    ]
