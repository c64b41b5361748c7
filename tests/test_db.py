"""Migrations run on SQLite and PostgreSQL and produce the same tables as the models."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import SQLModel
from typer.testing import CliRunner

import alertbot.models  # noqa: F401
from alertbot import db
from alertbot.cli import app


def _tables(url: str) -> set[str]:
    engine = db.make_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_cli_upgrade_on_sqlite(settings) -> None:
    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "revision" in result.output
    url = settings.resolved_database_url()
    assert _tables(url) == set(SQLModel.metadata.tables)
    assert db.current_revision(url) is not None


def test_upgrade_on_postgres(pg_url: str) -> None:
    db.upgrade(pg_url)
    assert _tables(pg_url) == set(SQLModel.metadata.tables)
    db.upgrade(pg_url)
    assert db.current_revision(pg_url) is not None


def test_migrations_match_models(pg_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    db.upgrade(pg_url)
    engine = db.make_engine(pg_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    engine.dispose()
    assert diff == []
