"""Running an edition's crawl (store, diff, match, alert) or a dry check (fetch and parse only), and the
bundled sample lists the demo crawls.

Crawls are subprocesses like every spider (:mod:`alertbot.crawling`); the diff comes back from the
``CrawlRun`` the pipeline finalised (``stats["diff"]``, written by :func:`alertbot.expo.close_snapshot`).
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from alertbot.crawling import DEFAULT_TIMEOUT_S, CrawlResult, run_crawl_async
from alertbot.db import session_factory
from alertbot.expo.editions import FIELD_NAMES, Edition, crawl_spec, load_editions
from alertbot.expo.store import run_diff
from alertbot.settings import Settings

# A mapped field empty on more than this share of rows is reported by `alertbot expo check`.
EMPTY_FIELD_WARNING = 0.5
SAMPLE_ROWS_SHOWN = 5


@dataclass
class EditionCrawl:
    """One stored crawl of an edition: the subprocess outcome and the add/change/remove diff."""

    edition: Edition
    result: CrawlResult
    diff: dict[str, Any] | None = None

    @property
    def run_id(self) -> int | None:
        """The CrawlRun id of the edition's source."""
        return self.result.crawl_run_ids[0] if self.result.crawl_run_ids else None

    @property
    def counts(self) -> dict[str, int]:
        """What the ingestor did (seen, new, updated, unchanged, quarantined, alerts)."""
        return dict(self.result.ingest.get(self.edition.id, {}))


@dataclass
class CheckReport:
    """What a dry run found: parsed rows, quarantined rows, errors and mapping warnings."""

    edition: Edition
    result: CrawlResult
    records: list[dict[str, Any]] = field(default_factory=list)
    quarantined: list[dict[str, Any]] = field(default_factory=list)
    filled: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        """Errors first, then warnings: everything a person writing the edition file must look at."""
        return [*self.result.errors, *(q["reason"] for q in self.quarantined), *self.warnings]

    @property
    def ok(self) -> bool:
        """Rows were read and nothing went wrong."""
        return bool(self.records) and not self.result.errors and not self.quarantined


async def crawl_edition_async(
    edition: Edition,
    settings: Settings,
    file: str | None = None,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    scrapy_settings: Mapping[str, str] | None = None,
) -> EditionCrawl:
    """Crawl an edition (its URL, or ``file``): store, diff, match and alert. ``scrapy_settings`` go to the
    crawl as ``-s KEY=VALUE`` (e.g. ``DOWNLOAD_DELAY``)."""
    name, args = crawl_spec(edition, settings, file)
    result = await run_crawl_async(name, args=args, settings=scrapy_settings, timeout_s=timeout_s)
    crawl = EditionCrawl(edition, result)
    if crawl.run_id is not None:
        with session_factory(settings)() as session:
            crawl.diff = run_diff(session, crawl.run_id)
    return crawl


def crawl_edition(
    edition: Edition,
    settings: Settings,
    file: str | None = None,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    scrapy_settings: Mapping[str, str] | None = None,
) -> EditionCrawl:
    """Blocking :func:`crawl_edition_async`, for the CLI."""
    return asyncio.run(
        crawl_edition_async(edition, settings, file, timeout_s=timeout_s, scrapy_settings=scrapy_settings)
    )


def check_edition(
    edition: Edition,
    settings: Settings,
    file: str | None = None,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    scrapy_settings: Mapping[str, str] | None = None,
) -> CheckReport:
    """Fetch and parse without storing: the rows as parsed, and every mapping problem."""
    name, args = crawl_spec(edition, settings, file)
    with tempfile.TemporaryDirectory(prefix="alertbot-expo-check-") as workdir:
        feed = Path(workdir) / "items.jsonl"
        feeds = {feed.as_uri(): {"format": "jsonlines", "encoding": "utf-8"}}
        result = asyncio.run(
            run_crawl_async(
                name,
                args=args,
                settings={**(scrapy_settings or {}), "ALERTBOT_STORE": "0", "FEEDS": json.dumps(feeds)},
                timeout_s=timeout_s,
            )
        )
        lines = feed.read_text(encoding="utf-8").splitlines() if feed.exists() else []
    report = CheckReport(edition, result)
    for line in lines:
        item = json.loads(line)
        (report.records if "kind" in item else report.quarantined).append(item)
    report.filled = fill_counts(report.records)
    report.warnings = mapping_warnings(edition, report.records, report.filled)
    return report


def _value(record: dict[str, Any], name: str) -> Any:
    raw = record.get("raw") or {}
    if name in {"booth", "hall"}:
        return record.get(name)
    return raw.get(name)


def fill_counts(records: list[dict[str, Any]]) -> dict[str, int]:
    """How many parsed rows have each field filled."""
    counts: Counter[str] = Counter()
    for record in records:
        for name in FIELD_NAMES:
            if _value(record, name):
                counts[name] += 1
    return {name: counts[name] for name in FIELD_NAMES}


def mapping_warnings(edition: Edition, records: list[dict[str, Any]], filled: dict[str, int]) -> list[str]:
    """A mapped field empty on most rows, and a list without booths, are worth a look."""
    if not records:
        return []
    warnings = []
    mapped = edition.fields.mapped()
    total = len(records)
    for name, source in mapped.items():
        empty = total - filled.get(name, 0)
        if empty / total > EMPTY_FIELD_WARNING:
            warnings.append(
                f"fields.{name} ({source!r}) is empty on {empty} of {total} rows: check the "
                f"{'selector' if edition.format in {'html', 'json'} else 'column'}"
            )
    if "booth" not in mapped:
        warnings.append("fields.booth is not mapped: on-site teams cannot find the exhibitors")
    return warnings


def samples_dir() -> Path:
    """The bundled sample lists (``alertbot/expo/samples``)."""
    return Path(str(files("alertbot.expo") / "samples"))


def sample_file(edition: Edition) -> Path | None:
    """The bundled sample list of an edition (``<id>.<format>``), if there is one."""
    path = samples_dir() / f"{edition.id}.{edition.format}"
    return path if path.is_file() else None


def sample_crawls(settings: Settings) -> list[tuple[Edition, str]]:
    """(edition, ``file://`` URL) for every edition with a bundled sample list – what the demo crawls."""
    found = []
    for edition in load_editions(settings).values():
        path = sample_file(edition)
        if path is not None:
            found.append((edition, path.resolve().as_uri()))
    return found


async def crawl_samples_async(settings: Settings, *, timeout_s: float = 300.0) -> list[EditionCrawl]:
    """Crawl every edition's bundled sample, concurrently (one subprocess each)."""
    jobs = [crawl_edition_async(e, settings, url, timeout_s=timeout_s) for e, url in sample_crawls(settings)]
    return list(await asyncio.gather(*jobs))
