"""The outbox dispatcher against real channels on loopback: aiosmtpd for email, the Bot API stand-in for
Telegram (the real python-telegram-bot ``Bot``). Sent only after acceptance, retries with backoff honouring
``retry_after``, failure after N attempts with a staff notice, 403 deactivation, digests and initial reports."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import select

from alertbot import db
from alertbot.alerting import enqueue
from alertbot.models import AuditLog, Delivery, Role, Subscriber, utcnow
from alertbot.notify.email import EmailChannel
from alertbot.notify.ratelimit import TelegramRateLimiter
from alertbot.notify.telegram import TelegramChannel
from alertbot.outbox import Dispatcher, DispatchStats, RetryPolicy, dispatch_once, run_dispatcher
from alertbot.settings import Settings
from tests.notify.botapi_standin import BotApiStandIn
from tests.support.seed import add_alerts, add_enterprise, add_subscriber, make_records
from tests.support.smtp import SmtpRecorder
from tests.support.waiting import wait_until

FAST = RetryPolicy(base=0.01, factor=2.0, cap=0.05, jitter=0.5)


@pytest.fixture
def factory(any_settings: Settings) -> Iterator[db.SessionFactory]:
    url = any_settings.resolved_database_url()
    db.upgrade(url)
    yield db.session_factory(any_settings)
    db.engine_for(url).dispose()


@pytest.fixture
def smtp() -> Iterator[SmtpRecorder]:
    with SmtpRecorder() as server:
        yield server


@pytest.fixture
def botapi() -> Iterator[BotApiStandIn]:
    with BotApiStandIn() as api:
        yield api


def fast_limiter() -> TelegramRateLimiter:
    """Telegram's flood limits with every period shrunk 100x."""
    return TelegramRateLimiter(overall_period=0.01, per_chat_interval=0.01, group_period=0.6, margin=0.0002)


def channels_for(smtp: SmtpRecorder | None, botapi: BotApiStandIn | None) -> dict[str, Any]:
    """Real channels pointed at the loopback servers; Telegram's flood limits shrunk 100x for speed."""
    channels: dict[str, Any] = {}
    if smtp is not None:
        channels["email"] = EmailChannel(
            "127.0.0.1", port=smtp.port, tls="none", sender="alertbot@centre.example"
        )
    if botapi is not None:
        channels["telegram"] = TelegramChannel(botapi.token, base_url=botapi.base_url, limiter=fast_limiter())
    return channels


async def run_dispatch(
    settings: Settings, channels: dict[str, Any], *, drain: bool = True, limit: int = 100, **options: Any
) -> DispatchStats:
    """Dispatch until nothing is due (or one pass), then close the channels."""
    dispatcher = Dispatcher(
        settings, channels=channels, policy=options.pop("policy", FAST), rng=random.Random(7), **options
    )
    try:
        return await (dispatcher.drain(limit) if drain else dispatcher.dispatch_once(limit))
    finally:
        for channel in channels.values():
            await channel.aclose()


def deliveries(factory: db.SessionFactory, *where: Any) -> list[Delivery]:
    with factory() as session:
        return list(session.exec(select(Delivery).where(*where).order_by(Delivery.id)).all())  # type: ignore[arg-type]


def telegram_alert_ids(botapi: BotApiStandIn) -> list[int]:
    """Alert ids of accepted sendMessage calls, read from the Confirm button's callback data."""
    ids = []
    for call in botapi.calls("sendMessage", accepted_only=True):
        if "reply_markup" in call.params:
            ids.append(
                int(call.json_param("reply_markup")["inline_keyboard"][0][0]["callback_data"].split(":")[2])
            )
    return ids


def seed_two_subscribers(factory: db.SessionFactory, count: int) -> list[int]:
    add_enterprise(factory)
    add_subscriber(factory, name="staff", role=Role.STAFF.value, channels={"email": "staff@centre.example"})
    add_subscriber(
        factory,
        name="acme",
        role=Role.ENTERPRISE.value,
        enterprise_id="acme",
        language="en",
        channels={"telegram": "4242"},
    )
    return add_alerts(factory, make_records(count, deadline=dt.date(2027, 1, 31)))


async def test_every_alert_is_sent_once_and_marked_sent_after_acceptance(
    any_settings: Settings, factory: db.SessionFactory, smtp: SmtpRecorder, botapi: BotApiStandIn
) -> None:
    ids = seed_two_subscribers(factory, 5)
    stats = await run_dispatch(any_settings, channels_for(smtp, botapi))
    assert (stats.claimed, stats.messages, stats.sent, stats.failed) == (10, 10, 10, 0)
    assert sorted(smtp.alert_ids()) == ids
    assert sorted(telegram_alert_ids(botapi)) == ids
    assert {m["To"] for m in smtp.messages} == {"staff@centre.example"}
    assert all("ACME" in str(m["Subject"]) for m in smtp.messages)
    # Telegram: the enterprise reads English, with the three buttons on the alert.
    first = botapi.calls("sendMessage")[0]
    assert first.params["chat_id"] == "4242"
    assert "ACME Machinery" in first.params["text"]
    buttons = first.json_param("reply_markup")["inline_keyboard"][0]
    assert [b["text"] for b in buttons] == ["Confirm", "Dismiss", "Escalate"]
    rows = deliveries(factory)
    assert {(r.status, r.attempts, r.lease_owner) for r in rows} == {("sent", 1, None)}
    assert all(r.provider_id and r.sent_at for r in rows)
    # Nothing left: another pass claims nothing and sends nothing.
    assert (await dispatch_once(any_settings, channels=channels_for(smtp, botapi))).claimed == 0
    assert len(smtp.messages) == 5


async def test_429_retry_after_is_honoured_and_5xx_is_retried(
    any_settings: Settings, factory: db.SessionFactory, botapi: BotApiStandIn
) -> None:
    add_enterprise(factory)
    add_subscriber(
        factory, name="a", role=Role.ENTERPRISE.value, enterprise_id="acme", channels={"telegram": "1"}
    )
    add_subscriber(
        factory, name="b", role=Role.ENTERPRISE.value, enterprise_id="acme", channels={"telegram": "2"}
    )
    [alert_id] = add_alerts(factory, make_records(1))
    botapi.fail_next("sendMessage", 1, 502)
    botapi.fail_next("sendMessage", 1, 429, retry_after=30)
    before = utcnow()
    stats = await run_dispatch(any_settings, channels_for(None, botapi), concurrency=1, drain=False)
    after = utcnow()
    assert (stats.messages, stats.retried, stats.deferred, stats.sent) == (2, 1, 1, 0)
    broken, limited = deliveries(factory)
    assert limited.status == broken.status == "pending"
    assert (broken.attempts, limited.attempts) == (1, 0)  # a flood wait is not an attempt
    assert limited.next_attempt_at >= before + dt.timedelta(seconds=30)
    assert "retry after 30" in (limited.last_error or "")
    # Plain backoff (FAST policy, at most 0.05 s) from the moment the 502 came back, which is before `after`:
    # measured from `after`, not `before`, since a loaded machine may take seconds over the pass itself.
    assert broken.next_attempt_at < after + dt.timedelta(seconds=1)
    assert "502" in (broken.last_error or "") or "Bad Gateway" in (broken.last_error or "")

    await asyncio.sleep(0.06)
    stats = await run_dispatch(any_settings, channels_for(None, botapi))
    assert (stats.claimed, stats.sent) == (1, 1)  # the 5xx one; the 429 one still waits its 30 s
    assert [r.status for r in deliveries(factory)] == ["sent", "pending"]
    assert telegram_alert_ids(botapi) == [alert_id]


def test_backoff_grows_exponentially_with_jitter_and_retry_after_wins() -> None:
    policy = RetryPolicy(base=10, factor=2, cap=100, jitter=0.5)
    rng = random.Random(1)
    delays = [[policy.delay(n, None, rng) for _ in range(200)] for n in (1, 2, 3, 4, 5, 6)]
    for n, samples in zip((1, 2, 3, 4, 5, 6), delays, strict=True):
        raw = min(100, 10 * 2 ** (n - 1))
        assert raw * 0.5 <= min(samples) <= max(samples) <= raw
        assert len({round(s, 6) for s in samples}) > 150  # jitter spreads retries out
    after_429 = [policy.delay(n, 45.0, rng) for n in range(1, 50)]
    assert 45.0 <= min(after_429) <= max(after_429) <= 45.0 * 1.1  # the provider's wait wins, barely jittered


async def test_after_max_attempts_the_delivery_fails_and_staff_are_told(
    any_settings: Settings, factory: db.SessionFactory, smtp: SmtpRecorder, botapi: BotApiStandIn
) -> None:
    limited = any_settings.model_copy(update={"delivery_max_attempts": 3})
    ids = seed_two_subscribers(factory, 1)
    botapi.fail_next("sendMessage", 10, 500)
    total = DispatchStats()
    for _ in range(10):
        total.add(await run_dispatch(limited, channels_for(smtp, botapi)))
        if not deliveries(factory, Delivery.status == "pending"):
            break
        await asyncio.sleep(0.06)
    [failed] = deliveries(factory, Delivery.status == "failed")
    assert (failed.channel, failed.attempts, failed.alert_id) == ("telegram", 3, ids[0])
    assert "Internal Server Error" in (failed.last_error or "")
    assert len(botapi.calls("sendMessage")) == 3
    assert total.staff_notices == 1
    [notice] = deliveries(factory, Delivery.kind == "notice")
    assert notice.status == "sent"
    assert notice.dedupe_key.startswith(f"delivery-failed:{failed.id}|")
    # The staff mailbox got the alert itself and the failure notice naming the failed delivery.
    subjects = [str(m["Subject"]) for m in smtp.messages]
    assert len(subjects) == 2
    assert any("Delivery failed" in s for s in subjects)
    failure_mail = next(m for m in smtp.messages if "Delivery failed" in str(m["Subject"]))
    body = failure_mail.get_body(preferencelist=("plain",))
    assert body is not None
    assert f"#{failed.id} alert alert={ids[0]}" in body.get_content()


async def test_a_failed_failure_notice_is_not_renotified(
    any_settings: Settings, factory: db.SessionFactory, botapi: BotApiStandIn
) -> None:
    add_enterprise(factory)
    add_subscriber(factory, name="staff", role=Role.STAFF.value, channels={"telegram": "1"})
    add_alerts(factory, make_records(1))
    botapi.fail_next("sendMessage", 50, 400, "Bad Request: chat not found")  # permanent, every time
    stats = await run_dispatch(any_settings, channels_for(None, botapi))
    rows = deliveries(factory)
    assert [(r.kind, r.status) for r in rows] == [("alert", "failed"), ("notice", "failed")]
    assert (stats.failed, stats.staff_notices) == (2, 1)
    assert len(botapi.calls("sendMessage")) == 2


async def test_telegram_403_switches_the_target_off(
    any_settings: Settings, factory: db.SessionFactory, smtp: SmtpRecorder, botapi: BotApiStandIn
) -> None:
    add_enterprise(factory)
    staff_id = add_subscriber(
        factory, name="staff", role=Role.STAFF.value, channels={"email": "staff@centre.example"}
    )
    both_id = add_subscriber(
        factory,
        name="acme both",
        role=Role.ENTERPRISE.value,
        enterprise_id="acme",
        channels={"telegram": "100", "email": "ip@acme.example"},
    )
    only_id = add_subscriber(
        factory,
        name="acme tg",
        role=Role.ENTERPRISE.value,
        enterprise_id="acme",
        channels={"telegram": "200"},
    )
    add_alerts(factory, make_records(2))
    botapi.fail_next("sendMessage", 2, 403)
    stats = await run_dispatch(any_settings, channels_for(smtp, botapi), concurrency=1)
    assert stats.deactivated == 2
    with factory() as session:
        both = session.get(Subscriber, both_id)
        only = session.get(Subscriber, only_id)
        assert both is not None
        assert only is not None
        assert (both.active, both.channels) == (True, {"email": "ip@acme.example"})
        assert (only.active, only.channels) == (False, {})
        audit = session.exec(select(AuditLog).where(AuditLog.action == "subscriber.deactivate_target")).all()
        assert {a.entity_id for a in audit} == {str(both_id), str(only_id)}
        assert all(a.actor.startswith("dispatcher:") for a in audit)
    tg = deliveries(factory, Delivery.channel == "telegram", Delivery.kind == "alert")
    assert {r.status for r in tg} == {"failed"}  # both alerts to both dead chats, without more attempts
    assert len(botapi.calls("sendMessage")) == 2
    assert all(r.status == "sent" for r in deliveries(factory, Delivery.channel == "email"))
    notices = deliveries(factory, Delivery.kind == "notice")
    assert {n.subscriber_id for n in notices} == {staff_id}
    assert any("Forbidden" in n.payload["body"] for n in notices)


async def test_daily_digest_rows_go_out_as_one_message_with_the_xlsx(
    any_settings: Settings, factory: db.SessionFactory, smtp: SmtpRecorder
) -> None:
    add_enterprise(factory)
    add_subscriber(
        factory,
        name="acme daily",
        role=Role.ENTERPRISE.value,
        enterprise_id="acme",
        language="en",
        digest="daily",
        digest_time="08:30",
        channels={"email": "ip@acme.example"},
    )
    ids = add_alerts(factory, make_records(3, deadline=dt.date(2027, 1, 31)))
    rows = deliveries(factory)
    assert {r.kind for r in rows} == {"digest"}
    assert min(r.next_attempt_at for r in rows) > utcnow()
    assert (await run_dispatch(any_settings, channels_for(smtp, None))).claimed == 0  # not due yet

    with db.transaction(factory) as session:  # the digest hour comes
        session.exec(update(Delivery).values(next_attempt_at=utcnow() - dt.timedelta(seconds=1)))  # type: ignore[call-overload]
    stats = await run_dispatch(any_settings, channels_for(smtp, None), limit=1)
    assert (stats.claimed, stats.messages, stats.sent) == (3, 1, 3)
    [mail] = smtp.messages
    assert "3" in str(mail["Subject"])
    assert str(mail["Subject"]).isascii()  # English subscriber
    attachments = list(mail.iter_attachments())
    assert [str(a.get_filename()).rsplit(".", 1)[-1] for a in attachments] == ["xlsx"]
    assert sorted(smtp.alert_ids()) == ids
    assert len({r.provider_id for r in deliveries(factory)}) == 1


async def test_initial_report_and_notices_render_from_their_payload(
    any_settings: Settings, factory: db.SessionFactory, smtp: SmtpRecorder
) -> None:
    add_enterprise(factory)
    staff_id = add_subscriber(
        factory, name="staff", role=Role.STAFF.value, channels={"email": "staff@centre.example"}
    )
    ids = add_alerts(factory, make_records(2))
    with db.transaction(factory) as session:
        session.exec(update(Delivery).values(status="sent"))  # type: ignore[call-overload]
        staff = session.get(Subscriber, staff_id)
        assert staff is not None
        enqueue(
            session,
            dedupe_key="initial-report:acme:x",
            subscriber=staff,
            kind="initial-report",
            due=utcnow(),
            payload={"enterprise_id": "acme", "alert_ids": ids},
        )
        enqueue(
            session,
            dedupe_key="note:1",
            subscriber=staff,
            kind="notice",
            due=utcnow(),
            payload={"subject": "来源停止更新 Source stale", "body": "uspto-tm: 0 records for 3 runs"},
        )
    stats = await run_dispatch(any_settings, channels_for(smtp, None), concurrency=1)
    assert stats.sent == 2
    report, note = smtp.messages
    assert str(report["Subject"]) == "初始检索报告：ACME机械 共 2 条预警"
    assert sorted(smtp.alert_ids()) == ids
    assert any(a.get_filename().endswith(".xlsx") for a in report.iter_attachments())  # type: ignore[union-attr]
    assert str(note["Subject"]) == "来源停止更新 Source stale"
    plain = note.get_body(preferencelist=("plain",))
    assert plain is not None
    assert "uspto-tm: 0 records for 3 runs" in plain.get_content()


async def test_public_api_uses_the_channel_registry_and_stops_on_request(
    any_settings: Settings, factory: db.SessionFactory
) -> None:
    add_enterprise(factory)
    add_subscriber(factory, name="staff", role=Role.STAFF.value, channels={"file": "staff@centre.example"})
    add_subscriber(factory, name="nowhere", role=Role.STAFF.value, channels={"wecom": "unconfigured"})
    ids = add_alerts(factory, make_records(2))
    stats = await dispatch_once(any_settings, owner="test-owner")
    # The file channel is always on; WeCom is not configured here, so its rows wait for the configuration.
    assert (stats.claimed, stats.sent, stats.held, stats.retried) == (4, 2, 2, 0)
    written = any_settings.outbox_dir.glob("*.eml")
    assert sorted(int(p.name.split("-")[1]) for p in written) == ids
    waiting = deliveries(factory, Delivery.channel == "wecom", Delivery.kind == "alert")
    assert {r.status for r in waiting} == {"pending"}
    assert all("not configured" in (r.last_error or "") for r in waiting)

    stop = asyncio.Event()
    running = asyncio.create_task(run_dispatcher(any_settings, stop=stop, interval=0.05))
    await asyncio.sleep(0.2)  # idle: nothing due
    [late] = add_alerts(factory, make_records(1, start=10))  # a new alert arrives while it runs
    await wait_until(
        lambda: any(f"-{late}-" in p.name for p in any_settings.outbox_dir.glob("*.eml")), 10, "the new alert"
    )
    stop.set()
    totals = await asyncio.wait_for(running, 10)
    assert totals.sent == 2  # the new alert, and the staff notice that WeCom is not configured


async def test_a_message_that_cannot_be_rendered_is_retried_then_failed_with_a_staff_notice(
    any_settings: Settings, factory: db.SessionFactory, smtp: SmtpRecorder
) -> None:
    # An unexpected render error is a fault of the process as much as of the row (the worker once lost an
    # alert this way to a half-imported module), so the row is retried like a failed send, not dropped.
    limited = any_settings.model_copy(update={"delivery_max_attempts": 3})
    add_enterprise(factory)
    staff_id = add_subscriber(
        factory, name="staff", role=Role.STAFF.value, channels={"email": "staff@centre.example"}
    )
    [alert_id] = add_alerts(factory, make_records(1))
    with db.transaction(factory) as session:
        staff = session.get(Subscriber, staff_id)
        assert staff is not None
        enqueue(
            session,
            dedupe_key="initial-report:acme:broken",
            subscriber=staff,
            kind="initial-report",
            due=utcnow(),
            payload={"enterprise_id": "acme", "alert_ids": ["not-a-number"]},
        )
    total = DispatchStats()
    for _ in range(10):
        total.add(await run_dispatch(limited, channels_for(smtp, None)))
        if not deliveries(factory, Delivery.status == "pending"):
            break
        await asyncio.sleep(0.06)
    [broken] = deliveries(factory, Delivery.kind == "initial-report")
    assert (broken.status, broken.attempts) == ("failed", 3)
    assert "could not render the message" in (broken.last_error or "")
    assert (total.retried, total.failed, total.staff_notices) == (2, 1, 1)
    # The alert in the same batch went out once, and staff heard of the failure once.
    assert smtp.alert_ids() == [alert_id]
    assert sum("Delivery failed" in str(m["Subject"]) for m in smtp.messages) == 1


def test_dispatcher_threads_never_meet_a_half_imported_module() -> None:
    # The worker renders in one thread while another refreshes the metrics (which lists the expo sources).
    # When those threads were the first to import alertbot.matching, Python's import deadlock detection
    # handed one of them the half-initialised package and the alert being rendered failed. A fresh
    # interpreter is needed: in this one every module is imported already.
    script = """
import threading
import alertbot.outbox, alertbot.service.metrics
from alertbot.notify.render import describe_reason
from alertbot.sources import expo_editions
barrier, errors = threading.Barrier(2), []
def run(work):
    barrier.wait()
    try:
        work()
    except Exception as error:
        errors.append(repr(error))
threads = [
    threading.Thread(target=run, args=(lambda: describe_reason("variant:exact", "en"),)),
    threading.Thread(target=run, args=(expo_editions,)),
]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(errors)
"""
    for _ in range(3):
        result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "[]", result.stdout
