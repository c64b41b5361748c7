"""Reports: what alertbot found and what was done about it, per month, quarter or year, for the centre or
for one enterprise, as XLSX (summary + one sheet per table + charts), markdown or CSV, with PNG charts.

Entry points:

* :func:`generate` writes a report's files (``alertbot report``, the bot's ``/report``);
* :func:`queue_monthly_report` queues the monthly e-mail to every staff subscriber through the outbox;
* :func:`parse_period` reads ``2026-10`` / ``2026-Q3`` / ``2026``;
* :func:`write_demo_report` is what ``alertbot demo`` ends with.

The figures and their definitions are in :mod:`alertbot.report.data`; docs/reports.md explains them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import Session

from alertbot.db import SessionFactory, session_factory
from alertbot.lifecycle import local_today
from alertbot.report.data import ReportData, ReportScopeError, collect
from alertbot.report.labels import check_lang, label
from alertbot.report.period import Period, PeriodError, current_month, parse_period, period_of, previous_month
from alertbot.settings import Settings

FORMATS: tuple[str, ...] = ("xlsx", "md", "csv")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

__all__ = [
    "FORMATS",
    "Period",
    "PeriodError",
    "ReportFiles",
    "ReportScopeError",
    "build_report",
    "generate",
    "parse_period",
    "period_of",
    "queue_monthly_report",
    "report_stem",
    "write_demo_report",
]


@dataclass(frozen=True)
class ReportFiles:
    """What :func:`generate` wrote: the XLSX, the markdown, the CSV files and the chart PNGs."""

    period: str
    enterprise_id: str | None
    lang: str
    title: str
    xlsx: Path | None = None
    md: Path | None = None
    csv: tuple[Path, ...] = ()
    charts: tuple[Path, ...] = ()
    summary: tuple[tuple[str, str], ...] = field(default=())  # (figure, value) lines of the summary sheet

    @property
    def paths(self) -> list[Path]:
        """Every written file: the XLSX, the markdown, the CSVs, then the charts."""
        main = [path for path in (self.xlsx, self.md) if path is not None]
        return [*main, *self.csv, *self.charts]


def report_stem(period: Period, enterprise_id: str | None = None) -> str:
    """The default file name stem: ``alertbot-report-2026-10`` (``…-<enterprise id>`` for an enterprise)."""
    stem = f"alertbot-report-{period.label}"
    if enterprise_id is not None:
        stem += "-" + re.sub(r"[^A-Za-z0-9_.-]+", "_", enterprise_id)
    return stem


def _check_formats(formats: Sequence[str]) -> list[str]:
    wanted = list(dict.fromkeys(formats))
    unknown = [name for name in wanted if name not in FORMATS]
    if unknown or not wanted:
        raise ValueError(f"report format {', '.join(unknown) or '(none)'} is not one of {', '.join(FORMATS)}")
    return wanted


def build_report(
    session: Session,
    settings: Settings,
    *,
    period: str | Period,
    enterprise_id: str | None = None,
    lang: str = "zh",
    formats: Sequence[str] = ("xlsx",),
    out_dir: Path,
    stem: str | None = None,
    today: dt.date | None = None,
) -> tuple[ReportFiles, ReportData]:
    """:func:`generate` inside the caller's session; also returns the computed figures."""
    from alertbot.report.charts import render_charts
    from alertbot.report.tables import report_tables, report_title, summary_rows
    from alertbot.report.writers import write_csv, write_markdown, write_xlsx

    check_lang(lang)
    wanted = _check_formats(formats)
    chosen = period if isinstance(period, Period) else period_of(period)
    as_of = today or local_today(settings.timezone)
    data = collect(
        session,
        chosen,
        enterprise_id=enterprise_id,
        as_of=as_of,
        tz=settings.timezone,
        all_label=label("col.all", lang),
    )
    stem = stem or report_stem(chosen, enterprise_id)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tables = report_tables(data, lang)
    charts = render_charts(data, lang, out_dir, stem)
    xlsx = write_xlsx(data, tables, charts, lang, out_dir / f"{stem}.xlsx") if "xlsx" in wanted else None
    md = write_markdown(data, tables, charts, lang, out_dir / f"{stem}.md") if "md" in wanted else None
    csv_files = tuple(write_csv(data, tables, lang, out_dir, stem)) if "csv" in wanted else ()
    summary = tuple(
        (name, value.isoformat() if isinstance(value, dt.date) else "–" if value is None else str(value))
        for name, value in summary_rows(data, lang)
    )
    files = ReportFiles(
        period=chosen.label,
        enterprise_id=enterprise_id,
        lang=lang,
        title=report_title(data, lang),
        xlsx=xlsx,
        md=md,
        csv=csv_files,
        charts=tuple(chart.path for chart in charts),
        summary=summary,
    )
    return files, data


def generate(
    settings: Settings,
    *,
    period: str,
    enterprise_id: str | None = None,
    lang: str = "zh",
    formats: Sequence[str] = ("xlsx",),
    out_dir: Path,
    stem: str | None = None,
    today: dt.date | None = None,
    factory: SessionFactory | None = None,
) -> ReportFiles:
    """Write the report of ``period`` (``2026-10``, ``2026-Q3``, ``2026``) into ``out_dir``.

    ``enterprise_id`` limits every figure to that enterprise's own alerts (its report holds no other
    enterprise's data, and no source health). ``formats`` is any of ``xlsx``, ``md``, ``csv``; the chart PNGs
    are always written. Files are named ``<stem>.xlsx``, ``<stem>.md``, ``<stem>-<table>.csv`` and
    ``<stem>-chart-<name>.png``; ``stem`` defaults to :func:`report_stem`. ``today`` (default: today in the
    deployment's time zone) is the day the 30-day deadline window starts.

    Raises :class:`PeriodError` for a bad period, :class:`ReportScopeError` for an unknown enterprise and
    :class:`ValueError` for an unknown language or format.
    """
    factory = factory or session_factory(settings)
    with factory() as session:
        files, _ = build_report(
            session,
            settings,
            period=period,
            enterprise_id=enterprise_id,
            lang=lang,
            formats=formats,
            out_dir=out_dir,
            stem=stem,
            today=today,
        )
    return files


def queue_monthly_report(
    settings: Settings, period: str | None = None, *, factory: SessionFactory | None = None
) -> int:
    """Queue the monthly report e-mail (``period``, default last month) to every active staff subscriber's
    e-mail addresses (``email`` and ``file`` channels) through the outbox; returns how many rows were added.

    One delivery per period, subscriber and channel (dedupe key ``report:<period>|<subscriber>|<channel>``):
    calling it again for the same period adds nothing, and the dispatcher retries a failed send.
    """
    from alertbot.report.mail import queue_report_mail

    chosen = period_of(period) if period else previous_month(local_today(settings.timezone))
    return queue_report_mail(settings, chosen, factory=factory or session_factory(settings))


def write_demo_report(settings: Settings, out_dir: Path) -> Path:
    """The report of this month (the demo's own run) as XLSX and markdown with its charts, written into
    ``out_dir``; returns the XLSX path."""
    period = current_month(local_today(settings.timezone))
    files = generate(
        settings,
        period=period.label,
        lang=settings.language,
        formats=("xlsx", "md"),
        out_dir=out_dir,
    )
    assert files.xlsx is not None
    return files.xlsx
