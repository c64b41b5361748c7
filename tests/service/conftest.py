"""Helpers for the service tests: a migrated database and crawl runs written as a spider would."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from alertbot import db
from alertbot.db import SessionFactory, transaction
from alertbot.models import CrawlRun, Role, SourceConfig
from alertbot.settings import Settings
from tests.support.seed import add_subscriber

T0 = dt.datetime(2026, 3, 2, 0, 0, tzinfo=dt.UTC)  # a Monday; every test clock starts here


@pytest.fixture
def factory(any_settings: Settings) -> SessionFactory:
    """A migrated database (SQLite and PostgreSQL)."""
    db.upgrade(any_settings.resolved_database_url())
    return db.session_factory(any_settings)


@pytest.fixture
def sqlite_factory(settings: Settings) -> SessionFactory:
    """A migrated SQLite database."""
    db.upgrade(settings.resolved_database_url())
    return db.session_factory(settings)


def add_staff(factory: SessionFactory, name: str = "centre") -> int:
    """An active staff subscriber on the file channel."""
    return add_subscriber(factory, name=name, role=Role.STAFF.value, channels={"file": f"{name}@example.org"})


def add_source(factory: SessionFactory, name: str, created: dt.datetime, **fields: Any) -> None:
    """A SourceConfig row set up at ``created``."""
    with transaction(factory) as session:
        session.add(SourceConfig(name=name, spider=fields.pop("spider", name), created_at=created, **fields))


def add_run(
    factory: SessionFactory,
    spider: str,
    started: dt.datetime,
    *,
    status: str = "ok",
    seen: int = 100,
    new: int = 10,
    source_key: str = "uspto-tm",
    stats: dict[str, Any] | None = None,
    error: str | None = None,
) -> int:
    """A finished crawl run, as the ingest pipeline would have recorded it."""
    with transaction(factory) as session:
        run = CrawlRun(
            source_key=source_key,
            spider=spider,
            started_at=started,
            finished_at=started + dt.timedelta(minutes=5),
            status=status,
            records_seen=seen,
            records_new=new,
            stats=stats or {},
            error_detail=error,
        )
        session.add(run)
        session.flush()
        assert run.id is not None
        return run.id
