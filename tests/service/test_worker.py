"""``alertbot worker``: a dispatch-only process with its Prometheus endpoint, stopped cleanly by SIGTERM."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from alertbot import db
from alertbot.models import Delivery, DeliveryStatus, Role
from alertbot.settings import Settings
from tests.notify.conftest import free_port
from tests.support.seed import add_alerts, add_enterprise, add_subscriber, make_records

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def test_worker_dispatches_serves_metrics_and_stops_cleanly(pg_settings: Settings, tmp_path: Path) -> None:
    # PostgreSQL only: extra workers are a multi-process deployment, which needs it.
    any_settings = pg_settings
    url = any_settings.resolved_database_url()
    db.upgrade(url)
    factory = db.session_factory(any_settings)
    add_enterprise(factory)
    add_subscriber(factory, name="centre", role=Role.STAFF.value, channels={"file": "centre@example.org"})
    add_alerts(factory, make_records(2))
    with factory() as session:
        assert len(session.exec(select(Delivery)).all()) == 2
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALERTBOT_")}
    env.update(
        ALERTBOT_DATABASE_URL=url,
        ALERTBOT_DATA_DIR=str(any_settings.data_dir),
        ALERTBOT_OUTBOX_DIR=str(tmp_path / "outbox"),
        ALERTBOT_METRICS_PORT=str(port),
        ALERTBOT_RECONCILE_INTERVAL="0.5",
    )
    log = tmp_path / "worker.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "alertbot"), "worker"],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        metrics = ""
        while 'alertbot_deliveries{status="sent"} 2.0' not in metrics:
            assert time.monotonic() < deadline, log.read_text(errors="replace") + metrics
            assert process.poll() is None, log.read_text(errors="replace")
            with contextlib.suppress(httpx.HTTPError):
                metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
            time.sleep(0.2)
        assert "alertbot_outbox_depth 0.0" in metrics
        assert "alertbot_leader 0.0" in metrics  # a worker never leads
        assert len(list((tmp_path / "outbox").rglob("*.eml"))) == 2
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
    output = log.read_text(errors="replace")
    assert code == 0, output
    assert "alertbot worker started" in output
    assert "elected leader" not in output
    assert "alertbot stopped" in output
    with factory() as session:
        rows = session.exec(select(Delivery)).all()
    outcomes = [(row.id, row.kind, row.status, row.attempts, row.last_error) for row in rows]
    assert {row.status for row in rows} == {DeliveryStatus.SENT.value}, outcomes
    assert all(row.lease_owner is None for row in rows)
    db.dispose_engine(url)
