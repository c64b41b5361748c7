"""``alertbot sources``: the crawlable sources, named by spider (``uspto_tm_daily``) or expo edition id.

Changes are stored in the database and audit-logged; a running ``alertbot run`` applies them within
``ALERTBOT_RECONCILE_INTERVAL`` seconds (docs/service.md).
"""

from __future__ import annotations

import datetime as dt
import json

import typer
from rich.table import Table

from alertbot import db as database
from alertbot.cli._common import cli_actor, console, err_console, upgraded_session_factory
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

app = typer.Typer(
    no_args_is_help=True,
    help="数据源：列出、网址、计划、暂停/恢复 / List and steer the sources: URL, schedule, pause/resume.",
)
_NAME_HELP = "来源名称，如 uspto_tm_daily 或 cieme-2026 / Source name, e.g. uspto_tm_daily or cieme-2026."


def _when(value: dt.datetime | None, tz: str) -> str:
    if value is None:
        return "-"
    from zoneinfo import ZoneInfo

    # The zone's abbreviation (CST, CET, UTC) on every time: `alertbot expo list` prints UTC, these print
    # ALERTBOT_TIMEZONE, and a bare "06:00" cannot say which.
    return value.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M %Z")


def _zone_note(tz: str) -> str:
    return f"时间 times: {tz}"


@app.command("list")
def list_command(
    as_json: bool = typer.Option(
        False, "--json", help="输出一个 JSON 文档而非表格 / One JSON document instead of a table."
    ),
) -> None:
    """每个来源：计划、下次、上次运行、数量与健康 / Every source: schedule, next run, last run, counts, health."""
    settings = get_settings()
    with upgraded_session_factory()() as session:
        views = list_sources(session, utcnow(), settings.timezone)
    if as_json:
        console.print_json(json.dumps(describe(views), default=str, ensure_ascii=False))
        return
    table = Table(
        "来源 source",
        "类型 kind",
        "计划 schedule",
        "设定 set by",
        "下次 next",
        "上次 last run",
        "状态 status",
        "抓取 seen",
        "新增 new",
        "健康 health",
        title=_zone_note(settings.timezone),
    )
    for view in views:
        run = view.last_run
        # The cron alone in its column: a marker appended to it would read as a sixth cron field.
        table.add_row(
            view.name,
            view.kind,
            "已暂停 paused" if view.paused else view.cron,
            "默认 default" if view.cron_is_default else "自定 custom",
            _when(view.next_run_at, settings.timezone),
            _when(run.started_at, settings.timezone) if run else "-",
            run.status if run else "",
            str(run.records_seen) if run else "",
            str(run.records_new) if run else "",
            view.health_label if view.healthy else f"[red]{view.health}[/red]",
        )
    console.print(table)


@app.command("show")
def show(name: str = typer.Argument(..., help=_NAME_HELP)) -> None:
    """一个来源的详情：网址、计划及原因、健康、最近运行 / One source in full: URL, schedule and why, health,
    its recent runs."""
    settings = get_settings()
    with upgraded_session_factory()() as session:
        try:
            config = get_source(session, name)
        except SourceError as error:
            raise typer.BadParameter(str(error), param_hint="NAME") from error
        view = source_view(session, config, utcnow(), settings.timezone)
        runs = runs_of(session, config, limit=10)
        lines = [
            ("类型 kind", view.kind),
            ("爬虫 spider", view.spider),
            ("网址 url", for_terminal(redact(view.url)) if view.url else "(built-in 内置)"),
            ("计划 schedule", f"{view.cron} ({'默认 default' if view.cron_is_default else '自定 custom'})"),
            ("原因 why", view.reason),
            ("暂停 paused", "是 yes" if view.paused else "否 no"),
            ("下次 next run", _when(view.next_run_at, settings.timezone)),
            (
                "健康 health",
                for_terminal(f"{view.health_label} {redact(view.health_detail or '')}".strip()),
            ),
            ("上次成功 last success", _when(view.last_success_at, settings.timezone)),
            (
                "运行/记录/预警 runs/records/alerts",
                f"{view.runs_total} / {view.counts['records_seen']} / {view.counts['alerts_new']}",
            ),
        ]
        summary = Table(show_header=False, title=view.name, caption=_zone_note(settings.timezone))
        for key, value in lines:
            summary.add_row(key, value)
        console.print(summary)
        history = Table(
            "运行 run",
            "开始 started",
            "状态 status",
            "抓取 seen",
            "新增 new",
            "预警 alerts",
            "错误 error",
        )
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
    factory = upgraded_session_factory()
    try:
        with database.transaction(factory) as session:
            if action == "set-url":
                config = set_url(session, name, value, actor=cli_actor())
                message = (
                    f"{name}: URL {'→ ' + redact(config.url) if config.url else 'back to the built-in one'}"
                )
            elif action == "schedule":
                config = set_schedule(session, name, value, actor=cli_actor(), tz=settings.timezone)
                view = source_view(session, config, utcnow(), settings.timezone)
                message = (
                    f"{name}: schedule {view.cron}; next run {_when(view.next_run_at, settings.timezone)}"
                )
            elif action == "pause":
                pause(session, name, actor=cli_actor())
                message = f"{name}: paused 已暂停 (no scheduled runs)"
            else:
                resume(session, name, actor=cli_actor())
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
    name: str = typer.Argument(..., help=_NAME_HELP),
    url: str = typer.Argument(
        ...,
        help="以 .zip/.xml 结尾的网址每次按该文件抓取；其他网址替换列表/API 地址；default 恢复内置地址 / "
        "A .zip/.xml URL is crawled as that file on every run; any other URL replaces the listing/API "
        "base. 'default' returns to the built-in address.",
    ),
) -> None:
    """固定来源网址（镜像、本地测试服务器、文件） / Pin a source to a URL (a mirror, a loopback test server,
    a file)."""
    _change("set-url", name, None if url.strip().lower() == "default" else url)


@app.command("schedule")
def schedule_command(
    name: str = typer.Argument(..., help=_NAME_HELP),
    cron: str = typer.Argument(
        ...,
        help="五段 crontab，按 ALERTBOT_TIMEZONE，如 '30 14 * * *'；default 恢复默认 / Five-field crontab in "
        "ALERTBOT_TIMEZONE, e.g. '30 14 * * *'; 'default' for the default.",
    ),
) -> None:
    """修改抓取时间（展会届次除外：按展会模式） / Change when a source is crawled. Expo editions are refused:
    they run in expo mode, set by expo_mode_interval/expo_mode_days in the edition file."""
    _change("schedule", name, cron)


@app.command("pause")
def pause_command(name: str = typer.Argument(..., help=_NAME_HELP)) -> None:
    """暂停定时抓取（手动 /crawl 仍可用） / Stop scheduled crawls of a source (a manual /crawl still works)."""
    _change("pause", name)


@app.command("resume")
def resume_command(name: str = typer.Argument(..., help=_NAME_HELP)) -> None:
    """恢复定时抓取 / Resume scheduled crawls of a source."""
    _change("resume", name)
