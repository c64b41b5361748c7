"""The item pipeline over :class:`alertbot.ingest.Ingestor`, and the run-summary extension.

The pipeline opens one ingestor (one ``CrawlRun``) per source key the spider yields – normally one; the
ST.66 spider can see several offices in one feed – loads the spider's incremental memory from its main
source at open, and saves it, with the run's counts and errors, at close.

Set ``ALERTBOT_STORE=False`` (``-s ALERTBOT_STORE=0``) to crawl without a database, e.g. with a feed export.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from alertbot.redact import install_log_redaction, redact
from spiders.items import QuarantineItem, RecordIn

log = logging.getLogger(__name__)
MAX_STORE_ERRORS_KEPT = 5


def run_stats(spider: Spider, crawler: Crawler) -> dict[str, Any]:
    """The counts worth keeping on a CrawlRun: our own counters plus Scrapy's download/retry stats."""
    stats = crawler.stats.get_stats() if crawler.stats else {}
    kept = {
        key.removeprefix("alertbot/"): value
        for key, value in stats.items()
        if key.startswith(
            ("alertbot/", "retry/", "downloader/response_status_count/", "downloader/exception_type")
        )
        or key in {"downloader/request_count", "downloader/response_bytes", "item_scraped_count"}
    }
    return {key: value for key, value in kept.items() if isinstance(value, int | float | str)}


def run_status(spider: Spider, crawler: Crawler) -> str:
    """``ok`` when every record was stored; ``partial`` when some records were stored but errors happened
    or records were quarantined (the CLI exits 1 for anything but ``ok``); ``error`` when nothing was."""
    errors = getattr(spider, "run_errors", [])
    stats = crawler.stats.get_stats() if crawler.stats else {}
    records = int(stats.get("alertbot/records", 0))
    quarantined = int(stats.get("alertbot/quarantined", 0))
    ingested: dict[str, dict[str, int]] = getattr(spider, "ingest_counts", {})
    if ingested:
        # What reached the database: a record refused at storage is quarantined there, not stored.
        records = sum(
            c.get("new", 0) + c.get("updated", 0) + c.get("unchanged", 0) for c in ingested.values()
        )
        quarantined = max(quarantined, sum(c.get("quarantined", 0) for c in ingested.values()))
    if not errors and not quarantined:
        return "ok"
    return "partial" if records else "error"


class IngestPipeline:
    """Stores records and quarantined records through the ingest seam; saves the source's memory."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.enabled = crawler.settings.getbool("ALERTBOT_STORE", True)
        self.ingestors: dict[str, Any] = {}
        self.main_source = ""
        self.store_errors = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IngestPipeline:
        """Scrapy's constructor hook; masks secrets in this process's logs (request URLs carry API keys)."""
        install_log_redaction()
        return cls(crawler)

    def _ingestor(self, source_key: str, spider: Spider) -> Any:
        if source_key not in self.ingestors:
            from alertbot.ingest import Ingestor

            # Expo spiders store under Source.kind "expo"; gazette spiders keep the default.
            kind = getattr(spider, "source_kind", "gazette")
            self.ingestors[source_key] = Ingestor.open(source_key, spider.name, kind=kind)
        return self.ingestors[source_key]

    def open_spider(self) -> None:
        """Open the main source's run and hand its incremental memory to the spider.

        When storage cannot be opened the spider is told to fetch nothing (``storage_error``), and the
        reason is recorded as the run's error: downloading files that cannot be stored is wasted work.
        """
        spider = self.crawler.spider
        if not self.enabled or spider is None:
            return
        self.main_source = getattr(spider, "source_key", "") or spider.name
        try:
            state = self._ingestor(self.main_source, spider).source_state()
        except Exception as error:
            log.exception("storage unavailable")
            self.enabled = False
            spider.storage_error = f"storage unavailable: {error!r}"  # type: ignore[attr-defined]
            spider.run_errors.append(spider.storage_error)  # type: ignore[attr-defined]
            if self.crawler.stats:
                self.crawler.stats.inc_value("alertbot/errors")
            return
        spider.source_state = dict(state)  # type: ignore[attr-defined]

    def process_item(self, item: Any) -> Any:
        """Upsert a record, or store a quarantined one; anything else passes through."""
        spider = self.crawler.spider
        if not self.enabled or spider is None:
            return item
        try:
            if isinstance(item, RecordIn):
                self._ingestor(item.source, spider).add(item)
            elif isinstance(item, QuarantineItem):
                self._ingestor(item.source, spider).quarantine(item.reason, item.snippet, item.native_id)
        except Exception as error:
            # The database failed (a bad record alone is quarantined by the ingestor): the run's error, not a
            # crash; the batch is lost for now and the source's memory is not advanced (see close_spider).
            log.exception("storing %s failed", getattr(item, "native_id", item))
            self._store_failed(spider, error)
            raise DropItem(f"not stored: {error!r}") from error
        return item

    def close_spider(self) -> None:
        """Store what is queued, then save the incremental memory and finalise every crawl run.

        When records could not be stored (the database failed, not just one bad record), the source's
        memory is NOT advanced: the files of this run are fetched again next time (storing is idempotent).
        """
        spider = self.crawler.spider
        if not self.enabled or spider is None:
            return
        for source_key, ingestor in self.ingestors.items():
            try:
                ingestor.flush()
            except Exception as error:
                log.exception("storing the last batch for %s failed", source_key)
                self._store_failed(spider, error)
        spider.ingest_counts = {k: dict(i.counts) for k, i in self.ingestors.items()}  # type: ignore[attr-defined]
        if self.store_errors:
            spider.run_errors.append(  # type: ignore[attr-defined]
                f"{self.store_errors} storing failure(s): the source's memory was not advanced, so this "
                "run's files are fetched again next time"
            )
        errors: list[str] = list(getattr(spider, "run_errors", []))
        stats = run_stats(spider, self.crawler)
        error = "; ".join(errors)[:4000] or None
        # Ingestor.close counts the error message itself as one error; the others go in "errors".
        stats["errors"] = max(len(errors) - 1, 0)
        status = run_status(spider, self.crawler)
        main = self.ingestors.get(self.main_source)
        finalise = getattr(spider, "finalise_state", None)
        if callable(finalise):
            finalise()
        if main is not None and not self.store_errors:
            main.update_source_state(getattr(spider, "source_state", {}))
        run_ids = []
        for source_key, ingestor in self.ingestors.items():
            run = ingestor.close(status, stats, error)
            run_ids.append(run.id)
            log.info("crawl run %s for %s: %s, %s", run.id, source_key, status, ingestor.counts)
        spider.crawl_run_ids = run_ids  # type: ignore[attr-defined]
        if getattr(spider, "full_snapshot", False) and status == "ok" and main is not None:
            # A whole exhibitor list was read without errors: what it no longer lists was removed.
            from alertbot.expo.store import close_snapshot

            spider.snapshot_diff = close_snapshot(main.factory, self.main_source, main.run_id)  # type: ignore[attr-defined]

    def _store_failed(self, spider: Spider, error: Exception) -> None:
        self.store_errors += 1
        if self.store_errors <= MAX_STORE_ERRORS_KEPT:
            spider.run_errors.append(f"storing failed: {error!r}")  # type: ignore[attr-defined]
        if self.crawler.stats:
            self.crawler.stats.inc_value("alertbot/store_errors")
            self.crawler.stats.inc_value("alertbot/errors")


class RunSummary:
    """Writes the run's outcome as JSON to ``ALERTBOT_RUN_SUMMARY`` (read by ``alertbot.crawling``)."""

    def __init__(self, crawler: Crawler, path: str | None) -> None:
        self.crawler = crawler
        self.path = Path(path) if path else None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunSummary:
        """Connect to ``spider_closed`` when a summary path is set; mask secrets in the crawl's logs."""
        # Extensions are built before any request is made, so no logged URL escapes the redaction.
        install_log_redaction()
        extension = cls(crawler, crawler.settings.get("ALERTBOT_RUN_SUMMARY"))
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Write the summary file."""
        if self.path is None:
            return
        summary = {
            "spider": spider.name,
            "finish_reason": reason,
            "status": run_status(spider, self.crawler),
            "errors": [redact(error) for error in getattr(spider, "run_errors", [])],
            "stats": run_stats(spider, self.crawler),
            "crawl_run_ids": getattr(spider, "crawl_run_ids", []),
            "ingest": getattr(spider, "ingest_counts", {}),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(summary, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
