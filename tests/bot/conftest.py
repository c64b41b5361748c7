"""One real ``alertbot bot`` process per test module, polling the Bot API stand-in on loopback, over a seeded
SQLite database that the tests read and write too."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from alertbot import db
from alertbot.db import SessionFactory, transaction
from alertbot.expo import close_snapshot, load_editions
from alertbot.ingest import Ingestor
from alertbot.models import Enterprise, Role
from alertbot.settings import Settings
from spiders.base.expo import build_exhibitor
from tests.bot.standin import BotStandIn
from tests.conftest import POSTGRES_ADMIN_URL, _postgres_available
from tests.support.seed import add_alerts, add_subscriber, make_records

STAFF, ACME, BLOWER, ENFORCER, MULTI = 501, 502, 503, 504, 505
FILLER_ENTRIES = 20
"""Extra watchlist entries so /watch list needs more than one page."""


@dataclass
class RunningBot:
    """The stand-in, the database and the bot process the module's tests share."""

    api: BotStandIn
    factory: SessionFactory
    settings: Settings
    process: subprocess.Popen[bytes]
    log: Path
    acme_alert: int
    blower_alert: int


EXPO = "giic-2026"
"""The bundled edition nearest to today's date once both 2026 shows are over: the bot's "current show"."""
EXHIBITORS = [
    ("新淞智能装备有限公司", "E10-A2"),  # a homophone of 新松 (siasun)
    ("沈阳新松机器人自动化股份有限公司", "E2-A001"),  # siasun itself: no alert
    ("营口恒信液压设备有限公司", "W1-A320"),
]


def ingest_exhibitors(settings: Settings) -> None:
    """The exhibitors of the current show, through the real ingestion (matching, alerts)."""
    edition = load_editions(settings)[EXPO]
    ingestor = Ingestor.open(edition.id, "expo_exhibitors", settings=settings, kind="expo")
    for name, booth in EXHIBITORS:
        ingestor.add(build_exhibitor(edition, {"name_raw": name, "booth": booth}, "t"))  # type: ignore[arg-type]
    ingestor.close()
    close_snapshot(ingestor.factory, edition.id, ingestor.run_id)


def seed(factory: SessionFactory, settings: Settings) -> tuple[int, int]:
    """Enterprises (Chinese and Latin marks), one user per role, the current show's exhibitors, and one
    alert each for acme and blower."""
    with transaction(factory) as session:
        session.add_all(
            [
                Enterprise(
                    id="siasun",
                    name_zh="沈阳新松机器人自动化股份有限公司",
                    name_en="SIASUN Robot & Automation Co., Ltd.",
                    marks=["SIASUN", "新松"],
                    classes=[7, 9],
                    affiliates=["新松机器人（香港）有限公司"],
                ),
                Enterprise(
                    id="blower",
                    name_zh="沈阳鼓风机集团股份有限公司",
                    name_en="Shenyang Blower Works Group Corp.",
                    marks=["沈鼓", "SHENGU"],
                    classes=[7],
                ),
                Enterprise(
                    id="acme", name_zh="ACME机械", name_en="ACME Machinery", marks=["ACME"], classes=[7]
                ),
                *(
                    Enterprise(
                        id=f"filler{n:02d}", name_zh=f"填充企业{n}", marks=[f"ZQXWV{n:02d}"], classes=[12]
                    )
                    for n in range(FILLER_ENTRIES)
                ),
            ]
        )
    users = [
        (STAFF, "centre", Role.STAFF, [], "zh"),
        (ACME, "acme-ip", Role.ENTERPRISE, ["acme"], "en"),
        (BLOWER, "blower-ip", Role.ENTERPRISE, ["blower"], "zh"),
        (ENFORCER, "floor-team", Role.ENFORCEMENT, [], "en"),
        (MULTI, "group-ip", Role.ENTERPRISE, ["siasun", "blower"], "zh"),
    ]
    for user_id, name, role, enterprises, lang in users:
        add_subscriber(
            factory,
            name=name,
            role=role.value,
            enterprise_id=enterprises[0] if enterprises else None,
            enterprise_ids=enterprises,
            language=lang,
            telegram_user_id=user_id,
            channels={"telegram": str(user_id)},
        )
    ingest_exhibitors(settings)
    [acme_alert] = add_alerts(factory, make_records(1, text="ACME"))
    [blower_alert] = add_alerts(
        factory, make_records(1, start=10, text="SHENGU"), enterprise_id="blower", mark="SHENGU"
    )
    return acme_alert, blower_alert


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh database for the module's bot: a SQLite file, then a new PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('botdb') / 'alertbot.sqlite'}"
        return
    if not _postgres_available():
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required in CI but {POSTGRES_ADMIN_URL} does not answer")
        pytest.skip(f"PostgreSQL at {POSTGRES_ADMIN_URL} does not answer")
    schema = f"bot_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_ADMIN_URL)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in POSTGRES_ADMIN_URL else "?"
    url = f"{POSTGRES_ADMIN_URL}{separator}options=-csearch_path%3D{schema}"
    try:
        yield url
    finally:
        db.dispose_engine(url)
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture(scope="module")
def running_bot(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[RunningBot]:
    """Start the stand-in and ``alertbot bot`` (on SQLite, then on PostgreSQL); stop the bot with SIGTERM
    afterwards and check it stopped cleanly."""
    folder = tmp_path_factory.mktemp("bot")
    url = database_url
    settings = Settings(database_url=url, data_dir=folder / "data", outbox_dir=folder / "outbox")
    db.upgrade(url)
    factory = db.session_factory(settings)
    acme_alert, blower_alert = seed(factory, settings)
    with BotStandIn() as api:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ALERTBOT_")}
        env.update(
            ALERTBOT_DATABASE_URL=url,
            ALERTBOT_DATA_DIR=str(folder / "data"),
            ALERTBOT_OUTBOX_DIR=str(folder / "outbox"),
            ALERTBOT_TELEGRAM_TOKEN=api.token,
            ALERTBOT_TELEGRAM_BASE_URL=api.base_url,
            ALERTBOT_RETRO_MATCH_DAYS="3650",
        )
        log = folder / "bot.log"
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [str(Path(sys.executable).parent / "alertbot"), "bot"],
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 90  # a loaded CI machine imports slowly
        # Polling started and the command menus are set: the default scope twice (zh, en) and each user's.
        while not api.calls("getUpdates") or len(api.calls("setMyCommands")) < 2 + 5:
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("the bot did not start polling:\n" + log.read_text(errors="replace"))
            time.sleep(0.05)
        running = RunningBot(api, factory, settings, process, log, acme_alert, blower_alert)
        try:
            yield running
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                code = process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                raise
            output = log.read_text(errors="replace")
            db.dispose_engine(url)
            assert code == 0, output
            assert "bot stopped" in output
            assert "Traceback" not in output, output
