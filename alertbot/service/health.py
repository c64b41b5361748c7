"""Source health: decide each source's state after every run and on an hourly sweep, and tell staff ONCE per
fault, with a recovery notice when it clears.

A fault is a change of :attr:`SourceConfig.health` from ``ok`` (or from another fault) to ``failing``,
``low`` or ``stale`` (:func:`alertbot.sources.assess_health`). The staff notice is an outbox row whose
dedupe key names the source, the fault and when it began, so a fault that persists over many runs, or a
sweep repeated by a restarted service, queues nothing more.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlmodel import Session

from alertbot.alerting import notify_staff
from alertbot.models import SourceConfig
from alertbot.sources import assess_health, ensure_sources

log = logging.getLogger(__name__)

_FAULT_TEXT = {
    "failing": ("抓取失败", "crawl failed"),
    "low": ("记录数异常偏少", "far fewer records than usual"),
    "stale": ("长时间无新数据", "no new data for too long"),
}


@dataclass(frozen=True)
class HealthChange:
    """A source's health moved from ``before`` to ``after``; ``notices`` staff rows were queued."""

    source: str
    before: str
    after: str
    detail: str | None
    notices: int


def update_health(session: Session, config: SourceConfig, now: dt.datetime) -> HealthChange | None:
    """Re-assess one source (in the caller's transaction); on a change, store it and queue the staff notice."""
    verdict = assess_health(session, config, now)
    if verdict.state == config.health:
        if verdict.detail and verdict.detail != config.health_detail:
            config.health_detail = verdict.detail
            session.add(config)
        return None
    before = config.health
    config.health, config.health_detail, config.health_since = verdict.state, verdict.detail, now
    session.add(config)
    stamp = now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if verdict.state == "ok":
        zh, en = _FAULT_TEXT.get(before, (before, before))
        notices = notify_staff(
            session,
            dedupe_key=f"source-recovered:{config.name}:{stamp}",
            subject=f"来源已恢复 Source recovered: {config.name}",
            body=f"{config.name} 已恢复正常（此前：{zh}）。\n{config.name} is healthy again (was: {en}).",
        )
    else:
        zh, en = _FAULT_TEXT[verdict.state]
        notices = notify_staff(
            session,
            dedupe_key=f"source-fault:{config.name}:{verdict.state}:{stamp}",
            subject=f"来源异常 Source fault: {config.name} – {zh} / {en}",
            body=(
                f"{config.name}：{zh}。\n{config.name}: {en}.\n\n{verdict.detail or ''}\n\n"
                f"恢复后会再通知一次 A recovery notice follows when it clears. "
                f"`alertbot sources show {config.name}`"
            ),
        )
    log.warning(
        "source %s health %s -> %s: %s",
        config.name,
        before,
        verdict.state,
        verdict.detail,
        extra={"source": config.name},
    )
    return HealthChange(config.name, before, verdict.state, verdict.detail, notices)


def sweep(session: Session, now: dt.datetime) -> list[HealthChange]:
    """Re-assess every source (catches ``stale``, which no run reports)."""
    changes = []
    for config in ensure_sources(session):
        change = update_health(session, config, now)
        if change is not None:
            changes.append(change)
    return changes
