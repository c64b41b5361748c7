"""Leader election on PostgreSQL: exactly one process leads; a standby takes over when the leader dies."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from alertbot import db
from alertbot.service.leader import Leadership
from alertbot.settings import Settings

pytestmark = pytest.mark.postgres


def test_one_leader_per_database_schema(pg_url: str, settings: Settings) -> None:
    async def main() -> None:
        first, second = Leadership(pg_url), Leadership(pg_url)
        sqlite = Leadership(settings.resolved_database_url())
        try:
            assert await first.acquire()
            assert not await second.acquire()
            assert await first.check()
            await first.release()
            assert await second.acquire()
            assert not await first.acquire()
            assert await sqlite.acquire()  # SQLite: the one process is the leader
        finally:
            for leadership in (first, second):
                await leadership.release()

    asyncio.run(main())


def test_leader_connection_lost_means_stepping_down(pg_url: str, postgres_server: str) -> None:
    import sqlalchemy as sa

    async def main() -> None:
        leader, standby = Leadership(pg_url), Leadership(pg_url)
        assert await leader.acquire()
        # The server ends the leader's session (a network cut, a restarted pgbouncer …).
        admin = sa.create_engine(postgres_server)
        with admin.begin() as conn:
            conn.execute(
                sa.text(
                    "select pg_terminate_backend(pid) from pg_locks where locktype = 'advisory' and objid = :k"
                ),
                {"k": leader.key & 0xFFFFFFFF},
            )
        admin.dispose()
        assert not await leader.check()
        assert await standby.acquire()
        await standby.release()

    asyncio.run(main())


def _start(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as sink:
        return subprocess.Popen(
            [str(Path(sys.executable).parent / "alertbot"), "run"],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )


def _wait_for(log: Path, text: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while text not in log.read_text(errors="replace"):
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} not in {log.name}:\n{log.read_text(errors='replace')[-4000:]}")
        time.sleep(0.1)


@pytest.mark.slow
def test_two_processes_one_leader_and_takeover(pg_url: str, tmp_path: Path) -> None:
    db.upgrade(pg_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALERTBOT_")}
    env.update(
        ALERTBOT_DATABASE_URL=pg_url,
        ALERTBOT_DATA_DIR=str(tmp_path / "data"),
        ALERTBOT_OUTBOX_DIR=str(tmp_path / "outbox"),
        ALERTBOT_LEADER_RETRY="0.5",
        ALERTBOT_RECONCILE_INTERVAL="1",
    )
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    first = _start(env, first_log)
    second: subprocess.Popen[bytes] | None = None
    try:
        _wait_for(first_log, "elected leader", 60)
        second = _start(env, second_log)
        _wait_for(second_log, "service started", 60)
        time.sleep(2.0)  # four election rounds: the standby must not lead while the first lives
        assert "elected leader" not in second_log.read_text(errors="replace")
        first.kill()  # the leader dies without a goodbye; PostgreSQL frees its lock with its session
        first.wait(timeout=10)
        _wait_for(second_log, "elected leader", 30)
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=30) == 0
        assert "alertbot stopped" in second_log.read_text(errors="replace")
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait(timeout=10)
        db.dispose_engine(pg_url)
