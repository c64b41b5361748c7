"""The storage seam between crawlers and the core: upsert records, match them, write alerts and outbox rows.

Spiders' item pipelines drive an :class:`Ingestor`; ``alertbot match`` (database mode) calls
:func:`match_stored_records`; watchlist imports call :func:`retro_match`. Every batch is one transaction:
records, matches, alerts and their deliveries commit together or not at all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, SQLModel, col, select

from alertbot.alerting import AlertOutcome, apply_hits, enqueue, recipients_for
from alertbot.db import SessionFactory, session_factory, transaction, upgrade
from alertbot.expo.matching import record_hits
from alertbot.models import Alert, CrawlRun, Enterprise, Quarantine, Record, Source, Subscriber, utcnow
from alertbot.schemas import RecordIn
from alertbot.settings import Settings, get_settings
from alertbot.textsafety import HIDDEN_REASON, control_characters, hidden_characters, reveal, strip_hidden
from alertbot.watchlist import WatchlistRow, load_enterprises

log = logging.getLogger(__name__)

_STORED_FIELDS = (
    "kind",
    "text",
    "applicant",
    "applicant_country",
    "classes",
    "office",
    "status",
    "event",
    "filing_date",
    "publication_date",
    "opposition_end",
    "hall",
    "booth",
    "url",
    "deleted",
    "raw",
)


HIDDEN_KEY = "hidden_characters"
# RecordIn field -> Record column, where the names differ.
_COLUMN_OF = {"source": "source_key"}


def column_limits(model: type[SQLModel]) -> dict[str, int]:
    """The length limit of every bounded text column of ``model`` (from its ``max_length``)."""
    table: sa.Table = model.__table__  # type: ignore[attr-defined]
    # sqlmodel's AutoString is a TypeDecorator over String: read the length off the type, whatever its class.
    limits: dict[str, int] = {}
    for column in table.columns:
        length = getattr(column.type, "length", None)
        if isinstance(length, int) and length > 0:
            limits[column.name] = length
    return limits


RECORD_LIMITS = column_limits(Record)


def _text_problem(name: str, value: str, limit: int | None) -> str | None:
    if limit is not None and len(value) > limit:
        return f"{name}: {len(value)} characters, the column holds at most {limit} ({value[:40]!r})"
    if "\x00" in value:
        return f"{name}: contains a NUL character, which the database cannot store"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return f"{name}: not valid Unicode (lone surrogate), which the database cannot store"
    return None


def record_problems(item: RecordIn) -> list[str]:
    """Why ``item`` cannot be stored as it is, checked BEFORE the database sees it, the same way on SQLite
    (which would silently store an over-long value) and PostgreSQL (which would refuse the whole batch).

    Limits come from the model (``max_length`` of each column), so a column change is checked at once.
    """
    problems: list[str] = []
    for name in ("source", "native_id", *_STORED_FIELDS):
        value = getattr(item, name)
        if isinstance(value, str):
            problem = _text_problem(name, value, RECORD_LIMITS.get(_COLUMN_OF.get(name, name)))
            if problem:
                problems.append(problem)
    raw = json.dumps(item.raw, ensure_ascii=False, default=str)
    problem = _text_problem("raw", raw, None)
    if problem:
        problems.append(problem)
    return problems


def _storable(text: str) -> str:
    """``text`` as every database can store it: NUL and lone surrogates written as escapes. For the
    quarantine, whose whole point is to keep what could not be stored elsewhere."""
    return text.replace("\x00", "\\x00").encode("utf-8", errors="backslashreplace").decode("utf-8")


def _snippet(item: RecordIn) -> str:
    return json.dumps(item.model_dump(mode="json"), ensure_ascii=False, default=str)[:4000]


def _database_reason(error: Exception) -> str:
    """The database's own words for a refused record, first line only (no SQL, no parameters)."""
    original = getattr(error, "orig", None) or error
    lines = str(original).strip().splitlines()
    return f"the database refused the record: {lines[0] if lines else type(original).__name__}"


# Text fields people read in alerts and reports; hidden characters in them are stripped and reported.
_SHOWN_FIELDS = ("text", "applicant", "applicant_country", "status", "hall", "booth")


def unhide(item: RecordIn) -> RecordIn:
    """``item`` with bidi controls, zero-width and other invisible characters (and control characters)
    removed from the fields people read, so ``SIA\u200bSUN`` matches SIASUN and ``\u202egnidarT\u202c Ltd``
    no longer displays as "Trading Ltd". The originals are kept visibly in ``raw["hidden_characters"]``
    (``⟨U+202E⟩gnidarT⟨U+202C⟩ Ltd``), and alerts on the record carry the reason ``hidden-characters``.
    """
    changed: dict[str, str | None] = {}
    shown: dict[str, str] = {}
    for name in _SHOWN_FIELDS:
        value = getattr(item, name)
        if isinstance(value, str) and (hidden_characters(value) or control_characters(value)):
            cleaned = " ".join(strip_hidden(value).split())
            changed[name] = "".join(c for c in cleaned if not control_characters(c)) or None
            shown[name] = reveal(value)
    if not changed:
        return item
    return item.model_copy(update={**changed, "raw": {**item.raw, HIDDEN_KEY: shown}})


def hidden_reason(record: Record) -> str | None:
    """The alert reason for a record whose fields held hidden characters: ``hidden-characters:U+200B,U+202E``."""
    shown = (record.raw or {}).get(HIDDEN_KEY)
    if not shown:
        return None
    codes = sorted({code for value in shown.values() for code in re.findall(r"⟨(U\+[0-9A-F]{4,6})⟩", value)})
    return f"{HIDDEN_REASON}:{','.join(codes)}" if codes else HIDDEN_REASON


def content_hash(item: RecordIn) -> str:
    """A fingerprint of everything stored about a record, to tell a changed snapshot from a repeat."""
    payload = item.model_dump(mode="json", exclude={"source", "native_id"})
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def build_matcher(enterprises: Sequence[Enterprise]) -> Any:
    """Compile the matching index for the given watchlist entries."""
    from alertbot.matching import Matcher

    return Matcher([WatchlistRow.from_enterprise(e).to_watch() for e in enterprises])


class Ingestor:
    """Stores one crawl's records in batches, matching each new or changed record as it arrives.

    Use :meth:`open` to start a crawl run, :meth:`add` per record, :meth:`quarantine` for records that could
    not be parsed, and :meth:`close` at the end.
    """

    def __init__(
        self,
        factory: SessionFactory,
        run_id: int,
        source_key: str,
        settings: Settings,
        *,
        batch_size: int = 500,
    ) -> None:
        self.factory = factory
        self.run_id = run_id
        self.source_key = source_key
        self.settings = settings
        self.batch_size = batch_size
        self.counts: dict[str, int] = {
            "seen": 0,
            "new": 0,
            "updated": 0,
            "unchanged": 0,
            "quarantined": 0,
            "alerts": 0,
            "followups": 0,
        }
        self._buffer: dict[str, RecordIn] = {}
        with factory() as session:
            self._matcher = build_matcher(load_enterprises(session))

    @classmethod
    def open(
        cls,
        source_key: str,
        spider_name: str,
        *,
        settings: Settings | None = None,
        kind: str = "gazette",
        migrate: bool = True,
        batch_size: int = 500,
    ) -> Ingestor:
        """Start a crawl run for ``source_key`` (creating the source and the schema when missing)."""
        settings = settings or get_settings()
        if migrate:
            upgrade(settings.resolved_database_url())
        factory = session_factory(settings)
        with transaction(factory) as session:
            if session.get(Source, source_key) is None:
                session.add(Source(key=source_key, kind=kind, spider=spider_name))
            run = CrawlRun(source_key=source_key, spider=spider_name)
            session.add(run)
            session.flush()
            run_id = run.id
        assert run_id is not None
        return cls(factory, run_id, source_key, settings, batch_size=batch_size)

    def add(self, item: RecordIn) -> None:
        """Queue one record; a later snapshot of the same id in the same batch replaces the earlier one.

        A record that cannot be stored as it is (a field longer than its column, a NUL) is quarantined
        with its reason here, before the database sees it, and the batch goes on.
        """
        self.counts["seen"] += 1
        item = unhide(item)
        problems = record_problems(item)
        if problems:
            self.quarantine("invalid record: " + "; ".join(problems), _snippet(item), item.native_id[:128])
            return
        self._buffer[item.native_id] = item
        if len(self._buffer) >= self.batch_size:
            self.flush()

    def flush(self) -> AlertOutcome:
        """Store and match the queued records in one transaction.

        Should the database still refuse the batch (a rule the models do not know, a concurrent writer),
        the records are stored one by one, each in its own transaction, and only those the database
        refuses are quarantined with its reason. Per-record transactions rather than savepoints: pysqlite's
        legacy transaction control commits on RELEASE SAVEPOINT (notes/libraries.md). Raises only when
        even the quarantine cannot be written (the database is gone): the caller records a storage failure.
        """
        outcome = AlertOutcome()
        if not self._buffer:
            return outcome
        items = list(self._buffer.values())
        self._buffer.clear()
        try:
            outcome = self._store(items)
        except SQLAlchemyError as error:
            log.warning(
                "a batch of %d records failed in the database (%s); storing them one by one",
                len(items),
                _database_reason(error),
            )
            outcome = AlertOutcome()
            for item in items:
                try:
                    single = self._store([item])
                except SQLAlchemyError as record_error:
                    self.quarantine(_database_reason(record_error), _snippet(item), item.native_id)
                    continue
                outcome.new_alerts += single.new_alerts
                outcome.followups += single.followups
            return outcome
        return outcome

    def _store(self, items: Sequence[RecordIn]) -> AlertOutcome:
        counts: Counter[str] = Counter()
        with transaction(self.factory) as session:
            changed = self._upsert(session, items, counts)
            outcome = match_records(session, changed, self._matcher, tz=self.settings.timezone)
        # Counted only once committed, so a refused batch retried record by record is not counted twice.
        for key, value in counts.items():
            self.counts[key] += value
        self.counts["alerts"] += outcome.new_alerts
        self.counts["followups"] += outcome.followups
        return outcome

    def _upsert(self, session: Session, items: Sequence[RecordIn], counts: Counter[str]) -> list[Record]:
        ids = [i.native_id for i in items]
        existing = {
            r.native_id: r
            for r in session.exec(
                select(Record).where(Record.source_key == items[0].source, col(Record.native_id).in_(ids))
            ).all()
        }
        changed: list[Record] = []
        now = utcnow()
        for item in items:
            digest = content_hash(item)
            record = existing.get(item.native_id)
            if record is not None and record.content_hash == digest:
                counts["unchanged"] += 1
                record.last_seen_at = now
                session.add(record)
                continue
            if record is None:
                record = Record(
                    source_key=item.source, native_id=item.native_id, kind=item.kind, first_seen_at=now
                )
                counts["new"] += 1
            else:
                counts["updated"] += 1
            for name in _STORED_FIELDS:
                setattr(record, name, getattr(item, name))
            record.content_hash = digest
            record.last_seen_at = now
            record.crawl_run_id = self.run_id
            session.add(record)
            changed.append(record)
        session.flush()
        return changed

    def quarantine(self, reason: str, snippet: str = "", native_id: str | None = None) -> None:
        """Keep a record that could not be parsed, with its reason and a raw snippet; the crawl goes on."""
        self.counts["quarantined"] += 1
        with transaction(self.factory) as session:
            session.add(_quarantine_row(self.source_key, self.run_id, native_id, reason, snippet))

    def source_state(self) -> dict[str, Any]:
        """The source's incremental memory (files seen, ETags, last dates)."""
        with self.factory() as session:
            source = session.get(Source, self.source_key)
            return dict(source.state) if source else {}

    def update_source_state(self, updates: dict[str, Any]) -> None:
        """Merge ``updates`` into the source's incremental memory."""
        with transaction(self.factory) as session:
            source = session.get(Source, self.source_key)
            assert source is not None
            source.state = {**source.state, **updates}
            session.add(source)

    def close(
        self, status: str = "ok", stats: dict[str, Any] | None = None, error: str | None = None
    ) -> CrawlRun:
        """Flush what is queued and finalise the crawl run with its counts."""
        try:
            self.flush()
        except Exception as exc:
            log.exception("final flush failed")
            status, error = "error", f"{error + '; ' if error else ''}storing the last batch failed: {exc}"
        with transaction(self.factory) as session:
            run = session.get(CrawlRun, self.run_id)
            assert run is not None
            run.finished_at = utcnow()
            run.status = status
            run.records_seen = self.counts["seen"]
            run.records_new = self.counts["new"]
            run.records_updated = self.counts["updated"]
            run.records_unchanged = self.counts["unchanged"]
            run.quarantined = self.counts["quarantined"]
            run.alerts_new = self.counts["alerts"]
            run.errors = int((stats or {}).get("errors", 0)) + (1 if error else 0)
            run.error_detail = error
            run.stats = {**(stats or {}), "followups": self.counts["followups"]}
            source = session.get(Source, self.source_key)
            if source is not None:
                if status in {"ok", "partial"}:
                    source.last_success_at = run.finished_at
                source.last_error = error
                session.add(source)
            session.add(run)
        return run


def _hits(matcher: Any, record: Record) -> list[Any]:
    hits = record_hits(matcher, record)
    reason = hidden_reason(record) if hits else None
    if reason:
        # Say so in the alert: the name or mark held characters a reader would not have seen.
        hits = [replace(hit, reasons=(*hit.reasons, reason)) for hit in hits]
    return hits


def _quarantine_row(
    source_key: str, run_id: int | None, native_id: str | None, reason: str, snippet: str
) -> Quarantine:
    """A quarantined record as the table holds it: every text cut to its column and made storable."""
    return Quarantine(
        source_key=source_key,
        crawl_run_id=run_id,
        native_id=_storable(native_id[:128]) if native_id else None,
        reason=_storable(reason[:2000]),
        snippet=_storable(snippet[:4000]),
    )


def match_records(
    session: Session, records: Sequence[Record], matcher: Any, *, origin: str = "instant", tz: str
) -> AlertOutcome:
    """Match stored records (inside the caller's transaction) and write their alerts and deliveries."""
    pairs = []
    now = utcnow()
    for record in records:
        record.matched_at = now
        session.add(record)
        if record.deleted or not (record.text or record.applicant):
            continue
        try:
            hits = _hits(matcher, record)
        except Exception as exc:  # a matcher fault on one record must not lose the batch
            log.exception("matching failed for record %s/%s", record.source_key, record.native_id)
            reason = f"matching failed: {type(exc).__name__}: {exc}"
            snippet = record.text or record.applicant or ""
            session.add(
                _quarantine_row(record.source_key, record.crawl_run_id, record.native_id, reason, snippet)
            )
            continue
        if hits:
            pairs.append((record, hits))
    return apply_hits(session, pairs, origin=origin, tz=tz)


def match_stored_records(settings: Settings | None = None, *, batch_size: int = 1000) -> int:
    """Match every stored record not matched yet; returns the number of new alerts."""
    settings = settings or get_settings()
    factory = session_factory(settings)
    with factory() as session:
        matcher = build_matcher(load_enterprises(session))
    total = 0
    while True:
        with transaction(factory) as session:
            batch = session.exec(
                select(Record)
                .where(col(Record.matched_at).is_(None))
                .order_by(col(Record.id))
                .limit(batch_size)
            ).all()
            if not batch:
                return total
            total += match_records(session, batch, matcher, tz=settings.timezone).new_alerts


def retro_match(
    enterprise_ids: Sequence[str], settings: Settings | None = None, *, days: int | None = None
) -> dict[str, list[int]]:
    """Match stored records of the last ``days`` (default: settings.retro_match_days) against new or changed
    entries, as a watch service's initial search. Hits become alerts (origin ``retro``) and reach staff and
    the enterprise as ONE initial report each, not as a flood of instant alerts.

    Returns the new alert ids per enterprise.
    """
    settings = settings or get_settings()
    if not enterprise_ids:
        return {}
    window = dt.timedelta(days=days if days is not None else settings.retro_match_days)
    factory = session_factory(settings)
    found: dict[str, list[int]] = {}
    with transaction(factory) as session:
        entries = [e for e in load_enterprises(session) if e.id in set(enterprise_ids)]
        if not entries:
            return {}
        matcher = build_matcher(entries)
        since = utcnow() - window
        records = session.exec(
            select(Record).where(col(Record.last_seen_at) >= since, Record.deleted == False)  # noqa: E712
        ).all()
        before = set(session.exec(select(Alert.id)).all())
        pairs = [(r, hits) for r in records if (hits := _hits(matcher, r))]
        apply_hits(session, pairs, origin="retro", tz=settings.timezone)
        session.flush()
        new_alerts = [a for a in session.exec(select(Alert)).all() if a.id not in before]
        stamp = utcnow().strftime("%Y%m%dT%H%M%S")
        for enterprise in entries:
            ids = sorted(a.id for a in new_alerts if a.enterprise_id == enterprise.id and a.id is not None)
            if not ids:
                continue
            found[enterprise.id] = ids
            first = session.get(Alert, ids[0])
            record = session.get(Record, first.record_id) if first else None
            if first is None or record is None:
                continue
            recipients: dict[int | None, Subscriber] = {
                s.id: s for s in recipients_for(session, first, record) if s.role != "enforcement"
            }
            for sub in recipients.values():
                enqueue(
                    session,
                    dedupe_key=f"initial-report:{enterprise.id}:{stamp}",
                    subscriber=sub,
                    kind="initial-report",
                    due=utcnow(),
                    payload={"enterprise_id": enterprise.id, "alert_ids": ids},
                )
    return found
