"""Sources as data: every crawlable source, named by its spider (``uspto_tm_daily``) or expo edition key, with
its pinned URL, cron schedule, pause flag and health, kept in :class:`~alertbot.models.SourceConfig`.

The CLI (``alertbot sources``), the bot (``/sources``, ``/crawl``, ``/schedule``) and the service all read and
change sources through this module; every change is audit-logged. The service reconciles the rows into its
scheduler (docs/service.md), so a change made here by another process is picked up within
``ALERTBOT_RECONCILE_INTERVAL`` seconds.

``alertbot`` never imports ``spiders``: the catalogue below names each gazette spider, its default cron (in
``ALERTBOT_TIMEZONE``), its publication cadence and the spider argument a pinned URL goes to.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlparse

from sqlmodel import Session, col, select

from alertbot.expo import SPIDER_NAME, EditionError, get_edition, load_editions, next_crawl_at
from alertbot.expo import crawl_spec as expo_crawl_spec
from alertbot.expo import set_url as expo_set_url
from alertbot.models import AuditLog, CrawlRun, SourceConfig, utcnow
from alertbot.settings import get_settings

FILE_SUFFIXES = (".zip", ".xml")
FAILED_STATUSES = frozenset({"error", "timeout", "crashed"})
LOW_FRACTION = 0.2  # "far fewer records": under a fifth of the recent median
LOW_MIN_HISTORY = 3  # runs needed before a median means anything
LOW_HISTORY = 10  # how many recent successful runs make the median


@dataclass(frozen=True)
class SourceDefault:
    """What a gazette source needs before anyone configured it.

    ``cron`` is a five-field crontab in ``ALERTBOT_TIMEZONE`` (Asia/Shanghai by default); ``cadence`` is how
    often the office publishes (a source is stale after twice that without new data); ``url_arg`` is the
    spider argument a non-file URL replaces (``-a product_url=…``), or ``setting:NAME`` for a Scrapy setting.
    """

    spider: str
    cron: str
    cadence: dt.timedelta
    reason: str
    url_arg: str


CATALOGUE: Mapping[str, SourceDefault] = {
    default.spider: default
    for default in (
        SourceDefault(
            "uspto_tm_daily",
            "30 14 * * *",
            dt.timedelta(days=1),
            "USPTO publishes one trademark applications zip a day (Saturdays too) at ~23:48 US Eastern, "
            "i.e. ~12:48 Shanghai: crawl daily at 14:30 once the file is listed.",
            "product_url",
        ),
        SourceDefault(
            "uspto_patent_app",
            "0 21 * * 4",
            dt.timedelta(days=7),
            "USPTO publishes the weekly patent application full text on Thursdays (early morning US "
            "Eastern): crawl Thursdays at 21:00 Shanghai, 08:00 Eastern.",
            "product_url",
        ),
        SourceDefault(
            "epo_ops",
            "0 23 * * 3",
            dt.timedelta(days=7),
            "EP publications and the European Patent Bulletin appear on Wednesdays (14:00 CET): crawl "
            "Wednesdays at 23:00 Shanghai, once OPS serves the week.",
            "base_url",
        ),
        SourceDefault(
            "kipris_tm",
            "0 11 * * 1-5",
            dt.timedelta(days=2),
            "KIPO publishes marks for opposition on Korean working days: crawl weekdays at 11:00 Shanghai "
            "(noon KST); cadence two days to ride out weekends.",
            "base_url",
        ),
        SourceDefault(
            "st66",
            "0 16 * * *",
            dt.timedelta(days=1),
            "EUIPO and TMview publish daily delta archives overnight in Europe: crawl daily at 16:00 "
            "Shanghai, 09:00 CET.",
            "setting:ST66_FEED_URLS",
        ),
    )
}
EXPO_CADENCE = dt.timedelta(days=1)
NEVER_RUN = "未运行 never run"


class SourceError(ValueError):
    """A source name, URL or cron that cannot be used; the message says which and why."""


@dataclass(frozen=True)
class RunView:
    """The facts of one crawl run that people look at."""

    id: int
    started_at: dt.datetime
    finished_at: dt.datetime | None
    status: str
    records_seen: int
    records_new: int
    alerts_new: int
    error: str | None


@dataclass(frozen=True)
class SourceView:
    """One source as ``alertbot sources list``, ``alertbot status`` and the bot's ``/sources`` show it."""

    name: str
    kind: str
    spider: str
    url: str | None
    cron: str
    cron_is_default: bool
    paused: bool
    reason: str
    health: str
    health_detail: str | None
    health_since: dt.datetime | None
    last_run: RunView | None
    last_success_at: dt.datetime | None
    runs_total: int
    next_run_at: dt.datetime | None
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def healthy(self) -> bool:
        """True when no fault is open on the source."""
        return self.health == "ok"

    @property
    def health_label(self) -> str:
        """The health people read: a source that never ran is not yet "ok", it is "未运行 never run"."""
        if self.healthy and self.last_run is None:
            return NEVER_RUN
        return self.health

    def summary_line(self) -> str:
        """One line for chat (the bot's ``/sources``): name, health, last run, next run (UTC)."""
        parts = [
            self.name,
            self.health_label if self.healthy else f"{self.health}: {(self.health_detail or '')[:80]}",
        ]
        run = self.last_run
        if run is not None:
            parts.append(
                f"last {run.started_at:%Y-%m-%d %H:%M} {run.status} {run.records_seen} seen/{run.records_new} new/"
                f"{run.alerts_new} alerts"
            )
        parts.append(
            "paused"
            if self.paused
            else f"next {self.next_run_at:%Y-%m-%d %H:%M} UTC"
            if self.next_run_at
            else ""
        )
        return " · ".join(part for part in parts if part)


@dataclass(frozen=True)
class Health:
    """A source's health verdict: ``ok``, or a fault (``failing``, ``low``, ``stale``) with its reason."""

    state: str
    detail: str | None = None


# -- catalogue and rows -----------------------------------------------------------------------------------


def default_for(config: SourceConfig) -> SourceDefault | None:
    """The catalogue entry of a gazette source (None for expo editions)."""
    return CATALOGUE.get(config.spider or config.name) if config.kind == "gazette" else None


def effective_cron(config: SourceConfig) -> str:
    """The cron a source runs on: its own, else the catalogue default; expo editions always run in expo mode
    ('expo'), even if a cron was stored on their row (:func:`set_schedule` refuses one)."""
    if config.kind == "expo":
        return "expo"
    if config.cron:
        return config.cron
    default = default_for(config)
    return default.cron if default else "expo"


def cadence(config: SourceConfig) -> dt.timedelta:
    """How often the source publishes: the catalogue's, or a day for expo lists."""
    default = default_for(config)
    return default.cadence if default else EXPO_CADENCE


def ensure_sources(session: Session) -> list[SourceConfig]:
    """Create the rows of catalogue sources and expo editions that have none yet (in the caller's
    transaction); all rows."""
    rows = {row.name: row for row in session.exec(select(SourceConfig)).all()}
    wanted = {name: ("gazette", default.spider) for name, default in CATALOGUE.items()}
    wanted.update({name: ("expo", spider) for name, spider in expo_editions().items()})
    for name, (kind, spider) in wanted.items():
        if name not in rows:
            rows[name] = SourceConfig(name=name, kind=kind, spider=spider)
            session.add(rows[name])
    session.flush()
    return sorted(rows.values(), key=lambda row: row.name)


def expo_editions() -> dict[str, str]:
    """{edition id: spider} of every loadable expo edition (bundled and ``<data dir>/expos``); empty when an
    edition file is broken (``alertbot expo list`` names the file)."""
    try:
        return {edition_id: SPIDER_NAME for edition_id in load_editions(get_settings())}
    except EditionError:
        return {}


def _configs(session: Session) -> list[SourceConfig]:
    rows = {row.name: row for row in session.exec(select(SourceConfig)).all()}
    for name, default in CATALOGUE.items():
        rows.setdefault(name, SourceConfig(name=name, kind="gazette", spider=default.spider))
    for name, spider in expo_editions().items():
        rows.setdefault(name, SourceConfig(name=name, kind="expo", spider=spider))
    return sorted(rows.values(), key=lambda row: row.name)


def get_source(session: Session, name: str) -> SourceConfig:
    """The stored row of ``name`` (created for catalogue sources); :class:`SourceError` naming the known ones."""
    row = session.get(SourceConfig, name)
    if row is None and name in CATALOGUE:
        row = SourceConfig(name=name, kind="gazette", spider=CATALOGUE[name].spider)
    elif row is None and name in (editions := expo_editions()):
        row = SourceConfig(name=name, kind="expo", spider=editions[name])
    if row is not None and row not in session:
        session.add(row)
        session.flush()
    if row is None:
        known = ", ".join(config.name for config in _configs(session))
        raise SourceError(f"unknown source {name!r}; known sources: {known}")
    return row


def runs_filter(config: SourceConfig) -> Any:
    # Gazette runs carry the spider's name; an expo edition's runs carry the edition's source key.
    if config.kind == "expo":
        return col(CrawlRun.source_key) == config.name
    return col(CrawlRun.spider) == (config.spider or config.name)


def _runs_query(config: SourceConfig) -> Any:
    return select(CrawlRun).where(runs_filter(config))


def runs_of(session: Session, config: SourceConfig, limit: int = 20) -> list[CrawlRun]:
    """The latest runs of a source, newest first."""
    return list(session.exec(_runs_query(config).order_by(col(CrawlRun.id).desc()).limit(limit)).all())


def last_success_at(session: Session, config: SourceConfig) -> dt.datetime | None:
    """When the source's last ok/partial run finished."""
    run = session.exec(
        _runs_query(config)
        .where(col(CrawlRun.status).in_(["ok", "partial"]))
        .order_by(col(CrawlRun.id).desc())
        .limit(1)
    ).first()
    return (run.finished_at or run.started_at) if run is not None else None


# -- schedules ----------------------------------------------------------------------------------------------


_WEEKDAY_NUMBER = re.compile(r"(?<![/\d])\d+")
_WEEKDAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _crontab_weekdays(field: str) -> str:
    # crontab counts weekdays from Sunday = 0 (7 too); APScheduler 3's from_crontab reads them from Monday = 0,
    # so "0 21 * * 4" would fire on Fridays. Names mean the same to both.
    def name(match: re.Match[str]) -> str:
        number = int(match.group())
        if number > 7:
            raise SourceError(f"weekday {number} is out of range (0-7, Sunday = 0 or 7)")
        return _WEEKDAY_NAMES[number]

    return _WEEKDAY_NUMBER.sub(name, field)


def validate_cron(cron: str, tz: str) -> Any:
    """The APScheduler trigger of a five-field crontab (weekdays as in crontab: 0 or 7 = Sunday);
    :class:`SourceError` with the parser's reason."""
    from apscheduler.triggers.cron import CronTrigger

    fields = cron.split()
    if len(fields) != 5:
        raise SourceError(
            f"cron {cron!r} is not a valid five-field crontab (minute hour day month weekday): "
            f"it has {len(fields)} fields"
        )
    try:
        minute, hour, day, month, weekday = fields
        return CronTrigger(
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=_crontab_weekdays(weekday),
            timezone=tz,
        )
    except ValueError as error:
        raise SourceError(
            f"cron {cron!r} is not a valid five-field crontab (minute hour day month weekday): {error}"
        ) from error


def next_cron_time(cron: str, after: dt.datetime, tz: str) -> dt.datetime | None:
    """The first fire time of ``cron`` strictly after ``after`` (UTC)."""
    trigger = validate_cron(cron, tz)
    fire = trigger.get_next_fire_time(None, after + dt.timedelta(microseconds=1))
    return fire.astimezone(dt.UTC) if fire else None


def previous_cron_time(cron: str, before: dt.datetime, tz: str) -> dt.datetime | None:
    """The last fire time of ``cron`` at or before ``before`` (UTC), searched back up to 400 days."""
    trigger = validate_cron(cron, tz)
    window = dt.timedelta(days=1)
    while window <= dt.timedelta(days=512):
        # Widen the window until it holds a fire time, then walk forward to the last one before ``before``.
        previous: dt.datetime | None = None
        fire = trigger.get_next_fire_time(None, before - window)
        while fire is not None and fire <= before:
            previous = fire
            fire = trigger.get_next_fire_time(fire, fire + dt.timedelta(seconds=1))
        if previous is not None:
            return previous.astimezone(dt.UTC)
        window *= 2
    return None


def _edition(name: str) -> Any:
    return get_edition(get_settings(), name)


def expo_next_run(config: SourceConfig, now: dt.datetime) -> dt.datetime | None:
    """When an expo edition is crawled next: the expo issue's expo-mode function (hourly around the show,
    daily otherwise); None when the edition file is gone or broken."""
    try:
        return next_crawl_at(_edition(config.name), now)
    except EditionError:
        return None


def next_run_at(config: SourceConfig, now: dt.datetime, tz: str) -> dt.datetime | None:
    """When the source runs next on its schedule (None when paused)."""
    if config.paused:
        return None
    cron = effective_cron(config)
    if cron == "expo":
        return expo_next_run(config, now)
    return next_cron_time(cron, now, tz)


# -- health -------------------------------------------------------------------------------------------------


def assess_health(session: Session, config: SourceConfig, now: dt.datetime) -> Health:
    """The source's health now, most serious fault first.

    * ``failing``: its last run ended in error, timeout or crash;
    * ``low``: its last run (one that processed a file, for file sources) stored under ``LOW_FRACTION`` of
      the median of its recent successful runs;
    * ``stale``: no run has brought data (new or changed records) for twice its cadence (counted from when
      the source was set up, so a fresh install is not stale at once). Paused sources are never stale.
    """
    runs = runs_of(session, config, limit=LOW_HISTORY + 1)
    # Runs stopped by a service shutdown say nothing about the source.
    finished = [run for run in runs if run.status not in {"running", "stopped"}]
    if finished and finished[0].status in FAILED_STATUSES:
        last = finished[0]
        return Health("failing", f"run {last.id} {last.status}: {(last.error_detail or '')[:300]}")
    if finished:
        last, history = finished[0], [run.records_seen for run in finished[1:] if run.records_seen > 0]
        processed = last.stats.get("files_processed") if isinstance(last.stats, dict) else None
        if len(history) >= LOW_MIN_HISTORY and processed != 0:
            median = statistics.median(history)
            if last.records_seen < LOW_FRACTION * median:
                return Health(
                    "low",
                    f"run {last.id} stored {last.records_seen} records; recent median {median:g}",
                )
    if not config.paused and _may_go_stale(config, now):
        limit = 2 * cadence(config)
        with_data = session.exec(
            _runs_query(config)
            .where((col(CrawlRun.records_new) + col(CrawlRun.records_updated)) > 0)
            .order_by(col(CrawlRun.id).desc())
            .limit(1)
        ).first()
        reference = max(
            filter(None, [with_data.finished_at if with_data else None, config.created_at]), default=None
        )
        if reference is not None and now - reference > limit:
            days = (now - reference).total_seconds() / 86400
            return Health("stale", f"no new data for {days:.1f} days (cadence {cadence(config).days} d)")
    return Health("ok")


def _may_go_stale(config: SourceConfig, now: dt.datetime) -> bool:
    # An exhibitor list is expected only while its edition has a list URL and the show is not over; a bundled
    # edition whose URL is not public yet, or last year's show, is not a fault.
    if config.kind != "expo":
        return True
    try:
        edition = _edition(config.name)
    except EditionError:
        return False
    return bool(edition.urls) and now <= edition.closes_at()


# -- the views ----------------------------------------------------------------------------------------------


def _run_view(run: CrawlRun | None) -> RunView | None:
    if run is None or run.id is None:
        return None
    return RunView(
        id=run.id,
        started_at=run.started_at,
        finished_at=run.finished_at,
        status=run.status,
        records_seen=run.records_seen,
        records_new=run.records_new,
        alerts_new=run.alerts_new,
        error=run.error_detail,
    )


def source_view(session: Session, config: SourceConfig, now: dt.datetime, tz: str) -> SourceView:
    """One source's view at ``now``."""
    from sqlalchemy import func
    from sqlalchemy import select as sa_select

    default = default_for(config)
    runs = runs_of(session, config, limit=1)
    totals = session.execute(
        sa_select(
            func.count(),
            func.coalesce(func.sum(CrawlRun.records_seen), 0),
            func.coalesce(func.sum(CrawlRun.records_new), 0),
            func.coalesce(func.sum(CrawlRun.alerts_new), 0),
        ).where(runs_filter(config))
    ).one()
    try:
        upcoming = next_run_at(config, now, tz)
    except SourceError:
        upcoming = None
    return SourceView(
        name=config.name,
        kind=config.kind,
        spider=config.spider or config.name,
        url=config.url,
        cron=effective_cron(config),
        cron_is_default=config.cron is None or config.kind == "expo",
        paused=config.paused,
        reason=default.reason
        if default
        else "exhibitor list: expo mode (hourly around the show, daily otherwise)",
        health=config.health,
        health_detail=config.health_detail,
        health_since=config.health_since,
        last_run=_run_view(runs[0] if runs else None),
        last_success_at=last_success_at(session, config),
        runs_total=int(totals[0]),
        next_run_at=upcoming,
        counts={"records_seen": int(totals[1]), "records_new": int(totals[2]), "alerts_new": int(totals[3])},
    )


def list_sources(session: Session, now: dt.datetime | None = None, tz: str | None = None) -> list[SourceView]:
    """Every source (catalogue gazettes and stored expo editions) with its last run, counts, health and next
    run, sorted by name. Reads only; catalogue sources without a row show their defaults."""
    zone = tz or get_settings().timezone
    moment = now or utcnow()
    return [source_view(session, config, moment, zone) for config in _configs(session)]


# -- changes (audit-logged) ---------------------------------------------------------------------------------


def _audit(session: Session, actor: str, action: str, config: SourceConfig, before: dict[str, Any]) -> None:
    after = {"url": config.url, "cron": config.cron, "paused": config.paused}
    session.add(
        AuditLog(
            actor=actor,
            action=action,
            entity_type="source",
            entity_id=config.name,
            before=before,
            after=after,
        )
    )


def _change(session: Session, name: str, actor: str, action: str, **values: Any) -> SourceConfig:
    config = get_source(session, name)
    before = {"url": config.url, "cron": config.cron, "paused": config.paused}
    for key, value in values.items():
        setattr(config, key, value)
    config.updated_at = utcnow()
    config.updated_by = actor
    session.add(config)
    _audit(session, actor, action, config, before)
    session.flush()
    return config


def validate_url(url: str) -> str:
    """A pinned URL must be http(s) or file; :class:`SourceError` otherwise."""
    cleaned = url.strip()
    parsed = urlparse(cleaned)
    if parsed.scheme not in {"http", "https", "file"} or not (parsed.netloc or parsed.path):
        raise SourceError(f"URL {url!r}: expected an http(s):// or file:// URL")
    return cleaned


def set_url(session: Session, name: str, url: str | None, *, actor: str) -> SourceConfig:
    """Pin ``name`` to ``url`` (None: back to the built-in address). An expo edition's URL is written into
    its edition file (``<data dir>/expos/<id>.yaml``), where the expo spider reads it."""
    config = get_source(session, name)
    cleaned = validate_url(url) if url else None
    if config.kind == "expo":
        if cleaned is None:
            raise SourceError(f"{name}: an expo edition needs a list URL; give one")
        try:
            expo_set_url(get_settings(), name, cleaned)
        except EditionError as error:
            raise SourceError(str(error)) from error
    return _change(session, name, actor, "source.set_url", url=cleaned)


def set_schedule(session: Session, name: str, cron: str | None, *, actor: str, tz: str) -> SourceConfig:
    """Give ``name`` its own cron (validated), or None/'default' to return to the catalogue's.

    An expo edition is refused a cron: it runs in expo mode (``alertbot.expo.next_crawl_at``), which a fixed
    cron would switch off; its rhythm is set by ``expo_mode_interval`` and ``expo_mode_days`` in its edition
    file. 'default' is accepted (it clears a cron stored before this rule)."""
    value = None if cron is None or cron.strip().lower() == "default" else cron.strip()
    if value is not None:
        config = get_source(session, name)
        if config.kind == "expo":
            raise SourceError(
                f"{name} 是展会届次，按展会模式抓取，不接受 cron / {name} is an expo edition, crawled in expo "
                "mode (every expo_mode_interval from expo_mode_days before the show until it closes, daily "
                "otherwise); a cron would switch expo mode off. Change expo_mode_interval or expo_mode_days "
                f"in its edition file (<data dir>/expos/{name}.yaml), or `alertbot sources pause {name}`."
            )
        validate_cron(value, tz)
    return _change(session, name, actor, "source.schedule", cron=value)


def pause(session: Session, name: str, *, actor: str) -> SourceConfig:
    """Stop scheduled runs of ``name`` (a manual crawl still works)."""
    return _change(session, name, actor, "source.pause", paused=True)


def resume(session: Session, name: str, *, actor: str) -> SourceConfig:
    """Resume scheduled runs of ``name``."""
    return _change(session, name, actor, "source.resume", paused=False)


# -- how a run is started -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CrawlSpec:
    """The spider, arguments and settings one crawl of a source is started with."""

    spider: str
    file: str | None = None
    args: dict[str, str] = field(default_factory=dict)
    settings: dict[str, str] = field(default_factory=dict)


def is_file_url(url: str) -> bool:
    """Whether ``url``'s path ends in a file the spiders parse (``.zip``, ``.xml``)."""
    return PurePosixPath(urlparse(url).path).suffix.lower() in FILE_SUFFIXES


def crawl_spec(config: SourceConfig) -> CrawlSpec:
    """How to run ``config``: a pinned file URL is the ``file`` argument on every run; any other pinned URL
    replaces the listing/API base (``product_url``, ``base_url`` or the ST.66 feed setting)."""
    spider = config.spider or config.name
    if config.kind == "expo":
        return _expo_spec(config)
    if not config.url:
        return CrawlSpec(spider)
    if is_file_url(config.url):
        return CrawlSpec(spider, file=config.url)
    default = CATALOGUE.get(spider)
    target = default.url_arg if default else "base_url"
    if target.startswith("setting:"):
        return CrawlSpec(spider, settings={target.removeprefix("setting:"): config.url})
    return CrawlSpec(spider, args={target: config.url})


def _expo_spec(config: SourceConfig) -> CrawlSpec:
    # The edition file holds its list URL (``alertbot expo set-url`` / :func:`set_url` write it there); a
    # pinned file URL is the ``file`` argument, like for gazettes.
    try:
        spider, args = expo_crawl_spec(_edition(config.name), get_settings())
    except EditionError as error:
        raise SourceError(str(error)) from error
    return CrawlSpec(spider, args=dict(args))


def describe(views: Sequence[SourceView]) -> list[dict[str, Any]]:
    """Plain dicts of views (for JSON output)."""
    from dataclasses import asdict

    return [asdict(view) for view in views]
