"""Database tables (sqlmodel). One schema for SQLite (embedded) and PostgreSQL (multi-process).

The seams follow the data flow: ``Source``/``CrawlRun`` → ``Record`` (+ ``Quarantine``) → ``Match`` →
``Alert`` → ``Delivery`` (the outbox) → channels. ``Enterprise`` is the watchlist, ``Subscriber`` the people and
chats we notify, ``Dismissal`` remembers triage decisions, ``AuditLog`` records every change made by a person.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, Dialect, Index, UniqueConstraint
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


def utcnow() -> dt.datetime:
    """Timezone-aware now in UTC; every stored timestamp is UTC."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp that is always timezone-aware UTC in Python, whatever the backend stores.

    SQLite keeps no zone, so naive values read back are UTC by construction.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: store UTC-aware timestamps only")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _ts(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


def _json(default_factory: Any = list) -> Any:
    return Field(default_factory=default_factory, sa_column=Column(JSON, nullable=False))


class Role(StrEnum):
    """What a subscriber may do and see."""

    STAFF = "staff"
    ENFORCEMENT = "enforcement"
    ENTERPRISE = "enterprise"


class Risk(StrEnum):
    """Alert risk levels, lowest first."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        """0 for low, 2 for high."""
        return ["low", "medium", "high"].index(self.value)


class AlertStatus(StrEnum):
    """Triage states of an alert."""

    NEW = "new"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"
    ESCALATED = "escalated"


class DeliveryStatus(StrEnum):
    """Outbox states of one delivery."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class Enterprise(SQLModel, table=True):
    """One row of the key-export-enterprise directory (the watchlist)."""

    id: str = Field(primary_key=True, max_length=64)
    name_zh: str = Field(default="")
    name_en: str = Field(default="")
    marks: list[str] = _json()
    classes: list[int] = _json()
    affiliates: list[str] = _json()
    markets: list[str] = _json()
    contacts: list[str] = _json()
    active: bool = Field(default=True)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime()))
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime()))


class Source(SQLModel, table=True):
    """A place records come from (a gazette feed or an expo list), with its incremental state."""

    key: str = Field(primary_key=True, max_length=64)
    kind: str = Field(default="gazette", description="gazette | expo")
    spider: str | None = None
    enabled: bool = True
    state: dict[str, Any] = _json(dict)
    last_success_at: dt.datetime | None = _ts()
    last_error: str | None = None


class CrawlRun(SQLModel, table=True):
    """One run of one spider: when, how many records, what went wrong."""

    id: int | None = Field(default=None, primary_key=True)
    source_key: str = Field(index=True, max_length=64)
    spider: str
    started_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime()))
    finished_at: dt.datetime | None = _ts()
    status: str = Field(default="running", description="running | ok | partial | error | stopped")
    records_seen: int = 0
    records_new: int = 0
    records_updated: int = 0
    records_unchanged: int = 0
    quarantined: int = 0
    alerts_new: int = 0
    errors: int = 0
    error_detail: str | None = None
    stats: dict[str, Any] = _json(dict)


class Record(SQLModel, table=True):
    """A normalised filing, patent or exhibitor; one row per (source, native id), later snapshots update it."""

    __table_args__ = (
        UniqueConstraint("source_key", "native_id", name="uq_record_source_native"),
        Index("ix_record_last_seen", "last_seen_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source_key: str = Field(max_length=64)
    native_id: str = Field(max_length=128)
    kind: str = Field(max_length=16)
    text: str | None = None
    applicant: str | None = None
    applicant_country: str | None = Field(default=None, max_length=8)
    classes: list[int] = _json()
    office: str | None = Field(default=None, max_length=16)
    status: str | None = None
    event: str | None = Field(default=None, max_length=32)
    filing_date: dt.date | None = None
    publication_date: dt.date | None = None
    opposition_end: dt.date | None = None
    hall: str | None = None
    booth: str | None = None
    url: str | None = None
    deleted: bool = False
    raw: dict[str, Any] = _json(dict)
    content_hash: str = Field(default="", max_length=64)
    first_seen_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime()))
    last_seen_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime()))
    matched_at: dt.datetime | None = _ts(index=True)
    crawl_run_id: int | None = Field(default=None, index=True)


class Quarantine(SQLModel, table=True):
    """A record that could not be parsed or validated, kept with its reason and a raw snippet."""

    id: int | None = Field(default=None, primary_key=True)
    source_key: str = Field(index=True, max_length=64)
    crawl_run_id: int | None = Field(default=None, index=True)
    native_id: str | None = None
    reason: str
    snippet: str = ""
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime()))


class Match(SQLModel, table=True):
    """The matcher's latest verdict for a (record, enterprise) pair: the evidence behind an alert."""

    __table_args__ = (UniqueConstraint("record_id", "enterprise_id", name="uq_match_record_enterprise"),)

    id: int | None = Field(default=None, primary_key=True)
    record_id: int = Field(foreign_key="record.id", index=True)
    enterprise_id: str = Field(foreign_key="enterprise.id", index=True, max_length=64)
    risk: str = Field(max_length=8)
    score: float = 0.0
    mark: str = ""
    variant: str = ""
    reasons: list[str] = _json()
    class_overlap: list[int] = _json()
    matched_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime()))


class Alert(SQLModel, table=True):
    """One risk alert per (record, enterprise); later events on the record are follow-ups, not new alerts."""

    __table_args__ = (UniqueConstraint("record_id", "enterprise_id", name="uq_alert_record_enterprise"),)

    id: int | None = Field(default=None, primary_key=True)
    record_id: int = Field(foreign_key="record.id", index=True)
    enterprise_id: str = Field(foreign_key="enterprise.id", index=True, max_length=64)
    match_id: int | None = Field(default=None, foreign_key="match.id")
    risk: str = Field(max_length=8, index=True)
    status: str = Field(default=AlertStatus.NEW.value, max_length=16, index=True)
    mark: str = ""
    variant: str = ""
    reasons: list[str] = _json()
    applicant_key: str = Field(default="", index=True, description="Normalised applicant, for serial filers.")
    opposition_deadline: dt.date | None = None
    origin: str = Field(default="instant", description="instant | retro (initial search of a new entry)")
    events: list[str] = _json()
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), index=True))
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime()))


class Dismissal(SQLModel, table=True):
    """Once staff dismiss (applicant, mark, enterprise), the same applicant filing the same mark stays quiet."""

    __table_args__ = (
        UniqueConstraint("applicant_key", "mark_key", "enterprise_id", name="uq_dismissal_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    applicant_key: str
    mark_key: str
    enterprise_id: str = Field(max_length=64)
    alert_id: int | None = None
    actor: str = ""
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime()))


class Subscriber(SQLModel, table=True):
    """A person or chat that receives alerts, with a role, preferences and channel addresses."""

    id: int | None = Field(default=None, primary_key=True)
    name: str
    role: str = Field(default=Role.ENTERPRISE.value, max_length=16, index=True)
    enterprise_id: str | None = Field(default=None, foreign_key="enterprise.id", index=True)
    language: str = Field(default="zh", max_length=4)
    min_risk: str = Field(default=Risk.LOW.value, max_length=8)
    digest: str = Field(default="instant", description="instant | daily")
    digest_time: str = Field(default="08:30", description="HH:MM local time for the daily digest.")
    channels: dict[str, str] = _json(dict)
    # Telegram user ids exceed 32 bits.
    telegram_user_id: int | None = Field(default=None, sa_column=Column(BigInteger(), index=True))
    active: bool = True
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime()))
    enterprise_ids: list[str] = _json()
    """Every enterprise an enterprise user acts for; ``enterprise_id`` is the first of them (kept for the FK)."""

    def linked_enterprises(self) -> frozenset[str]:
        """The enterprises this subscriber belongs to (empty for staff and enforcement)."""
        linked = set(self.enterprise_ids or ())
        if self.enterprise_id:
            linked.add(self.enterprise_id)
        return frozenset(linked)


class Delivery(SQLModel, table=True):
    """The outbox: one row per alert × channel × recipient, written in the match transaction.

    ``dedupe_key`` makes the fan-out idempotent; the dispatcher leases due rows and marks them sent only after
    the channel accepted the message.
    """

    __table_args__ = (
        UniqueConstraint("dedupe_key", name="uq_delivery_dedupe"),
        Index("ix_delivery_due", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(max_length=200)
    alert_id: int | None = Field(default=None, foreign_key="alert.id", index=True)
    subscriber_id: int | None = Field(default=None, foreign_key="subscriber.id", index=True)
    channel: str = Field(max_length=32)
    target: str = ""
    kind: str = Field(default="alert", description="alert | followup | digest | notice | escalation")
    payload: dict[str, Any] = _json(dict)
    status: str = Field(default=DeliveryStatus.PENDING.value, max_length=16)
    attempts: int = 0
    next_attempt_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime()))
    lease_owner: str | None = None
    lease_until: dt.datetime | None = _ts()
    last_error: str | None = None
    provider_id: str | None = None
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime()))
    sent_at: dt.datetime | None = _ts()
    # Set while the row waits for a configuration fix: the fingerprint of the channel configuration that
    # failed (a hash, never the secret). A dispatcher with another configuration releases the row at once.
    config_hold: str | None = Field(default=None, max_length=64)


class AuditLog(SQLModel, table=True):
    """Who changed what, when: watchlist edits, alert triage, user management."""

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), index=True))
    actor: str
    action: str = Field(index=True)
    entity_type: str
    entity_id: str
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    note: str | None = None


class Invite(SQLModel, table=True):
    """A one-time, expiring code that lets a Telegram user join with a role (``/start CODE``).

    Only the code's SHA-256 is stored, so a database dump does not hand out working invites.
    """

    code_hash: str = Field(primary_key=True, max_length=64)
    role: str = Field(max_length=16)
    enterprise_ids: list[str] = _json()
    created_by: str
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime()))
    expires_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    used_at: dt.datetime | None = _ts()
    used_by: int | None = Field(default=None, sa_column=Column(BigInteger()))


class TargetBounce(SQLModel, table=True):
    """Evidence that an address is dead (an SMTP "no such user"), one strike per dispatcher pass.

    A single refusal is not trusted (a mail server can misreport during an outage); the address is switched
    off only after ``alertbot.outbox.DEAD_TARGET_STRIKES`` separate passes got the same answer. A successful
    send to the address removes its row.
    """

    __table_args__ = (UniqueConstraint("channel", "target", name="uq_targetbounce_channel_target"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=32)
    target: str = Field(max_length=320)
    strikes: int = 0
    last_pass: str | None = Field(default=None, max_length=64)
    last_error: str | None = None
    first_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime()))
    last_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime()))


# Stored errors pass through the one redaction layer (issue 8): no secret lands in these columns.
from alertbot.redact import redact_columns  # noqa: E402

redact_columns(
    Delivery.last_error,
    CrawlRun.error_detail,
    Source.last_error,
    Quarantine.reason,
    Quarantine.snippet,
    AuditLog.note,
    TargetBounce.last_error,
)


class SourceConfig(SQLModel, table=True):
    """A crawlable source as staff steer it, named by its spider (``uspto_tm_daily``) or expo edition key:
    the pinned URL, the cron schedule, pause, and the health the service keeps (issue 13).

    Separate from :class:`Source`, which is keyed by the records' source key (``uspto-tm``) and holds the
    spider's incremental memory; one spider can feed several source keys (ST.66 offices).
    """

    name: str = Field(primary_key=True, max_length=64)
    kind: str = Field(default="gazette", max_length=16, description="gazette | expo")
    spider: str = Field(default="", max_length=64)
    url: str | None = Field(default=None, description="Pinned file URL or listing/API base; None = default.")
    cron: str | None = Field(default=None, max_length=64, description="None = the source's default cron.")
    paused: bool = False
    health: str = Field(default="ok", max_length=16, description="ok | failing | low | stale")
    health_detail: str | None = None
    health_since: dt.datetime | None = _ts()
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime()))
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime()))
    updated_by: str = ""


# A health detail quotes crawl errors, which can echo a URL with a key in it.
redact_columns(SourceConfig.health_detail, SourceConfig.url)
