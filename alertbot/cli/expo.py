"""``alertbot expo``: show editions and their exhibitor lists – list, check, crawl, import, set-url,
exhibitors, flagged. Output is Chinese first; ``--format jsonl`` gives machine-readable lines.

Edition files: bundled ones in ``alertbot/expo/editions``, staff's own in ``<data dir>/expos`` (docs/expo.md).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape
from rich.table import Column, Table

from alertbot import db as database
from alertbot.cli._common import console, err_console
from alertbot.settings import Settings, get_settings

if TYPE_CHECKING:
    from alertbot.expo.store import EditionStatus

app = typer.Typer(
    no_args_is_help=True,
    help="展会展商名录：列出、检查、抓取、导入、设网址、展商、可疑展位 / Expo exhibitor lists: list, check, crawl, import, set-url, exhibitors, flagged booths.",
)

RISK_ZH = {"high": "高", "medium": "中", "low": "低"}
STATUS_ZH = {"new": "新", "confirmed": "已确认", "dismissed": "已排除", "escalated": "已上报"}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_EDITION_HELP = "届次 id，如 cieme-2026 / Edition id, e.g. cieme-2026 (see `alertbot expo list`)."
_CONFIG_HELP = "使用此届次文件 / Use this edition file (YAML) instead of the bundled or data-dir one."


class OutputFormat(StrEnum):
    """How lists are printed."""

    table = "table"
    jsonl = "jsonl"


def inert(value: object) -> str:
    """Crawled text made safe for the terminal: control and bidi characters removed, Rich markup escaped."""
    return escape(_CONTROL.sub("", "" if value is None else str(value)))


def _settings() -> Settings:
    settings = get_settings()
    database.upgrade(settings.resolved_database_url())
    return settings


def _edition(settings: Settings, edition_id: str, config: Path | None) -> Any:
    from alertbot.expo import EditionError, get_edition

    try:
        return get_edition(settings, edition_id, config)
    except EditionError as error:
        err_console.print(f"[red]届次文件错误 edition error[/red] {inert(error)}")
        raise typer.Exit(code=2) from error


def _warn_if_watchlist_empty(settings: Settings) -> None:
    """Nothing can be flagged without a watchlist: say so before a crawl reports 0 new alerts."""
    from alertbot.watchlist import load_enterprises

    with database.session_factory(settings)() as session:
        if load_enterprises(session):
            return
    err_console.print(
        "[yellow]警告 warning[/yellow] 监测名录为空，不会产生任何预警；请先运行 `alertbot watchlist import FILE` / "
        "The watchlist is empty, so nothing can be flagged: run `alertbot watchlist import FILE` first "
        "(e.g. watchlists/liaoning-export-enterprises.csv)."
    )


def _sample_fallback(spec: Any, file: str | None) -> str | None:
    """A bundled edition without a URL reads its bundled sample list, and says so."""
    from alertbot.expo.runner import sample_file

    if file is not None or spec.urls:
        return file
    sample = sample_file(spec)
    if sample is None:
        return None  # crawl_spec then says how to set a URL or import a file
    console.print(
        f"[yellow]使用内置样例名录 using the bundled sample list[/yellow] {inert(sample.name)}: "
        f"{inert(spec.id)} 尚无名录网址 has no list URL yet (`alertbot expo set-url {inert(spec.id)} URL`)"
    )
    return str(sample.resolve())


def _jsonl(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        sys.stdout.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


@app.command("list")
def list_editions(
    format: OutputFormat = typer.Option(
        OutputFormat.table, "--format", help="输出格式：table 表格或 jsonl / Output format: table or jsonl."
    ),
) -> None:
    """列出届次：日期、格式、最近抓取、展商与标记数 / List editions: dates, format, last crawl, exhibitors, flagged."""
    from alertbot.expo import EditionError, edition_status

    settings = _settings()
    try:
        with database.session_factory(settings)() as session:
            rows = edition_status(session, settings)
    except EditionError as error:
        err_console.print(f"[red]届次文件错误 edition error[/red] {inert(error)}")
        raise typer.Exit(code=2) from error
    if format == OutputFormat.jsonl:
        _jsonl([r.to_json() for r in rows])
        return
    # The id is what the next command needs: never wrapped or cut; the other columns fold.
    width = max([len(r.id) for r in rows] + [len("届次 edition")])
    table = Table(
        Column("届次 edition", no_wrap=True, min_width=width),
        Column("展会 show", overflow="fold", ratio=3),
        Column("格式 format", overflow="fold"),
        Column("展商/标记 exhibitors / flagged", overflow="fold", ratio=2),
        Column("展会模式 expo mode · 下次抓取 next crawl", overflow="fold", ratio=3),
        title="展会届次 Expo editions",
    )
    for row in rows:
        zone = ZoneInfo(row.timezone)
        last = (
            "未抓取 never crawled"
            if row.last_crawl_at is None
            else f"{row.last_crawl_at.astimezone(zone):%m-%d %H:%M} {row.last_crawl_status}"
        )
        url = "" if row.url else "\n[yellow]未设网址 no URL[/yellow]"
        table.add_row(
            inert(row.id),
            f"{inert(row.show)} {inert(row.edition)}\n{row.starts:%Y-%m-%d} 至 to {row.ends:%m-%d}",
            inert(row.format) + url,
            f"{row.exhibitors} / {row.flagged}\n{last}",
            f"{expo_mode_text(row)}\n下次 next {row.next_crawl_at.astimezone(zone):%m-%d %H:%M} {inert(row.timezone)}",
        )
    console.print(table)


def _interval_text(interval: dt.timedelta) -> str:
    minutes = int(interval.total_seconds() // 60)
    if minutes == 60:
        return "每小时 hourly"
    if minutes % 60 == 0:
        return f"每 {minutes // 60} 小时 every {minutes // 60} h"
    return f"每 {minutes} 分钟 every {minutes} min"


def expo_mode_text(row: EditionStatus) -> str:
    """The crawl cadence in the edition's own time zone: in expo mode now, or when it starts."""
    from alertbot.expo.editions import DAILY_CRAWL_AT

    zone = ZoneInfo(row.timezone)
    every = _interval_text(row.expo_mode_interval)
    daily = f"每日 daily {DAILY_CRAWL_AT:%H:%M}"
    if row.expo_mode:
        return f"[bold]展会模式中 in expo mode[/bold]: {every} 至 until {row.ends:%Y-%m-%d}"
    if row.expo_mode_from is None or row.next_crawl_at.astimezone(zone).date() > row.ends:
        return daily
    return f"{daily}; {every} 自 from {row.expo_mode_from.astimezone(zone):%Y-%m-%d}"


@app.command("check")
def check(
    edition: str = typer.Argument(..., help=_EDITION_HELP),
    config: Path | None = typer.Option(None, "--config", help=_CONFIG_HELP),
    file: str | None = typer.Option(
        None, "--file", help="读取此文件或网址 / Read this file or URL instead of the edition's."
    ),
    sample: int = typer.Option(5, "--sample", min=0, help="显示几行样例 / How many parsed rows to show."),
    timeout: float = typer.Option(600.0, "--timeout", help="秒 / Kill the fetch after this many seconds."),
) -> None:
    """只抓取解析、不入库：条数、样例、全部映射问题 / Fetch and parse without storing: counts, a sample,
    every mapping problem. Exit 1 when there is an error, 0 with warnings only."""
    from alertbot.expo import EditionError
    from alertbot.expo.runner import check_edition

    settings = get_settings()
    spec = _edition(settings, edition, config)
    file = _sample_fallback(spec, file)
    try:
        report = check_edition(spec, settings, file, timeout_s=timeout)
    except EditionError as error:
        err_console.print(f"[red]届次文件错误 edition error[/red] {inert(error)}")
        raise typer.Exit(code=2) from error
    console.print(
        f"[bold]{inert(spec.title)}[/bold] · {spec.format} · "
        f"解析 parsed {len(report.records)} · 隔离 quarantined {len(report.quarantined)} · "
        f"错误 errors {len(report.result.errors)}"
    )
    total = len(report.records) or 1
    fill = Table("字段 field", "映射 mapped to", "有值 filled", title="字段填充 field fill")
    mapped = spec.fields.mapped()
    for name, count in report.filled.items():
        source = mapped.get(name)
        fill.add_row(name, inert(source) if source is not None else "—", f"{count} ({count / total:.0%})")
    console.print(fill)
    if sample and report.records:
        rows = Table(
            "展位 booth",
            "展馆 hall",
            "中文名 name_zh",
            "英文名 name_en",
            "展品 products",
            "品牌 brands",
            title="样例 sample",
        )
        for record in report.records[:sample]:
            raw = record.get("raw") or {}
            rows.add_row(
                inert(record.get("booth")), inert(record.get("hall")), inert(raw.get("name_zh")),
                inert(raw.get("name_en")), inert("、".join(raw.get("products") or [])), inert("、".join(raw.get("brands") or [])),
            )  # fmt: skip
        console.print(rows)
    for message in report.result.errors:
        err_console.print(f"[red]错误 error[/red] {inert(message)}")
    for item in report.quarantined:
        err_console.print(f"[red]隔离 quarantined[/red] {inert(item.get('reason'))}")
    for warning in report.warnings:
        err_console.print(f"[yellow]警告 warning[/yellow] {inert(warning)}")
    if report.result.status in {"crashed", "timeout"} and report.result.log_tail:
        err_console.print(inert(report.result.log_tail))
    if report.result.errors or report.quarantined or not report.records:
        raise typer.Exit(code=1)


def _crawl(edition: str, config: Path | None, file: str | None, timeout: float) -> None:
    from alertbot.expo import EditionError
    from alertbot.expo.runner import crawl_edition, sample_file

    settings = _settings()
    spec = _edition(settings, edition, config)
    if file is not None and "://" not in file:
        path = Path(file)
        if not path.is_file():
            err_console.print(f"[red]文件不存在 no such file[/red] {inert(file)}")
            raise typer.Exit(code=2)
        file = str(path.resolve())
    _warn_if_watchlist_empty(settings)
    console.print(f"抓取 crawling {inert(spec.title)} ({spec.format}) …")
    try:
        crawl = crawl_edition(spec, settings, file, timeout_s=timeout)
    except EditionError as error:
        err_console.print(f"[red]届次文件错误 edition error[/red] {inert(error)}")
        sample = sample_file(spec)
        if file is None and sample is not None:
            # The sample is synthetic: storing it would alert real teams, so a crawl never picks it by itself.
            err_console.print(
                f"试用内置样例名录 to try the bundled sample list: `alertbot expo check {inert(spec.id)}` "
                f"(不入库 stores nothing) 或 or `alertbot expo import {inert(spec.id)} {inert(sample)}`"
            )
        raise typer.Exit(code=2) from error
    result, counts, diff = crawl.result, crawl.counts, crawl.diff or {}
    table = Table(show_header=False, title=f"{inert(spec.id)}: {result.status} ({result.duration_s:.1f} s)")
    table.add_row("读取 rows read", str(counts.get("seen", 0)))
    # One layout whatever the outcome: without a diff (a crawl with errors) added/changed are the
    # ingestor's counts and removals are not judged.
    table.add_row("新增 added", str(diff.get("added", counts.get("new", 0))))
    table.add_row("变更 changed", str(diff.get("changed", counts.get("updated", 0))))
    table.add_row(
        "撤展 removed",
        str(diff.get("removed", 0)) if diff else "未判断（本次抓取有错误）not judged (the crawl had errors)",
    )
    table.add_row("未变 unchanged", str(counts.get("unchanged", 0)))
    table.add_row("隔离 quarantined", str(counts.get("quarantined", 0)))
    table.add_row("新预警 new alerts", str(counts.get("alerts", 0)))
    if crawl.run_id is not None:
        table.add_row("抓取记录 crawl run", str(crawl.run_id))
    console.print(table)
    for message in result.errors:
        err_console.print(f"[red]错误 error[/red] {inert(message)}")
    if result.status in {"crashed", "timeout"} and result.log_tail:
        err_console.print(inert(result.log_tail))
    if counts.get("alerts"):
        console.print(f"查看标记展位 see flagged booths: alertbot expo flagged {inert(spec.id)}")
    if result.status != "ok":
        raise typer.Exit(code=1)


@app.command("crawl")
def crawl(
    edition: str = typer.Argument(..., help=_EDITION_HELP),
    config: Path | None = typer.Option(None, "--config", help=_CONFIG_HELP),
    file: str | None = typer.Option(
        None, "--file", help="读取此文件或网址 / Read this file or URL instead of the edition's."
    ),
    timeout: float = typer.Option(
        3 * 3600.0, "--timeout", help="秒 / Kill the crawl after this many seconds."
    ),
) -> None:
    """抓取、入库、比对、匹配、预警 / Crawl, store, diff (added/changed/removed), match, alert.
    Exit 1 unless the crawl was error-free."""
    _crawl(edition, config, file, timeout)


@app.command("import")
def import_file(
    edition: str = typer.Argument(..., help=_EDITION_HELP),
    file: Path = typer.Argument(
        ..., help="收到的 XLSX/CSV/PDF 名录 / The XLSX, CSV or PDF list received (e.g. by e-mail)."
    ),
    config: Path | None = typer.Option(None, "--config", help=_CONFIG_HELP),
    timeout: float = typer.Option(3600.0, "--timeout", help="秒 / Kill the import after this many seconds."),
) -> None:
    """导入组委会发来的名录文件 / Import a spreadsheet or PDF received from the organiser: stored, diffed,
    matched and alerted like a crawl; re-importing the same file changes nothing."""
    _crawl(edition, config, str(file), timeout)


@app.command("set-url")
def set_url_command(
    edition: str = typer.Argument(..., help=_EDITION_HELP),
    url: str = typer.Argument(..., help="名录网址 / The exhibitor list URL (http(s)://…)."),
) -> None:
    """设置届次名录网址 / Point an edition at its list URL: written to <data dir>/expos/<id>.yaml (a bundled
    edition is copied there first, comments kept)."""
    from alertbot.expo import EditionError, set_url

    if not url.startswith(("http://", "https://", "file://")):
        err_console.print(f"[red]网址无效 not a URL[/red] {inert(url)}: expected http(s)://…")
        raise typer.Exit(code=2)
    settings = get_settings()
    try:
        path = set_url(settings, edition, url)
    except EditionError as error:
        err_console.print(f"[red]届次文件错误 edition error[/red] {inert(error)}")
        raise typer.Exit(code=2) from error
    console.print(f"已设置 set: {inert(edition)} → {inert(url)}\n文件 file: {inert(path)}")


@app.command("exhibitors")
def list_exhibitors(
    edition: str = typer.Argument(..., help=_EDITION_HELP),
    format: OutputFormat = typer.Option(
        OutputFormat.table, "--format", help="输出格式：table 表格或 jsonl / Output format: table or jsonl."
    ),
    hall: str | None = typer.Option(None, "--hall", help="只看此展馆 / Only this hall, e.g. E2."),
    removed: bool = typer.Option(
        False, "--removed", help="包括已撤展 / Include exhibitors no longer listed."
    ),
) -> None:
    """已存储的展商 / The stored exhibitors; JSON lines carry id, name_zh, name_en, name_raw, booth, hall,
    country, products, brands, website."""
    from alertbot.expo import exhibitors

    settings = _settings()
    _edition(settings, edition, None)
    with database.session_factory(settings)() as session:
        rows = exhibitors(session, edition, include_removed=removed)
    if hall:
        rows = [r for r in rows if r.hall.upper() == hall.strip().upper()]
    if format == OutputFormat.jsonl:
        _jsonl([r.to_json() for r in rows])
        return
    table = Table("id", "展馆 hall", "展位 booth", "展商 exhibitor", "国家 country", "展品 products", "品牌 brands",
                  title=f"{inert(edition)} 展商 exhibitors: {len(rows)}")  # fmt: skip
    for row in rows:
        name = row.name_zh if not row.name_en else f"{row.name_zh}\n{row.name_en}".strip()
        table.add_row(
            str(row.id), inert(row.hall), inert(row.booth), inert(name) + (" [dim](撤展 removed)[/dim]" if row.removed else ""),
            inert(row.country), inert("、".join(row.products)), inert("、".join(row.brands)),
        )  # fmt: skip
    console.print(table)


@app.command("flagged")
def flagged(
    edition: str = typer.Argument(..., help=_EDITION_HELP),
    hall: str | None = typer.Option(None, "--hall", help="只看此展馆 / Only this hall, e.g. E2."),
    format: OutputFormat = typer.Option(
        OutputFormat.table, "--format", help="输出格式：table 表格或 jsonl / Output format: table or jsonl."
    ),
) -> None:
    """标记展位：按展馆分组、按展位排序 / Flagged booths grouped by hall, sorted by booth, with the enterprise,
    the matched mark, the risk and the reasons. JSON lines carry booth, hall, name_zh, name_en, watch_id,
    risk, reasons (and more)."""
    from alertbot.expo import flagged_booths
    from alertbot.notify.render import describe_reason

    settings = _settings()
    _edition(settings, edition, None)
    with database.session_factory(settings)() as session:
        rows = flagged_booths(session, edition, hall)
    if format == OutputFormat.jsonl:
        _jsonl([r.to_json() for r in rows])
        return
    if not rows:
        console.print(
            f"{inert(edition)}: 没有标记展位 no flagged booths" + (f" in hall {inert(hall)}" if hall else "")
        )
        return
    current: str | None = None
    table: Table | None = None
    for row in rows:
        if row.hall != current:
            if table is not None:
                console.print(table)
            current = row.hall
            table = Table(
                Column("展位 booth", no_wrap=True), Column("展商 exhibitor", overflow="fold"),
                Column("企业 enterprise", overflow="fold"), Column("商标 mark", overflow="fold"), "风险 risk",
                Column("理由 reasons", overflow="fold"), "预警 alert",
                title=f"{inert(row.show)} · 展馆 hall {inert(row.hall or '?')}",
            )  # fmt: skip
        assert table is not None
        # The two strongest reasons; --format jsonl carries them all.
        reasons = "；".join(describe_reason(code, "zh") for code in row.reasons[:2])
        name = row.name_zh if not row.name_en else f"{row.name_zh}\n{row.name_en}".strip()
        table.add_row(
            inert(row.booth), inert(name), inert(f"{row.enterprise} [{row.watch_id}]"), inert(row.mark),
            f"{RISK_ZH.get(row.risk, row.risk)} {row.risk}", inert(reasons),
            f"#{row.alert_id} {STATUS_ZH.get(row.alert_status, row.alert_status)}",
        )  # fmt: skip
    if table is not None:
        console.print(table)
