"""``alertbot status``: a one-screen health view of sources, crawl runs, alerts and the outbox."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import typer
from rich import box
from rich.table import Column, Table
from sqlalchemy import func
from sqlmodel import select

from alertbot import db as database
from alertbot.cli._common import console
from alertbot.models import (
    Alert,
    Delivery,
    DeliveryStatus,
    Enterprise,
    Quarantine,
    Record,
    Subscriber,
    utcnow,
)
from alertbot.redact import redact
from alertbot.service.runner import scheduled_jobs
from alertbot.settings import get_settings
from alertbot.sources import NEVER_RUN, list_sources
from alertbot.textsafety import for_terminal


def status() -> None:
    """Show every source (last run, counts, health, next run), alert and outbox counts (depth, failed
    deliveries) and the next scheduled jobs. Times are in ALERTBOT_TIMEZONE, named on screen."""
    settings = get_settings()
    url = settings.resolved_database_url()
    if database.current_revision(url) is None:
        console.print("database not initialised: run `alertbot db upgrade` (or `alertbot demo`)")
        raise typer.Exit(code=1)
    factory = database.session_factory(settings)
    with factory() as session:
        views = list_sources(session, utcnow(), settings.timezone)
        # A light box and short headers: eight facts per source fit an 80-column terminal.
        sources = Table(
            Column("来源", no_wrap=True),
            Column("上次", no_wrap=True),
            Column("状态", no_wrap=True),
            Column("新/总", no_wrap=True),
            Column("预警", no_wrap=True),
            Column("健康", no_wrap=True),
            Column("下次", no_wrap=True),
            box=box.SIMPLE_HEAD,
            pad_edge=False,
            caption="来源 source · 上次 last run · 状态 status · 新/总 new/seen · 预警 alerts · 健康 health · "
            "下次 next (按计划推算 from the schedule) · 未运行 never run",
            # The zone of every time on this screen; `alertbot expo list` prints UTC.
            title=f"时间 times: {settings.timezone} ({_zone_abbreviation(settings.timezone)})",
        )
        for view in views:
            run = view.last_run
            # "未运行" alone: the caption translates it, and the table stays within 80 columns.
            health = (
                ("未运行" if view.health_label == NEVER_RUN else view.health_label)
                if view.healthy
                else f"[red]{view.health}[/red]"
            )
            sources.add_row(
                for_terminal(view.name),
                _when(run.started_at, settings.timezone) if run else "-",
                for_terminal(run.status) if run else "",
                f"{run.records_new}/{run.records_seen}" if run else "",
                str(run.alerts_new) if run else "",
                health,
                "paused" if view.paused else _when(view.next_run_at, settings.timezone),
            )
        console.print(sources)
        for view in views:
            # Faults and errors under the table, in full: the table stays readable at 80 columns.
            run = view.last_run
            problem = view.health_detail if not view.healthy else (run.error if run and run.error else None)
            if problem:
                # Crawled text is data, not rich markup (issue 8).
                console.print(
                    f"{for_terminal(view.name)} ({view.health}): {for_terminal(redact(problem)[:300])}"
                )

        def count_by(column, model) -> dict[str, int]:  # type: ignore[no-untyped-def]
            return dict(session.exec(select(column, func.count()).select_from(model).group_by(column)).all())

        alerts = count_by(Alert.status, Alert)
        risks = count_by(Alert.risk, Alert)
        outbox = count_by(Delivery.status, Delivery)
        totals = Table("what 项目", "count 数量")
        totals.add_row(
            "enterprises 企业", str(session.exec(select(func.count()).select_from(Enterprise)).one())
        )
        totals.add_row(
            "subscribers 订阅者", str(session.exec(select(func.count()).select_from(Subscriber)).one())
        )
        totals.add_row("records 记录", str(session.exec(select(func.count()).select_from(Record)).one()))
        totals.add_row(
            "quarantined 隔离", str(session.exec(select(func.count()).select_from(Quarantine)).one())
        )
        totals.add_row("alerts by status", ", ".join(f"{k} {v}" for k, v in sorted(alerts.items())) or "0")
        totals.add_row("alerts by risk", ", ".join(f"{k} {v}" for k, v in sorted(risks.items())) or "0")
        totals.add_row("outbox", ", ".join(f"{k} {v}" for k, v in sorted(outbox.items())) or "empty")
        totals.add_row("outbox depth 待发送", str(outbox.get(DeliveryStatus.PENDING.value, 0)))
        totals.add_row("failed deliveries 投递失败", str(outbox.get(DeliveryStatus.FAILED.value, 0)))
        console.print(totals)
    jobs = Table(
        "计划任务 scheduled job",
        f"下次 next ({_zone_abbreviation(settings.timezone)})",
        title="调度器 scheduler",
    )
    for job_id, when in scheduled_jobs(settings):
        jobs.add_row(job_id, _when(when, settings.timezone))
    if jobs.row_count:
        console.print(jobs)
    else:
        # The sources' 下次 column is computed from their schedules either way; say so, or the two disagree.
        console.print(
            "调度器尚未保存任务（`alertbot run` 启动后创建）；上表“下次”按各来源的计划推算 / "
            "the scheduler has stored no jobs yet (`alertbot run` creates them); the next (下次) column above "
            "is computed from each source's schedule",
            style="dim",
        )


def _zone_abbreviation(tz: str) -> str:
    # The zone's current abbreviation (CST for Asia/Shanghai, CET/CEST for Europe/Berlin).
    return dt.datetime.now(ZoneInfo(tz)).strftime("%Z")


def _when(value: dt.datetime | None, tz: str) -> str:
    if value is None:
        return "-"
    # Short enough that the sources table fits an 80-column terminal.
    return value.astimezone(ZoneInfo(tz)).strftime("%m-%d %H:%M")
