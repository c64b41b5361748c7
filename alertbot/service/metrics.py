"""Prometheus metrics of the service (``ALERTBOT_METRICS_PORT``): runs, records, alerts, deliveries,
failures, queue depth and last success per source."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server
from sqlalchemy import func
from sqlmodel import select

from alertbot.db import SessionFactory
from alertbot.models import Delivery, DeliveryStatus

log = logging.getLogger(__name__)

REGISTRY = CollectorRegistry()
CRAWL_RUNS = Counter("alertbot_crawl_runs", "Crawl runs finished", ["source", "status"], registry=REGISTRY)
RECORDS = Counter("alertbot_records", "Records stored by crawls", ["source"], registry=REGISTRY)
ALERTS = Counter("alertbot_alerts", "New alerts raised by crawls", ["source"], registry=REGISTRY)
DELIVERIES = Gauge("alertbot_deliveries", "Deliveries in the outbox by status", ["status"], registry=REGISTRY)
FAILURES = Counter("alertbot_failures", "Failures by kind", ["kind"], registry=REGISTRY)
OUTBOX_DEPTH = Gauge("alertbot_outbox_depth", "Deliveries waiting in the outbox", registry=REGISTRY)
FAILED_DELIVERIES = Gauge("alertbot_failed_deliveries", "Deliveries marked failed", registry=REGISTRY)
LAST_SUCCESS = Gauge(
    "alertbot_source_last_success_timestamp", "Unix time of the last good run", ["source"], registry=REGISTRY
)
SOURCE_HEALTHY = Gauge(
    "alertbot_source_healthy", "1 when the source has no open fault", ["source"], registry=REGISTRY
)
DISPATCH_OUTCOMES = Counter(
    "alertbot_dispatch_outcomes",
    "Delivery rows by what a dispatcher pass of this process did with them (DispatchStats)",
    ["outcome"],
    registry=REGISTRY,
)
# The DispatchStats fields counted (alertbot/outbox.py): ``claimed``, ``messages`` and ``staff_notices`` are
# bookkeeping, not outcomes of a row.
DISPATCH_OUTCOME_FIELDS = (
    "sent",
    "retried",
    "failed",
    "deactivated",
    "deferred",
    "held",
    "strikes",
    "lease_lost",
)
LEADER = Gauge("alertbot_leader", "1 while this process is the elected leader", registry=REGISTRY)


def serve(port: int, host: str = "127.0.0.1") -> Any:
    """Start the HTTP endpoint in a background thread; returns (server, thread)."""
    log.info("metrics endpoint on http://%s:%s/metrics", host, port)
    return start_http_server(port, addr=host, registry=REGISTRY)


def record_dispatch(stats: Any) -> None:
    """Count what a dispatcher pass run by the service itself did: every row outcome of its
    :class:`~alertbot.outbox.DispatchStats` (sent, retried, failed, deactivated, deferred by flood control,
    held for a configuration fix, "no such user" strikes, leases lost), and failures as ``delivery``."""
    for name in DISPATCH_OUTCOME_FIELDS:
        count = int(getattr(stats, name, 0) or 0)
        if count:
            DISPATCH_OUTCOMES.labels(name).inc(count)
    failed = int(getattr(stats, "failed", 0) or 0)
    if failed:
        FAILURES.labels("delivery").inc(failed)


def refresh(factory: SessionFactory, now: dt.datetime | None = None) -> None:
    """Update the gauges from the database (outbox depth, failures, last success and health per source)."""
    from alertbot.sources import list_sources

    with factory() as session:
        counts = dict(session.exec(select(Delivery.status, func.count()).group_by(Delivery.status)).all())
        for status in DeliveryStatus:
            DELIVERIES.labels(status.value).set(counts.get(status.value, 0))
        OUTBOX_DEPTH.set(counts.get(DeliveryStatus.PENDING.value, 0))
        FAILED_DELIVERIES.set(counts.get(DeliveryStatus.FAILED.value, 0))
        for view in list_sources(session, now):
            SOURCE_HEALTHY.labels(view.name).set(1 if view.healthy else 0)
            if view.last_success_at is not None:
                LAST_SUCCESS.labels(view.name).set(view.last_success_at.timestamp())
