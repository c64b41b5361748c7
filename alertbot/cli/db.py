"""``alertbot db``: schema migrations."""

from __future__ import annotations

import typer

from alertbot import db as database
from alertbot.cli._common import console
from alertbot.settings import get_settings

app = typer.Typer(no_args_is_help=True)


@app.command("upgrade")
def upgrade(revision: str = typer.Argument("head", help="目标版本 / Target revision.")) -> None:
    """创建或升级数据库结构（SQLite 或 PostgreSQL，取自 ALERTBOT_DATABASE_URL） / Create or upgrade the schema
    (SQLite or PostgreSQL, from ALERTBOT_DATABASE_URL)."""
    url = get_settings().resolved_database_url()
    database.upgrade(url, revision)
    console.print(f"database at revision [bold]{database.current_revision(url)}[/bold] ({_safe(url)})")


@app.command("current")
def current() -> None:
    """显示数据库当前的结构版本 / Print the schema revision the database is at."""
    url = get_settings().resolved_database_url()
    console.print(database.current_revision(url) or "not migrated (run `alertbot db upgrade`)")


def _safe(url: str) -> str:
    """The URL without a password, for printing."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
