"""``alertbot run`` and ``alertbot worker``: the always-on process.

Every process dispatches the outbox (``FOR UPDATE SKIP LOCKED`` keeps them apart). The elected leader (see
:mod:`alertbot.service.leader`) also runs the scheduler, the crawls and the Telegram bot, and is what
``application.bot_data["service"]`` points the bot's staff commands at (:class:`Service` implements
:class:`alertbot.service.control.ServiceControl`).

Shutdown on SIGTERM/SIGINT, within ``SHUTDOWN_BUDGET_S``: the scheduler is paused and the bot stops taking
updates (no new work); in-flight deliveries get ``DRAIN_S`` to finish while the crawl processes are stopped
and their runs recorded; then the scheduler and the bot stop, leases this process still holds are released
and the leader lock is given up. Nothing is left ``running`` or leased.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import re
import secrets
import signal
from typing import Any

from sqlalchemy import update
from sqlmodel import col

from alertbot import db as database
from alertbot.db import SessionFactory, transaction
from alertbot.models import AuditLog, Delivery, DeliveryStatus, utcnow
from alertbot.outbox import Dispatcher
from alertbot.service import metrics
from alertbot.service.control import ServiceControl
from alertbot.service.crawls import CrawlManager, CrawlOutcome
from alertbot.service.health import sweep
from alertbot.service.leader import Leadership
from alertbot.service.schedule import (
    CRAWL_PREFIX,
    build_scheduler,
    catch_up_plan,
    desired_jobs,
    drop_missed_fire_times,
    reconcile,
    set_active_service,
)
from alertbot.settings import Settings
from alertbot.sources import SourceError, crawl_spec, get_source, next_run_at, set_schedule, set_url

log = logging.getLogger(__name__)

DRAIN_S = 10.0  # in-flight deliveries get this long at shutdown
SHUTDOWN_BUDGET_S = 30.0


def webhook_secret(settings: Settings) -> str:
    """The secret token Telegram must send with each webhook POST (PTB answers 403 without it): the configured
    ``ALERTBOT_TELEGRAM_WEBHOOK_SECRET``, else a random one for this start (``setWebhook`` hands it to
    Telegram each start, so nothing else needs to know it)."""
    if settings.telegram_webhook_secret is None or not settings.telegram_webhook_secret.get_secret_value():
        return secrets.token_urlsafe(32)  # 43 characters of A-Z a-z 0-9 _ -, as Telegram allows
    secret = settings.telegram_webhook_secret.get_secret_value()
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
        # Telegram would refuse setWebhook; say which setting is wrong (never echoing the secret).
        raise ValueError(
            "ALERTBOT_TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -"
        )
    return secret


class Service:
    """One ``alertbot run`` (``worker=False``) or ``alertbot worker`` (``worker=True``) process."""

    def __init__(
        self, settings: Settings, *, worker: bool = False, factory: SessionFactory | None = None
    ) -> None:
        self.settings = settings
        self.worker = worker
        self.factory = factory or database.session_factory(settings)
        self.stop_event = asyncio.Event()
        self.crawls = CrawlManager(settings, self.factory, on_finished=self._crawl_finished)
        self.leadership = Leadership(settings.resolved_database_url())
        self.dispatcher: Dispatcher | None = None
        self.scheduler: Any = None
        self.application: Any = None
        self.leading = False
        self._dispatch_stop = asyncio.Event()
        self._metrics_server: Any = None

    # -- ServiceControl ---------------------------------------------------------------------------------
    async def crawl_now(self, source_key: str, *, actor: str) -> str:
        """Start a crawl of ``source_key`` now; the audit log records who asked."""
        await asyncio.to_thread(self._audit_crawl, source_key, actor)
        if not self.leading:
            return f"{source_key}: this process is not the leader; the crawl was not started"
        started = self.crawls.start(source_key, reason=f"requested by {actor}")
        if not started:
            return f"{source_key}: a crawl is already running 已在抓取中"
        return f"{source_key}: crawl started 已开始抓取"

    def _audit_crawl(self, source_key: str, actor: str) -> None:
        with transaction(self.factory) as session:
            # SourceError names the known sources, or says why this one cannot run (an edition without a URL).
            crawl_spec(get_source(session, source_key))
            session.add(
                AuditLog(actor=actor, action="source.crawl", entity_type="source", entity_id=source_key)
            )

    async def set_schedule(self, source_key: str, cron: str, *, actor: str) -> str:
        """Change a source's cron (persisted, audit-logged) and apply it to the scheduler now."""

        def change() -> dt.datetime | None:
            with transaction(self.factory) as session:
                config = set_schedule(session, source_key, cron, actor=actor, tz=self.settings.timezone)
                return next_run_at(config, utcnow(), self.settings.timezone)

        upcoming = await asyncio.to_thread(change)
        await self.reconcile()
        return upcoming.isoformat() if upcoming else "paused"

    async def set_url(self, source_key: str, url: str, *, actor: str) -> str:
        """Pin a source (or expo edition) to ``url``; the next crawl uses it."""

        def change() -> str:
            with transaction(self.factory) as session:
                config = set_url(session, source_key, url, actor=actor)
                return f"{config.name} → {config.url}"

        return await asyncio.to_thread(change)

    # -- jobs' entry points ------------------------------------------------------------------------------
    async def health_sweep(self) -> None:
        """Re-assess every source's health (stale sources), telling staff of changes once."""

        def run() -> None:
            with transaction(self.factory) as session:
                sweep(session, utcnow())

        await asyncio.to_thread(run)
        await self.wake_dispatcher()

    async def wake_dispatcher(self) -> None:
        """Dispatch what is due now instead of at the next idle poll."""
        if self.dispatcher is not None and not self.stop_event.is_set():
            metrics.record_dispatch(await self.dispatcher.dispatch_once())

    async def queue_monthly_report(self) -> None:
        """Queue last month's report through the reports issue's function, when it is installed."""
        try:
            from alertbot import report
        except ImportError:
            log.error("monthly report job: alertbot.report is not available")
            return
        queue = getattr(report, "queue_monthly_report", None)
        if queue is None:
            log.error("monthly report job: alertbot.report.queue_monthly_report is not available")
            return
        # Building the report (tables, charts) is CPU work: keep it off the loop the bot answers on.
        queued = await asyncio.to_thread(queue, self.settings)
        log.info("monthly report queued to %s staff address(es)", queued)
        await self.wake_dispatcher()

    async def reconcile(self) -> None:
        """Bring the scheduler in line with the stored sources (and subscribers' digest times)."""
        if self.scheduler is None:
            return

        def wanted() -> dict[str, Any]:
            with transaction(self.factory) as session:
                return desired_jobs(session, self.settings)

        jobs = await asyncio.to_thread(wanted)
        result = await asyncio.to_thread(reconcile, self.scheduler, jobs)
        for job_id in result.added + result.removed:
            log.info("schedule %s %s", "updated" if job_id in result.added else "removed", job_id)

    async def _crawl_finished(self, outcome: CrawlOutcome) -> None:
        # Alerts and health notices of the run are in the outbox now: send them without waiting for a poll.
        await self.wake_dispatcher()

    # -- running -----------------------------------------------------------------------------------------
    async def run(self) -> int:
        """Run until SIGTERM/SIGINT (or :attr:`stop_event`); the exit code."""
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signum, self._on_signal, signum)
        await asyncio.to_thread(database.upgrade, self.settings.resolved_database_url())
        if self.settings.metrics_port:
            self._metrics_server = metrics.serve(self.settings.metrics_port, self.settings.metrics_host)
        self.dispatcher = Dispatcher(self.settings, factory=self.factory)
        log.info(
            "alertbot %s started (dispatcher %s, channels: %s)",
            "worker" if self.worker else "service",
            self.dispatcher.owner,
            ", ".join(self.dispatcher.channels) or "none",
        )
        dispatching = asyncio.create_task(self.dispatcher.run(self._dispatch_stop, interval=2.0))
        try:
            while not self.stop_event.is_set() and not self.worker:
                if await self.leadership.acquire():
                    metrics.LEADER.set(1)
                    await self._lead()
                    metrics.LEADER.set(0)
                    if not self.stop_event.is_set():
                        log.error("stepped down as leader; continuing as a standby")
                    continue
                await self._sleep(self.settings.leader_retry)
            while not self.stop_event.is_set():
                # A worker (or a stopping leader) only dispatches; it keeps its metrics fresh meanwhile.
                if self._metrics_server is not None:
                    with contextlib.suppress(Exception):
                        await asyncio.to_thread(metrics.refresh, self.factory)
                await self._sleep(self.settings.reconcile_interval)
        finally:
            await self._shutdown(dispatching)
        return 0

    def _on_signal(self, signum: int) -> None:
        log.info("received %s: shutting down", signal.Signals(signum).name)
        self.stop_event.set()
        # The dispatcher claims nothing more; the sends in flight finish (bounded in _shutdown).
        self._dispatch_stop.set()

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stop_event.wait(), timeout=seconds)

    async def _lead(self) -> None:
        log.info(
            "elected leader: scheduling crawls%s", " and polling the bot" if self._bot_configured() else ""
        )
        self.leading = True
        set_active_service(self)
        self.crawls = CrawlManager(self.settings, self.factory, on_finished=self._crawl_finished)
        self.scheduler = build_scheduler(self.settings)
        try:
            self.scheduler.start(paused=True)
            await self.reconcile()
            now = utcnow()
            moved = await asyncio.to_thread(drop_missed_fire_times, self.scheduler, now)

            def plan() -> list[Any]:
                with transaction(self.factory) as session:
                    return catch_up_plan(session, now, self.settings.timezone)

            for item in await asyncio.to_thread(plan):
                log.info(
                    "catch-up crawl of %s (missed %s, since %s)",
                    item.source,
                    item.missed.isoformat(),
                    item.since,
                    extra={"source": item.source},
                )
                self.crawls.start(item.source, since=item.since, reason="catch-up")
            if moved:
                log.info("dropped missed fire times of %s (caught up above)", ", ".join(moved))
            self.scheduler.resume()
            await self._start_bot()
            if self._metrics_server is not None:
                await asyncio.to_thread(metrics.refresh, self.factory)
            while not self.stop_event.is_set():
                await self._sleep(min(self.settings.reconcile_interval, self.settings.leader_retry))
                if self.stop_event.is_set():
                    break
                if not await self.leadership.check():
                    break
                await self._maybe_reconcile()
        finally:
            await self._stop_leading()

    _last_reconcile = 0.0

    async def _maybe_reconcile(self) -> None:
        loop = asyncio.get_running_loop()
        if loop.time() - self._last_reconcile < self.settings.reconcile_interval:
            return
        self._last_reconcile = loop.time()
        try:
            await self.reconcile()
            await asyncio.to_thread(metrics.refresh, self.factory)
        except Exception:
            log.exception("reconciling the schedule failed; retrying at the next interval")

    def _bot_configured(self) -> bool:
        token = self.settings.telegram_token
        return token is not None and bool(token.get_secret_value())

    async def _start_bot(self) -> None:
        if not self._bot_configured():
            log.info("no ALERTBOT_TELEGRAM_TOKEN: the Telegram bot is off")
            return
        from alertbot.bot.app import build_application

        application = build_application(self.settings, self.factory)
        application.bot_data["service"] = self
        await application.initialize()
        await application.start()
        self.application = application
        assert application.updater is not None
        if self.settings.telegram_webhook_url:
            from urllib.parse import urlparse

            await application.updater.start_webhook(
                listen=self.settings.telegram_webhook_listen,
                port=self.settings.telegram_webhook_port,
                url_path=urlparse(self.settings.telegram_webhook_url).path.lstrip("/"),
                webhook_url=self.settings.telegram_webhook_url,
                # Without it anyone who learns the URL could post updates "from" a staff member's user id.
                secret_token=webhook_secret(self.settings),
            )
        else:
            await application.updater.start_polling(drop_pending_updates=False)
        try:
            from alertbot.bot import menus

            set_menus = getattr(menus, "set_command_menus", None)
            if set_menus is not None:
                await set_menus(application.bot, self.factory)
        except Exception:
            log.exception("setting the bot's command menus failed; commands still work")
        log.info("Telegram bot started (%s)", "webhook" if self.settings.telegram_webhook_url else "polling")

    async def _stop_bot(self) -> None:
        application, self.application = self.application, None
        if application is None:
            return
        with contextlib.suppress(Exception):
            if application.updater is not None and application.updater.running:
                await application.updater.stop()
        with contextlib.suppress(Exception):
            if application.running:
                await application.stop()
        with contextlib.suppress(Exception):
            await application.shutdown()

    async def _stop_leading(self) -> None:
        # No new work first: no scheduled fire, no new update; then stop what runs.
        scheduler, self.scheduler = self.scheduler, None
        if scheduler is not None and scheduler.running:
            scheduler.pause()
        updater = getattr(self.application, "updater", None)
        if updater is not None and updater.running:
            with contextlib.suppress(Exception):
                await updater.stop()
        await self.crawls.stop()
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=False)
        await self._stop_bot()
        self.leading = False
        set_active_service(None)
        await self.leadership.release()

    async def _shutdown(self, dispatching: asyncio.Task[Any]) -> None:
        self.stop_event.set()
        self._dispatch_stop.set()
        # The leader's parts were stopped by _lead's finally; the dispatcher finishes its in-flight sends.
        try:
            await asyncio.wait_for(asyncio.shield(dispatching), DRAIN_S)
        except TimeoutError:
            log.warning(
                "deliveries still in flight after %.0f s; stopping them (they stay in the outbox)", DRAIN_S
            )
            dispatching.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await dispatching
        except Exception:
            log.exception("the dispatcher failed")
        if self.dispatcher is not None:
            await asyncio.to_thread(self._release_leases, self.dispatcher.owner)
            await self.dispatcher.aclose()
        await self.leadership.release()
        if self._metrics_server is not None:
            with contextlib.suppress(Exception):
                self._metrics_server[0].shutdown()
        log.info("alertbot stopped")

    def _release_leases(self, owner: str) -> None:
        # Rows this process leased but did not finish go back to the outbox now, not when the lease expires.
        with transaction(self.factory) as session:
            session.exec(
                update(Delivery)
                .where(
                    col(Delivery.lease_owner).startswith(owner),
                    col(Delivery.status) == DeliveryStatus.PENDING.value,
                )
                .values(lease_owner=None, lease_until=None)
            )


def scheduled_jobs(settings: Settings, limit: int = 10) -> list[tuple[str, dt.datetime | None]]:
    """The next jobs in the job store (id, next run), soonest first, read without starting a scheduler."""
    import sqlalchemy as sa

    engine = database.engine_for(settings.resolved_database_url())
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("apscheduler_jobs"):
            return []
        rows = conn.execute(
            sa.text(
                "select id, next_run_time from apscheduler_jobs order by next_run_time is null, next_run_time "
                "limit :limit"
            ),
            {"limit": limit},
        ).all()
    return [
        (str(job_id), dt.datetime.fromtimestamp(float(when), dt.UTC) if when is not None else None)
        for job_id, when in rows
    ]


def run_service(settings: Settings, *, worker: bool = False) -> int:
    """Run ``alertbot run`` (or ``alertbot worker``) to the end; the exit code."""
    return asyncio.run(Service(settings, worker=worker).run())


__all__ = ["CRAWL_PREFIX", "Service", "SourceError", "run_service", "scheduled_jobs"]


def as_service_control(service: Service) -> ServiceControl:
    """The service as the bot sees it (mypy checks here that :class:`Service` implements the protocol)."""
    return service
