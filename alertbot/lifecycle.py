"""Alert triage: status transitions, dismissal memory, escalation notes, and the message view of an alert.

Transitions (every one audit-logged with the actor; a repeat of the current status changes nothing)::

    new ──confirm──▶ confirmed ──escalate──▶ escalated ──confirm──▶ confirmed
     │                   │                       │
     ├──escalate──▶ escalated                    │
     └──dismiss───▶ dismissed ◀──dismiss─────────┴── (from confirmed too)

``dismissed`` is final: it also stores a :class:`~alertbot.models.Dismissal` so the same applicant filing the
same mark raises no new alert for that enterprise. ``escalate`` queues a note to every staff subscriber;
``confirm`` from ``escalated`` hands an alert back from staff to the normal track (de-escalation).

Transitions are conditional updates (``UPDATE … WHERE status = :expected``): of two people acting on the
same alert at the same moment, one wins and the other gets a :class:`TransitionError` saying what the alert
became, on SQLite and PostgreSQL alike.

Both the bot buttons (:mod:`alertbot.bot.callbacks`) and the CLI (``alertbot alerts``) call
:func:`transition`, inside the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from alertbot.alerting import applicant_key as alerting_applicant_key
from alertbot.alerting import notify_staff, text_key
from alertbot.models import Alert, AlertStatus, AuditLog, Dismissal, Enterprise, Match, Record, utcnow
from alertbot.notify.base import AlertView


class Action(StrEnum):
    """What a person can do to an alert."""

    CONFIRM = "confirm"
    DISMISS = "dismiss"
    ESCALATE = "escalate"


TARGET_STATUS: dict[Action, AlertStatus] = {
    Action.CONFIRM: AlertStatus.CONFIRMED,
    Action.DISMISS: AlertStatus.DISMISSED,
    Action.ESCALATE: AlertStatus.ESCALATED,
}

ALLOWED: dict[AlertStatus, frozenset[AlertStatus]] = {
    AlertStatus.NEW: frozenset({AlertStatus.CONFIRMED, AlertStatus.DISMISSED, AlertStatus.ESCALATED}),
    AlertStatus.CONFIRMED: frozenset({AlertStatus.DISMISSED, AlertStatus.ESCALATED}),
    AlertStatus.ESCALATED: frozenset({AlertStatus.CONFIRMED, AlertStatus.DISMISSED}),
    AlertStatus.DISMISSED: frozenset(),
}


class AlertNotFound(LookupError):
    """No alert with the given id."""


class TransitionError(ValueError):
    """The requested change is not allowed from the alert's current status."""


@dataclass(frozen=True)
class TransitionResult:
    """What :func:`transition` did."""

    alert_id: int
    before: str
    after: str
    changed: bool
    staff_notes: int = 0
    dismissal_id: int | None = None


def allowed_actions(status: str) -> list[Action]:
    """The actions that change an alert in ``status`` (in button order)."""
    reachable = ALLOWED[AlertStatus(status)]
    return [action for action in Action if TARGET_STATUS[action] in reachable]


def transition(
    session: Session, alert_id: int, action: Action | str, *, actor: str, note: str | None = None
) -> TransitionResult:
    """Apply ``action`` to the alert, audit-log it with ``actor``, and queue its side effects.

    Raises :class:`AlertNotFound` or :class:`TransitionError`. Repeating the current status (two people
    pressing the same button) is not an error and changes nothing.
    """
    if not actor.strip():
        raise ValueError("a triage change needs an actor for the audit log")
    action = Action(action)
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise AlertNotFound(f"alert {alert_id} does not exist")
    before = AlertStatus(alert.status)
    target = TARGET_STATUS[action]
    if target == before:
        return TransitionResult(alert_id, before.value, before.value, changed=False)
    if target not in ALLOWED[before]:
        raise TransitionError(f"alert {alert_id} is {before.value}; it cannot be {target.value}")

    _claim(session, alert, before, target)
    dismissal_id = _remember_dismissal(session, alert, actor) if target == AlertStatus.DISMISSED else None
    notes = _escalation_note(session, alert, actor, note) if target == AlertStatus.ESCALATED else 0
    session.add(
        AuditLog(
            actor=actor,
            action=f"alert.{action.value}",
            entity_type="alert",
            entity_id=str(alert_id),
            before={"status": before.value},
            after={"status": target.value},
            note=note,
        )
    )
    session.flush()
    return TransitionResult(alert_id, before.value, target.value, True, notes, dismissal_id)


def _claim(session: Session, alert: Alert, before: AlertStatus, target: AlertStatus) -> None:
    """Move the alert from ``before`` to ``target`` only if it is still ``before`` in the database.

    A conditional ``UPDATE … WHERE status = :before`` (checked by its row count) instead of
    read-modify-write: two people pressing dismiss and escalate at the same moment both read ``new``; the
    second UPDATE waits for the first (row lock on PostgreSQL, the write lock on SQLite), then matches no
    row, and its caller gets a :class:`TransitionError` naming the status the winner set.
    """
    now = utcnow()
    result = session.execute(
        update(Alert)
        .where(col(Alert.id) == alert.id, col(Alert.status) == before.value)
        .values(status=target.value, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        session.expire(alert)
        current = session.get(Alert, alert.id)
        now_status = current.status if current is not None else "gone"
        raise TransitionError(
            f"alert {alert.id} was changed by someone else meanwhile: it was {before.value}, "
            f"now {now_status}; it was not {target.value}"
        )
    set_committed_value(alert, "status", target.value)
    set_committed_value(alert, "updated_at", now)


def _remember_dismissal(session: Session, alert: Alert, actor: str) -> int | None:
    record = session.get(Record, alert.record_id)
    applicant_key = alert.applicant_key or alerting_applicant_key(record.applicant if record else None)
    mark_key = text_key(alert.mark)
    if not applicant_key or not mark_key:
        # Without an applicant there is nothing stable to suppress; the alert alone is dismissed.
        return None
    existing = session.exec(
        select(Dismissal).where(
            Dismissal.applicant_key == applicant_key,
            Dismissal.mark_key == mark_key,
            Dismissal.enterprise_id == alert.enterprise_id,
        )
    ).first()
    if existing is not None:
        return existing.id
    dismissal = Dismissal(
        applicant_key=applicant_key,
        mark_key=mark_key,
        enterprise_id=alert.enterprise_id,
        alert_id=alert.id,
        actor=actor,
    )
    session.add(dismissal)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        # Someone dismissed the same (applicant, mark, enterprise) concurrently; theirs stands.
        return None
    return dismissal.id


def _escalation_note(session: Session, alert: Alert, actor: str, note: str | None) -> int:
    record = session.get(Record, alert.record_id)
    enterprise = session.get(Enterprise, alert.enterprise_id)
    name = enterprise.name_zh or enterprise.name_en if enterprise else alert.enterprise_id
    applicant = (record.applicant if record else None) or "?"
    extra = f"\n备注 Note: {note}" if note else ""
    return notify_staff(
        session,
        dedupe_key=f"escalation:{alert.id}:{alert.updated_at.isoformat()}",
        subject=f"预警已上报 Alert #{alert.id} escalated: {alert.mark} — {name}",
        body=(
            f"{actor} 上报了预警 #{alert.id}（{alert.risk}）：申请人 {applicant} 的「{alert.mark}」。{extra}\n"
            f"{actor} escalated alert #{alert.id} ({alert.risk}): “{alert.mark}” filed by {applicant}."
        ),
        alert_id=alert.id,
    )


def local_today(tz: str) -> dt.date:
    """Today's date in the deployment's time zone (deadlines are calendar days there)."""
    return dt.datetime.now(ZoneInfo(tz)).date()


def alert_view(
    session: Session, alert: Alert, today: dt.date, *, followup_event: str | None = None
) -> AlertView:
    """The message view of ``alert`` from its record, enterprise and match rows, with days left to the
    opposition deadline counted from ``today``."""
    record = session.get(Record, alert.record_id)
    if record is None:
        raise LookupError(f"alert {alert.id} points at record {alert.record_id}, which does not exist")
    enterprise = session.get(Enterprise, alert.enterprise_id)
    match = session.get(Match, alert.match_id) if alert.match_id is not None else None
    deadline = alert.opposition_deadline or record.opposition_end
    show: str | None = None
    if record.kind == "exhibitor":
        # Expo spiders keep the show's name in raw; the source key (e.g. cieme-2026) names it otherwise.
        raw_show = record.raw.get("show") or record.raw.get("expo")
        show = str(raw_show) if raw_show else record.source_key
    return AlertView(
        alert_id=alert.id or 0,
        risk=alert.risk,
        enterprise_id=alert.enterprise_id,
        enterprise_name_zh=enterprise.name_zh if enterprise else "",
        enterprise_name_en=enterprise.name_en if enterprise else "",
        mark=alert.mark,
        record_text=record.text,
        applicant=record.applicant,
        applicant_country=record.applicant_country,
        kind=record.kind,
        source=record.source_key,
        office=record.office,
        show=show,
        classes=tuple(record.classes or ()),
        filing_date=record.filing_date,
        publication_date=record.publication_date,
        opposition_deadline=deadline,
        days_left=(deadline - today).days if deadline else None,
        hall=record.hall,
        booth=record.booth,
        url=record.url,
        reasons=tuple(alert.reasons),
        variant=alert.variant,
        score=match.score if match else 0.0,
        status=alert.status,
        followup_event=followup_event,
    )


def audit_trail(session: Session, alert_id: int) -> list[AuditLog]:
    """The audit entries of one alert, oldest first."""
    return list(
        session.exec(
            select(AuditLog)
            .where(AuditLog.entity_type == "alert", AuditLog.entity_id == str(alert_id))
            .order_by(AuditLog.at, AuditLog.id)  # type: ignore[arg-type]
        ).all()
    )
