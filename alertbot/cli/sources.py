"""``alertbot sources``: the crawlable sources, named by spider (``uspto_tm_daily``) or expo edition id.

Changes are stored in the database and audit-logged; a running ``alertbot run`` applies them within
``ALERTBOT_RECONCILE_INTERVAL`` seconds (docs/service.md).
"""

from __future__ import annotations

import datetime as dt
import getpass
import json

import typer
from rich.table import Table

from alertbot import db as database
from alertbot.cli._common import console, err_console
from alertbot.models import utcnow
from alertbot.redact import redact
from alertbot.settings import get_settings
from alertbot.sources import (
    SourceError,
    describe,
    get_source,
    list_sources,
    pause,
    resume,
    runs_of,
    set_schedule,
    set_url,
    source_view,
)
from alertbot.textsafety import for_terminal

app = typer.Typer(no_args_is_help=True, help="List and steer the sources: URL, schedule, pause/resume.")


def _factory():  # type: ignore[no-untyped-def]
    settings = get_settings()
    database.upgrade(settings.resolved_database_url())
    return database.session_factory(settings)


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:
        return "cli"


def _when(value: dt.datetime | None, tz: str) -> str:
    if value is None:
        return "-"
    from zoneinfo import ZoneInfo

    return value.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")


@app.command("list")
def list_command(
    as_json: bool = typer.Option(False, "--json", help="One JSON document instead of a table."),
) -> None:
    """Every source: schedule, next run, last run, counts and health."""
    settings = get_settings()
    with _factory()() as session:
        views = list_sources(session, utcnow(), settings.timezone)
    if as_json:
        console.print_json(json.dumps(describe(views), default=str, ensure_ascii=False))
        return
    table = Table(
        "source 来源",
        "kind",
        "schedule 计划",
        "next 下次",
        "last run 上次",
        "status",
        "seen",
        "new",
        "health 健康",
    )
    for view in views:
        run = view.last_run
        schedule = "paused 已暂停" if view.paused else view.cron + ("" if view.cron_is_default else " *")
        table.add_row(
            view.name,
            view.kind,
            schedule,
            _when(view.next_run_at, settings.timezone),
            _when(run.started_at, settings.timezone) if run else "never",
            run.status if run else "",
            str(run.records_seen) if run else "",
            str(run.records_new) if run else "",
            view.health if view.healthy else f"[red]{view.health}[/red]",
        )
    console.print(table)
    console.print(f"times in {settings.timezone}; * = changed from the default schedule")


@app.command("show")
def show(name: str = typer.Argument(..., help="Source name, e.g. uspto_tm_daily.")) -> None:
    """One source in full: URL, schedule and why, health, and its recent runs."""
    settings = get_settings()
    with _factory()() as session:
        try:
            config = get_source(session, name)
        except SourceError as error:
            raise typer.BadParameter(str(error), param_hint="NAME") from error
        view = source_view(session, config, utcnow(), settings.timezone)
        runs = runs_of(session, config, limit=10)
        lines = [
            ("kind", view.kind),
            ("spider", view.spider),
            ("url", for_terminal(redact(view.url)) if view.url else "(built-in)"),
            ("schedule", f"{view.cron}{' (default)' if view.cron_is_default else ''}"),
            ("why", view.reason),
            ("paused", "yes" if view.paused else "no"),
            ("next run", _when(view.next_run_at, settings.timezone)),
            ("health", for_terminal(f"{view.health} {redact(view.health_detail or '')}".strip())),
            ("last success", _when(view.last_success_at, settings.timezone)),
            (
                "runs / records / alerts",
                f"{view.runs_total} / {view.counts['records_seen']} / {view.counts['alerts_new']}",
            ),
        ]
        summary = Table(show_header=False, title=view.name)
        for key, value in lines:
            summary.add_row(key, value)
        console.print(summary)
        history = Table("run", "started", "status", "seen", "new", "alerts", "error")
        for run in runs:
            history.add_row(
                str(run.id),
                _when(run.started_at, settings.timezone),
                run.status,
                str(run.records_seen),
                str(run.records_new),
                str(run.alerts_new),
                # Crawled text is data, not rich markup (issue 8).
                for_terminal(redact(run.error_detail or "")[:80]),
            )
        console.print(history)


def _change(action: str, name: str, value: str | None = None) -> None:
    settings = get_settings()
    factory = _factory()
    try:
        with database.transaction(factory) as session:
            if action == "set-url":
                config = set_url(session, name, value, actor=_actor())
                message = (
                    f"{name}: URL {'→ ' + redact(config.url) if config.url else 'back to the built-in one'}"
                )
            elif action == "schedule":
                config = set_schedule(session, name, value, actor=_actor(), tz=settings.timezone)
                view = source_view(session, config, utcnow(), settings.timezone)
                message = (
                    f"{name}: schedule {view.cron}; next run {_when(view.next_run_at, settings.timezone)}"
                )
            elif action == "pause":
                pause(session, name, actor=_actor())
                message = f"{name}: paused 已暂停 (no scheduled runs)"
            else:
                resume(session, name, actor=_actor())
                message = f"{name}: resumed 已恢复"
    except SourceError as error:
        err_console.print(f"[red]error[/red] {error}")
        raise typer.Exit(code=2) from error
    console.print(message)
    console.print(
        f"a running `alertbot run` applies this within {settings.reconcile_interval:g} s", style="dim"
    )


@app.command("set-url")
def set_url_command(
    name: str = typer.Argument(..., help="Source name."),
    url: str = typer.Argument(
        ...,
        help="A .zip/.xml URL is crawled as that file on every run; any other URL replaces the listing/API "
        "base. 'default' returns to the built-in address.",
    ),
) -> None:
    """Pin a source to a URL (a mirror, a loopback test server, a file)."""
    _change("set-url", name, None if url.strip().lower() == "default" else url)


@app.command("schedule")
def schedule_command(
    name: str = typer.Argument(..., help="Source name."),
    cron: str = typer.Argument(
        ..., help="Five-field crontab in ALERTBOT_TIMEZONE, e.g. '30 14 * * *'; 'default' for the default."
    ),
) -> None:
    """Change when a source is crawled."""
    _change("schedule", name, cron)


@app.command("pause")
def pause_command(name: str = typer.Argument(..., help="Source name.")) -> None:
    """Stop scheduled crawls of a source (a manual /crawl still works)."""
    _change("pause", name)


@app.command("resume")
def resume_command(name: str = typer.Argument(..., help="Source name.")) -> None:
    """Resume scheduled crawls of a source."""
    _change("resume", name)
