"""From matcher hits to alerts and outbox rows, inside the caller's transaction.

Rules kept here, in one place:

* one alert per (record, enterprise); a later event on the record (published for opposition, registered)
  is a follow-up on that alert, not a new alert;
* a dismissed (applicant, mark, enterprise) raises no new alert;
* an applicant whose filings match two or more enterprises is a serial filer: its alerts rise one level and
  staff get one note;
* each new alert fans out to ``Delivery`` rows (alert × channel × recipient) with an idempotent key.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from alertbot.matching import Candidate, Hit
from alertbot.matching import applicant_key as matching_applicant_key
from alertbot.models import (
    Alert,
    Delivery,
    Dismissal,
    Enterprise,
    Match,
    Record,
    Risk,
    Role,
    Subscriber,
    utcnow,
)

FOLLOW_UP_EVENTS = frozenset({"published", "registered", "opposed"})
SERIAL_FILER_REASON = "serial-filer"
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def text_key(value: str | None) -> str:
    """A normalised key for applicants and marks: NFKC, casefold, punctuation and spaces removed."""
    if not value:
        return ""
    return _NON_WORD.sub("", unicodedata.normalize("NFKC", value).casefold())


def applicant_key(name: str | None) -> str:
    """The key that groups one applicant's spellings ("ACME Co., Ltd." and "ACME COMPANY LIMITED"), for
    serial filers and dismissals."""
    return str(matching_applicant_key(name))


def raise_risk(risk: str) -> str:
    """One level higher, capped at high."""
    order = [r.value for r in Risk]
    return order[min(order.index(risk) + 1, len(order) - 1)]


def risk_at_least(risk: str, minimum: str) -> bool:
    """Whether ``risk`` is at or above ``minimum``."""
    return Risk(risk).rank >= Risk(minimum).rank


def candidate_for(record: Record) -> Any:
    """The matcher's input for a stored record."""
    return Candidate(
        id=str(record.id),
        kind=record.kind,
        text=record.text,
        applicant=record.applicant,
        applicant_country=record.applicant_country,
        classes=frozenset(record.classes or ()),
    )


def next_digest_time(subscriber: Subscriber, now: dt.datetime, tz: str) -> dt.datetime:
    """The next local ``digest_time`` of the subscriber, in UTC."""
    zone = ZoneInfo(tz)
    hour, minute = (int(part) for part in subscriber.digest_time.split(":", 1))
    local = now.astimezone(zone)
    due = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if due <= local:
        due += dt.timedelta(days=1)
    return due.astimezone(dt.UTC)


def recipients_for(session: Session, alert: Alert, record: Record) -> list[Subscriber]:
    """Active subscribers who should hear of ``alert``: staff, the enterprise's own people, and
    enforcement teams for exhibitors. An enterprise never receives another enterprise's alert."""
    subscribers = session.exec(select(Subscriber).where(Subscriber.active == True)).all()  # noqa: E712
    chosen: list[Subscriber] = []
    for sub in subscribers:
        if sub.role == Role.ENTERPRISE and alert.enterprise_id not in sub.linked_enterprises():
            continue
        if sub.role == Role.ENFORCEMENT and record.kind != "exhibitor":
            continue
        if sub.role == Role.ENFORCEMENT or risk_at_least(alert.risk, sub.min_risk):
            chosen.append(sub)
    return chosen


def enqueue(
    session: Session,
    *,
    dedupe_key: str,
    subscriber: Subscriber,
    kind: str,
    due: dt.datetime,
    alert_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> int:
    """Add one delivery per channel of ``subscriber``; rows already queued under the same key are kept.

    Returns how many rows were added.
    """
    added = 0
    existing = set(
        session.exec(
            select(Delivery.dedupe_key).where(col(Delivery.dedupe_key).startswith(dedupe_key + "|"))
        ).all()
    )
    for channel, target in sorted(subscriber.channels.items()):
        key = f"{dedupe_key}|{subscriber.id}|{channel}"
        if key in existing:
            continue
        session.add(
            Delivery(
                dedupe_key=key,
                alert_id=alert_id,
                subscriber_id=subscriber.id,
                channel=channel,
                target=target,
                kind=kind,
                payload=payload or {},
                next_attempt_at=due,
            )
        )
        added += 1
    return added


def fan_out(session: Session, alert: Alert, record: Record, *, event: str | None, tz: str) -> int:
    """Queue the deliveries of a new alert (``event`` None) or of a follow-up event on it."""
    now = utcnow()
    added = 0
    kind = "alert" if event is None else "followup"
    for sub in recipients_for(session, alert, record):
        instant = sub.digest == "instant" or (sub.role == Role.ENFORCEMENT and record.kind == "exhibitor")
        added += enqueue(
            session,
            dedupe_key=f"{kind}:{alert.id}:{event or 'new'}",
            subscriber=sub,
            kind=kind if instant else "digest",
            due=now if instant else next_digest_time(sub, now, tz),
            alert_id=alert.id,
            payload={"event": event} if event else {},
        )
    return added


def notify_staff(
    session: Session, *, dedupe_key: str, subject: str, body: str, alert_id: int | None = None
) -> int:
    """Queue a note to every active staff subscriber (deduplicated by ``dedupe_key``)."""
    staff = session.exec(
        select(Subscriber).where(Subscriber.active == True, Subscriber.role == Role.STAFF.value)  # noqa: E712
    ).all()
    return sum(
        enqueue(
            session,
            dedupe_key=dedupe_key,
            subscriber=sub,
            kind="notice",
            due=utcnow(),
            alert_id=alert_id,
            payload={"subject": subject, "body": body},
        )
        for sub in staff
    )


@dataclass
class AlertOutcome:
    """Counts of what :func:`apply_hits` did."""

    new_alerts: int = 0
    followups: int = 0
    suppressed: int = 0
    deliveries: int = 0


def _dismissed(session: Session, filer_key: str, mark: str, enterprise_id: str) -> bool:
    if not filer_key:
        return False
    return (
        session.exec(
            select(Dismissal.id).where(
                Dismissal.applicant_key == filer_key,
                Dismissal.mark_key == text_key(mark),
                Dismissal.enterprise_id == enterprise_id,
            )
        ).first()
        is not None
    )


def _serial_filer_watch_ids(session: Session, filer_key: str, batch_ids: Iterable[str]) -> set[str]:
    stored = session.exec(select(Alert.enterprise_id).where(Alert.applicant_key == filer_key)).all()
    return set(stored) | set(batch_ids)


def apply_hits(
    session: Session,
    pairs: Sequence[tuple[Record, Sequence[Hit]]],
    *,
    origin: str = "instant",
    tz: str = "Asia/Shanghai",
) -> AlertOutcome:
    """Turn matcher hits for stored records into alerts, follow-ups and queued deliveries.

    ``origin="retro"`` (the initial search for a new watch entry) stores alerts without instant
    deliveries: the caller sends one initial report instead of a flood.
    """
    outcome = AlertOutcome()
    by_applicant: dict[str, set[str]] = {}
    for record, hits in pairs:
        key = applicant_key(record.applicant)
        if key and hits:
            by_applicant.setdefault(key, set()).update(h.watch_id for h in hits)
    serial: dict[str, set[str]] = {}
    for key, ids in by_applicant.items():
        watched = _serial_filer_watch_ids(session, key, ids)
        if len(watched) >= 2:
            serial[key] = watched
    applicant_names = {applicant_key(r.applicant): r.applicant for r, _ in pairs if r.applicant}
    enterprise_ids = set(session.exec(select(Enterprise.id)).all())

    for record, hits in pairs:
        filer_key = applicant_key(record.applicant)
        record_id = record.id
        assert record_id is not None, "records are flushed before matching"
        for hit in hits:
            if hit.watch_id not in enterprise_ids:
                continue
            risk, reasons = hit.risk, tuple(hit.reasons)
            if filer_key in serial and SERIAL_FILER_REASON not in reasons:
                risk, reasons = raise_risk(risk), (*reasons, SERIAL_FILER_REASON)
            if _dismissed(session, filer_key, hit.mark, hit.watch_id):
                outcome.suppressed += 1
                continue
            match = session.exec(
                select(Match).where(Match.record_id == record.id, Match.enterprise_id == hit.watch_id)
            ).first() or Match(record_id=record_id, enterprise_id=hit.watch_id, risk=risk)
            match.risk, match.score, match.mark, match.variant = risk, float(hit.score), hit.mark, hit.variant
            match.reasons, match.class_overlap, match.matched_at = (
                list(reasons),
                list(hit.class_overlap),
                utcnow(),
            )
            session.add(match)
            session.flush()
            alert = session.exec(
                select(Alert).where(Alert.record_id == record.id, Alert.enterprise_id == hit.watch_id)
            ).first()
            if alert is None:
                alert = Alert(
                    record_id=record_id,
                    enterprise_id=hit.watch_id,
                    match_id=match.id,
                    risk=risk,
                    mark=hit.mark,
                    variant=hit.variant,
                    reasons=list(reasons),
                    applicant_key=filer_key,
                    opposition_deadline=record.opposition_end,
                    origin=origin,
                    events=[record.event] if record.event else [],
                )
                session.add(alert)
                try:
                    with session.begin_nested():
                        session.flush()
                except IntegrityError:
                    # Another process stored the same (record, enterprise) alert first: ours is a duplicate.
                    continue
                outcome.new_alerts += 1
                if origin != "retro":
                    outcome.deliveries += fan_out(session, alert, record, event=None, tz=tz)
                continue
            if record.event and record.event not in alert.events:
                alert.events = [*alert.events, record.event]
                alert.opposition_deadline = record.opposition_end or alert.opposition_deadline
                alert.updated_at = utcnow()
                session.add(alert)
                if record.event in FOLLOW_UP_EVENTS and alert.status != "dismissed":
                    outcome.followups += 1
                    outcome.deliveries += fan_out(session, alert, record, event=record.event, tz=tz)
    for key, watched in sorted(serial.items()):
        _escalate_stored_serial_alerts(session, key)
        name = applicant_names.get(key) or key
        outcome.deliveries += notify_staff(
            session,
            dedupe_key=f"serial-filer:{key}",
            subject=f"疑似批量抢注申请人 Serial filer: {name}",
            body=(
                f"申请人 {name} 的申请命中 {len(watched)} 家重点企业：{', '.join(sorted(watched))}。相关预警已上调一级。\n"
                f"Applicant {name} has filings matching {len(watched)} watched enterprises: "
                f"{', '.join(sorted(watched))}. Their alerts were raised one level."
            ),
        )
    return outcome


def _escalate_stored_serial_alerts(session: Session, filer_key: str) -> None:
    for alert in session.exec(select(Alert).where(Alert.applicant_key == filer_key)).all():
        if SERIAL_FILER_REASON not in alert.reasons:
            alert.reasons = [*alert.reasons, SERIAL_FILER_REASON]
            alert.risk = raise_risk(alert.risk)
            alert.updated_at = utcnow()
            session.add(alert)
