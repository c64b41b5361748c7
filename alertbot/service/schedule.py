"""The service's APScheduler 3.x scheduler: one ``AsyncIOScheduler`` with an ``SQLAlchemyJobStore`` in the
application database, run only by the elected leader (one scheduler per job store, notes/libraries.md §4).

The desired schedule lives in ``SourceConfig`` (cron, pause) and the expo edition files; :func:`reconcile`
turns it into jobs (``crawl:<source>``), so a change made by the bot, by ``alertbot sources`` in another
process, or by hand survives restarts and reaches the scheduler within ``ALERTBOT_RECONCILE_INTERVAL``.

Jobs name importable functions of this module and carry only picklable arguments (source names); they act
on the running service through :func:`active_service`.

After downtime, :func:`catch_up_plan` finds the sources whose cron fired while nothing ran and starts ONE
run each with ``since`` = the day of the last success; the jobs' own missed fire times are dropped, so a
week offline is one catch-up crawl per source, not seven.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from sqlmodel import Session, col, select

from alertbot.db import engine_for
from alertbot.models import CrawlRun, Subscriber
from alertbot.settings import Settings
from alertbot.sources import (
    effective_cron,
    ensure_sources,
    expo_next_run,
    last_success_at,
    previous_cron_time,
    runs_filter,
    validate_cron,
)

if TYPE_CHECKING:
    from alertbot.service.runner import Service

log = logging.getLogger(__name__)

CRAWL_PREFIX = "crawl:"
HEALTH_JOB = "health-sweep"
DIGEST_PREFIX = "digest:"
REPORT_JOB = "monthly-report"

_ACTIVE: Service | None = None


def set_active_service(service: Service | None) -> None:
    """Make ``service`` the one the jobs act on (the leader's)."""
    global _ACTIVE
    _ACTIVE = service


def active_service() -> Service:
    """The running service; jobs fail loudly when there is none."""
    if _ACTIVE is None:
        raise RuntimeError("no alertbot service is running in this process")
    return _ACTIVE


class ExpoTrigger(BaseTrigger):
    """Fires when the expo issue's ``next_crawl_at`` says (hourly around the show, daily otherwise).

    Only the edition id is pickled; the edition file is read at each fire, so a changed file applies at once.
    """

    def __init__(self, edition_id: str) -> None:
        self.edition_id = edition_id

    def get_next_fire_time(
        self, previous_fire_time: dt.datetime | None, now: dt.datetime
    ) -> dt.datetime | None:
        from alertbot.models import SourceConfig

        return expo_next_run(SourceConfig(name=self.edition_id, kind="expo"), now)

    def __getstate__(self) -> dict[str, Any]:
        return {"version": 1, "edition_id": self.edition_id}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.edition_id = state["edition_id"]

    def __str__(self) -> str:
        return f"expo[{self.edition_id}]"


def build_scheduler(settings: Settings) -> AsyncIOScheduler:
    """The scheduler with its job store in the application database and the service's job defaults."""
    return AsyncIOScheduler(
        # The application's engine: on SQLite it brings WAL and a busy timeout, so a crawl writing at the same
        # moment makes the job store wait instead of failing with "database is locked".
        jobstores={"default": SQLAlchemyJobStore(engine=engine_for(settings.resolved_database_url()))},
        job_defaults={
            "coalesce": True,  # a backlog of fire times is one run
            "max_instances": 1,  # a crawl still going is not started twice
            "misfire_grace_time": settings.misfire_grace_time,  # 1 s by default would drop late jobs
        },
        timezone=settings.timezone,
    )


# -- jobs (importable, picklable references) ------------------------------------------------------------


async def crawl_job(name: str) -> None:
    """A scheduled crawl of ``name``."""
    active_service().crawls.start(name, reason="scheduled")


async def health_job() -> None:
    """The hourly health sweep (finds stale sources)."""
    await active_service().health_sweep()


async def digest_job() -> None:
    """At a subscriber's digest time: dispatch now, so the day's digest rows (due at this time, queued by the
    alerting stage) go out on the minute instead of at the dispatcher's next idle poll."""
    await active_service().wake_dispatcher()


async def monthly_report_job() -> None:
    """Queue the monthly report (issue 11's ``alertbot.report.queue_monthly_report``)."""
    await active_service().queue_monthly_report()


# -- reconciling the desired schedule ------------------------------------------------------------------


def desired_jobs(session: Session, settings: Settings) -> dict[str, tuple[str, Any, dict[str, Any]]]:
    """{job id: (function ref, trigger, kwargs)} wanted now (the caller's transaction creates missing rows)."""
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    wanted: dict[str, tuple[str, Any, dict[str, Any]]] = {}
    for config in ensure_sources(session):
        if config.paused:
            continue
        cron = effective_cron(config)
        job_id = f"{CRAWL_PREFIX}{config.name}"
        if cron == "expo":
            wanted[job_id] = (f"{__name__}:crawl_job", ExpoTrigger(config.name), {"name": config.name})
        else:
            try:
                trigger = validate_cron(cron, settings.timezone)
            except ValueError as error:
                log.error("source %s has a bad cron, not scheduled: %s", config.name, error)
                continue
            wanted[job_id] = (f"{__name__}:crawl_job", trigger, {"name": config.name})
    wanted[HEALTH_JOB] = (f"{__name__}:health_job", IntervalTrigger(hours=1), {})
    digest_times = set(
        session.exec(
            select(Subscriber.digest_time).where(Subscriber.active == True, Subscriber.digest == "daily")  # noqa: E712
        ).all()
    )
    for hhmm in sorted(digest_times):
        hour, _, minute = hhmm.partition(":")
        if hour.isdigit() and minute.isdigit():
            trigger = CronTrigger(hour=int(hour), minute=int(minute), timezone=settings.timezone)
            wanted[f"{DIGEST_PREFIX}{hhmm}"] = (f"{__name__}:digest_job", trigger, {})
    try:
        report = validate_cron(settings.monthly_report_cron, settings.timezone)
        wanted[REPORT_JOB] = (f"{__name__}:monthly_report_job", report, {})
    except ValueError as error:
        log.error("ALERTBOT_MONTHLY_REPORT_CRON is not a valid cron, no monthly report job: %s", error)
    return wanted


def _signature(trigger: Any) -> str:
    return f"{type(trigger).__name__}:{trigger}"


@dataclass
class ReconcileResult:
    """Job ids added (or changed) and removed by one :func:`reconcile`."""

    added: list[str]
    removed: list[str]


def reconcile(
    scheduler: AsyncIOScheduler, wanted: dict[str, tuple[str, Any, dict[str, Any]]]
) -> ReconcileResult:
    """Make the scheduler's jobs equal ``wanted``; unchanged jobs keep their next run time."""
    current = {job.id: job for job in scheduler.get_jobs()}
    added, removed = [], []
    for job_id in current:
        if job_id not in wanted:
            scheduler.remove_job(job_id)
            removed.append(job_id)
    for job_id, (func, trigger, kwargs) in wanted.items():
        existing = current.get(job_id)
        signature = _signature(trigger)
        if existing is not None and existing.name == signature and existing.kwargs == kwargs:
            continue
        # The trigger's description is kept as the job's name, so a changed cron is seen without unpickling
        # comparisons of trigger objects.
        scheduler.add_job(func, trigger, id=job_id, name=signature, kwargs=kwargs, replace_existing=True)
        added.append(job_id)
    return ReconcileResult(added, removed)


def drop_missed_fire_times(scheduler: AsyncIOScheduler, now: dt.datetime) -> list[str]:
    """Move crawl jobs whose next run time passed while the service was down to their next future time
    (the catch-up plan runs each such source once instead)."""
    moved = []
    for job in scheduler.get_jobs():
        if job.id.startswith(CRAWL_PREFIX) and job.next_run_time is not None and job.next_run_time <= now:
            upcoming = job.trigger.get_next_fire_time(None, now)
            if upcoming is None:
                continue
            job.modify(next_run_time=upcoming)
            moved.append(job.id)
    return moved


@dataclass(frozen=True)
class CatchUp:
    """One catch-up run: ``source`` missed its fire time ``missed``; crawl it ``since`` the last success."""

    source: str
    missed: dt.datetime
    since: dt.date | None


def catch_up_plan(session: Session, now: dt.datetime, tz: str) -> list[CatchUp]:
    """Sources whose schedule fired while nothing ran: the last fire time before ``now`` is later than both the
    source's last run and the moment it was set up. One entry per source, however many fire times passed."""
    plan = []
    for config in ensure_sources(session):
        if config.paused:
            continue
        cron = effective_cron(config)
        if cron == "expo":
            continue  # an exhibitor list has no backlog: its next expo-mode crawl fetches the whole list
        try:
            missed = previous_cron_time(cron, now, tz)
        except ValueError:
            continue
        if missed is None:
            continue
        # A run stopped by a shutdown did not do the work: it does not count as the last attempt.
        last = session.exec(
            select(CrawlRun)
            .where(runs_filter(config), col(CrawlRun.status) != "stopped")
            .order_by(col(CrawlRun.id).desc())
        ).first()
        last_attempt = last.started_at if last is not None else None
        reference = max(filter(None, [last_attempt, config.created_at]))
        if reference >= missed:
            continue
        success = last_success_at(session, config)
        plan.append(CatchUp(config.name, missed, success.date() if success else None))
    return plan
