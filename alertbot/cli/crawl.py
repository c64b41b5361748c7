"""``alertbot crawl``: run one gazette spider (as a subprocess) and report what it stored."""

from __future__ import annotations

import datetime as dt

import typer
from rich.table import Table

from alertbot.cli._common import console, err_console
from alertbot.crawling import list_spiders, run_crawl
from alertbot.settings import get_settings
from alertbot.textsafety import for_terminal


def _parse_since(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as error:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param_hint="--since") from error


def _parse_args(values: list[str]) -> dict[str, str]:
    parsed: dict[str, str] = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"{value!r} is not KEY=VALUE", param_hint="--arg")
        parsed[key] = rest
    return parsed


def crawl(
    name: str | None = typer.Argument(
        None, help="爬虫名称，如 uspto_tm_daily（见 --list） / Spider name, e.g. uspto_tm_daily (see --list)."
    ),
    since: str | None = typer.Option(
        None, "--since", help="从该日期起补抓（YYYY-MM-DD） / Backfill from this date (YYYY-MM-DD)."
    ),
    file: str | None = typer.Option(
        None,
        "--file",
        help="处理这个文件（路径、file:// 或 http(s):// 网址），不查找新文件 / Process this file (path, file:// or "
        "http(s):// URL) instead of discovering new ones.",
    ),
    arg: list[str] = typer.Option(
        [],
        "--arg",
        "-a",
        help="额外的爬虫参数 KEY=VALUE（可重复） / Extra spider argument KEY=VALUE (repeatable).",
    ),
    timeout: float | None = typer.Option(
        None,
        "--timeout",
        help="超时秒数，超时即终止抓取（默认 ALERTBOT_CRAWL_TIMEOUT） / Kill the crawl after this many seconds "
        "(default: ALERTBOT_CRAWL_TIMEOUT).",
    ),
    list_: bool = typer.Option(
        False, "--list", help="列出可用爬虫并退出 / List the available spiders and exit."
    ),
) -> None:
    """Run one spider; its records are stored, matched and alerted on. Exit 1 when the crawl had errors."""
    if list_:
        for spider in list_spiders():
            console.print(spider)
        return
    if not name:
        raise typer.BadParameter("give a spider name, or --list", param_hint="NAME")
    known = list_spiders()
    if name not in known:
        raise typer.BadParameter(f"unknown spider {name!r}; available: {', '.join(known)}", param_hint="NAME")
    result = run_crawl(
        name,
        since=_parse_since(since),
        file=file,
        args=_parse_args(arg),
        timeout_s=timeout or get_settings().crawl_timeout,
    )
    table = Table(title=f"{name}: {result.status} ({result.duration_s:.1f} s)", show_header=False)
    for key in ("records", "quarantined", "skipped", "files_processed", "files_already_seen", "errors"):
        if key in result.stats:
            table.add_row(key, str(result.stats[key]))
    for source, counts in result.ingest.items():
        table.add_row(
            f"stored · {for_terminal(source)}", ", ".join(f"{k} {v}" for k, v in counts.items() if v)
        )
    if result.crawl_run_ids:
        table.add_row("crawl runs", ", ".join(str(i) for i in result.crawl_run_ids))
    console.print(table)
    for error in result.errors:
        err_console.print(f"[red]error[/red] {for_terminal(error)}")  # crawled text: no markup (issue 8)
    if result.status in {"crashed", "timeout"} and result.log_tail:
        err_console.print(result.log_tail)
    if result.status != "ok":
        raise typer.Exit(code=1)
