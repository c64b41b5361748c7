"""Alert lifecycle: one alert per (record, enterprise), follow-ups, triage by CLI, dismissal memory, escalation
notes to staff, the audit trail, and the message view built from database rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from alertbot import db
from alertbot.alerting import applicant_key, apply_hits
from alertbot.cli import app
from alertbot.lifecycle import (
    Action,
    AlertNotFound,
    TransitionError,
    alert_view,
    allowed_actions,
    audit_trail,
    transition,
)
from alertbot.models import Alert, AuditLog, Delivery, Dismissal, Record, Role
from alertbot.settings import Settings
from tests.support.seed import add_alerts, add_enterprise, add_subscriber, hit, make_records

runner = CliRunner()


@pytest.fixture
def factory(any_settings: Settings) -> Iterator[db.SessionFactory]:
    url = any_settings.resolved_database_url()
    db.upgrade(url)
    factory = db.session_factory(any_settings)
    add_enterprise(factory)
    add_enterprise(factory, "other", "OTHERCO")
    add_subscriber(factory, name="staff", role=Role.STAFF.value, channels={"email": "staff@centre.example"})
    add_subscriber(
        factory,
        name="acme ip",
        role=Role.ENTERPRISE.value,
        enterprise_id="acme",
        channels={"email": "ip@acme.example"},
    )
    yield factory
    # The cached engine keeps pooled connections; close them before the schema goes (and before GC warns).
    db.engine_for(url).dispose()


def _rows(factory: db.SessionFactory, model, *where):  # type: ignore[no-untyped-def]
    with factory() as session:
        return list(session.exec(select(model).where(*where)).all())


def test_one_alert_per_record_and_enterprise_and_a_followup_on_a_later_event(
    factory: db.SessionFactory,
) -> None:
    [alert_id] = add_alerts(factory, make_records(1))
    first = _rows(factory, Delivery, Delivery.alert_id == alert_id)
    assert sorted(d.kind for d in first) == ["alert", "alert"]  # staff + the enterprise, one channel each

    with db.transaction(factory) as session:
        record = session.exec(select(Record)).one()
        record.event = "published"
        record.opposition_end = dt.date(2027, 1, 15)
        session.add(record)
        outcome = apply_hits(session, [(record, [hit()]), (record, [hit()])])
    assert (outcome.new_alerts, outcome.followups) == (0, 1)
    alerts = _rows(factory, Alert)
    assert [a.id for a in alerts] == [alert_id]
    assert alerts[0].events == ["filed", "published"]
    assert alerts[0].opposition_deadline == dt.date(2027, 1, 15)
    followups = _rows(factory, Delivery, Delivery.kind == "followup")
    assert len(followups) == 2
    assert {d.payload["event"] for d in followups} == {"published"}


def test_transitions_are_audited_and_checked(factory: db.SessionFactory) -> None:
    [alert_id] = add_alerts(factory, make_records(1))
    assert allowed_actions("new") == [Action.CONFIRM, Action.DISMISS, Action.ESCALATE]
    with db.transaction(factory) as session:
        result = transition(session, alert_id, "confirm", actor="cli:alice", note="looks real")
    assert (result.before, result.after, result.changed) == ("new", "confirmed", True)
    with db.transaction(factory) as session:
        again = transition(session, alert_id, Action.CONFIRM, actor="cli:bob")
    assert not again.changed
    with db.transaction(factory) as session:
        transition(session, alert_id, "escalate", actor="telegram:42")
        transition(session, alert_id, "confirm", actor="cli:carol")  # handed back from staff
        transition(session, alert_id, "dismiss", actor="cli:dave")
    with pytest.raises(TransitionError, match="dismissed"), db.transaction(factory) as session:
        transition(session, alert_id, "escalate", actor="cli:eve")
    with pytest.raises(AlertNotFound), db.transaction(factory) as session:
        transition(session, 999_999, "confirm", actor="cli:eve")
    with pytest.raises(ValueError, match="actor"), db.transaction(factory) as session:
        transition(session, alert_id, "confirm", actor=" ")

    with factory() as session:
        trail = audit_trail(session, alert_id)
        assert [(e.actor, e.action, e.before, e.after) for e in trail] == [
            ("cli:alice", "alert.confirm", {"status": "new"}, {"status": "confirmed"}),
            ("telegram:42", "alert.escalate", {"status": "confirmed"}, {"status": "escalated"}),
            ("cli:carol", "alert.confirm", {"status": "escalated"}, {"status": "confirmed"}),
            ("cli:dave", "alert.dismiss", {"status": "confirmed"}, {"status": "dismissed"}),
        ]
        assert trail[0].note == "looks real"
        assert session.get(Alert, alert_id).status == "dismissed"  # type: ignore[union-attr]


def test_dismissal_suppresses_the_same_applicant_filing_the_same_mark(factory: db.SessionFactory) -> None:
    [alert_id] = add_alerts(factory, make_records(1, applicant="Copycat Trading Ltd."))
    with db.transaction(factory) as session:
        result = transition(session, alert_id, "dismiss", actor="cli:alice")
    [dismissal] = _rows(factory, Dismissal)
    assert result.dismissal_id == dismissal.id
    assert (dismissal.applicant_key, dismissal.mark_key, dismissal.enterprise_id, dismissal.actor) == (
        applicant_key("Copycat Trading Ltd"),
        "acme",
        "acme",
        "cli:alice",
    )
    # Same applicant (spelt differently), same mark: no alert, no delivery.
    deliveries_before = len(_rows(factory, Delivery))
    with db.transaction(factory) as session:
        again = make_records(1, start=5, applicant="COPYCAT trading, ltd")
        session.add_all(again)
        session.flush()
        outcome = apply_hits(session, [(again[0], [hit()])])
    assert (outcome.new_alerts, outcome.suppressed) == (0, 1)
    assert len(_rows(factory, Delivery)) == deliveries_before
    # Another applicant filing the mark, or the same applicant on another enterprise, still raises alerts.
    assert len(add_alerts(factory, make_records(1, start=6, applicant="Someone Else GmbH"))) == 1
    assert len(add_alerts(factory, make_records(1, start=7), enterprise_id="other", mark="OTHERCO")) == 1


def test_escalation_queues_one_note_to_staff(factory: db.SessionFactory) -> None:
    [alert_id] = add_alerts(factory, make_records(1))
    add_subscriber(
        factory, name="staff 2", role=Role.STAFF.value, channels={"telegram": "77", "email": "s2@c.example"}
    )
    with db.transaction(factory) as session:
        result = transition(session, alert_id, "escalate", actor="telegram:42", note="booth 3 sells fakes")
    notes = _rows(factory, Delivery, Delivery.kind == "notice")
    assert result.staff_notes == 3 == len(notes)
    assert {(n.channel, n.target) for n in notes} == {
        ("email", "staff@centre.example"),
        ("telegram", "77"),
        ("email", "s2@c.example"),
    }
    assert all(n.alert_id == alert_id for n in notes)
    assert "escalated" in notes[0].payload["subject"]
    assert "booth 3 sells fakes" in notes[0].payload["body"]
    assert "telegram:42" in notes[0].payload["body"]


def test_alert_view_counts_days_left_from_today(factory: db.SessionFactory) -> None:
    [alert_id] = add_alerts(factory, make_records(1, deadline=dt.date(2026, 12, 31)))
    with factory() as session:
        alert = session.get(Alert, alert_id)
        assert alert is not None
        view = alert_view(session, alert, dt.date(2026, 12, 1), followup_event="published")
    assert view.days_left == 30
    assert view.opposition_deadline == dt.date(2026, 12, 31)
    assert (view.enterprise_name_zh, view.enterprise_name_en, view.mark) == (
        "ACME机械",
        "ACME Machinery",
        "ACME",
    )
    assert (view.applicant, view.office, view.classes, view.kind) == (
        "Copycat Trading Ltd",
        "US",
        (7,),
        "trademark",
    )
    assert view.url is not None
    assert view.url.endswith("90000000")
    assert (view.score, view.reasons, view.followup_event, view.status) == (
        0.97,
        ("exact",),
        "published",
        "new",
    )


def test_cli_lists_shows_and_triages_with_the_actor_in_the_audit_log(any_settings: Settings, factory) -> None:
    ids = add_alerts(factory, make_records(3))
    result = runner.invoke(app, ["alerts", "confirm", str(ids[0]), "--actor", "cli:alice", "--note", "real"])
    assert result.exit_code == 0, result.output
    assert "new → confirmed by cli:alice" in result.output
    result = runner.invoke(app, ["alerts", "dismiss", str(ids[1])])
    assert result.exit_code == 0, result.output
    assert "will raise no new alert" in result.output
    result = runner.invoke(app, ["alerts", "escalate", str(ids[2]), "--note", "urgent"])
    assert result.exit_code == 0, result.output
    assert "staff note(s) queued" in result.output
    result = runner.invoke(app, ["alerts", "escalate", str(ids[1])])
    assert result.exit_code == 1
    assert "cannot be escalated" in result.output
    result = runner.invoke(app, ["alerts", "confirm", "424242"])
    assert result.exit_code == 1
    assert "does not exist" in result.output

    actors = {(e.entity_id, e.actor) for e in _rows(factory, AuditLog, AuditLog.entity_type == "alert")}
    assert (str(ids[0]), "cli:alice") in actors
    assert {actor for entity, actor in actors if entity != str(ids[0])} == {
        f"cli:{__import__('getpass').getuser()}"
    }

    result = runner.invoke(app, ["alerts", "list", "--status", "dismissed"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "1 alert(s)" in result.output
    assert f"│ {ids[1]} " in result.output
    result = runner.invoke(app, ["alerts", "list", "--enterprise", "acme", "--risk", "high", "--limit", "2"])
    assert "2 alert(s)" in result.output
    result = runner.invoke(app, ["alerts", "show", str(ids[0]), "--lang", "en"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "ACME Machinery" in result.output
    assert "cli:alice alert.confirm new→confirmed  note: real" in result.output
    assert "deliveries" in result.output
    assert "pending" in result.output


def _race(factory: db.SessionFactory, alert_id: int, actions: list[str]) -> list[object]:
    """Run ``actions`` on one alert in parallel threads, each having read the alert as ``new`` first.

    Each thread loads the alert into its session (as a bot handler or a CLI call does), waits until every
    thread has done so, then applies its action: the classic lost-update window.
    """
    import threading

    barrier = threading.Barrier(len(actions))
    outcomes: list[object] = [None] * len(actions)

    def worker(index: int, action: str) -> None:
        try:
            with db.transaction(factory) as session:
                alert = session.get(Alert, alert_id)
                assert alert is not None
                assert alert.status == "new"
                barrier.wait(timeout=30)
                outcomes[index] = transition(session, alert_id, action, actor=f"cli:{action}er")
        except Exception as error:  # the loser's error is the outcome under test
            outcomes[index] = error

    threads = [threading.Thread(target=worker, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_a_dismiss_and_an_escalate_at_the_same_moment_only_one_wins(factory: db.SessionFactory) -> None:
    [alert_id] = add_alerts(factory, make_records(1))
    outcomes = _race(factory, alert_id, ["dismiss", "escalate"])
    winners = [o for o in outcomes if not isinstance(o, Exception)]
    losers = [o for o in outcomes if isinstance(o, Exception)]
    assert len(winners) == 1, outcomes
    [loser] = losers
    assert isinstance(loser, TransitionError)
    final = _rows(factory, Alert)[0].status
    won = winners[0]
    assert final == won.after  # type: ignore[attr-defined]
    assert f"now {final}" in str(loser)
    trail = _rows(factory, AuditLog, AuditLog.entity_type == "alert")
    assert [(e.before, e.after) for e in trail] == [({"status": "new"}, {"status": final})]
    dismissals = _rows(factory, Dismissal)
    assert len(dismissals) == (1 if final == "dismissed" else 0)
    notes = _rows(factory, Delivery, Delivery.kind == "notice")
    assert (len(notes) > 0) == (final == "escalated")


MARKUP_APPLICANT = "Squat Co [/bold] Ltd"
LINK_APPLICANT = "[link=http://evil.example/phish]Official notice[/link] Trading"
BIDI_APPLICANT = "\u202egnidarT\u202c Ltd"


@pytest.fixture
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's rich consoles 250 columns wide, so table cells are not wrapped mid-name.

    The private ``_width``, not ``width``: monkeypatch would restore ``width`` by setting the width it read
    back (80 columns without a terminal), fixing the consoles at 80 columns for every later test in the
    process (those that widen the output with COLUMNS then get cut tables)."""
    from alertbot.cli._common import console, err_console

    monkeypatch.setattr(console, "_width", 250)
    monkeypatch.setattr(err_console, "_width", 250)


@pytest.mark.usefixtures("wide_console")
def test_cli_prints_crawled_markup_as_text_and_reveals_hidden_characters(factory: db.SessionFactory) -> None:
    add_alerts(factory, make_records(1, applicant=MARKUP_APPLICANT))
    add_alerts(factory, make_records(1, start=1, applicant=LINK_APPLICANT))
    add_alerts(factory, make_records(1, start=2, applicant=BIDI_APPLICANT, text="AC\u200bME"))
    result = runner.invoke(app, ["alerts", "list"], terminal_width=250)
    assert result.exit_code == 0, result.output
    assert MARKUP_APPLICANT in result.output
    assert "[link=http://evil.example/phish]Official notice[/link]" in result.output
    assert "\x1b]8;" not in result.output  # no OSC 8 terminal hyperlink
    assert "\u202e" not in result.output
    assert "⟨U+202E⟩gnidarT⟨U+202C⟩ Ltd" in result.output


@pytest.mark.usefixtures("wide_console")
def test_status_prints_an_error_with_markup_as_text(
    any_settings: Settings, factory: db.SessionFactory
) -> None:
    from alertbot.models import CrawlRun, Source

    with db.transaction(factory) as session:
        session.add(Source(key="uspto-tm", last_error="boom [/red] at [link=http://x.example]x[/link]"))
        session.add(
            CrawlRun(
                source_key="uspto-tm", spider="uspto_tm_daily", status="error", error_detail="bad [/red]"
            )
        )
    result = runner.invoke(app, ["status"], terminal_width=250)
    assert result.exit_code == 0, result.output
    assert "bad [/red]" in result.output
