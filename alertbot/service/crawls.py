"""Crawls started by the service: one process (or Scrapyd job) per crawl, a concurrency limit, a timeout,
one crawl per source at a time, and every outcome recorded on ``CrawlRun`` and in the source's health.

The spider records its own ``CrawlRun`` through the ingest pipeline. What the spider cannot record – it was
killed at its timeout, it crashed, it never got as far as opening its run, the service stopped it at
shutdown – is written here, so no run is ever left ``running`` and a failure is never silent.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlmodel import col, select

from alertbot.crawling import CrawlResult, run_crawl_async, run_crawl_scrapyd
from alertbot.db import SessionFactory, transaction
from alertbot.models import Alert, CrawlRun, Record, Source, SourceConfig, utcnow
from alertbot.service import metrics
from alertbot.service.health import HealthChange, update_health
from alertbot.settings import Settings
from alertbot.sources import SourceError, crawl_spec, get_source, runs_filter

log = logging.getLogger(__name__)

LOGGED_ALERTS = 200  # alert ids logged one line each after a run (the rest are in the database)
SHUTDOWN_GRACE_S = 5.0  # a crawl stopped at shutdown gets this long to close before SIGKILL


@dataclass
class CrawlOutcome:
    """What one crawl of a source did, as recorded."""

    source: str
    status: str  # ok | partial | error | skipped
    run_ids: list[int] = field(default_factory=list)
    records: int = 0
    alerts: int = 0
    detail: str | None = None
    health: HealthChange | None = None


class CrawlManager:
    """Starts crawls as tasks; at most ``settings.crawl_concurrency`` at once, one per source."""

    def __init__(
        self,
        settings: Settings,
        factory: SessionFactory,
        *,
        on_finished: Callable[[CrawlOutcome], Awaitable[None]] | None = None,
    ) -> None:
        self.settings = settings
        self.factory = factory
        self.on_finished = on_finished
        self._slots = asyncio.Semaphore(max(1, settings.crawl_concurrency))
        self._tasks: dict[str, asyncio.Task[CrawlOutcome]] = {}
        self._stopping = False

    def running(self) -> list[str]:
        """Sources with a crawl in progress (or waiting for a slot)."""
        return sorted(name for name, task in self._tasks.items() if not task.done())

    def start(self, name: str, *, since: dt.date | None = None, reason: str = "scheduled") -> bool:
        """Start a crawl of ``name`` in the background; False when one is already going or we are stopping."""
        if self._stopping or name in self.running():
            log.info(
                "crawl of %s not started (%s): already running or stopping",
                name,
                reason,
                extra={"source": name},
            )
            return False
        task = asyncio.create_task(self.crawl(name, since=since, reason=reason), name=f"crawl:{name}")
        self._tasks[name] = task
        task.add_done_callback(
            lambda _task: self._tasks.pop(name, None) if self._tasks.get(name) is _task else None
        )
        return True

    async def wait(self, name: str) -> CrawlOutcome | None:
        """Wait for the running crawl of ``name``, if any."""
        task = self._tasks.get(name)
        return await task if task is not None else None

    async def stop(self) -> None:
        """Stop every crawl (their processes are terminated, their runs recorded as stopped) and wait."""
        self._stopping = True
        tasks = [task for task in self._tasks.values() if not task.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def crawl(
        self, name: str, *, since: dt.date | None = None, reason: str = "scheduled"
    ) -> CrawlOutcome:
        """Run one crawl of ``name`` to the end and record it (what :meth:`start` runs)."""
        try:
            with transaction(self.factory) as session:
                config = get_source(session, name)
                spec = crawl_spec(config)
                session.expunge(config)
        except SourceError as error:
            log.warning("crawl of %s skipped: %s", name, error, extra={"source": name})
            return CrawlOutcome(name, "skipped", detail=str(error))
        launched: dt.datetime | None = None
        result: CrawlResult | None = None
        try:
            async with self._slots:
                launched = utcnow()
                log.info("crawl of %s starting (%s, since %s)", name, reason, since, extra={"source": name})
                result = await self._run(spec.spider, since, spec.file, spec.args, spec.settings)
        except asyncio.CancelledError:
            # Stopped at shutdown: close what the crawl opened (a crawl still waiting for a slot opened nothing).
            if launched is not None:
                await asyncio.shield(asyncio.to_thread(self._record, config, launched, None))
            raise
        assert launched is not None
        outcome = await asyncio.to_thread(self._record, config, launched, result)
        if self.on_finished is not None:
            await self.on_finished(outcome)
        return outcome

    async def _run(
        self,
        spider: str,
        since: dt.date | None,
        file: str | None,
        args: dict[str, str],
        settings: dict[str, str],
    ) -> CrawlResult:
        common = {"since": since, "file": file, "args": args, "settings": settings}
        if self.settings.crawl_backend == "scrapyd":
            nodes = [url.strip() for url in self.settings.scrapyd_urls.split(",") if url.strip()]
            return await run_crawl_scrapyd(
                spider,
                nodes=nodes,
                project=self.settings.scrapyd_project,
                timeout_s=self.settings.crawl_timeout,
                **common,  # type: ignore[arg-type]
            )
        return await run_crawl_async(
            spider,
            timeout_s=self.settings.crawl_timeout,
            terminate_grace_s=SHUTDOWN_GRACE_S,
            **common,  # type: ignore[arg-type]
        )

    # -- recording ---------------------------------------------------------------------------------------
    def _record(
        self, config: SourceConfig, launched: dt.datetime, result: CrawlResult | None
    ) -> CrawlOutcome:
        """Close the runs the spider left open, add one when it opened none and failed, update health."""
        now = utcnow()
        stopped = result is None
        if result is None:
            problem: str | None = "stopped: the service shut down while the crawl ran"
        elif result.timed_out:
            problem = f"timeout: killed after {self.settings.crawl_timeout:g} s"
        elif result.status == "crashed":
            problem = "crashed: " + "; ".join(result.errors)[-1500:]
        else:
            problem = None
        with transaction(self.factory) as session:
            # A second's slack: the child stamps its run with its own clock.
            # The crawl's own runs: named by its summary when it wrote one; otherwise (killed, crashed, Scrapyd)
            # the source's runs opened since the launch (only the leader crawls, one crawl per source).
            ours = (
                col(CrawlRun.id).in_(result.crawl_run_ids)
                if result is not None and result.crawl_run_ids
                else runs_filter(config) & (col(CrawlRun.started_at) >= launched - dt.timedelta(seconds=1))
            )
            runs = list(session.exec(select(CrawlRun).where(ours).order_by(col(CrawlRun.id))).all())
            for run in runs:
                if problem is not None:
                    # Killed mid-way: whatever the child managed to write, the run did not complete. A run stopped
                    # by a shutdown is "stopped", not a fault of the source (health and catch-up skip it).
                    run.status = "stopped" if stopped else "error"
                    run.error_detail = f"{problem}; {run.error_detail}" if run.error_detail else problem
                    run.errors += 1
                elif run.status == "running":
                    run.status = "error"
                    run.error_detail = "the crawl ended without closing its run"
                run.finished_at = run.finished_at or now
                session.add(run)
            if stopped and not runs:
                return CrawlOutcome(config.name, "stopped", detail=problem)
            if not runs and (
                problem is not None or (result is not None and result.status not in {"ok", "partial"})
            ):
                detail = (
                    problem or "; ".join(result.errors if result else [])[:2000] or "failed before storing"
                )
                source_key = config.name
                if config.kind == "gazette":
                    known = session.exec(
                        select(Source.key).where(Source.spider == (config.spider or config.name))
                    ).first()
                    source_key = known or config.name
                run = CrawlRun(
                    source_key=source_key,
                    spider=config.spider or config.name,
                    started_at=launched,
                    finished_at=now,
                    status="error",
                    errors=1,
                    error_detail=detail,
                    stats=dict(result.stats) if result else {},
                )
                session.add(run)
                session.flush()
                runs = [run]
            new_alerts = list(
                session.exec(
                    select(Alert.id, Record.crawl_run_id)
                    .join(Record, col(Record.id) == col(Alert.record_id))
                    .where(
                        col(Record.crawl_run_id).in_([run.id for run in runs if run.id is not None]),
                        col(Alert.created_at) >= launched - dt.timedelta(seconds=1),
                    )
                    .order_by(col(Alert.id))
                    .limit(LOGGED_ALERTS)
                ).all()
            )
            stored = session.get(SourceConfig, config.name) or config
            change = None if stopped else update_health(session, stored, now)
            status = runs[-1].status if runs else "ok"
            outcome = CrawlOutcome(
                source=config.name,
                status=status,
                run_ids=[run.id for run in runs if run.id is not None],
                records=sum(run.records_seen for run in runs),
                alerts=sum(run.alerts_new for run in runs),
                detail=runs[-1].error_detail if runs else None,
                health=change,
            )
        with contextlib.suppress(Exception):
            metrics.CRAWL_RUNS.labels(config.name, outcome.status).inc()
            metrics.RECORDS.labels(config.name).inc(outcome.records)
            metrics.ALERTS.labels(config.name).inc(outcome.alerts)
            if outcome.status == "error":
                metrics.FAILURES.labels("crawl").inc()
        for alert_id, run_id in new_alerts:
            log.info(
                "alert %s raised by %s",
                alert_id,
                config.name,
                extra={"source": config.name, "run_id": run_id, "alert_id": alert_id},
            )
        log.info(
            "crawl of %s finished: %s, %d records, %d alerts",
            config.name,
            outcome.status,
            outcome.records,
            outcome.alerts,
            extra={"source": config.name, "run_id": outcome.run_ids[-1] if outcome.run_ids else None},
        )
        return outcome
