"""Delivery under faults, asserted on what the real servers received:

* SMTP down for a while, then up (aiosmtpd started later on the same port): every alert arrives, once;
* a real dispatcher process (``alertbot notify dispatch --loop``) is SIGKILLed mid-batch and restarted: every
  alert arrives, and none twice beyond the single delivery in flight;
* concurrent dispatchers (separate processes on PostgreSQL, separate engines on SQLite) deliver every alert
  exactly once.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, select

from alertbot import db
from alertbot.models import Delivery, Role
from alertbot.notify.email import EmailChannel
from alertbot.outbox import Dispatcher, RetryPolicy
from alertbot.settings import Settings
from tests.notify.botapi_standin import BotApiStandIn
from tests.support.seed import add_bulk_alerts, add_enterprise, add_subscriber
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
