"""Delivery under faults, asserted on what the real servers received:

* a configuration error (wrong or missing token, wrong URL, rejected robot key) holds the rows, uncounted,
  with one staff notice, and they go out exactly once after the fix;
* Telegram flood waits (``retry_after`` 300 s and an absurd 1e11 s) are capped, not attempts, and a one-shot
  dispatch defers instead of sleeping;
* an SMTP server refusing to relay never deactivates anyone; an unknown mailbox is switched off after three
  separate passes, only that address, and never the subscriber's bot access;

* SMTP down for a while, then up (aiosmtpd started later on the same port): every alert arrives, once;
* a real dispatcher process (``alertbot notify dispatch --loop``) is SIGKILLed mid-batch and restarted: every
  alert arrives, and none twice beyond the single delivery in flight;
* concurrent dispatchers (separate processes on PostgreSQL, separate engines on SQLite) deliver every alert
  exactly once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import update
from sqlmodel import Session, select

from alertbot import db
from alertbot.models import AuditLog, Delivery, Role, Subscriber, TargetBounce, utcnow
from alertbot.notify.base import Channel
from alertbot.notify.email import EmailChannel
from alertbot.notify.ratelimit import TelegramRateLimiter
from alertbot.notify.telegram import TelegramChannel
from alertbot.notify.wecom import WeComChannel
from alertbot.outbox import Dispatcher, DispatchStats, RetryPolicy
from alertbot.settings import Settings
from tests.notify.botapi_standin import BotApiStandIn
from tests.notify.webhook_standin import WebhookStandIn
from tests.support.seed import add_alerts, add_bulk_alerts, add_enterprise, add_subscriber, make_records
from tests.support.smtp import SmtpRecorder, free_port
from tests.support.waiting import wait_until

REPO_ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-c", "from alertbot.cli import main; main()"]


@pytest.fixture
def factory(settings: Settings) -> Iterator[db.SessionFactory]:
    url = settings.resolved_database_url()
    db.upgrade(url)
    yield db.session_factory(settings)
    db.engine_for(url).dispose()


def statuses(factory: db.SessionFactory) -> Counter[str]:
    with factory() as session:
        return Counter(session.exec(select(Delivery.status)).all())


async def test_smtp_down_for_a_while_then_up_every_alert_arrives_once(
    settings: Settings, factory: db.SessionFactory
) -> None:
    add_enterprise(factory)
    add_subscriber(factory, name="staff", role=Role.STAFF.value, channels={"email": "staff@centre.example"})
    ids = add_bulk_alerts(factory, 20)
    port = free_port()
    patient = settings.model_copy(update={"delivery_max_attempts": 100})
    channels = {"email": EmailChannel("127.0.0.1", port=port, tls="none", timeout=2)}
    dispatcher = Dispatcher(
        patient, channels=channels, policy=RetryPolicy(base=0.05, cap=0.2), lease_seconds=5, concurrency=4
    )
    stop = asyncio.Event()
    running = asyncio.create_task(dispatcher.run(stop, interval=0.02))
    try:
        await wait_until(lambda: _min_attempts(factory) >= 2, 10, "two failed attempts per delivery")
        assert statuses(factory) == Counter({"pending": 20})  # nothing marked sent while the server is down
        server = SmtpRecorder(port).start()
        try:
            await wait_until(lambda: statuses(factory) == Counter({"sent": 20}), 20, "every delivery sent")
        finally:
            server.stop()
    finally:
        stop.set()
        stats = await running
        await dispatcher.aclose()
    assert sorted(server.alert_ids()) == ids  # every alert, exactly once
    assert stats.sent == 20
    assert stats.failed == 0
    assert stats.retried >= 40
    with factory() as session:
        rows = session.exec(select(Delivery)).all()
        assert all(row.attempts >= 3 and row.last_error is None for row in rows)


def _min_attempts(factory: db.SessionFactory) -> int:
    with factory() as session:
        return min(session.exec(select(Delivery.attempts)).all())


def _dispatcher_process(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*CLI, "notify", "dispatch", *args],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _callback_alert_ids(api: BotApiStandIn) -> list[int]:
    return [
        int(call.json_param("reply_markup")["inline_keyboard"][0][0]["callback_data"].split(":")[2])
        for call in api.calls("sendMessage", accepted_only=True)
    ]


@pytest.mark.slow
async def test_a_sigkilled_dispatcher_process_loses_nothing_and_repeats_at_most_the_one_in_flight(
    settings: Settings, factory: db.SessionFactory
) -> None:
    chats = 40
    for index in range(chats):
        add_enterprise(factory, f"e{index}", f"MARK{index}")
        add_subscriber(
            factory,
            name=f"s{index}",
            role=Role.ENTERPRISE.value,
            enterprise_id=f"e{index}",
            channels={"telegram": str(1000 + index)},
        )
    ids = [
        alert_id
        for index in range(chats)
        for alert_id in add_bulk_alerts(factory, 1, enterprise_id=f"e{index}", start=index)
    ]
    with BotApiStandIn() as api:
        env = {
            **os.environ,
            "ALERTBOT_TELEGRAM_TOKEN": api.token,
            "ALERTBOT_TELEGRAM_BASE_URL": api.base_url,
        }
        # One message in flight at a time; a 1 s lease so the restart can take the dead process's rows.
        options = ("--loop", "--concurrency", "1", "--lease", "1", "--interval", "0.05")
        first = _dispatcher_process(env, *options)
        try:
            await wait_until(lambda: len(api.calls("sendMessage", accepted_only=True)) >= 10, 30, "ten sends")
        finally:
            first.send_signal(signal.SIGKILL)
            first.communicate(timeout=10)  # also closes the pipe
        assert first.returncode == -signal.SIGKILL
        with factory() as session:
            leased = session.exec(
                select(Delivery).where(Delivery.status == "pending", Delivery.lease_owner != None)  # noqa: E711
            ).all()
        assert leased, "the kill should leave rows leased by the dead dispatcher (it died mid-batch)"
        received_before_restart = len(_callback_alert_ids(api))

        second = _dispatcher_process(env, *options)
        try:
            await wait_until(lambda: statuses(factory) == Counter({"sent": chats}), 60, "every delivery sent")
        except AssertionError as error:
            second.kill()
            raise AssertionError(
                f"{error}; {statuses(factory)}; dispatcher said:\n{second.communicate()[0]}"
            ) from None
        second.send_signal(signal.SIGTERM)
        output, _ = second.communicate(timeout=20)
        assert second.returncode == 0, output
        assert re.search(r"sent=\d+", output), output
        received = _callback_alert_ids(api)
    counts = Counter(received)
    assert set(counts) == set(ids)  # nothing lost
    repeated = [alert_id for alert_id, n in counts.items() if n > 1]
    assert len(repeated) <= 1  # at most the single delivery that was in flight at the kill
    assert all(counts[alert_id] == 2 for alert_id in repeated)
    assert received_before_restart < chats


@pytest.mark.slow
@pytest.mark.postgres
async def test_two_dispatcher_processes_on_postgresql_deliver_1000_alerts_exactly_once(
    pg_settings: Settings,
) -> None:
    url = pg_settings.resolved_database_url()
    db.upgrade(url)
    engine = db.make_engine(url)
    factory = lambda: Session(engine, expire_on_commit=False)  # noqa: E731
    try:
        add_enterprise(factory)
        add_subscriber(
            factory, name="staff", role=Role.STAFF.value, channels={"email": "staff@centre.example"}
        )
        ids = add_bulk_alerts(factory, 1000)
        with SmtpRecorder() as server:
            env = {
                **os.environ,
                "ALERTBOT_SMTP_HOST": "127.0.0.1",
                "ALERTBOT_SMTP_PORT": str(server.port),
                "ALERTBOT_SMTP_TLS": "none",
            }
            options = ("--concurrency", "8", "--limit", "50")
            workers = [_dispatcher_process(env, *options) for _ in range(2)]
            outputs = [worker.communicate(timeout=120)[0] for worker in workers]
            assert [worker.returncode for worker in workers] == [0, 0], outputs
            received = server.alert_ids()
        assert sorted(received) == ids  # every alert exactly once
        sent_per_worker = [int(re.search(r"sent=(\d+)", output).group(1)) for output in outputs]  # type: ignore[union-attr]
        assert sum(sent_per_worker) == 1000
        assert min(sent_per_worker) > 0, f"both dispatchers should have taken rows: {sent_per_worker}"
        assert statuses(factory) == Counter({"sent": 1000})
    finally:
        engine.dispose()


async def test_two_dispatchers_with_separate_engines_on_sqlite_deliver_each_alert_once(
    settings: Settings, factory: db.SessionFactory
) -> None:
    add_enterprise(factory)
    add_subscriber(factory, name="staff", role=Role.STAFF.value, channels={"email": "staff@centre.example"})
    ids = add_bulk_alerts(factory, 200)
    url = settings.resolved_database_url()
    engines = [db.make_engine(url), db.make_engine(url)]
    with SmtpRecorder() as server:
        dispatchers = [
            Dispatcher(
                settings,
                factory=lambda engine=engine: Session(engine, expire_on_commit=False),  # type: ignore[misc]
                channels={"email": EmailChannel("127.0.0.1", port=server.port, tls="none")},
                concurrency=4,
            )
            for engine in engines
        ]
        try:
            results = await asyncio.gather(*(d.drain(limit=10) for d in dispatchers))
        finally:
            for engine in engines:
                engine.dispose()
        received = server.alert_ids()
    assert sorted(received) == ids
    assert sum(r.sent for r in results) == 200
    assert all(r.sent > 0 for r in results)


# -- issue 8: configuration errors, flood waits and bounces are not failures ---------------------------------
FAST = RetryPolicy(base=0.01, factor=2.0, cap=0.05, jitter=0.5)


@pytest.fixture
def any_factory(any_settings: Settings) -> Iterator[db.SessionFactory]:
    url = any_settings.resolved_database_url()
    db.upgrade(url)
    yield db.session_factory(any_settings)
    db.engine_for(url).dispose()


def rows(factory: db.SessionFactory, *where: Any) -> list[Delivery]:
    with factory() as session:
        return list(session.exec(select(Delivery).where(*where).order_by(Delivery.id)).all())  # type: ignore[arg-type]


def make_due(factory: db.SessionFactory) -> None:
    """Let time pass: every pending row is due now (as it would be once its wait is over)."""
    with db.transaction(factory) as session:
        session.exec(
            update(Delivery).where(Delivery.status == "pending").values(next_attempt_at=utcnow())  # type: ignore[arg-type]
        )


async def drain(settings: Settings, channels: dict[str, Channel], **options: Any) -> DispatchStats:
    dispatcher = Dispatcher(
        settings, channels=channels, policy=options.pop("policy", FAST), rng=random.Random(3), **options
    )
    try:
        return await dispatcher.drain()
    finally:
        for channel in channels.values():
            await channel.aclose()


def telegram_ids(api: BotApiStandIn) -> list[int]:
    return [
        int(call.json_param("reply_markup")["inline_keyboard"][0][0]["callback_data"].split(":")[2])
        for call in api.calls("sendMessage", accepted_only=True)
        if "reply_markup" in call.params
    ]


# (case, a broken channel, the fixed channel); built per test from the stand-ins' addresses.
CONFIG_CASES = ["telegram-wrong-token", "telegram-wrong-url", "telegram-missing-token", "wecom-rejected-key"]


def _config_channels(
    case: str, api: BotApiStandIn, hook: WebhookStandIn, *, fixed: bool
) -> dict[str, Channel]:
    if case.startswith("telegram"):
        if fixed:
            return {"telegram": TelegramChannel(api.token, base_url=api.base_url, limiter=FAST_LIMITER())}
        if case == "telegram-missing-token":
            return {}
        token = "999:WRONG" if case == "telegram-wrong-token" else api.token
        base_url = (
            api.base_url.replace("/bot", "/wrong-path/bot") if case == "telegram-wrong-url" else api.base_url
        )
        return {"telegram": TelegramChannel(token, base_url=base_url, limiter=FAST_LIMITER())}
    return {"wecom": WeComChannel(f"{hook.url}/cgi-bin/webhook/send", "good-key" if fixed else "old-key")}


def FAST_LIMITER() -> TelegramRateLimiter:
    return TelegramRateLimiter(overall_period=0.01, per_chat_interval=0.01, group_period=0.6, margin=0.0002)


@pytest.mark.parametrize("case", CONFIG_CASES)
async def test_a_configuration_error_holds_deliveries_until_the_fix_then_each_goes_out_once(
    any_settings: Settings, any_factory: db.SessionFactory, case: str
) -> None:
    channel_name = case.split("-")[0]
    add_enterprise(any_factory)
    add_subscriber(
        any_factory, name="staff", role=Role.STAFF.value, channels={"email": "staff@centre.example"}
    )
    add_subscriber(
        any_factory,
        name="acme",
        role=Role.ENTERPRISE.value,
        enterprise_id="acme",
        channels={channel_name: "4242" if channel_name == "telegram" else ""},
    )
    ids = add_alerts(any_factory, make_records(3))
    strict = any_settings.model_copy(
        update={"delivery_max_attempts": 1}
    )  # one counted attempt would fail them
    with BotApiStandIn() as api, WebhookStandIn() as hook, SmtpRecorder() as smtp:
        if channel_name == "wecom":
            # One refusal per run: after the first, the run holds the channel's other rows without a request.
            hook.reply_next({"errcode": 93000, "errmsg": "invalid webhook url"}, count=2)
        email = {"email": EmailChannel("127.0.0.1", port=smtp.port, tls="none")}
        for _ in range(2):  # the first run, and a re-check later with the configuration still broken
            stats = await drain(
                strict, {**email, **_config_channels(case, api, hook, fixed=False)}, concurrency=1
            )
            make_due(any_factory)
            held = rows(any_factory, Delivery.channel == channel_name)
            assert [(r.status, r.attempts) for r in held] == [("pending", 0)] * 3, [
                r.last_error for r in held
            ]
            assert all(r.config_hold and r.last_error for r in held)
            assert stats.failed == 0
        assert telegram_ids(api) == []
        # Staff heard about it once, in one notice, over the channel that works.
        notices = [m for m in smtp.messages if "configuration" in str(m["Subject"])]
        assert len(notices) == 1, [str(m["Subject"]) for m in smtp.messages]
        assert sorted(smtp.alert_ids()) == ids  # the staff's own alert e-mails went out meanwhile

        with any_factory() as session:  # the next due time is the re-check, not now: the fix releases them
            session.exec(update(Delivery).values(next_attempt_at=utcnow() + dt.timedelta(hours=1)))  # type: ignore[call-overload]
            session.commit()
        stats = await drain(strict, {**email, **_config_channels(case, api, hook, fixed=True)})
        sent = rows(any_factory, Delivery.channel == channel_name)
        assert [(r.status, r.attempts, r.config_hold) for r in sent] == [("sent", 1, None)] * 3
        if channel_name == "telegram":
            assert sorted(telegram_ids(api)) == ids  # each exactly once
        else:
            accepted = [c for c in hook.calls if c.param("key") == "good-key"]
            assert len(accepted) == 3
            assert sorted(int(re.search(r"#(\d+)", str(c.body)).group(1)) for c in accepted) == ids  # type: ignore[union-attr]
        assert len([m for m in smtp.messages if "configuration" in str(m["Subject"])]) == 1


@pytest.mark.parametrize("retry_after", [300.0, 1e11])
async def test_flood_waits_are_not_attempts_are_capped_and_a_one_shot_dispatch_does_not_sleep(
    any_settings: Settings, any_factory: db.SessionFactory, retry_after: float
) -> None:
    add_enterprise(any_factory)
    for chat in (1, 2, 3):
        add_subscriber(
            any_factory, name=f"s{chat}", role=Role.ENTERPRISE.value, enterprise_id="acme",
            channels={"telegram": str(chat)},
        )  # fmt: skip
    ids = add_alerts(any_factory, make_records(2))
    strict = any_settings.model_copy(update={"delivery_max_attempts": 2})
    with BotApiStandIn() as api:
        for _ in range(4):  # four flood waits in a row: more than the attempts allowed
            api.fail_next("sendMessage", 1, 429, retry_after=retry_after)
            before = utcnow()
            started = time.monotonic()
            # Real limits and the default policy: the dispatcher decides, with nothing shrunk for the test.
            stats = await drain(
                strict, {"telegram": TelegramChannel(api.token, base_url=api.base_url)}, policy=RetryPolicy(),
                concurrency=1,
            )  # fmt: skip
            assert time.monotonic() - started < 10, "a one-shot dispatch must defer, not sleep"
            assert (stats.deferred, stats.retried, stats.failed, stats.sent) == (6, 0, 0, 0)
            waiting = rows(any_factory)
            assert {(r.status, r.attempts) for r in waiting} == {("pending", 0)}
            expected = min(retry_after, RetryPolicy().max_retry_after)
            for row in waiting:
                assert before + dt.timedelta(seconds=expected) <= row.next_attempt_at
                assert row.next_attempt_at <= utcnow() + dt.timedelta(seconds=expected * 1.1 + 1)
            make_due(any_factory)
        assert len(api.calls("sendMessage")) == 4  # one request per run: the pause holds the others back
        stats = await drain(strict, {"telegram": TelegramChannel(api.token, base_url=api.base_url)})
        assert stats.sent == 6
        assert sorted(telegram_ids(api)) == sorted(ids * 3)
    assert {(r.status, r.attempts) for r in rows(any_factory)} == {("sent", 1)}


class RefusingHandler:
    """aiosmtpd handler: refuses at RCPT the addresses in ``refuse`` (or every address, ``refuse_all``)."""

    def __init__(self) -> None:
        self.refuse: dict[str, str] = {}
        self.refuse_all: str | None = None
        self.accepted: list[tuple[list[str], bytes]] = []
        self.rcpt_attempts: list[str] = []

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        self.rcpt_attempts.append(address)
        refusal = self.refuse_all or self.refuse.get(address)
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.accepted.append((list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 OK"

    def alert_ids(self, address: str) -> list[int]:
        found = []
        for recipients, content in self.accepted:
            match = re.search(rb"X-Alertbot-Alert-Ids: ([\d,]+)", content)
            if address in recipients and match:
                found += [int(i) for i in match.group(1).split(b",")]
        return found


@pytest.fixture
def refusing_smtp() -> Iterator[tuple[RefusingHandler, int]]:
    handler = RefusingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def _subscribers(factory: db.SessionFactory) -> dict[str, tuple[bool, dict[str, str]]]:
    with factory() as session:
        return {s.name: (s.active, dict(s.channels)) for s in session.exec(select(Subscriber)).all()}


async def test_smtp_relay_denied_is_one_staff_notice_and_never_a_deactivation(
    any_settings: Settings, any_factory: db.SessionFactory, refusing_smtp: tuple[RefusingHandler, int]
) -> None:
    handler, port = refusing_smtp
    handler.refuse_all = "550 5.7.1 <x@y>: Relaying denied"
    add_enterprise(any_factory)
    add_subscriber(
        any_factory, name="staff", role=Role.STAFF.value, channels={"telegram": "1", "email": "s@c.example"}
    )
    add_subscriber(
        any_factory, name="mail only", role=Role.ENTERPRISE.value, enterprise_id="acme",
        channels={"email": "a@acme.example"}, telegram_user_id=7001,
    )  # fmt: skip
    add_subscriber(
        any_factory, name="both", role=Role.ENTERPRISE.value, enterprise_id="acme",
        channels={"email": "b@acme.example", "telegram": "2"}, telegram_user_id=7002,
    )  # fmt: skip
    ids = add_alerts(any_factory, make_records(2))
    before = _subscribers(any_factory)
    with BotApiStandIn() as api:

        def channels() -> dict[str, Channel]:
            return {
                "email": EmailChannel("127.0.0.1", port=port, tls="none"),
                "telegram": TelegramChannel(api.token, base_url=api.base_url, limiter=FAST_LIMITER()),
            }

        for _ in range(3):  # three dispatches while the server refuses to relay
            stats = await drain(any_settings, channels())
            assert (stats.deactivated, stats.failed) == (0, 0)
            make_due(any_factory)
        assert _subscribers(any_factory) == before  # nobody lost an address or bot access
        with any_factory() as session:
            assert (
                session.exec(select(AuditLog).where(AuditLog.action == "subscriber.deactivate_target")).all()
                == []
            )
        mails = rows(any_factory, Delivery.channel == "email", Delivery.kind == "alert")
        assert {(r.status, r.attempts) for r in mails} == {("pending", 0)}
        notices = [t for t in api.sent_texts("1") if "Relaying denied" in t]
        assert len(notices) == 1, api.sent_texts("1")  # staff told once, on the channel that works

        handler.refuse_all = None  # the mail server is fixed; the held mails go out at their re-check
        stats = await drain(any_settings, channels())
    assert stats.sent == 6 + 1  # 2 alerts x 3 addresses, and the staff e-mail copy of the notice
    for address in ("s@c.example", "a@acme.example", "b@acme.example"):
        assert sorted(handler.alert_ids(address)) == ids


async def test_an_unknown_mailbox_is_switched_off_after_three_separate_passes_and_only_that_address(
    any_settings: Settings, any_factory: db.SessionFactory, refusing_smtp: tuple[RefusingHandler, int]
) -> None:
    handler, port = refusing_smtp
    handler.refuse = {
        "gone@acme.example": "550 5.1.1 <gone@acme.example>: Recipient address rejected: User unknown"
    }
    add_enterprise(any_factory)
    add_subscriber(any_factory, name="staff", role=Role.STAFF.value, channels={"telegram": "1"})
    add_subscriber(
        any_factory, name="gone", role=Role.ENTERPRISE.value, enterprise_id="acme",
        channels={"email": "gone@acme.example"}, telegram_user_id=7001,
    )  # fmt: skip
    add_subscriber(
        any_factory, name="fine", role=Role.ENTERPRISE.value, enterprise_id="acme",
        channels={"email": "fine@acme.example"},
    )  # fmt: skip
    ids = add_alerts(any_factory, make_records(2))  # two rows to the dead address in every pass
    with BotApiStandIn() as api:
        for strike in (1, 2, 3):
            channels: dict[str, Channel] = {
                "email": EmailChannel("127.0.0.1", port=port, tls="none"),
                "telegram": TelegramChannel(api.token, base_url=api.base_url, limiter=FAST_LIMITER()),
            }
            dispatcher = Dispatcher(any_settings, channels=channels, policy=FAST)
            try:
                stats = await dispatcher.dispatch_once()
            finally:
                await dispatcher.aclose()
                for channel in channels.values():
                    await channel.aclose()
            with any_factory() as session:
                [bounce] = session.exec(select(TargetBounce)).all()
            assert (bounce.target, bounce.strikes) == ("gone@acme.example", strike)  # one per pass
            if strike < 3:
                assert stats.deactivated == 0
                assert _subscribers(any_factory)["gone"] == (True, {"email": "gone@acme.example"})
                assert {r.status for r in rows(any_factory, Delivery.target == "gone@acme.example")} == {
                    "pending"
                }
            make_due(any_factory)
        assert stats.deactivated == 1
        subscribers = _subscribers(any_factory)
        assert subscribers["gone"] == (True, {})  # the address is off; the bot access stays
        assert subscribers["fine"] == (True, {"email": "fine@acme.example"})
        assert subscribers["staff"] == (True, {"telegram": "1"})
        dead = rows(any_factory, Delivery.target == "gone@acme.example")
        assert {r.status for r in dead} == {"failed"}
        assert sorted(handler.alert_ids("fine@acme.example")) == ids  # exactly once each
        await drain(any_settings, {"telegram": TelegramChannel(api.token, base_url=api.base_url)})
        assert any("User unknown" in text for text in api.sent_texts("1"))  # staff told
