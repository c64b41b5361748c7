"""Engine and session factories, and schema migrations.

No module keeps a global session: callers get a :class:`SessionFactory` and open short sessions from it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.resources import files
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from alertbot.settings import Settings, get_settings

log = logging.getLogger(__name__)

SessionFactory = Callable[[], Session]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers (bot, status) run while a crawl writes; busy_timeout makes a second writer wait
    # instead of failing at once (notes/libraries.md §5).
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL and a busy timeout, its parent folder is created."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            from pathlib import Path

            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


_ENGINES: dict[str, Engine] = {}


def engine_for(url: str) -> Engine:
    """One shared engine per URL per process (a service uses one or two URLs; tests dispose theirs)."""
    engine = _ENGINES.get(url)
    if engine is None:
        engine = _ENGINES[url] = make_engine(url)
    return engine


def dispose_engine(url: str) -> None:
    """Close the pooled connections of the shared engine for ``url`` and forget it."""
    engine = _ENGINES.pop(url, None)
    if engine is not None:
        engine.dispose()


def session_factory(settings: Settings | None = None) -> SessionFactory:
    """A factory of sessions on the configured database."""
    engine = engine_for((settings or get_settings()).resolved_database_url())

    def _open() -> Session:
        return Session(engine, expire_on_commit=False)

    return _open


@contextmanager
def transaction(factory: SessionFactory) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with factory() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def alembic_config(url: str) -> Config:
    """Alembic configuration pointing at the migrations shipped inside the package."""
    config = Config()
    config.set_main_option("script_location", str(files("alertbot") / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Run migrations up to ``revision`` (both SQLite and PostgreSQL)."""
    target = url or get_settings().resolved_database_url()
    if target.startswith("sqlite"):
        make_engine(target).dispose()
    command.upgrade(alembic_config(target), revision)


def current_revision(url: str | None = None) -> str | None:
    """The revision the database is at, or None if it was never migrated."""
    from alembic.runtime.migration import MigrationContext

    engine = engine_for(url or get_settings().resolved_database_url())
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
