"""The ``alertbot`` command line: one sub-command group per stage, composed here."""

from __future__ import annotations

import logging

import typer

from alertbot import __version__
from alertbot.cli import (
    alerts,
    crawl,
    db,
    demo,
    expo,
    match,
    notify,
    records,
    report,
    run,
    status,
    users,
    watchlist,
)

app = typer.Typer(
    name="alertbot",
    help=(
        "Watches expo exhibitor lists and overseas trademark/patent gazettes for squats on watched "
        "enterprises, and sends risk alerts. 监测展会展商名录与海外商标/专利公报中的抢注与仿冒风险。"
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)

app.add_typer(db.app, name="db", help="Create or upgrade the database schema (alembic migrations).")
app.add_typer(watchlist.app, name="watchlist", help="Import, export and validate the enterprise watchlist.")
app.add_typer(records.app, name="records", help="Export stored gazette and exhibitor records.")
app.command("crawl", help="Run one spider (gazette or expo source) and store and match what it finds.")(
    crawl.crawl
)
app.command("match", help="Match records against the watchlist (files or the database); explain one match.")(
    match.match
)
app.add_typer(alerts.app, name="alerts", help="List, show and triage alerts (confirm, dismiss, escalate).")
app.add_typer(notify.app, name="notify", help="Deliver the outbox, and send test messages per channel.")
app.add_typer(users.app, name="users", help="Manage subscribers: roles, enterprise links, channels.")
app.add_typer(
    expo.app, name="expo", help="Expo tools for on-site enforcement: check names, list flagged booths."
)
app.command("run", help="Run the always-on service: scheduled crawls, dispatcher and Telegram bot.")(run.run)
app.command("status", help="Show sources, last crawl runs, alert and outbox counts.")(status.status)
app.command(
    "demo", help="Run the whole pipeline on bundled samples: SQLite, alerts printed and written to ./outbox."
)(demo.demo)
app.command("report", help="Write the periodic report (alerts by enterprise, source and status).")(
    report.report
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"alertbot {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log debug details to stderr."),
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not verbose:
        # Migration chatter ("Context impl SQLiteImpl") is noise for every command that ensures the schema.
        logging.getLogger("alembic").setLevel(logging.WARNING)


def main() -> None:
    """Console-script entry point."""
    app()
