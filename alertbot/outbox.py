"""The outbox dispatcher: leases due ``Delivery`` rows, sends them through their channel, records the outcome.

Guarantees (see docs/delivery.md):

* **Nothing is marked sent before the channel accepted it.** A row is leased (``lease_owner``/``lease_until``)
  before the send and marked ``sent`` right after the provider answered, in its own short transaction. A
  dispatcher killed in between leaves the row leased; once the lease expires another dispatcher sends it
  again, so a crash repeats at most the deliveries that were in flight (at-least-once, never lost).
* **No two dispatchers send the same row.** PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED`` then the lease is
  written in the same transaction. SQLite: a conditional ``UPDATE … WHERE status='pending' AND (lease_until IS
  NULL OR lease_until < now)``; SQLite serialises writers, so only one claim of a row can succeed.
* **Failures retry** with exponential backoff and jitter, never sooner than the provider's ``retry_after``
  (capped at ``RetryPolicy.max_retry_after``); after ``settings.delivery_max_attempts`` (or at once for a
  permanent error) the row is ``failed`` and staff get a notice, itself an outbox row. A failed notice about a
  failure is logged, not re-notified.
* **Flood waits are not attempts**: a rate-limit answer (Telegram 429, a robot's "too fast", our own limiter)
  defers the row to ``now + retry_after`` without counting an attempt; nothing sleeps for it.
* **Configuration errors are not failures** (missing or rejected token, wrong URL, SMTP login or relay
  refused): the rows wait (``config_hold`` = the configuration's fingerprint), no attempt is counted, staff
  are told once per configuration, and a dispatcher started with a changed configuration sends them at once.
* **Dead targets are switched off**: a permanent error with ``deactivate_target`` (Telegram 403) removes that
  channel from the subscriber (the subscriber becomes inactive when it was the last one, except for e-mail:
  a bounce never costs a subscriber its bot access) and fails the subscriber's other pending rows on that
  channel. An SMTP "no such user" is one strike against the address; it is switched off only after
  ``DEAD_TARGET_STRIKES`` separate dispatcher passes got that answer.
* **Digests**: due ``digest`` rows of one subscriber and channel go out as ONE digest message; an
  ``initial-report`` row is a digest of the alerts in its payload; ``notice``/``escalation`` rows are plain
  notes from the payload's subject and body. Every message is in the subscriber's language.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import random
import signal
import socket
import threading
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import and_, delete, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from alertbot.alerting import notify_staff
from alertbot.db import SessionFactory, session_factory, transaction
from alertbot.lifecycle import alert_view, local_today
from alertbot.models import (
    Alert,
    AuditLog,
    Delivery,
    DeliveryStatus,
    Enterprise,
    Match,
    Record,
    Subscriber,
    TargetBounce,
    utcnow,
)
from alertbot.notify.base import (
    AlertView,
    Channel,
    ConfigurationDeliveryError,
    Message,
    PermanentDeliveryError,
    TransientDeliveryError,
    UnknownTargetError,
)
from alertbot.notify.render import render_alert, render_digest, render_notice
from alertbot.redact import redact
from alertbot.settings import Settings, get_settings

log = logging.getLogger(__name__)

FAILURE_NOTICE_PREFIX = "delivery-failed:"
CONFIG_NOTICE_PREFIX = "config-error:"
# An address refused as unknown in this many separate dispatcher passes is switched off.
DEAD_TARGET_STRIKES = 3
# Strikes older than this are forgotten: a mailbox that bounced last month and works now is not one strike down.
STRIKE_MEMORY = dt.timedelta(days=7)
DIGEST_KINDS = frozenset({"digest"})
REPORT_KINDS = frozenset({"initial-report"})
NOTICE_KINDS = frozenset({"notice", "escalation"})
REPORT_MAIL_KIND = "report"  # the periodic report e-mail (alertbot.report), built when due
_ERROR_LIMIT = 1000


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter: attempt ``n`` waits ``base * factor**(n-1)`` seconds (capped at
    ``cap``), reduced by a random fraction of up to ``jitter`` so that many failures do not retry in step.

    When the provider said how long to wait (Telegram's ``retry_after`` on a 429), that wait is used instead,
    plus up to ``retry_after_jitter`` of it so the rows it held back do not all return in the same instant;
    never less than ``retry_after``, but ``retry_after`` itself is capped at ``max_retry_after`` (an answer
    like ``retry_after: 1e11`` is broken, not a reason to wait for centuries).

    ``flood_wait`` is the wait after a rate-limit answer that named none; ``config_recheck`` is how often a
    row held for a configuration error is tried again with the same configuration."""

    base: float = 30.0
    factor: float = 2.0
    cap: float = 6 * 3600.0
    jitter: float = 0.5
    retry_after_jitter: float = 0.1
    max_retry_after: float = 3600.0
    flood_wait: float = 60.0
    config_recheck: float = 900.0

    def delay(self, attempts: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds to wait before the next attempt after ``attempts`` failed ones."""
        if retry_after is not None:
            wait = min(max(retry_after, 0.0), self.max_retry_after)
            return wait * (1.0 + self.retry_after_jitter * rng.random())
        raw = min(self.cap, self.base * self.factor ** max(attempts - 1, 0))
        return raw * (1.0 - self.jitter * rng.random())


@dataclass
class DispatchStats:
    """What one or more dispatcher passes did."""

    claimed: int = 0  # delivery rows leased
    messages: int = 0  # messages handed to a channel (a digest of many rows counts once)
    sent: int = 0  # rows marked sent
    retried: int = 0  # rows rescheduled after a transient failure
    failed: int = 0  # rows marked failed (attempts exhausted, permanent error, dead subscriber)
    deactivated: int = 0  # subscriber targets switched off after a permanent refusal
    deferred: int = 0  # rows put back after a flood-control wait (no attempt counted)
    held: int = 0  # rows waiting for a configuration fix (no attempt counted)
    strikes: int = 0  # "no such user" answers counted against an address
    staff_notices: int = 0  # staff notice rows queued about failures
    lease_lost: int = 0  # rows whose lease another dispatcher took over while we were sending

    def add(self, other: DispatchStats) -> None:
        """Add ``other``'s counts to these."""
        for item in fields(self):
            setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))

    def as_dict(self) -> dict[str, int]:
        """The counts by name."""
        return {item.name: getattr(self, item.name) for item in fields(self)}


@dataclass(frozen=True)
class _Unit:
    """One message to send: a single row, or every due digest row of one subscriber and channel."""

    rows: tuple[Delivery, ...]

    @property
    def head(self) -> Delivery:
        return self.rows[0]

    @property
    def ids(self) -> list[int]:
        return [row.id for row in self.rows if row.id is not None]


@dataclass(frozen=True)
class _RenderFault:
    """An unexpected error while rendering a message: a fault of this process, not of the row, so the row is
    retried like a failed send (and fails, with a staff notice, only after the last attempt)."""

    reason: str


Prepared = tuple[Subscriber | None, Message] | PermanentDeliveryError | _RenderFault


def default_owner() -> str:
    """A lease owner name that tells operators which process holds a row: host, pid and a random tag."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def build_channels(settings: Settings) -> dict[str, Channel]:
    """Every configured channel from the registry in :mod:`alertbot.notify` (unconfigured ones are left out)."""
    from alertbot import notify

    registry: Mapping[str, type[Channel]] = getattr(notify, "CHANNELS", {})
    built: dict[str, Channel] = {}
    for name, channel_type in registry.items():
        channel = channel_type.from_settings(settings)
        if channel is not None:
            built[name] = channel
    return built


def _due(now: dt.datetime) -> ColumnElement[bool]:
    return and_(
        col(Delivery.status) == DeliveryStatus.PENDING.value,
        col(Delivery.next_attempt_at) <= now,
        or_(col(Delivery.lease_until).is_(None), col(Delivery.lease_until) < now),
    )


class Dispatcher:
    """A long-lived dispatcher: keep one per process so channel connections and rate limits carry over.

    ``channels`` defaults to every configured channel of the registry; ``concurrency`` bounds how many
    messages are in flight at once (rate limits are kept by the channels themselves).
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        factory: SessionFactory | None = None,
        channels: Mapping[str, Channel] | None = None,
        owner: str | None = None,
        policy: RetryPolicy | None = None,
        lease_seconds: float = 300.0,
        concurrency: int = 16,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        self.factory = factory or session_factory(self.settings)
        self._own_channels = channels is None
        self.channels: Mapping[str, Channel] = build_channels(self.settings) if channels is None else channels
        self.owner = owner or default_owner()
        self.policy = policy or RetryPolicy()
        self.lease = dt.timedelta(seconds=lease_seconds)
        self.concurrency = max(1, concurrency)
        self._in_flight = asyncio.Semaphore(self.concurrency)
        # Overlapping passes of one dispatcher claim one after the other, so they never split a digest.
        self._claiming = asyncio.Lock()
        # Targets switched off in this process; rows of them already rendered in a batch are not sent.
        self._dead_targets: set[tuple[int | None, str, str]] = set()
        self._dead_lock = threading.Lock()
        self.rng = rng or random.Random()
        self.actor = f"dispatcher:{self.owner}"
        # Rows held for a configuration other than ours are released once, at the first pass.
        self._holds_released = False
        # Channels that answered with a configuration error in a pass: its other rows wait without a request.
        self._broken: dict[tuple[str, str], str] = {}

    async def aclose(self) -> None:
        """Close the channels this dispatcher built."""
        if self._own_channels:
            for channel in self.channels.values():
                await channel.aclose()

    async def __aenter__(self) -> Dispatcher:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # -- one pass ------------------------------------------------------------------------------------------
    async def dispatch_once(self, limit: int = 100) -> DispatchStats:
        """Lease up to ``limit`` due rows (plus the rest of their digests), send them, record the outcomes."""
        stats = DispatchStats()
        token = f"{self.owner}#{uuid.uuid4().hex[:8]}"
        async with self._claiming:
            if not self._holds_released:
                await asyncio.to_thread(self._release_holds)
                self._holds_released = True
            rows = await asyncio.to_thread(self._claim, token, limit)
        if not rows:
            return stats
        stats.claimed = len(rows)
        renewer = asyncio.create_task(self._renew_lease(token))
        try:
            units = _units(rows)
            prepared = await asyncio.to_thread(self._prepare_all, units)

            async def run(unit: _Unit, ready: Prepared) -> DispatchStats:
                async with self._in_flight:
                    return await self._deliver(unit, ready, token)

            for result in await asyncio.gather(*(run(u, p) for u, p in zip(units, prepared, strict=True))):
                stats.add(result)
        finally:
            renewer.cancel()
            self._broken = {pair: why for pair, why in self._broken.items() if pair[0] != token}
            with contextlib.suppress(asyncio.CancelledError):
                await renewer
        return stats

    async def drain(self, limit: int = 100) -> DispatchStats:
        """Dispatch until no row is due (rows waiting for a retry later are left for later)."""
        return await self._pipeline(limit, None, 0.0)

    async def run(
        self, stop: asyncio.Event | None = None, interval: float = 2.0, limit: int = 100
    ) -> DispatchStats:
        """Dispatch until ``stop`` is set, sleeping ``interval`` seconds whenever nothing is due."""
        return await self._pipeline(limit, stop or asyncio.Event(), interval)

    async def _pass(self, limit: int, forgiving: bool) -> DispatchStats:
        try:
            return await self.dispatch_once(limit)
        except Exception:
            if not forgiving:
                raise
            # A database hiccup must not end the always-on dispatcher; the rows stay in the outbox.
            log.exception("dispatcher pass failed; the rows stay leased until their lease expires")
            return DispatchStats()

    async def _pipeline(self, limit: int, stop: asyncio.Event | None, interval: float) -> DispatchStats:
        # Two passes overlap: the next batch is claimed and rendered while the current one is still sending,
        # so the channel never waits for the database between batches. The semaphore is shared, so at most
        # ``concurrency`` messages are in flight in all passes together.
        total = DispatchStats()
        running: set[asyncio.Task[DispatchStats]] = set()
        idle = False
        try:
            while True:
                stopping = stop is not None and stop.is_set()
                if stopping and not running:
                    return total
                if not stopping and not idle and len(running) < 2:
                    running.add(asyncio.create_task(self._pass(limit, forgiving=stop is not None)))
                    if len(running) < 2:
                        await asyncio.sleep(0)  # let the first pass claim before the second one does
                        continue
                if running:
                    done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                    for task in done:
                        stats = task.result()
                        total.add(stats)
                        idle = idle or stats.claimed == 0
                    continue
                # Idle and nothing in flight: sends just finished may have queued rows (staff notices).
                if stop is None:
                    last = await self.dispatch_once(limit)
                    total.add(last)
                    if last.claimed == 0:
                        return total
                else:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), timeout=interval)
                idle = False
        finally:
            for task in running:
                task.cancel()
            if running:
                await asyncio.gather(*running, return_exceptions=True)

    # -- leasing -------------------------------------------------------------------------------------------
    def _claim(self, token: str, limit: int) -> list[Delivery]:
        now = utcnow()
        lease = {"lease_owner": token, "lease_until": now + self.lease}
        due = (
            select(Delivery.id)
            .where(_due(now))
            .order_by(col(Delivery.next_attempt_at), col(Delivery.id))
            .limit(limit)
        )
        with transaction(self.factory) as session:
            postgres = session.get_bind().dialect.name == "postgresql"
            if postgres:
                ids = list(session.exec(due.with_for_update(skip_locked=True)).all())
                if not ids:
                    return []
                session.exec(update(Delivery).where(col(Delivery.id).in_(ids)).values(**lease))
            else:
                # One statement under SQLite's single write lock: two claims can never pick the same row,
                # and the loser of a race still gets the next rows instead of seeing an empty outbox.
                session.exec(update(Delivery).where(col(Delivery.id).in_(due)).values(**lease))
            digests = session.exec(
                select(Delivery.subscriber_id, Delivery.channel)
                .where(col(Delivery.lease_owner) == token, col(Delivery.kind).in_(DIGEST_KINDS))
                .distinct()
            ).all()
            if digests:
                # The rest of each chosen digest goes too, so a subscriber gets one digest, not several.
                same_digest = or_(
                    *(
                        and_(col(Delivery.subscriber_id) == subscriber_id, col(Delivery.channel) == channel)
                        for subscriber_id, channel in digests
                    )
                )
                rest = select(Delivery.id).where(_due(now), col(Delivery.kind).in_(DIGEST_KINDS), same_digest)
                if postgres:
                    # SKIP LOCKED again: waiting for a row another pass holds could deadlock with it.
                    extra = list(session.exec(rest.with_for_update(skip_locked=True)).all())
                    if extra:
                        session.exec(update(Delivery).where(col(Delivery.id).in_(extra)).values(**lease))
                else:
                    session.exec(update(Delivery).where(col(Delivery.id).in_(rest)).values(**lease))
        with self.factory() as session:
            return list(
                session.exec(
                    select(Delivery).where(Delivery.lease_owner == token).order_by(col(Delivery.id))
                ).all()
            )

    async def _renew_lease(self, token: str) -> None:
        # Rate-limit waits can make a batch outlast the lease; renewing keeps another dispatcher off our rows.
        period = max(self.lease.total_seconds() / 3, 0.05)
        while True:
            await asyncio.sleep(period)
            await asyncio.to_thread(self._extend_lease, token)

    def _extend_lease(self, token: str) -> None:
        with transaction(self.factory) as session:
            session.exec(
                update(Delivery)
                .where(
                    col(Delivery.lease_owner) == token,
                    col(Delivery.status) == DeliveryStatus.PENDING.value,
                )
                .values(lease_until=utcnow() + self.lease)
            )

    # -- one message ---------------------------------------------------------------------------------------
    async def _deliver(self, unit: _Unit, prepared: Prepared, token: str) -> DispatchStats:
        # Database work runs in worker threads, so the event loop stays free for sends (a blocked loop
        # bunches requests together and breaks the provider's rate limits).
        stats = DispatchStats()
        head = unit.head
        if isinstance(prepared, PermanentDeliveryError):
            await asyncio.to_thread(self._fail, unit, token, str(prepared), stats, notify=True)
            return stats
        if isinstance(prepared, _RenderFault):
            await asyncio.to_thread(self._retry, unit, token, prepared.reason, None, stats)
            return stats
        subscriber, message = prepared
        if (head.subscriber_id, head.channel, head.target) in self._dead_targets:
            reason = f"target deactivated: {head.channel}:{head.target} refused an earlier message"
            await asyncio.to_thread(self._fail, unit, token, reason, stats, notify=False)
            return stats
        if subscriber is None or not subscriber.active or head.channel not in subscriber.channels:
            reason = "the subscriber or this channel of it was deactivated"
            await asyncio.to_thread(self._fail, unit, token, reason, stats, notify=False)
            return stats
        channel = self.channels.get(head.channel)
        broken = self._broken.get((token, head.channel))
        if broken is not None:
            await asyncio.to_thread(self._hold, unit, token, broken, stats)
            return stats
        stats.messages += 1
        try:
            if channel is None:
                raise ConfigurationDeliveryError(
                    f"channel {head.channel!r} is not configured in this process (set its ALERTBOT_* settings)"
                )
            provider_id = await channel.send(head.target, message)
        except ConfigurationDeliveryError as error:
            reason = redact(error)
            self._broken[(token, head.channel)] = reason
            await asyncio.to_thread(self._hold, unit, token, reason, stats)
        except UnknownTargetError as error:
            await asyncio.to_thread(self._strike, unit, token, redact(error), stats)
        except TransientDeliveryError as error:
            if error.flood:
                await asyncio.to_thread(self._defer, unit, token, redact(error), error.retry_after, stats)
            else:
                await asyncio.to_thread(self._retry, unit, token, redact(error), error.retry_after, stats)
        except PermanentDeliveryError as error:
            if error.deactivate_target:
                await asyncio.to_thread(self._deactivate, unit, token, redact(error), stats)
            else:
                await asyncio.to_thread(self._fail, unit, token, redact(error), stats, notify=True)
        except Exception as error:  # an unexpected channel error is retried, never lost
            log.exception("channel %s raised an unexpected error for delivery %s", head.channel, head.id)
            reason = redact(f"{type(error).__name__}: {error}")
            await asyncio.to_thread(self._retry, unit, token, reason, None, stats)
        else:
            await asyncio.to_thread(self._mark_sent, unit, token, provider_id, stats)
        return stats

    def _prepare_all(self, units: Sequence[_Unit]) -> list[Prepared]:
        # One session for the whole batch: enterprises, subscribers and records repeat across messages.
        today = local_today(self.settings.timezone)
        prepared: list[Prepared] = []
        with self.factory() as session:
            keep_alive = _preload(session, units)  # the identity map holds rows only weakly
            for unit in units:
                try:
                    prepared.append(self._prepare(session, unit, today))
                except PermanentDeliveryError as error:
                    prepared.append(error)
                except Exception as error:  # a row that cannot be rendered must not block the whole batch
                    log.exception("could not render delivery %s", unit.head.id)
                    prepared.append(_RenderFault(redact(f"could not render the message: {error!r}")))
            del keep_alive
        return prepared

    def _prepare(self, session: Session, unit: _Unit, today: dt.date) -> tuple[Subscriber | None, Message]:
        head = unit.head
        subscriber = session.get(Subscriber, head.subscriber_id) if head.subscriber_id is not None else None
        lang = subscriber.language if subscriber and subscriber.language in ("zh", "en") else None
        lang = lang or self.settings.language
        if head.kind in NOTICE_KINDS:
            subject = str(head.payload.get("subject") or head.kind)
            return subscriber, render_notice(subject, str(head.payload.get("body") or ""), lang)
        if head.kind in REPORT_KINDS:
            ids = [int(alert_id) for alert_id in head.payload.get("alert_ids", [])]
            views = self._views(session, [(alert_id, None) for alert_id in ids], today)
            title = _report_title(session, head.payload.get("enterprise_id"), len(views), lang)
            return subscriber, render_digest(views, lang, title=title)
        if head.kind == REPORT_MAIL_KIND:
            from alertbot.report.mail import report_message  # loads matplotlib only when a report is due

            return subscriber, report_message(session, self.settings, head.payload, lang)
        if head.kind in DIGEST_KINDS:
            pairs = [
                (row.alert_id, row.payload.get("event")) for row in unit.rows if row.alert_id is not None
            ]
            return subscriber, render_digest(self._views(session, pairs, today), lang)
        if head.alert_id is None:
            raise PermanentDeliveryError(f"delivery {head.id} of kind {head.kind!r} names no alert")
        views = self._views(session, [(head.alert_id, head.payload.get("event"))], today)
        if not views:
            raise PermanentDeliveryError(f"delivery {head.id}: alert {head.alert_id} no longer exists")
        return subscriber, render_alert(views[0], lang)

    @staticmethod
    def _views(session: Session, pairs: Sequence[tuple[int, Any]], today: dt.date) -> list[AlertView]:
        views: list[AlertView] = []
        for alert_id, event in pairs:
            alert = session.get(Alert, alert_id)
            if alert is not None:
                views.append(alert_view(session, alert, today, followup_event=str(event) if event else None))
        return views

    # -- outcomes ------------------------------------------------------------------------------------------
    def _leased(self, session: Session, unit: _Unit, token: str, stats: DispatchStats) -> list[Delivery]:
        rows = [row for row in (session.get(Delivery, i) for i in unit.ids) if row is not None]
        held = [
            row for row in rows if row.lease_owner == token and row.status == DeliveryStatus.PENDING.value
        ]
        if len(held) < len(unit.ids):
            stats.lease_lost += len(unit.ids) - len(held)
            log.warning("lost the lease on deliveries %s; another dispatcher took them over", unit.ids)
        return held

    def _mark_sent(self, unit: _Unit, token: str, provider_id: str, stats: DispatchStats) -> None:
        # One UPDATE guarded by our lease: cheap enough to run right after every accepted message.
        with transaction(self.factory) as session:
            result = session.exec(
                update(Delivery)
                .where(
                    col(Delivery.id).in_(unit.ids),
                    col(Delivery.lease_owner) == token,
                    col(Delivery.status) == DeliveryStatus.PENDING.value,
                )
                .values(
                    status=DeliveryStatus.SENT.value,
                    sent_at=utcnow(),
                    provider_id=provider_id[:_ERROR_LIMIT],
                    attempts=col(Delivery.attempts) + 1,
                    last_error=None,
                    config_hold=None,
                    lease_owner=None,
                    lease_until=None,
                )
            )
            # An accepted message clears the address of earlier "no such user" strikes.
            session.exec(
                delete(TargetBounce).where(
                    col(TargetBounce.channel) == unit.head.channel,
                    col(TargetBounce.target) == unit.head.target,
                )
            )
        marked = int(result.rowcount)
        stats.sent += marked
        if marked < len(unit.ids):
            stats.lease_lost += len(unit.ids) - marked
            log.warning("deliveries %s were sent but another dispatcher had taken over the lease", unit.ids)

    def _retry(
        self, unit: _Unit, token: str, error: str, retry_after: float | None, stats: DispatchStats
    ) -> None:
        exhausted: list[Delivery] = []
        with transaction(self.factory) as session:
            now = utcnow()
            for row in self._leased(session, unit, token, stats):
                row.attempts += 1
                row.last_error = error[:_ERROR_LIMIT]
                row.lease_owner = None
                row.lease_until = None
                row.config_hold = None
                if row.attempts >= self.settings.delivery_max_attempts:
                    row.status = DeliveryStatus.FAILED.value
                    exhausted.append(row)
                    stats.failed += 1
                else:
                    delay = self.policy.delay(row.attempts, retry_after, self.rng)
                    row.next_attempt_at = now + dt.timedelta(seconds=delay)
                    stats.retried += 1
                session.add(row)
            if exhausted:
                reason = f"gave up after {self.settings.delivery_max_attempts} attempts; last error: {error}"
                stats.staff_notices += self._tell_staff(session, exhausted, reason)

    def _defer(
        self, unit: _Unit, token: str, error: str, retry_after: float | None, stats: DispatchStats
    ) -> None:
        # A flood-control wait: the provider did not refuse the message, so no attempt is counted.
        with transaction(self.factory) as session:
            now = utcnow()
            for row in self._leased(session, unit, token, stats):
                row.last_error = error[:_ERROR_LIMIT]
                row.lease_owner = None
                row.lease_until = None
                row.config_hold = None
                wait = self.policy.flood_wait if retry_after is None else retry_after
                row.next_attempt_at = now + dt.timedelta(
                    seconds=self.policy.delay(row.attempts, wait, self.rng)
                )
                session.add(row)
                stats.deferred += 1

    def _fingerprint(self, channel_name: str) -> str:
        channel = self.channels.get(channel_name)
        return channel.config_fingerprint() if channel is not None else "off"

    def _hold(self, unit: _Unit, token: str, error: str, stats: DispatchStats) -> None:
        # A configuration error: the rows wait for the fix (no attempt counted), staff hear once per config.
        channel_name = unit.head.channel
        fingerprint = self._fingerprint(channel_name)
        with transaction(self.factory) as session:
            now = utcnow()
            rows = self._leased(session, unit, token, stats)
            for row in rows:
                row.last_error = error[:_ERROR_LIMIT]
                row.lease_owner = None
                row.lease_until = None
                row.config_hold = fingerprint
                row.next_attempt_at = now + dt.timedelta(seconds=self.policy.config_recheck)
                session.add(row)
            stats.held += len(rows)
        if rows:
            stats.staff_notices += self._tell_staff_once(
                f"{CONFIG_NOTICE_PREFIX}{channel_name}:{fingerprint}", channel_name, error
            )
        log.error("deliveries %s wait for a configuration fix of %s: %s", unit.ids, channel_name, error)

    def _tell_staff_once(self, dedupe_key: str, channel_name: str, error: str) -> int:
        try:
            with transaction(self.factory) as session:
                return notify_staff(
                    session,
                    dedupe_key=dedupe_key,
                    subject=f"渠道配置错误 Channel configuration error: {channel_name}",
                    body=(
                        f"{channel_name} 渠道的投递在等待配置修复，未计为失败。修复配置后重新启动投递即可发出。\n"
                        f"Deliveries on {channel_name} are waiting for a configuration fix; none is counted "
                        "as failed. They go out once the dispatcher runs with the fixed configuration.\n\n"
                        f"原因 Reason: {error}"
                    ),
                )
        except IntegrityError:  # another unit of this batch queued the same notice at the same moment
            return 0

    def _release_holds(self) -> None:
        # Rows held under another configuration (the operator fixed it) are due again right away.
        current = {name: channel.config_fingerprint() for name, channel in self.channels.items()}
        with transaction(self.factory) as session:
            held = session.exec(
                select(Delivery.channel, Delivery.config_hold)
                .where(
                    col(Delivery.status) == DeliveryStatus.PENDING.value,
                    col(Delivery.config_hold).is_not(None),
                )
                .distinct()
            ).all()
            now = utcnow()
            for channel_name, fingerprint in held:
                if current.get(channel_name, "off") == fingerprint:
                    continue
                session.exec(
                    update(Delivery)
                    .where(
                        col(Delivery.status) == DeliveryStatus.PENDING.value,
                        col(Delivery.channel) == channel_name,
                        col(Delivery.config_hold) == fingerprint,
                    )
                    .values(config_hold=None, next_attempt_at=now)
                )
                log.info(
                    "channel %s configuration changed: releasing the deliveries held for it", channel_name
                )

    def _strike(self, unit: _Unit, token: str, error: str, stats: DispatchStats) -> None:
        head = unit.head
        for tries_left in (1, 0):
            try:
                strikes = self._count_strike(head.channel, head.target, token, error)
                break
            except IntegrityError:  # another dispatcher recorded the first strike at the same moment
                if not tries_left:
                    raise
        stats.strikes += 1
        if strikes >= DEAD_TARGET_STRIKES:
            reason = f"{error} (refused as unknown in {strikes} separate dispatcher passes)"
            self._deactivate(unit, token, reason, stats)
        else:
            reason = f"{error} (strike {strikes} of {DEAD_TARGET_STRIKES} before the address is switched off)"
            self._retry(unit, token, reason, None, stats)

    def _count_strike(self, channel_name: str, target: str, token: str, error: str) -> int:
        with transaction(self.factory) as session:
            now = utcnow()
            bounce = session.exec(
                select(TargetBounce).where(
                    TargetBounce.channel == channel_name, TargetBounce.target == target
                )
            ).first()
            if bounce is None:
                bounce = TargetBounce(channel=channel_name, target=target, first_at=now)
            elif bounce.last_at < now - STRIKE_MEMORY:
                bounce.strikes, bounce.first_at, bounce.last_pass = 0, now, None
            # One strike per dispatcher pass, however many rows to the address the pass carried.
            if bounce.last_pass != token:
                bounce.strikes += 1
                bounce.last_pass = token
            bounce.last_at = now
            bounce.last_error = error[:_ERROR_LIMIT]
            session.add(bounce)
            return bounce.strikes

    def _fail(self, unit: _Unit, token: str, error: str, stats: DispatchStats, *, notify: bool) -> None:
        with transaction(self.factory) as session:
            failed = self._fail_rows(session, self._leased(session, unit, token, stats), error)
            stats.failed += len(failed)
            if notify and failed:
                stats.staff_notices += self._tell_staff(session, failed, error)

    @staticmethod
    def _fail_rows(session: Session, rows: Sequence[Delivery], error: str) -> list[Delivery]:
        for row in rows:
            row.attempts += 1
            row.status = DeliveryStatus.FAILED.value
            row.last_error = error[:_ERROR_LIMIT]
            row.lease_owner = None
            row.lease_until = None
            row.config_hold = None
            session.add(row)
        return list(rows)

    def _deactivate(self, unit: _Unit, token: str, error: str, stats: DispatchStats) -> None:
        head = unit.head
        target = (head.subscriber_id, head.channel, head.target)
        with self._dead_lock:  # two rows to one dead target in flight at once switch it off once
            already = target in self._dead_targets
            self._dead_targets.add(target)
        if already:
            self._fail(unit, token, f"target deactivated: {error}", stats, notify=False)
            return
        with transaction(self.factory) as session:
            failed = self._fail_rows(session, self._leased(session, unit, token, stats), error)
            subscriber = (
                session.get(Subscriber, head.subscriber_id) if head.subscriber_id is not None else None
            )
            if subscriber is not None and subscriber.channels.get(head.channel) == head.target:
                before = {"active": subscriber.active, "channels": dict(subscriber.channels)}
                remaining = {
                    name: target for name, target in subscriber.channels.items() if name != head.channel
                }
                subscriber.channels = remaining
                if head.channel != "email":
                    # A bounced e-mail address never costs a subscriber its bot access (or anything else).
                    subscriber.active = subscriber.active and bool(remaining)
                session.add(subscriber)
                session.add(
                    AuditLog(
                        actor=self.actor,
                        action="subscriber.deactivate_target",
                        entity_type="subscriber",
                        entity_id=str(subscriber.id),
                        before=before,
                        after={"active": subscriber.active, "channels": remaining},
                        note=error[:_ERROR_LIMIT],
                    )
                )
                stats.deactivated += 1
                # The subscriber's other rows on the dead target cannot succeed either.
                others = session.exec(
                    select(Delivery).where(
                        Delivery.subscriber_id == subscriber.id,
                        Delivery.channel == head.channel,
                        Delivery.status == DeliveryStatus.PENDING.value,
                        col(Delivery.id).not_in(unit.ids),
                        # Rows of this batch are skipped by _deliver through the dead-target set.
                        or_(col(Delivery.lease_owner).is_(None), col(Delivery.lease_owner) != token),
                    )
                ).all()
                failed += self._fail_rows(session, others, f"target deactivated: {error}")
            stats.failed += len(failed)
            if failed:
                stats.staff_notices += self._tell_staff(session, failed, f"target switched off: {error}")

    def _tell_staff(self, session: Session, rows: Sequence[Delivery], reason: str) -> int:
        reason = redact(reason)
        about = [
            row
            for row in rows
            if not row.dedupe_key.startswith((FAILURE_NOTICE_PREFIX, CONFIG_NOTICE_PREFIX))
        ]
        for row in rows:
            if row.dedupe_key.startswith((FAILURE_NOTICE_PREFIX, CONFIG_NOTICE_PREFIX)):
                # A notice about a failure failed: telling staff again could loop forever; the log must do.
                log.error("staff failure notice %s could not be delivered: %s", row.dedupe_key, reason)
        if not about:
            return 0
        lines = "\n".join(
            f"- #{row.id} {row.kind} alert={row.alert_id} subscriber={row.subscriber_id} "
            f"{row.channel}:{row.target} attempts={row.attempts}"
            for row in about[:50]
        )
        more = f"\n… +{len(about) - 50}" if len(about) > 50 else ""
        queued = notify_staff(
            session,
            dedupe_key=f"{FAILURE_NOTICE_PREFIX}{about[0].id}",
            subject=f"投递失败 Delivery failed: {len(about)} × {about[0].channel}",
            body=f"以下投递已标记为失败 These deliveries were marked failed:\n{lines}{more}\n\n原因 Reason: {reason}",
            alert_id=about[0].alert_id,
        )
        if queued == 0:
            log.error(
                "deliveries %s failed and no active staff subscriber can be told: %s",
                [r.id for r in about],
                reason,
            )
        return queued


def _preload(session: Session, units: Sequence[_Unit]) -> list[object]:
    # A handful of IN queries fill the session's identity map, so rendering the batch needs no per-row SQL.
    alert_ids: set[int] = set()
    for unit in units:
        for row in unit.rows:
            if row.alert_id is not None:
                alert_ids.add(row.alert_id)
            alert_ids.update(int(i) for i in row.payload.get("alert_ids", []) if str(i).isdigit())
    subscriber_ids = {
        row.subscriber_id for unit in units for row in unit.rows if row.subscriber_id is not None
    }
    loaded: list[object] = []
    if subscriber_ids:
        loaded += session.exec(select(Subscriber).where(col(Subscriber.id).in_(subscriber_ids))).all()
    if not alert_ids:
        return loaded
    alerts = session.exec(select(Alert).where(col(Alert.id).in_(alert_ids))).all()
    loaded += alerts
    record_ids = {alert.record_id for alert in alerts}
    match_ids = {alert.match_id for alert in alerts if alert.match_id is not None}
    records = session.exec(select(Record).where(col(Record.id).in_(record_ids))).all() if record_ids else []
    loaded += records
    if match_ids:
        loaded += session.exec(select(Match).where(col(Match.id).in_(match_ids))).all()
    enterprise_ids = {alert.enterprise_id for alert in alerts}
    loaded += session.exec(select(Enterprise).where(col(Enterprise.id).in_(enterprise_ids))).all()
    return loaded


def _units(rows: Sequence[Delivery]) -> list[_Unit]:
    units: list[_Unit] = []
    digests: dict[tuple[int | None, str, str], list[Delivery]] = {}
    for row in rows:
        if row.kind in DIGEST_KINDS:
            digests.setdefault((row.subscriber_id, row.channel, row.target), []).append(row)
        else:
            units.append(_Unit((row,)))
    units.extend(_Unit(tuple(group)) for group in digests.values())
    return sorted(units, key=lambda unit: unit.head.id or 0)


def _report_title(session: Session, enterprise_id: object, count: int, lang: str) -> str:
    enterprise = session.get(Enterprise, str(enterprise_id)) if enterprise_id else None
    if lang == "en":
        name = (enterprise.name_en or enterprise.name_zh) if enterprise else str(enterprise_id or "")
        return f"Initial search report: {count} alerts for {name}"
    name = (enterprise.name_zh or enterprise.name_en) if enterprise else str(enterprise_id or "")
    return f"初始检索报告：{name} 共 {count} 条预警"


async def dispatch_once(
    settings: Settings | None = None,
    *,
    owner: str | None = None,
    limit: int = 100,
    channels: Mapping[str, Channel] | None = None,
    factory: SessionFactory | None = None,
    policy: RetryPolicy | None = None,
    lease_seconds: float = 300.0,
    concurrency: int = 16,
) -> DispatchStats:
    """One dispatcher pass with a fresh :class:`Dispatcher` (long-running callers should keep one instead)."""
    dispatcher = Dispatcher(
        settings,
        factory=factory,
        channels=channels,
        owner=owner,
        policy=policy,
        lease_seconds=lease_seconds,
        concurrency=concurrency,
    )
    async with dispatcher:
        return await dispatcher.dispatch_once(limit)


async def dispatch_until_idle_or_stopped(
    settings: Settings | None = None,
    *,
    loop: bool = False,
    limit: int = 100,
    concurrency: int = 16,
    lease_seconds: float = 300.0,
    interval: float = 2.0,
) -> DispatchStats:
    """What ``alertbot notify dispatch`` runs: drain the due rows once, or (``loop``) keep dispatching until
    SIGINT/SIGTERM, finishing the messages in flight first."""
    stop = asyncio.Event()
    running = asyncio.get_running_loop()
    if loop:
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                running.add_signal_handler(signum, stop.set)
    dispatcher = Dispatcher(settings, lease_seconds=lease_seconds, concurrency=concurrency)
    async with dispatcher:
        log.info(
            "dispatcher %s started with channels: %s",
            dispatcher.owner,
            ", ".join(dispatcher.channels) or "none",
        )
        if loop:
            return await dispatcher.run(stop, interval, limit)
        return await dispatcher.drain(limit)


async def run_dispatcher(
    settings: Settings | None = None,
    *,
    stop: asyncio.Event | None = None,
    interval: float = 2.0,
    channels: Mapping[str, Channel] | None = None,
    factory: SessionFactory | None = None,
    owner: str | None = None,
    policy: RetryPolicy | None = None,
    lease_seconds: float = 300.0,
    concurrency: int = 16,
    limit: int = 100,
) -> DispatchStats:
    """Run the dispatcher until ``stop`` is set (forever when not given); returns the totals."""
    dispatcher = Dispatcher(
        settings,
        factory=factory,
        channels=channels,
        owner=owner,
        policy=policy,
        lease_seconds=lease_seconds,
        concurrency=concurrency,
    )
    async with dispatcher:
        return await dispatcher.run(stop, interval, limit)
