"""``alertbot demo``: the main job end to end on embedded defaults.

It imports the bundled sample watchlist into a fresh SQLite database, runs the real spiders over the bundled
sample sources (local files read through Scrapy), matches and stores the alerts, prints them, and delivers
them through the ``file`` channel, which writes the e-mails it would send as ``.eml`` files to ``./outbox``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections import Counter
from importlib.resources import files
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlmodel import col, select

from alertbot import db as database
from alertbot.cli._common import console, err_console
from alertbot.models import Alert, Enterprise, Record, Role, Subscriber
from alertbot.settings import Settings, get_settings
from alertbot.watchlist import apply_watchlist, read_watchlist

RISK_STYLE = {"high": "bold red", "medium": "yellow", "low": "cyan"}
RISK_ZH = {"high": "高", "medium": "中", "low": "低"}
DEMO_STAFF_ADDRESS = "staff@centre.example.cn"
# The bundled samples crawl in seconds; a hung crawl must not hang the demo.
DEMO_CRAWL_TIMEOUT_S = 300.0


def sample_watchlist() -> Path:
    """The bundled sample directory of Liaoning export enterprises."""
    return Path(str(files("watchlists") / "liaoning-export-enterprises.csv"))


DEMO_MARKER = ".made-by-alertbot-demo"


def _recreate(folder: Path, what: str) -> None:
    """Empty ``folder`` for a new run, but only when an earlier demo made it (it holds our marker file) or it is
    empty: the default ``outbox`` is also where a real deployment's file channel writes, and nobody's files are
    deleted behind their back."""
    if folder.exists():
        if any(folder.iterdir()) and not (folder / DEMO_MARKER).exists():
            err_console.print(
                f"[red]{escape(str(folder))} 已存在且不是演示创建的，演示不会删除它。[/red] "
                f"{escape(str(folder))} exists and was not made by the demo, so the demo will not delete it: "
                f"move it, or choose another folder with --{what}."
            )
            raise typer.Exit(code=2)
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / DEMO_MARKER).write_text("alertbot demo recreates this folder on each run\n", encoding="utf-8")


def _fresh_settings(data_dir: Path, outbox: Path) -> Settings:
    _recreate(data_dir, "data-dir")
    _recreate(outbox, "outbox")
    # Spiders run as subprocesses: they read the database location from the environment.
    os.environ["ALERTBOT_DATA_DIR"] = str(data_dir.resolve())
    os.environ["ALERTBOT_DATABASE_URL"] = f"sqlite:///{(data_dir / 'alertbot.sqlite').resolve()}"
    os.environ["ALERTBOT_OUTBOX_DIR"] = str(outbox.resolve())
    get_settings.cache_clear()
    return get_settings()


def _seed(settings: Settings) -> int:
    rows = read_watchlist(sample_watchlist())
    factory = database.session_factory(settings)
    with database.transaction(factory) as session:
        apply_watchlist(session, rows, actor="demo")
        session.add(
            Subscriber(
                name="知识产权纠纷应对指导中心沈阳分中心 (demo staff)",
                role=Role.STAFF.value,
                channels={"file": DEMO_STAFF_ADDRESS},
            )
        )
        session.flush()
        for row in rows:
            if row.contact:
                session.add(
                    Subscriber(
                        name=row.name_zh or row.name_en,
                        role=Role.ENTERPRISE.value,
                        enterprise_id=row.id,
                        min_risk="medium",
                        channels={"file": row.contact[0]},
                    )
                )
    return len(rows)


def _crawl_samples(settings: Settings) -> list[tuple[str, str]]:
    """Every bundled gazette sample and every bundled expo edition's sample list, crawled by the real spiders in
    one Scrapy process (``scrapy crawlmany``): starting a process per sample would spend most of the demo on
    start-up. Each crawl's line is printed as it ends."""
    from alertbot.crawling import CrawlBatch, sample_sources
    from alertbot.expo import crawl_spec
    from alertbot.expo.runner import sample_crawls

    crawls: list[tuple[str, dict[str, str]]] = [(name, {"file": url}) for name, url in sample_sources()]
    labels = [Path(url).name for _name, url in sample_sources()]
    for edition, url in sample_crawls(settings):
        crawls.append(crawl_spec(edition, settings, url))
        labels.append(f"{edition.id} ({edition.format})")
    batch = CrawlBatch(crawls)
    label_of = {id(args): label for (_name, args), label in zip(batch.crawls, labels, strict=True)}
    results: list[tuple[str, str]] = []
    with console.status(f"crawling {len(batch.crawls)} samples in one Scrapy process …"):
        for (name, args), result in batch.run(timeout_s=DEMO_CRAWL_TIMEOUT_S):
            results.append((name, result.status))
            style = "green" if result.status == "ok" else "red"
            counts = _ingest_counts(result.ingest)
            console.print(f"  {name:<18} [{style}]{result.status}[/{style}]  {label_of[id(args)]}  {counts}")
            for error in result.errors[:3]:
                err_console.print(f"    {escape(error)}")
    return results


def _flagged_booths_table(settings: Settings) -> tuple[Table, int]:
    """The bundled expo editions' flagged booths by hall and booth: what the on-site team would act on."""
    from alertbot.expo import flagged_booths
    from alertbot.expo.runner import sample_crawls

    table = Table(
        "show 展会",
        "hall 展馆",
        "booth 展位",
        "exhibitor 展商",
        "enterprise 企业",
        "matched 命中",
        "risk 风险",
        title="flagged booths 可疑展位",
    )
    count = 0
    with database.session_factory(settings)() as session:
        for edition, _url in sample_crawls(settings):
            for booth in flagged_booths(session, edition.id):
                count += 1
                table.add_row(
                    escape(edition.id),
                    escape(booth.hall),
                    escape(booth.booth),
                    escape(booth.name_zh or booth.name_en or booth.name_raw),
                    escape(f"{booth.enterprise} ({booth.watch_id})"),
                    escape(booth.mark),
                    f"[{RISK_STYLE.get(booth.risk, '')}]{RISK_ZH.get(booth.risk, '')} {booth.risk}[/]",
                )
    return table, count


def _ingest_counts(ingest: dict[str, Any]) -> str:
    """``seen 12, new 12`` summed over the sources one crawl stored into (ST.66 feeds hold several offices)."""
    totals: Counter[str] = Counter()
    for counts in ingest.values():
        if isinstance(counts, dict):
            totals.update({key: value for key, value in counts.items() if isinstance(value, int)})
    return ", ".join(f"{key} {value}" for key, value in totals.items() if value)


def _alerts_table(settings: Settings) -> tuple[Table, int]:
    table = Table(
        "risk 风险",
        "enterprise 企业",
        "matched 命中",
        "record 记录",
        "applicant 申请人",
        "source 来源",
        "deadline 异议截止",
        title="alerts 预警",
    )
    factory = database.session_factory(settings)
    count = 0
    with factory() as session:
        rows = session.exec(
            select(Alert, Record, Enterprise)
            .join(Record, col(Record.id) == col(Alert.record_id))
            .join(Enterprise, col(Enterprise.id) == col(Alert.enterprise_id))
            .order_by(col(Alert.risk).desc(), col(Alert.id))
        ).all()
        order = {"high": 0, "medium": 1, "low": 2}
        for alert, record, enterprise in sorted(rows, key=lambda r: (order.get(r[0].risk, 3), r[0].id or 0)):
            count += 1
            table.add_row(
                f"[{RISK_STYLE.get(alert.risk, '')}]{RISK_ZH.get(alert.risk, '')} {alert.risk}[/]",
                escape(f"{enterprise.name_zh}\n{enterprise.id}"),
                escape(f"{alert.mark} ({alert.variant})"),
                escape(record.text or ""),
                escape(
                    f"{record.applicant or '-'}"
                    + (f" [{record.applicant_country}]" if record.applicant_country else "")
                ),
                escape(f"{record.source_key} {record.native_id}"),
                alert.opposition_deadline.isoformat() if alert.opposition_deadline else "-",
            )
    return table, count


def _deliver(settings: Settings) -> int:
    from alertbot.outbox import dispatch_once

    sent = 0
    while True:
        stats = asyncio.run(dispatch_once(settings))
        sent += stats.sent
        if stats.claimed == 0:
            return sent


def demo(
    data_dir: Path = typer.Option(
        Path(".alertbot-demo"),
        help="演示数据库目录（每次重建；不是演示建的目录绝不删除） / Folder for the demo's SQLite database (recreated on each run; a folder "
        "the demo did not make is never deleted).",
    ),
    outbox: Path = typer.Option(
        Path("outbox"),
        help="邮件输出目录，写成 .eml（每次重建；不是演示建的目录绝不删除） / Folder the e-mails are written to as .eml (recreated on each run; a "
        "folder the demo did not make is never deleted).",
    ),
) -> None:
    """在内置样例上运行完整流程 / Run the whole pipeline on bundled samples: watchlist → spiders → matching →
    alerts → outbox → report."""
    settings = _fresh_settings(data_dir, outbox)
    database.upgrade(settings.resolved_database_url())
    entries = _seed(settings)
    console.print(f"[bold]1.[/bold] watchlist: {entries} enterprises imported from {sample_watchlist().name}")
    console.print("[bold]2.[/bold] crawling the bundled sample sources with the real spiders:")
    crawled = _crawl_samples(settings)
    table, count = _alerts_table(settings)
    console.print(f"[bold]3.[/bold] matching: {count} alerts")
    # Piped output (CI logs, `| less`) would otherwise be cut to 80 columns and truncate every cell.
    wide = Console(soft_wrap=True, width=max(console.width, 160))
    wide.print(table)
    booths, flagged = _flagged_booths_table(settings)
    console.print(f"[bold]4.[/bold] expo: {flagged} flagged booths, by hall and booth")
    wide.print(booths)
    sent = _deliver(settings)
    emails = sorted(outbox.glob("*.eml"))
    console.print(
        f"[bold]5.[/bold] outbox: {sent} deliveries sent, {len(emails)} e-mails written to {outbox}/"
    )
    from alertbot.report import write_demo_report

    report = write_demo_report(settings, outbox / "report")
    console.print(f"[bold]6.[/bold] report of this run: {report} (markdown and charts beside it)")
    database_dir = escape(str(data_dir))
    console.print(
        f"数据库 database: {escape(str(data_dir / 'alertbot.sqlite'))} — look around with e.g. "
        f"[bold]ALERTBOT_DATA_DIR={database_dir} alertbot alerts list[/bold] or "
        f"[bold]ALERTBOT_DATA_DIR={database_dir} alertbot expo flagged cieme-2026[/bold]"
    )
    failed = [name for name, status in crawled if status != "ok"]
    if failed:
        err_console.print(f"[red]spiders that failed: {', '.join(failed)}[/red] (see `alertbot status`)")
        raise typer.Exit(code=1)
