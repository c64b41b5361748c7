"""What is stored about an edition's exhibitors, read back for the CLI and the bot: flagged booths by hall,
who is at a booth, each edition's status; and the add/remove/change diff of a crawl."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlmodel import Session, col, func, select

from alertbot.db import SessionFactory, transaction
from alertbot.expo.editions import Edition, load_editions, next_crawl_at, source_key
from alertbot.expo.names import normalise_booth
from alertbot.models import Alert, AlertStatus, CrawlRun, Enterprise, Record, utcnow
from alertbot.settings import Settings

RISK_RANK = {"high": 0, "medium": 1, "low": 2}
DIFF_IDS_KEPT = 500
_DIGITS = re.compile(r"(\d+)")


def natural_key(value: str | None) -> tuple[Any, ...]:
    """Sort key that puts E2 before E10 and A99 before A320."""
    parts = _DIGITS.split(value or "")
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p.casefold()) for p in parts)


@dataclass(frozen=True)
class Exhibitor:
    """One stored exhibitor of an edition; ``id`` is stable across re-crawls and re-imports."""

    id: int
    edition: str
    name_zh: str
    name_en: str
    name_raw: str
    booth: str
    hall: str
    country: str
    products: list[str]
    brands: list[str]
    website: str
    removed: bool = False

    def to_json(self) -> dict[str, Any]:
        """The JSON-lines record of ``alertbot expo exhibitors``."""
        return asdict(self)


@dataclass(frozen=True)
class FlaggedBooth:
    """A booth whose exhibitor raised an alert for a watched enterprise."""

    edition: str
    show: str
    booth: str
    hall: str
    exhibitor_id: int
    name_zh: str
    name_en: str
    name_raw: str
    watch_id: str
    enterprise: str
    enterprise_en: str
    mark: str
    risk: str
    reasons: list[str]
    alert_id: int
    alert_status: str

    def to_json(self) -> dict[str, Any]:
        """The JSON-lines record of ``alertbot expo flagged``."""
        return asdict(self)


@dataclass(frozen=True)
class BoothExhibitor:
    """Who is at a booth, and what they matched (``alerts`` empty when nothing)."""

    exhibitor: Exhibitor
    alerts: list[FlaggedBooth] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Exhibitor fields plus ``alerts``."""
        return {**self.exhibitor.to_json(), "alerts": [a.to_json() for a in self.alerts]}


@dataclass(frozen=True)
class EditionStatus:
    """One edition for ``alertbot expo list`` and the bot's /expo."""

    id: str
    show: str
    show_en: str
    edition: str
    starts: dt.date
    ends: dt.date
    venue: str
    format: str
    url: str | None
    expo_mode: bool
    next_crawl_at: dt.datetime
    last_crawl_at: dt.datetime | None
    last_crawl_status: str | None
    exhibitors: int
    flagged: int
    config: str
    timezone: str = "Asia/Shanghai"
    expo_mode_from: dt.datetime | None = None  # UTC; expo mode runs until the show closes
    expo_mode_interval: dt.timedelta = dt.timedelta(hours=1)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready (dates as ISO strings)."""
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, dt.date | dt.datetime):
                data[key] = value.isoformat()
            elif isinstance(value, dt.timedelta):
                data[key] = int(value.total_seconds())
        return data


def exhibitor_from_record(record: Record) -> Exhibitor:
    """The exhibitor view of a stored record."""
    raw = record.raw or {}
    assert record.id is not None
    return Exhibitor(
        id=record.id,
        edition=record.source_key,
        name_zh=str(raw.get("name_zh") or ""),
        name_en=str(raw.get("name_en") or ""),
        name_raw=str(raw.get("name_raw") or record.text or ""),
        booth=record.booth or "",
        hall=record.hall or "",
        country=str(raw.get("country") or ""),
        products=[str(p) for p in raw.get("products") or []],
        brands=[str(b) for b in raw.get("brands") or []],
        website=str(raw.get("website") or record.url or ""),
        removed=record.deleted,
    )


def exhibitors(session: Session, edition_id: str, *, include_removed: bool = False) -> list[Exhibitor]:
    """The stored exhibitors of an edition, by hall and booth."""
    query = select(Record).where(Record.source_key == source_key(edition_id), Record.kind == "exhibitor")
    if not include_removed:
        query = query.where(Record.deleted == False)  # noqa: E712
    rows = [exhibitor_from_record(r) for r in session.exec(query).all()]
    return sorted(rows, key=lambda e: (natural_key(e.hall), natural_key(e.booth), e.name_zh or e.name_en))


def _flagged(session: Session, records: Sequence[Record], *, include_dismissed: bool) -> list[FlaggedBooth]:
    ids = [r.id for r in records]
    if not ids:
        return []
    by_id = {r.id: r for r in records}
    query = select(Alert, Enterprise).join(Enterprise, col(Enterprise.id) == col(Alert.enterprise_id))
    query = query.where(col(Alert.record_id).in_(ids))
    if not include_dismissed:
        query = query.where(Alert.status != AlertStatus.DISMISSED.value)
    found: list[FlaggedBooth] = []
    for alert, enterprise in session.exec(query).all():
        record = by_id[alert.record_id]
        raw = record.raw or {}
        assert alert.id is not None
        assert record.id is not None
        found.append(
            FlaggedBooth(
                edition=record.source_key,
                show=str(raw.get("show") or record.source_key),
                booth=record.booth or "",
                hall=record.hall or "",
                exhibitor_id=record.id,
                name_zh=str(raw.get("name_zh") or ""),
                name_en=str(raw.get("name_en") or ""),
                name_raw=str(raw.get("name_raw") or record.text or ""),
                watch_id=enterprise.id,
                enterprise=enterprise.name_zh or enterprise.name_en,
                enterprise_en=enterprise.name_en,
                mark=alert.mark,
                risk=alert.risk,
                reasons=list(alert.reasons),
                alert_id=alert.id,
                alert_status=alert.status,
            )
        )
    return sorted(
        found,
        key=lambda f: (natural_key(f.hall), natural_key(f.booth), RISK_RANK.get(f.risk, 9), f.alert_id),
    )


def flagged_booths(
    session: Session, edition_id: str, hall: str | None = None, *, include_dismissed: bool = False
) -> list[FlaggedBooth]:
    """Flagged booths of an edition grouped by hall and sorted by booth (natural order), highest risk first
    within a booth. Removed exhibitors and dismissed alerts are left out."""
    query = select(Record).where(
        Record.source_key == source_key(edition_id),
        Record.kind == "exhibitor",
        Record.deleted == False,  # noqa: E712
    )
    if hall:
        query = query.where(func.upper(Record.hall) == hall.strip().upper())
    return _flagged(session, session.exec(query).all(), include_dismissed=include_dismissed)


def exhibitors_at_booth(session: Session, booth: str, edition_id: str | None = None) -> list[BoothExhibitor]:
    """Who is at ``booth`` (``E2-A320``; a bare ``A320`` finds it in any hall) and what they matched."""
    wanted = normalise_booth(booth)
    query = select(Record).where(Record.kind == "exhibitor", Record.deleted == False)  # noqa: E712
    if edition_id:
        query = query.where(Record.source_key == source_key(edition_id))
    candidates = [r for r in session.exec(query).all() if r.booth]
    exact = [r for r in candidates if normalise_booth(r.booth or "") == wanted]
    chosen = exact or [r for r in candidates if normalise_booth(r.booth or "").endswith("-" + wanted)]
    alerts = _flagged(session, chosen, include_dismissed=False)
    result = []
    for record in sorted(chosen, key=lambda r: (r.source_key, natural_key(r.booth), r.id or 0)):
        result.append(
            BoothExhibitor(exhibitor_from_record(record), [a for a in alerts if a.exhibitor_id == record.id])
        )
    return result


def _counts(session: Session, key: str) -> tuple[int, int]:
    live = select(Record.id).where(
        Record.source_key == key,
        Record.kind == "exhibitor",
        Record.deleted == False,  # noqa: E712
    )
    total = session.exec(select(func.count()).select_from(live.subquery())).one()
    flagged = session.exec(
        select(func.count(func.distinct(Alert.record_id))).where(
            col(Alert.record_id).in_(live), Alert.status != AlertStatus.DISMISSED.value
        )
    ).one()
    return int(total), int(flagged)


def edition_status(
    session: Session, settings: Settings, *, now: dt.datetime | None = None
) -> list[EditionStatus]:
    """Every known edition with its dates, format, last crawl, exhibitor and flagged counts."""
    now = now or utcnow()
    rows = []
    for edition in load_editions(settings).values():
        rows.append(_status(session, edition, now))
    return rows


def _status(session: Session, edition: Edition, now: dt.datetime) -> EditionStatus:
    key = source_key(edition.id)
    last = session.exec(
        select(CrawlRun).where(CrawlRun.source_key == key).order_by(col(CrawlRun.id).desc()).limit(1)
    ).first()
    total, flagged = _counts(session, key)
    start, end = edition.expo_mode_window()
    venue = edition.venue.zh or edition.venue.en
    return EditionStatus(
        id=edition.id,
        show=edition.show.zh,
        show_en=edition.show.en,
        edition=edition.edition,
        starts=edition.starts,
        ends=edition.ends,
        venue=venue,
        format=edition.format,
        url=edition.urls[0] if edition.urls else None,
        expo_mode=start <= now < end,
        next_crawl_at=next_crawl_at(edition, now),
        last_crawl_at=(last.finished_at or last.started_at) if last else None,
        last_crawl_status=last.status if last else None,
        exhibitors=total,
        flagged=flagged,
        config=str(edition.path) if edition.path else "",
        timezone=edition.timezone,
        expo_mode_from=start,
        expo_mode_interval=edition.expo_mode_interval,
    )


def close_snapshot(factory: SessionFactory, key: str, run_id: int) -> dict[str, Any]:
    """After a complete, error-free crawl of a whole list: exhibitors not seen in it are marked removed, and
    the run's diff (added, changed, removed) is saved on the CrawlRun (``stats["diff"]``) and returned."""
    with transaction(factory) as session:
        run = session.get(CrawlRun, run_id)
        assert run is not None
        started = run.started_at
        records = session.exec(
            select(Record).where(Record.source_key == key, Record.kind == "exhibitor")
        ).all()
        added, changed, removed = [], [], []
        now = utcnow()
        for record in records:
            if record.last_seen_at < started:
                if not record.deleted:
                    record.deleted = True
                    record.event = "removed"
                    # A later crawl that lists it again must store it again (and match it), not skip it.
                    record.content_hash = ""
                    session.add(record)
                    removed.append(record.id)
            elif record.first_seen_at >= started:
                added.append(record.id)
            elif record.crawl_run_id == run_id:
                changed.append(record.id)
        diff = {
            "added": len(added),
            "changed": len(changed),
            "removed": len(removed),
            "added_ids": sorted(i for i in added if i is not None)[:DIFF_IDS_KEPT],
            "changed_ids": sorted(i for i in changed if i is not None)[:DIFF_IDS_KEPT],
            "removed_ids": sorted(i for i in removed if i is not None)[:DIFF_IDS_KEPT],
            "at": now.isoformat(),
        }
        run.stats = {**run.stats, "diff": diff}
        session.add(run)
    return diff


def run_diff(session: Session, run_id: int) -> dict[str, Any] | None:
    """The diff saved on a crawl run, if any."""
    run = session.get(CrawlRun, run_id)
    if run is None:
        return None
    diff = (run.stats or {}).get("diff")
    return dict(diff) if isinstance(diff, dict) else None
