"""Shared fixtures: an isolated settings/database per test, and PostgreSQL schemas on the local server."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from alertbot import db
from alertbot.settings import Settings, get_settings

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
if "PYTEST_XDIST_WORKER" in os.environ:
    # pytest-xdist workers start with COLUMNS=80 and LINES=24 in their environment, which a plain run does
    # not have. rich fixes a console's width from COLUMNS when the console is made (alertbot.cli makes its
    # consoles at import), so the CLI tests that widen the output with COLUMNS at invoke time would get
    # 80-column tables. Drop them, so a worker sees the environment a plain `pytest` run sees.
    for _name in ("COLUMNS", "LINES"):
        os.environ.pop(_name, None)

POSTGRES_ADMIN_URL = os.environ.get(
    "ALERTBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Settings pointing at a fresh SQLite file and outbox under tmp_path, also exported to the environment
    so subprocesses (spiders, dispatchers) see the same database."""
    for key in list(os.environ):
        if key.startswith("ALERTBOT_") and key != "ALERTBOT_TEST_POSTGRES_URL":
            monkeypatch.delenv(key)
    monkeypatch.setenv("ALERTBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ALERTBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'data' / 'alertbot.sqlite'}")
    monkeypatch.setenv("ALERTBOT_OUTBOX_DIR", str(tmp_path / "outbox"))
    get_settings.cache_clear()
    current = get_settings()
    yield current
    db.dispose_engine(current.resolved_database_url())
    get_settings.cache_clear()


def _postgres_available() -> bool:
    try:
        engine = sa.create_engine(POSTGRES_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.exec_driver_sql("select 1")
        engine.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The admin URL of the local PostgreSQL server; skipped where absent, but required when CI=true."""
    if not _postgres_available():
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required in CI but {POSTGRES_ADMIN_URL} does not answer")
        pytest.skip(f"PostgreSQL at {POSTGRES_ADMIN_URL} does not answer")
    return POSTGRES_ADMIN_URL


@pytest.fixture
def pg_url(postgres_server: str) -> Iterator[str]:
    """A URL whose search_path is a fresh, empty schema; the schema is dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_server)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in postgres_server else "?"
    url = f"{postgres_server}{separator}options=-csearch_path%3D{schema}"
    yield url
    db.dispose_engine(url)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    admin.dispose()


@pytest.fixture
def pg_settings(pg_url: str, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Like ``settings`` but on a fresh PostgreSQL schema."""
    monkeypatch.setenv("ALERTBOT_DATABASE_URL", pg_url)
    get_settings.cache_clear()
    current = get_settings()
    yield current
    db.dispose_engine(pg_url)
    get_settings.cache_clear()


@pytest.fixture(params=["sqlite", "postgres"])
def any_settings(request: pytest.FixtureRequest) -> Settings:
    """The same test on SQLite (embedded) and on PostgreSQL (multi-process deployments)."""
    return request.getfixturevalue("settings" if request.param == "sqlite" else "pg_settings")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist (``--dist loadfile`` in pyproject.toml), hand out the modules that hold ``slow``
    tests (end-to-end runs of subprocesses, minutes long) first, so no worker starts one of them while the
    others have nothing left to do. The order within a module, and a plain run's order, stay as collected."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return
    slow_modules = {item.path for item in items if item.get_closest_marker("slow") is not None}
    items.sort(key=lambda item: item.path not in slow_modules)  # stable: collection order otherwise
