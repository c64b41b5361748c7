"""The report's figures, read from the database and computed in Python (same results on SQLite and PostgreSQL).

Definitions (docs/reports.md explains them to readers):

* **Alerts raised** in a period: alerts whose ``created_at`` falls in the period's local days.
* **Triage** is the alert's current status: confirmed, dismissed, escalated, or untouched (``new``).
* **Triage time** of an alert: from its ``created_at`` to the first triage entry in the audit log
  (``alert.confirm``/``alert.dismiss``/``alert.escalate``). Median is the usual one (mean of the two middle
  values for an even count); p90 is the nearest-rank percentile: the ⌈0.9·n⌉-th smallest value.
* **Serial filers**: applicants (grouped by the normalised applicant key, so spellings of one applicant count
  together) with two or more alerts raised in the period, most alerts first; their name variants are the
  distinct spellings seen.
* **Deadlines**: alerts still untouched whose opposition deadline falls within ``as_of`` .. ``as_of + 30``
  days (``as_of`` is the day the report is made), whenever the alert was raised.
* **Flagged booths**: alerts raised in the period on exhibitor records, per show edition, with the outcome.
* **Source health**: crawl runs started in the period, per source (staff reports only).

An enterprise's report (``enterprise_id``) reads only that enterprise's alerts; source health, which is
about the centre's crawlers rather than any enterprise, is left out of it.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from alertbot.alerting import applicant_key
from alertbot.models import Alert, AlertStatus, AuditLog, CrawlRun, Enterprise, Record
from alertbot.report.labels import country_code
from alertbot.report.period import Period, trailing_months

TRIAGE_ACTIONS = ("alert.confirm", "alert.dismiss", "alert.escalate")
STATUSES: tuple[str, ...] = (
    AlertStatus.CONFIRMED.value,
    AlertStatus.DISMISSED.value,
    AlertStatus.ESCALATED.value,
    AlertStatus.NEW.value,
)
RISKS: tuple[str, ...] = ("high", "medium", "low")
DEADLINE_WINDOW_DAYS = 30
SERIAL_MIN_ALERTS = 2
SERIAL_TOP = 10
FAILED_RUN_STATUSES = frozenset({"error", "failed", "timeout", "killed"})


class ReportScopeError(LookupError):
    """The enterprise asked for does not exist."""


@dataclass(frozen=True)
class AlertRow:
    """One alert as the report sees it."""

    alert_id: int
    created_at: dt.datetime  # UTC
    local_day: dt.date
    enterprise_id: str
    enterprise_name_zh: str
    enterprise_name_en: str
    risk: str
    status: str
    kind: str
    office_or_show: str
    country: str
    mark: str
    applicant: str
    applicant_key: str
    record_text: str
    source: str
    deadline: dt.date | None
    hall: str
    booth: str
    url: str

    def enterprise_name(self, lang: str) -> str:
        """The enterprise's name in ``lang``, falling back to the other language, then the id."""
        first, second = (
            (self.enterprise_name_en, self.enterprise_name_zh)
            if lang == "en"
            else (self.enterprise_name_zh, self.enterprise_name_en)
        )
        return first or second or self.enterprise_id


@dataclass(frozen=True)
class Breakdown:
    """Alert counts for one value of a dimension (an enterprise, an office, a country, a risk)."""

    key: str
    raised: int
    by_status: dict[str, int]


@dataclass(frozen=True)
class TriageTimes:
    """Triage-time figures of one group of alerts (hours)."""

    group: str
    raised: int
    triaged: int
    median_hours: float | None
    p90_hours: float | None


@dataclass(frozen=True)
class SerialFiler:
    """An applicant with several alerts in the period."""

    applicant: str  # the most frequent spelling
    variants: tuple[str, ...]
    alerts: int
    enterprises: tuple[str, ...]
    marks: tuple[str, ...]
    countries: tuple[str, ...]


@dataclass(frozen=True)
class FlaggedBooth:
    """An exhibitor flagged at a show edition, and what was done about it."""

    edition: str
    show: str
    hall: str
    booth: str
    exhibitor: str
    alert: AlertRow


@dataclass(frozen=True)
class SourceHealth:
    """One source's crawl runs in the period."""

    source: str
    runs: int
    ok: int
    partial: int
    failed: int
    records_seen: int
    records_new: int
    quarantined: int
    errors: int
    last_run: dt.datetime | None
    last_error: str


@dataclass
class ReportData:
    """Everything a report shows, computed once and written to every format."""

    period: Period
    enterprise_id: str | None
    enterprise_name_zh: str
    enterprise_name_en: str
    as_of: dt.date
    generated_at: dt.datetime
    timezone: str
    alerts: list[AlertRow]
    by_enterprise: list[Breakdown]
    by_office: list[Breakdown]
    by_country: list[Breakdown]
    by_risk: list[Breakdown]
    status_totals: dict[str, int]
    triage_times: list[TriageTimes]  # first row: all alerts, then one per risk
    serial_filers: list[SerialFiler]
    deadlines: list[AlertRow]
    booths: list[FlaggedBooth]
    sources: list[SourceHealth] | None  # None in an enterprise's report
    monthly: dict[dt.date, dict[str, int]] = field(default_factory=dict)  # month -> risk -> alerts

    @property
    def raised(self) -> int:
        """Alerts raised in the period."""
        return len(self.alerts)

    def enterprise_name(self, lang: str) -> str:
        """The scoped enterprise's name in ``lang`` (empty for a staff report)."""
        first, second = (
            (self.enterprise_name_en, self.enterprise_name_zh)
            if lang == "en"
            else (self.enterprise_name_zh, self.enterprise_name_en)
        )
        return first or second or (self.enterprise_id or "")


def median(values: Sequence[float]) -> float | None:
    """The median, or ``None`` for no values."""
    return statistics.median(values) if values else None


def p90(values: Sequence[float]) -> float | None:
    """The nearest-rank 90th percentile: the ⌈0.9·n⌉-th smallest value (``None`` for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(0.9 * len(ordered)), 1) - 1]


def _show_name(raw: object, source_key: str) -> str:
    # Expo spiders keep the show's name in raw (as alert_view reads it); the source key names the edition.
    show = (raw.get("show") or raw.get("expo")) if isinstance(raw, dict) else None
    return str(show) if show else source_key


# Only the columns the report shows: loading whole rows would parse every record's raw JSON.
_ALERT_COLUMNS = (
    col(Alert.id),
    col(Alert.created_at),
    col(Alert.enterprise_id),
    col(Alert.risk),
    col(Alert.status),
    col(Alert.mark),
    col(Alert.applicant_key),
    col(Alert.opposition_deadline),
    col(Enterprise.name_zh),
    col(Enterprise.name_en),
    col(Record.id),
    col(Record.kind),
    col(Record.office),
    col(Record.applicant_country),
    col(Record.applicant),
    col(Record.text),
    col(Record.source_key),
    col(Record.opposition_end),
    col(Record.hall),
    col(Record.booth),
    col(Record.url),
)
_CHUNK = 500


def _scoped(query: Any, enterprise_id: str | None) -> Any:
    return query if enterprise_id is None else query.where(col(Alert.enterprise_id) == enterprise_id)


def _alert_rows(
    session: Session, *, enterprise_id: str | None, tz: str, where: Sequence[Any] = ()
) -> list[AlertRow]:
    query = (
        sa_select(*_ALERT_COLUMNS)
        .join(Record, col(Record.id) == col(Alert.record_id))
        .join(Enterprise, col(Enterprise.id) == col(Alert.enterprise_id))
        .where(*where)
        .order_by(col(Alert.id))
    )
    found = session.exec(_scoped(query, enterprise_id)).all()
    exhibitors = sorted({row[10] for row in found if row[11] == "exhibitor"})
    shows: dict[int, str] = {}
    for index in range(0, len(exhibitors), _CHUNK):
        chunk = exhibitors[index : index + _CHUNK]
        statement: Any = sa_select(col(Record.id), col(Record.raw), col(Record.source_key))
        for record_id, raw, source_key in session.exec(statement.where(col(Record.id).in_(chunk))).all():
            shows[record_id] = _show_name(raw, source_key)
    zone = ZoneInfo(tz)
    rows: list[AlertRow] = []
    for (
        alert_id,
        created_at,
        enterprise,
        risk,
        status,
        mark,
        filer_key,
        alert_deadline,
        name_zh,
        name_en,
        record_id,
        kind,
        office,
        country,
        applicant,
        text,
        source_key,
        opposition_end,
        hall,
        booth,
        url,
    ) in found:
        rows.append(
            AlertRow(
                alert_id=alert_id,
                created_at=created_at,
                local_day=created_at.astimezone(zone).date(),
                enterprise_id=enterprise,
                enterprise_name_zh=name_zh,
                enterprise_name_en=name_en,
                risk=risk,
                status=status,
                kind=kind,
                office_or_show=shows.get(record_id, source_key) if kind == "exhibitor" else (office or ""),
                country=country_code(country),
                mark=mark,
                applicant=applicant or "",
                applicant_key=filer_key or applicant_key(applicant),
                record_text=text or "",
                source=source_key,
                deadline=alert_deadline or opposition_end,
                hall=hall or "",
                booth=booth or "",
                url=url or "",
            )
        )
    return rows


def _breakdown(alerts: Iterable[AlertRow], key: Callable[[AlertRow], str]) -> list[Breakdown]:
    groups: dict[str, Counter[str]] = defaultdict(Counter)
    for alert in alerts:
        groups[key(alert)][alert.status] += 1
    result = [
        Breakdown(name, sum(counts.values()), {status: counts.get(status, 0) for status in STATUSES})
        for name, counts in groups.items()
    ]
    return sorted(result, key=lambda row: (-row.raised, row.key))


def _first_triage(session: Session, alerts: Sequence[AlertRow], since: dt.datetime) -> dict[int, dt.datetime]:
    if not alerts:
        return {}
    wanted = {str(alert.alert_id) for alert in alerts}
    query = (
        select(AuditLog.entity_id, func.min(AuditLog.at))
        .where(
            col(AuditLog.entity_type) == "alert",
            col(AuditLog.action).in_(TRIAGE_ACTIONS),
            col(AuditLog.at) >= since,
        )
        .group_by(col(AuditLog.entity_id))
    )
    first: dict[int, dt.datetime] = {}
    for entity_id, at in session.exec(query).all():
        if entity_id in wanted and at is not None:
            moment = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
            first[int(entity_id)] = moment
    return first


def _triage_times(
    alerts: Sequence[AlertRow], first: dict[int, dt.datetime], all_label: str
) -> list[TriageTimes]:
    def figures(group: str, members: Sequence[AlertRow]) -> TriageTimes:
        hours = [
            (first[a.alert_id] - a.created_at).total_seconds() / 3600.0
            for a in members
            if a.alert_id in first
        ]
        return TriageTimes(group, len(members), len(hours), median(hours), p90(hours))

    rows = [figures(all_label, alerts)]
    rows += [figures(risk, [a for a in alerts if a.risk == risk]) for risk in RISKS]
    return rows


def _serial_filers(alerts: Sequence[AlertRow]) -> list[SerialFiler]:
    groups: dict[str, list[AlertRow]] = defaultdict(list)
    for alert in alerts:
        if alert.applicant_key:
            groups[alert.applicant_key].append(alert)
    filers: list[SerialFiler] = []
    for members in groups.values():
        if len(members) < SERIAL_MIN_ALERTS:
            continue
        spellings = Counter(a.applicant for a in members if a.applicant)
        most = sorted(spellings.items(), key=lambda item: (-item[1], item[0]))[0][0] if spellings else ""
        filers.append(
            SerialFiler(
                applicant=most,
                variants=tuple(sorted(spellings)),
                alerts=len(members),
                enterprises=tuple(sorted({a.enterprise_id for a in members})),
                marks=tuple(sorted({a.mark for a in members if a.mark})),
                countries=tuple(sorted({a.country for a in members if a.country})),
            )
        )
    filers.sort(key=lambda f: (-f.alerts, -len(f.enterprises), f.applicant))
    return filers[:SERIAL_TOP]


def _booths(session: Session, alerts: Sequence[AlertRow]) -> list[FlaggedBooth]:
    """Per show edition, through :func:`alertbot.expo.flagged_booths` (which knows the show's name and the
    exhibitor's names), kept to the alerts of this report; an exhibitor since removed from the list is still
    reported from its record."""
    from alertbot.expo import flagged_booths

    ours = {a.alert_id: a for a in alerts if a.kind == "exhibitor"}
    booths: dict[int, FlaggedBooth] = {}
    for edition in sorted({a.source for a in ours.values()}):
        for flagged in flagged_booths(session, edition, include_dismissed=True):
            alert = ours.get(flagged.alert_id)
            if alert is not None:
                name = flagged.name_raw or flagged.name_zh or flagged.name_en
                booths[alert.alert_id] = FlaggedBooth(
                    edition, flagged.show, flagged.hall, flagged.booth, name, alert
                )
    for alert in ours.values():
        if alert.alert_id not in booths:
            booths[alert.alert_id] = FlaggedBooth(
                alert.source, alert.office_or_show, alert.hall, alert.booth, alert.record_text, alert
            )
    return sorted(booths.values(), key=lambda b: (b.edition, b.hall, b.booth, b.alert.alert_id))


def _sources(session: Session, start: dt.datetime, end: dt.datetime) -> list[SourceHealth]:
    runs = session.exec(
        select(CrawlRun)
        .where(col(CrawlRun.started_at) >= start, col(CrawlRun.started_at) < end)
        .order_by(col(CrawlRun.started_at), col(CrawlRun.id))
    ).all()
    by_source: dict[str, list[CrawlRun]] = defaultdict(list)
    for run in runs:
        by_source[run.source_key].append(run)
    health: list[SourceHealth] = []
    for source, members in sorted(by_source.items()):
        errors = [run.error_detail for run in members if run.error_detail]
        health.append(
            SourceHealth(
                source=source,
                runs=len(members),
                ok=sum(1 for run in members if run.status == "ok"),
                partial=sum(1 for run in members if run.status == "partial"),
                failed=sum(1 for run in members if run.status in FAILED_RUN_STATUSES),
                records_seen=sum(run.records_seen for run in members),
                records_new=sum(run.records_new for run in members),
                quarantined=sum(run.quarantined for run in members),
                errors=sum(run.errors for run in members),
                last_run=members[-1].started_at,
                last_error=(errors[-1] or "")[:300] if errors else "",
            )
        )
    return health


def collect(
    session: Session,
    period: Period,
    *,
    enterprise_id: str | None,
    as_of: dt.date,
    tz: str,
    all_label: str = "all",
) -> ReportData:
    """Read and compute every figure of the report for ``period`` (and one enterprise, when given)."""
    name_zh = name_en = ""
    if enterprise_id is not None:
        enterprise = session.get(Enterprise, enterprise_id)
        if enterprise is None:
            raise ReportScopeError(f"enterprise {enterprise_id!r} is not on the watchlist")
        name_zh, name_en = enterprise.name_zh, enterprise.name_en
    start, end = period.bounds(tz)
    alerts = _alert_rows(
        session,
        enterprise_id=enterprise_id,
        tz=tz,
        where=(col(Alert.created_at) >= start, col(Alert.created_at) < end),
    )

    trend = trailing_months(period)
    trend_start, _ = trend.bounds(tz)
    zone = ZoneInfo(tz)
    monthly: dict[dt.date, dict[str, int]] = {month: dict.fromkeys(RISKS, 0) for month in trend.months()}
    earlier = session.exec(
        _scoped(
            sa_select(col(Alert.created_at), col(Alert.risk)).where(
                col(Alert.created_at) >= trend_start, col(Alert.created_at) < start
            ),
            enterprise_id,
        )
    ).all()
    for created_at, risk in [*earlier, *((a.created_at, a.risk) for a in alerts)]:
        bucket = monthly.setdefault(
            created_at.astimezone(zone).date().replace(day=1), dict.fromkeys(RISKS, 0)
        )
        bucket[risk] = bucket.get(risk, 0) + 1

    horizon = as_of + dt.timedelta(days=DEADLINE_WINDOW_DAYS)
    deadline = func.coalesce(col(Alert.opposition_deadline), col(Record.opposition_end))
    deadlines = sorted(
        _alert_rows(
            session,
            enterprise_id=enterprise_id,
            tz=tz,
            where=(col(Alert.status) == AlertStatus.NEW.value, deadline >= as_of, deadline <= horizon),
        ),
        key=lambda a: (a.deadline or as_of, a.alert_id),
    )
    status_counts = Counter(a.status for a in alerts)
    return ReportData(
        period=period,
        enterprise_id=enterprise_id,
        enterprise_name_zh=name_zh,
        enterprise_name_en=name_en,
        as_of=as_of,
        generated_at=dt.datetime.now(dt.UTC),
        timezone=tz,
        alerts=alerts,
        by_enterprise=_breakdown(alerts, lambda a: a.enterprise_id),
        by_office=_breakdown(alerts, lambda a: a.office_or_show),
        by_country=_breakdown(alerts, lambda a: a.country),
        by_risk=sorted(
            _breakdown(alerts, lambda a: a.risk),
            key=lambda row: RISKS.index(row.key) if row.key in RISKS else len(RISKS),
        ),
        status_totals={status: status_counts.get(status, 0) for status in STATUSES},
        triage_times=_triage_times(alerts, _first_triage(session, alerts, start), all_label),
        serial_filers=_serial_filers(alerts),
        deadlines=deadlines,
        booths=_booths(session, alerts),
        sources=None if enterprise_id is not None else _sources(session, start, end),
        monthly=dict(sorted(monthly.items())),
    )
