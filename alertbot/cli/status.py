"""``alertbot status``: a one-screen health view of sources, crawl runs, alerts and the outbox."""

from __future__ import annotations

import typer
from rich.table import Table
from sqlalchemy import func
from sqlmodel import col, select

from alertbot import db as database
from alertbot.cli._common import console
from alertbot.models import Alert, CrawlRun, Delivery, Enterprise, Quarantine, Record, Source, Subscriber
from alertbot.redact import redact
from alertbot.settings import get_settings


def status() -> None:
    """Show sources with their last crawl run, and alert, outbox and watchlist counts."""
    settings = get_settings()
    url = settings.resolved_database_url()
    if database.current_revision(url) is None:
        console.print("database not initialised: run `alertbot db upgrade` (or `alertbot demo`)")
        raise typer.Exit(code=1)
    factory = database.session_factory(settings)
    with factory() as session:
        sources = Table("source 来源", "last run", "status", "seen", "new", "upd", "quar.", "alerts", "error")
        for source in session.exec(select(Source).order_by(col(Source.key))).all():
            run = session.exec(
                select(CrawlRun).where(CrawlRun.source_key == source.key).order_by(col(CrawlRun.id).desc())
            ).first()
            if run is None:
                sources.add_row(source.key, "-", "never run", "", "", "", "", "", "")
                continue
            sources.add_row(
                source.key,
                run.started_at.strftime("%Y-%m-%d %H:%M"),
                run.status,
                str(run.records_seen),
                str(run.records_new),
                str(run.records_updated),
                str(run.quarantined),
                str(run.alerts_new),
                redact(run.error_detail or "")[:60],
            )
        console.print(sources)

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
        console.print(totals)
