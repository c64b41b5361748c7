"""The Scrapyd backend against real Scrapyd 1.6 nodes on loopback, with the project deployed as an egg.

Two nodes share the PostgreSQL database. The fixture source hangs on its first download, so the job sits on
the first node; that node is killed (its whole process group, like a crashed host), the backend notices it
stopped answering and schedules the job on the second node, whose crawl stores the records and raises the
alert in PostgreSQL. The dead node's half-open run is closed as failed.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from alertbot import db
from alertbot.db import transaction
from alertbot.models import Alert, CrawlRun, Enterprise, Record
from alertbot.service.crawls import CrawlManager
from alertbot.settings import Settings
from alertbot.sources import set_url
from tests.conftest import REPO_ROOT
from tests.spiders.standins import fixture_bytes, start_server, zip_bytes

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def build_egg(workdir: Path) -> Path:
    """The spiders package as a Scrapy project egg, built by scrapyd-client like `scrapyd-deploy` would."""
    project = workdir / "project"
    shutil.copytree(
        REPO_ROOT / "spiders", project / "spiders", ignore=shutil.ignore_patterns("samples", "__pycache__")
    )
    shutil.copy(REPO_ROOT / "scrapy.cfg", project / "scrapy.cfg")
    egg = workdir / "alertbot.egg"
    subprocess.run(
        [str(BIN / "scrapyd-deploy"), "--build-egg", str(egg)], cwd=project, check=True, capture_output=True
    )
    return egg


class Node:
    """One Scrapyd process in its own directory and process group."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root = root
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        root.mkdir(parents=True)
        (root / "scrapyd.conf").write_text(
            "[scrapyd]\n"
            "bind_address = 127.0.0.1\n"
            f"http_port = {self.port}\n"
            f"eggs_dir = {root / 'eggs'}\n"
            f"logs_dir = {root / 'logs'}\n"
            f"dbs_dir = {root / 'dbs'}\n"
            "items_dir =\n"
            "poll_interval = 0.5\n"
            "max_proc = 2\n",
            encoding="utf-8",
        )
        self.log = root / "scrapyd.log"
        with self.log.open("wb") as sink:
            self.process = subprocess.Popen(
                [str(BIN / "scrapyd")],
                cwd=root,
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.url}/daemonstatus.json", timeout=5).json().get("status") == "ok":
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise AssertionError("scrapyd did not start:\n" + self.log.read_text(errors="replace"))
            time.sleep(0.2)

    def deploy(self, egg: Path) -> None:
        with egg.open("rb") as data:
            answer = httpx.post(
                f"{self.url}/addversion.json",
                data={"project": "alertbot", "version": "1"},
                files={"egg": ("alertbot.egg", data)},
                timeout=60,
            ).json()
        assert answer["status"] == "ok", answer
        assert (
            "uspto_tm_daily"
            in httpx.get(f"{self.url}/listspiders.json", params={"project": "alertbot"}, timeout=60).json()[
                "spiders"
            ]
        )

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


@pytest.fixture
def nodes(tmp_path: Path, pg_settings: Settings) -> Iterator[list[Node]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALERTBOT_")}
    env.update(ALERTBOT_DATABASE_URL=pg_settings.resolved_database_url())
    egg = build_egg(tmp_path)
    started: list[Node] = []
    try:
        for name in ("node-a", "node-b"):
            started.append(Node(tmp_path / name, env))
        for node in started:
            node.deploy(egg)
        yield started
    finally:
        for node in started:
            node.kill()


def test_a_dead_nodes_job_is_retried_on_another_and_lands_in_postgres(
    nodes: list[Node], pg_settings: Settings, tmp_path: Path
) -> None:
    url = pg_settings.resolved_database_url()
    db.upgrade(url)
    factory = db.session_factory(pg_settings)
    with transaction(factory) as session:
        session.add(Enterprise(id="suveneer", name_en="Suveneer Paper", marks=["SUVENEER"], classes=[16]))
    www = tmp_path / "www"
    www.mkdir()
    server, httpd, thread = start_server(www)
    gazette = zip_bytes({"apc240925.xml": fixture_bytes("uspto_tm_daily", "uspto-tm-daily.sample.xml")})
    calls: list[float] = []

    def first_hangs(_request):  # type: ignore[no-untyped-def]
        calls.append(time.monotonic())
        if len(calls) == 1:
            time.sleep(60)
        return 200, {}, gazette

    server.routes["/flaky/apc240925.zip"] = first_hangs
    with transaction(factory) as session:
        set_url(session, "uspto_tm_daily", server.url("flaky/apc240925.zip"), actor="test")
    first, second = nodes
    settings = pg_settings.model_copy(
        update={"crawl_backend": "scrapyd", "scrapyd_urls": f"{first.url},{second.url}", "crawl_timeout": 120}
    )

    async def main():  # type: ignore[no-untyped-def]
        manager = CrawlManager(settings, factory)
        crawl = asyncio.create_task(manager.crawl("uspto_tm_daily", reason="test"))
        deadline = time.monotonic() + 60
        while not calls:
            assert time.monotonic() < deadline, (first.root / "logs").exists()
            assert not crawl.done(), crawl.result()  # the outcome says why it ended early
            await asyncio.sleep(0.2)
        first.kill()  # node A dies with the job on it
        return await asyncio.wait_for(crawl, 90)

    try:
        outcome = asyncio.run(main())
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
    assert len(calls) == 2  # downloaded again, by node B
    assert outcome.status == "ok", outcome
    assert outcome.records == 2
    assert outcome.alerts >= 1
    with factory() as session:
        runs = session.exec(select(CrawlRun).order_by(CrawlRun.id)).all()
        assert [run.status for run in runs] == ["error", "ok"]
        assert "without closing" in (runs[0].error_detail or "")
        assert {record.native_id for record in session.exec(select(Record)).all()} == {"98763166", "79366581"}
        alerts = session.exec(select(Alert)).all()
        assert [alert.enterprise_id for alert in alerts] == ["suveneer"]
    db.dispose_engine(url)
