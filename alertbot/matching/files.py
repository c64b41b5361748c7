"""File side of the matcher: watchlist and records in, JSON-lines alerts out, using every core.

Records are parsed and matched in worker processes that inherit the compiled index by ``fork`` (the
index is built once, in the parent); the parent only writes. Without ``fork`` (or with one worker) the
same code runs in-process.
"""

from __future__ import annotations

import itertools
import json
import logging
import multiprocessing
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import orjson

from alertbot.matching.engine import Matcher
from alertbot.matching.model import Candidate, Hit, Watch

log = logging.getLogger(__name__)

RECORD_KINDS = frozenset({"trademark", "exhibitor", "patent"})


class RecordError(ValueError):
    """A record line that cannot be matched; names the file, line and field."""


def read_watches(path: Path) -> list[Watch]:
    """The watchlist file (CSV or XLSX) as :class:`Watch` objects, validated by ``alertbot.watchlist``.

    Raises ``alertbot.watchlist.WatchlistError`` naming every bad row and field.
    """
    from alertbot.watchlist import read_watchlist

    watches: list[Watch] = [row.to_watch() for row in read_watchlist(path)]
    return watches


def candidate_from_json(obj: Any, where: str) -> Candidate:
    """A :class:`Candidate` from one record object of the records format; :class:`RecordError` if bad."""
    classes = check_record(obj, where)
    country = obj.get("applicant_country")
    return Candidate(
        id=str(obj["id"]),
        kind=obj["kind"],
        text=obj.get("text"),
        applicant=obj.get("applicant"),
        applicant_country=country if type(country) is str else None,
        classes=classes,
    )


def check_record(obj: Any, where: str) -> frozenset[int]:
    """Raise :class:`RecordError` naming the bad field of a record object; return its Nice classes."""
    if not isinstance(obj, dict):
        raise RecordError(f"{where}: a record must be a JSON object")
    record_id = obj.get("id")
    if not record_id or not isinstance(record_id, (str, int)):
        raise RecordError(f"{where}: field 'id' is missing or empty")
    kind = obj.get("kind")
    if kind not in RECORD_KINDS:
        raise RecordError(f"{where}: field 'kind' must be one of {sorted(RECORD_KINDS)}, got {kind!r}")
    text, applicant = obj.get("text"), obj.get("applicant")
    if text is not None and type(text) is not str:
        raise RecordError(f"{where}: field 'text' must be a string or null")
    if applicant is not None and type(applicant) is not str:
        raise RecordError(f"{where}: field 'applicant' must be a string or null")
    raw_classes = obj.get("classes") or ()
    classes = _nice_classes(raw_classes)
    if classes is None:
        raise RecordError(
            f"{where}: field 'classes' must be a list of Nice classes 1-45, got {raw_classes!r}"
        )
    return classes


_NICE_CLASSES = frozenset(range(46))


_CLASS_SETS: dict[tuple[Any, ...], Any] = {}
_INT_TYPE = frozenset({int})
_MISSING = object()


_ONE_CLASS: dict[int, frozenset[int]] = {c: frozenset({c} if c else ()) for c in _NICE_CLASSES}


def _nice_classes(raw: Any) -> frozenset[int] | None:
    """The Nice classes of a record (0, "not yet classified", dropped), or None if malformed."""
    if type(raw) is list and len(raw) == 1 and type(raw[0]) is int:
        return _ONE_CLASS.get(raw[0])  # most filings have one class: no tuple, no set
    if type(raw) not in (list, tuple) or not set(map(type, raw)) <= _INT_TYPE:
        return None  # also rejects true/false, which would otherwise pass as 1/0
    key = tuple(raw)
    cached = _CLASS_SETS.get(key, _MISSING)
    if cached is not _MISSING:
        return cached
    classes: frozenset[int] | None = None
    if frozenset(key) <= _NICE_CLASSES:
        classes = frozenset(c for c in key if c)
    if len(_CLASS_SETS) < 100_000:  # a few thousand combinations occur in practice
        _CLASS_SETS[key] = classes
    return classes


def _decode(line: str) -> Any:
    """One JSON value: orjson for speed (about half of the stdlib's time per line, which a 1M-record file
    feels); on anything orjson refuses, the stdlib decides, so bad lines get its wording ("Expecting value")
    and what only the stdlib accepts (NaN, a lone surrogate escape) is read as before."""
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        return json.loads(line)


# The matcher a forked worker inherits (set in the parent just before the pool starts).
_WORKER_MATCHER: Matcher | None = None

_ChunkResult = tuple[list[dict[str, Any]], list[tuple[int, str]], dict[str, str | None], int, int]


def _match_chunk(chunk: tuple[str, int, int]) -> _ChunkResult:
    """Match the lines of one byte range; errors carry the line number within the chunk."""
    path, start, end = chunk
    matcher = _WORKER_MATCHER
    assert matcher is not None
    hits: list[dict[str, Any]] = []
    errors: list[tuple[int, str]] = []
    applicants: dict[str, str | None] = {}
    with open(path, "rb") as handle:
        handle.seek(start)
        data = handle.read(end - start)
    lines = data.decode("utf-8", errors="replace").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    decode = _decode
    could_match = matcher.could_match
    for number, line in enumerate(lines, start=1):
        if not line or line.isspace():
            continue
        try:
            obj = decode(line)
            if type(obj) is dict and not could_match(obj.get("kind"), obj.get("text"), obj.get("applicant")):
                check_record(obj, "")  # nothing to find: only make sure the record is well formed
                continue
            candidate = candidate_from_json(obj, "")
        except json.JSONDecodeError as exc:
            errors.append((number, f"not JSON ({exc.msg})"))
            continue
        except RecordError as exc:
            errors.append((number, str(exc).removeprefix(": ")))
            continue
        try:
            found = matcher.match(candidate)
        except Exception as exc:  # a matcher fault on one record is reported with its line; the rest go on
            log.exception("matching failed on record %s", candidate.id)
            errors.append((number, f"matching failed ({type(exc).__name__}: {exc})"))
            continue
        if found:
            applicants[candidate.id] = candidate.applicant
            hits.extend(hit.to_json() for hit in found)
    return hits, errors, applicants, len(lines), end - start


def _chunks(path: Path, chunk_bytes: int) -> list[tuple[str, int, int]]:
    """Byte ranges of about ``chunk_bytes`` that start and end on line boundaries."""
    size = path.stat().st_size
    bounds = [0]
    with path.open("rb") as handle:
        while bounds[-1] + chunk_bytes < size:
            handle.seek(bounds[-1] + chunk_bytes)
            handle.readline()
            position = handle.tell()
            if position >= size:
                break
            bounds.append(position)
    bounds.append(size)
    return [(str(path), a, b) for a, b in itertools.pairwise(bounds) if b > a]


def match_file(
    matcher: Matcher,
    records: Path,
    *,
    workers: int = 0,
    chunk_bytes: int = 2_000_000,
    on_progress: Callable[[int], None] | None = None,
) -> tuple[list[dict[str, Any]], list[str], dict[str, str | None]]:
    """Match every record of a JSON-lines file; returns (hit objects, per-line errors, applicant by record).

    ``workers=0`` uses every core; each worker reads its own byte ranges of the file, so the parent
    neither parses nor ships lines. Bad lines are reported (file and line number) and skipped.
    ``on_progress`` receives the number of bytes done after each chunk.
    """
    global _WORKER_MATCHER
    _WORKER_MATCHER = matcher
    workers = workers or os.cpu_count() or 1
    hits: list[dict[str, Any]] = []
    errors: list[str] = []
    applicants: dict[str, str | None] = {}
    chunks = _chunks(records, chunk_bytes)
    use_pool = workers > 1 and len(chunks) > 1 and "fork" in multiprocessing.get_all_start_methods()
    pool = multiprocessing.get_context("fork").Pool(min(workers, len(chunks))) if use_pool else None
    results: Iterable[_ChunkResult] = (
        pool.imap(_match_chunk, chunks, chunksize=1) if pool is not None else map(_match_chunk, chunks)
    )
    lines_before = 0
    try:
        for chunk_hits, chunk_errors, chunk_applicants, line_count, byte_count in results:
            hits.extend(chunk_hits)
            errors.extend(f"{records}: line {lines_before + n}: {message}" for n, message in chunk_errors)
            applicants.update(chunk_applicants)
            lines_before += line_count
            if on_progress is not None:
                on_progress(byte_count)
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
