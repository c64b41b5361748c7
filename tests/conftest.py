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
