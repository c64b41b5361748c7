"""Seed a migrated database with an enterprise, subscribers and alerts, through the real alerting code.

Alerts are made by :func:`alertbot.alerting.apply_hits` from stored records, exactly as the ingest seam does,
so their ``Delivery`` rows come from the real fan-out in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlmodel import select

from alertbot.alerting import apply_hits
from alertbot.db import SessionFactory, transaction
from alertbot.matching import Hit
from alertbot.models import Alert, Delivery, Enterprise, Record, Subscriber


def add_enterprise(factory: SessionFactory, enterprise_id: str = "acme", mark: str = "ACME") -> None:
    """One watched enterprise with one mark."""
    with transaction(factory) as session:
        session.add(
            Enterprise(
                id=enterprise_id,
                name_zh=f"{mark}机械",
                name_en=f"{mark} Machinery",
                marks=[mark],
                classes=[7],
            )
        )


def add_subscriber(factory: SessionFactory, **fields: Any) -> int:
    """A subscriber with the given fields; returns its id."""
    with transaction(factory) as session:
        subscriber = Subscriber(**fields)
        session.add(subscriber)
        session.flush()
        assert subscriber.id is not None
        return subscriber.id


def make_records(
    count: int,
    *,
    start: int = 0,
    text: str = "ACME",
    applicant: str = "Copycat Trading Ltd",
    event: str = "filed",
    source: str = "uspto-tm",
    deadline: dt.date | None = None,
) -> list[Record]:
    """Unsaved trademark records numbered from ``start``."""
    return [
        Record(
            source_key=source,
            native_id=f"{90000000 + start + index}",
            kind="trademark",
            text=f"{text} {start + index}" if count > 1 else text,
            applicant=applicant,
            applicant_country="CN",
            classes=[7],
            office="US",
            event=event,
            filing_date=dt.date(2026, 11, 2),
            opposition_end=deadline,
            url=f"https://tsdr.uspto.gov/#caseNumber={90000000 + start + index}",
        )
        for index in range(count)
    ]


def hit(enterprise_id: str = "acme", mark: str = "ACME", risk: str = "high") -> Hit:
    """A matcher hit on ``enterprise_id``."""
    return Hit(
        record_id="",
        watch_id=enterprise_id,
        risk=risk,
        score=0.97,
        mark=mark,
        variant=mark,
        reasons=("exact",),
        class_overlap=(7,),
    )


def add_alerts(
    factory: SessionFactory, records: Sequence[Record], *, enterprise_id: str = "acme", mark: str = "ACME"
) -> list[int]:
    """Store ``records`` and raise one alert each on ``enterprise_id``; returns the new alert ids."""
    with transaction(factory) as session:
        session.add_all(records)
        session.flush()
        apply_hits(session, [(record, [hit(enterprise_id, mark)]) for record in records])
        ids = session.exec(
            select(Alert.id).where(Alert.record_id.in_([r.id for r in records]))  # type: ignore[union-attr]
        ).all()
    return sorted(i for i in ids if i is not None)


def add_bulk_alerts(
    factory: SessionFactory, count: int, *, enterprise_id: str = "acme", mark: str = "ACME", start: int = 0
) -> list[int]:
    """``count`` alerts with one pending ``alert`` delivery per channel of each active staff subscriber and
    subscriber of the enterprise (as ``recipients_for`` picks them for trademarks), written in
    bulk (the fan-out's row shape and dedupe keys, without the per-alert queries), for large fault tests."""
    with transaction(factory) as session:
        subscribers = [
            sub
            for sub in session.exec(select(Subscriber).where(Subscriber.active == True)).all()  # noqa: E712
            if sub.role == "staff" or (sub.role == "enterprise" and sub.enterprise_id == enterprise_id)
        ]
        records = make_records(count, start=start)
        session.add_all(records)
        session.flush()
        alerts = [
            Alert(
                record_id=r.id,
                enterprise_id=enterprise_id,
                risk="high",
                mark=mark,
                variant=mark,
                reasons=["exact"],
            )  # type: ignore[arg-type]
            for r in records
        ]
        session.add_all(alerts)
        session.flush()
        session.add_all(
            Delivery(
                dedupe_key=f"alert:{alert.id}:new|{sub.id}|{channel}",
                alert_id=alert.id,
                subscriber_id=sub.id,
                channel=channel,
                target=target,
                kind="alert",
            )
            for alert in alerts
            for sub in subscribers
            for channel, target in sorted(sub.channels.items())
        )
        return [alert.id for alert in alerts if alert.id is not None]
