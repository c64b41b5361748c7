"""File side of the matcher: watchlist and records in, JSON-lines alerts out, using every core.

Records are parsed and matched in worker processes that inherit the compiled index by ``fork`` (the
index is built once, in the parent); the parent only writes. Without ``fork`` (or with one worker) the
same code runs in-process.
"""

from __future__ import annotations

import csv
import json
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

from alertbot.matching.engine import Matcher
from alertbot.matching.model import Candidate, Hit, Watch

RECORD_KINDS = frozenset({"trademark", "exhibitor", "patent"})


class RecordError(ValueError):
    """A record line that cannot be matched; names the file, line and field."""


def read_watches(path: Path) -> list[Watch]:
    """The watchlist as :class:`Watch` objects, through ``alertbot.watchlist`` (validation, CSV and XLSX)."""
    try:
        from alertbot.watchlist import read_watchlist
    except ImportError:  # pragma: no cover - only before the watchlist module lands
        return _read_watchlist_csv(path)
    return [row.to_watch() for row in read_watchlist(path)]


def _read_watchlist_csv(path: Path) -> list[Watch]:
    watches = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row_number, row in enumerate(csv.DictReader(handle), start=2):
            if not (row.get("id") or "").strip():
                raise ValueError(f"{path}: row {row_number}: field 'id' is empty")

            def parts(field: str, row: dict[str, str] = row) -> tuple[str, ...]:
                return tuple(p.strip() for p in (row.get(field) or "").split("|") if p.strip())

            try:
                classes = frozenset(int(c) for c in parts("classes"))
            except ValueError as exc:
                raise ValueError(f"{path}: row {row_number}: field 'classes': {exc}") from exc
            watches.append(
                Watch(
                    id=row["id"].strip(),
                    name_zh=(row.get("name_zh") or "").strip(),
                    name_en=(row.get("name_en") or "").strip(),
                    marks=parts("marks"),
                    classes=classes,
                    affiliates=parts("affiliates"),
                )
            )
    return watches


def candidate_from_json(obj: Any, where: str) -> Candidate:
    """A :class:`Candidate` from one record object of the records format; :class:`RecordError` if bad."""
    if not isinstance(obj, dict):
        raise RecordError(f"{where}: a record must be a JSON object")
    record_id = obj.get("id")
    if not isinstance(record_id, str | int) or record_id == "":
        raise RecordError(f"{where}: field 'id' is missing or empty")
    kind = obj.get("kind")
    if kind not in RECORD_KINDS:
        raise RecordError(f"{where}: field 'kind' must be one of {sorted(RECORD_KINDS)}, got {kind!r}")
    text, applicant = obj.get("text"), obj.get("applicant")
    for name, value in (("text", text), ("applicant", applicant)):
        if value is not None and not isinstance(value, str):
            raise RecordError(f"{where}: field {name!r} must be a string or null")
    raw_classes = obj.get("classes") or []
    if not isinstance(raw_classes, list) or not all(isinstance(c, int) and 0 <= c <= 45 for c in raw_classes):
        raise RecordError(
            f"{where}: field 'classes' must be a list of Nice classes 1-45, got {raw_classes!r}"
        )
    country = obj.get("applicant_country")
    return Candidate(
        id=str(record_id),
        kind=kind,
        text=text,
        applicant=applicant,
        applicant_country=country if isinstance(country, str) else None,
        classes=frozenset(c for c in raw_classes if c),
    )


# The matcher a forked worker inherits (set in the parent just before the pool starts).
_WORKER_MATCHER: Matcher | None = None


def _match_lines(
    batch: tuple[str, int, list[str]],
) -> tuple[list[dict[str, Any]], list[str], dict[str, str | None]]:
    path, first_line, lines = batch
    assert _WORKER_MATCHER is not None
    hits: list[dict[str, Any]] = []
    errors: list[str] = []
    applicants: dict[str, str | None] = {}
    for offset, line in enumerate(lines):
        if not line.strip():
            continue
        where = f"{path}: line {first_line + offset}"
        try:
            candidate = candidate_from_json(json.loads(line), where)
        except json.JSONDecodeError as exc:
            errors.append(f"{where}: not JSON ({exc.msg})")
            continue
        except RecordError as exc:
            errors.append(str(exc))
            continue
        found = _WORKER_MATCHER.match(candidate)
        if found:
            applicants[candidate.id] = candidate.applicant
            hits.extend(hit.to_json() for hit in found)
    return hits, errors, applicants


def _batches(path: Path, handle: TextIO, size: int) -> Iterator[tuple[str, int, list[str]]]:
    batch: list[str] = []
    first = 1
    for number, line in enumerate(handle, start=1):
        if not batch:
            first = number
        batch.append(line)
        if len(batch) >= size:
            yield str(path), first, batch
            batch = []
    if batch:
        yield str(path), first, batch


def match_file(
    matcher: Matcher,
    records: Path,
    *,
    workers: int = 0,
    batch_size: int = 5000,
    on_progress: Callable[[int], None] | None = None,
) -> tuple[list[dict[str, Any]], list[str], dict[str, str | None]]:
    """Match every record of a JSON-lines file; returns (hit objects, per-line errors, applicant by record).

    ``workers=0`` uses every core. Bad lines are reported and skipped; the rest goes on.
    """
    global _WORKER_MATCHER
    _WORKER_MATCHER = matcher
    workers = workers or os.cpu_count() or 1
    hits: list[dict[str, Any]] = []
    errors: list[str] = []
    applicants: dict[str, str | None] = {}
    with records.open(encoding="utf-8") as handle:
        batches = _batches(records, handle, batch_size)
        results: Iterable[tuple[list[dict[str, Any]], list[str], dict[str, str | None]]]
        use_pool = workers > 1 and "fork" in multiprocessing.get_all_start_methods()
        if use_pool:
            context = multiprocessing.get_context("fork")
            pool = context.Pool(workers)
            results = pool.imap(_match_lines, batches, chunksize=1)
        else:
            pool = None
            results = map(_match_lines, batches)
        try:
            for batch_hits, batch_errors, batch_applicants in results:
                hits.extend(batch_hits)
                errors.extend(batch_errors)
                applicants.update(batch_applicants)
                if on_progress is not None:
                    on_progress(batch_size)
        finally:
            if pool is not None:
                pool.close()
                pool.join()
    _WORKER_MATCHER = None
    return hits, errors, applicants


def hits_from_json(objects: Iterable[dict[str, Any]]) -> list[Hit]:
    """:class:`Hit` objects back from their ``to_json`` form."""
    return [
        Hit(
            record_id=o["record_id"],
            watch_id=o["watch_id"],
            risk=o["risk"],
            score=float(o["score"]),
            mark=o["mark"],
            variant=o["variant"],
            reasons=tuple(o["reasons"]),
            class_overlap=tuple(o["class_overlap"]),
        )
        for o in objects
    ]
