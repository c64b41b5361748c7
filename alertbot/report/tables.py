"""The report as labelled tables: one list of tables feeds the XLSX sheets, the markdown and the CSV files,
so the formats cannot disagree."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from alertbot.report.data import STATUSES, Breakdown, ReportData
from alertbot.report.labels import country_label, label, office_label, value_label


@dataclass(frozen=True)
class Link:
    """A record's web address. Kept apart from plain text so the markdown writer can make the links to
    official registers clickable while any other address stays inert text (see
    :func:`alertbot.report.writers.md_cell`); spreadsheets get the address as text."""

    url: str

    def __str__(self) -> str:
        return self.url


Cell = str | int | float | dt.date | dt.datetime | Link | None


@dataclass(frozen=True)
class Table:
    """One table of the report: a sheet in the XLSX, a section in markdown, a CSV file."""

    key: str
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


def _hours(value: float | None) -> float | None:
    return round(value, 2) if value is not None else None


def _local(moment: dt.datetime | None, tz: str) -> str | None:
    return moment.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M") if moment else None


def report_title(data: ReportData, lang: str) -> str:
    """The report's title line."""
    if data.enterprise_id is not None:
        return label(
            "report.title.enterprise", lang, period=data.period.label, name=data.enterprise_name(lang)
        )
    return label("report.title", lang, period=data.period.label)


def summary_rows(data: ReportData, lang: str) -> list[tuple[str, Cell]]:
    """The summary sheet: headline figures, in reading order."""
    overall = data.triage_times[0]
    rows: list[tuple[str, Cell]] = [
        (label("report.period", lang), data.period.label),
        (
            label("report.scope", lang),
            data.enterprise_name(lang) if data.enterprise_id is not None else label("report.scope.all", lang),
        ),
        (label("report.generated", lang), _local(data.generated_at, data.timezone)),
        (label("report.as_of", lang), data.as_of),
        (label("sum.raised", lang), data.raised),
        (label("sum.confirmed", lang), data.status_totals["confirmed"]),
        (label("sum.dismissed", lang), data.status_totals["dismissed"]),
        (label("sum.escalated", lang), data.status_totals["escalated"]),
        (label("sum.untouched", lang), data.status_totals["new"]),
        (label("sum.triaged", lang), overall.triaged),
        (label("sum.median", lang), _hours(overall.median_hours)),
        (label("sum.p90", lang), _hours(overall.p90_hours)),
        (label("sum.serial", lang), len(data.serial_filers)),
        (label("sum.deadlines", lang), len(data.deadlines)),
        (label("sum.booths", lang), len(data.booths)),
    ]
    if data.sources is not None:
        rows += [
            (label("sum.runs", lang), sum(s.runs for s in data.sources)),
            (label("sum.run_failures", lang), sum(s.failed for s in data.sources)),
            (label("sum.records", lang), sum(s.records_seen for s in data.sources)),
        ]
    return rows


def _breakdown_table(
    key: str, rows: list[Breakdown], first: str, lang: str, name: dict[str, str] | None = None
) -> Table:
    headers = (
        label(first, lang),
        label("col.raised", lang),
        *(label(f"col.{'untouched' if s == 'new' else s}", lang) for s in STATUSES),
    )
    body: tuple[tuple[Cell, ...], ...] = tuple(
        (
            (name or {}).get(row.key, row.key) or label("unknown", lang),
            row.raised,
            *(row.by_status[s] for s in STATUSES),
        )
        for row in rows
    )
    return Table(key, label(f"table.{key}", lang), headers, body)


def _link(url: str) -> Link | None:
    return Link(url) if url else None


def report_tables(data: ReportData, lang: str) -> list[Table]:
    """Every table of the report, in sheet order (the summary is separate: :func:`summary_rows`)."""
    names = {a.enterprise_id: a.enterprise_name(lang) for a in data.alerts}
    risk_names = {risk: value_label("risk", risk, lang) for risk in ("high", "medium", "low")}
    tables = [
        _breakdown_table("by_enterprise", data.by_enterprise, "col.enterprise", lang, names),
        _breakdown_table(
            "by_office",
            data.by_office,
            "col.office",
            lang,
            {b.key: office_label(b.key, lang) for b in data.by_office},
        ),
        _breakdown_table(
            "by_country",
            data.by_country,
            "col.country",
            lang,
            {b.key: country_label(b.key, lang) for b in data.by_country},
        ),
        _breakdown_table("by_risk", data.by_risk, "col.risk", lang, risk_names),
        Table(
            "triage_times",
            label("table.triage_times", lang),
            (
                label("col.risk", lang),
                label("col.raised", lang),
                label("col.triaged", lang),
                label("col.median_h", lang),
                label("col.p90_h", lang),
            ),
            tuple(
                (
                    risk_names.get(t.group, label("col.all", lang)),
                    t.raised,
                    t.triaged,
                    _hours(t.median_hours),
                    _hours(t.p90_hours),
                )
                for t in data.triage_times
            ),
        ),
        Table(
            "serial_filers",
            label("table.serial_filers", lang),
            (
                label("col.applicant", lang),
                label("col.variants", lang),
                label("col.alerts", lang),
                label("col.enterprises", lang),
                label("col.marks", lang),
                label("col.countries", lang),
            ),
            tuple(
                (
                    f.applicant,
                    " | ".join(f.variants),
                    f.alerts,
                    len(f.enterprises),
                    " | ".join(f.marks),
                    " ".join(f.countries),
                )
                for f in data.serial_filers
            ),
        ),
        Table(
            "deadlines",
            label("table.deadlines", lang),
            (
                label("col.deadline", lang),
                label("col.days_left", lang),
                label("col.enterprise", lang),
                label("col.mark", lang),
                label("col.record", lang),
                label("col.applicant", lang),
                label("col.office", lang),
                label("col.risk", lang),
                label("col.alert", lang),
                label("col.link", lang),
            ),
            tuple(
                (
                    a.deadline,
                    (a.deadline - data.as_of).days if a.deadline else None,
                    a.enterprise_name(lang),
                    a.mark,
                    a.record_text,
                    a.applicant,
                    office_label(a.office_or_show, lang),
                    value_label("risk", a.risk, lang),
                    a.alert_id,
                    _link(a.url),
                )
                for a in data.deadlines
            ),
        ),
        Table(
            "booths",
            label("table.booths", lang),
            (
                label("col.show", lang),
                label("col.hall", lang),
                label("col.booth", lang),
                label("col.exhibitor", lang),
                label("col.enterprise", lang),
                label("col.mark", lang),
                label("col.risk", lang),
                label("col.outcome", lang),
                label("col.alert", lang),
            ),
            tuple(
                (
                    b.show,
                    b.hall,
                    b.booth,
                    b.exhibitor,
                    b.alert.enterprise_name(lang),
                    b.alert.mark,
                    value_label("risk", b.alert.risk, lang),
                    value_label("status", b.alert.status, lang),
                    b.alert.alert_id,
                )
                for b in data.booths
            ),
        ),
    ]
    if data.sources is not None:
        tables.append(
            Table(
                "sources",
                label("table.sources", lang),
                (
                    label("col.source", lang),
                    label("col.runs", lang),
                    label("col.runs_ok", lang),
                    label("col.runs_partial", lang),
                    label("col.runs_failed", lang),
                    label("col.records_seen", lang),
                    label("col.records_new", lang),
                    label("col.quarantined", lang),
                    label("col.errors", lang),
                    label("col.last_run", lang),
                    label("col.last_error", lang),
                ),
                tuple(
                    (
                        s.source,
                        s.runs,
                        s.ok,
                        s.partial,
                        s.failed,
                        s.records_seen,
                        s.records_new,
                        s.quarantined,
                        s.errors,
                        _local(s.last_run, data.timezone),
                        s.last_error,
                    )
                    for s in data.sources
                ),
            )
        )
    tables.append(
        Table(
            "alerts",
            label("table.alerts", lang),
            (
                label("col.alert", lang),
                label("col.raised_at", lang),
                label("col.enterprise", lang),
                label("col.risk", lang),
                label("col.status", lang),
                label("col.kind", lang),
                label("col.mark", lang),
                label("col.record", lang),
                label("col.applicant", lang),
                label("col.country", lang),
                label("col.office", lang),
                label("col.deadline", lang),
                label("col.link", lang),
            ),
            tuple(
                (
                    a.alert_id,
                    _local(a.created_at, data.timezone),
                    a.enterprise_name(lang),
                    value_label("risk", a.risk, lang),
                    value_label("status", a.status, lang),
                    value_label("kind", a.kind, lang),
                    a.mark,
                    a.record_text,
                    a.applicant,
                    country_label(a.country, lang),
                    office_label(a.office_or_show, lang),
                    a.deadline,
                    _link(a.url),
                )
                for a in data.alerts
            ),
        )
    )
    return tables
