"""The base class every gazette spider builds on.

Scrapy discovers and downloads files (with its retries, timeouts and error handling); lxml parses them.
Parsing is CPU-bound, so it runs in a worker thread: the spider's synchronous record generator is
advanced in batches with ``asyncio.to_thread`` from an async callback, which keeps the event loop free and
memory flat (only one batch of records is in flight).

What a subclass provides:

* ``name``, ``source_key`` (``uspto-tm``…), ``office``;
* :meth:`GazetteSpider.parse_source` – a generator of records for one downloaded file;
* :meth:`GazetteSpider.discover` – the requests that find new files when no ``file`` argument is given.

Common arguments (``scrapy crawl NAME -a file=… -a since=YYYY-MM-DD``): ``file`` processes one given file
(a local path, ``file://`` or ``http(s)://`` URL) instead of discovering; ``since`` backfills from that date
instead of continuing after the last processed file.

Incremental memory lives in ``self.source_state`` (loaded and saved by the pipeline): processed files
with size/ETag, and the last file date. Errors (HTTP, timeouts, corrupt files) are recorded in
``self.run_errors`` and the crawler stats; nothing raises out of a callback.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import zipfile
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

import scrapy
from lxml import etree
from pydantic import ValidationError
from scrapy.exceptions import DownloadTimeoutError
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectionRefusedError as TxConnectionRefusedError
from twisted.internet.error import DNSLookupError, TCPTimedOutError
from twisted.internet.error import TimeoutError as TxTimeoutError
from twisted.python.failure import Failure

from spiders.base.archive import ArchiveLimits, CorruptFileError, ZipBombError
from spiders.base.fields import FieldError
from spiders.base.safexml import REPLACEMENT, UnsafeXMLError
from spiders.items import QuarantineItem, RecordIn

Item = RecordIn | QuarantineItem

PARSE_BATCH = 256
DEFAULT_XML_MAX_BYTES = 4 * 1024**3
_FILE_ERRORS = (
    CorruptFileError,
    ZipBombError,
    UnsafeXMLError,
    etree.XMLSyntaxError,
    zipfile.BadZipFile,
    EOFError,
    OSError,
    ValueError,
)


def parse_since(value: str | None) -> dt.date | None:
    """The ``since`` argument as a date, with a clear error for anything but YYYY-MM-DD."""
    if value is None or value == "":
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as error:
        raise ValueError(f"since={value!r}: expected a date as YYYY-MM-DD") from error


def local_path(location: str) -> Path | None:
    """A filesystem path for a plain path or ``file://`` URL; None for network URLs."""
    parsed = urlparse(location)
    if parsed.scheme == "file":
        return Path(url2pathname(unquote(parsed.path)))
    if parsed.scheme in {"http", "https"}:
        return None
    return Path(location)


def _take(iterator: Iterator[Item], count: int) -> list[Item]:
    return list(itertools.islice(iterator, count))


class GazetteSpider(scrapy.Spider):
    """Shared download/parse/record machinery; see the module docstring."""

    source_key: ClassVar[str] = ""
    office: ClassVar[str] = ""

    def __init__(self, file: str | None = None, since: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.file = file
        self.since = parse_since(since)
        self.source_state: dict[str, Any] = {}
        self.run_errors: list[str] = []
        self.tally: Counter[str] = Counter()
        self.limits = ArchiveLimits()
        self.xml_max_bytes = DEFAULT_XML_MAX_BYTES
        self.today = dt.datetime.now(dt.UTC).date()
        self._parse_lock: asyncio.Lock | None = None
        self.file_queue: list[scrapy.Request] = []

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> GazetteSpider:
        """Read the size limits from the settings."""
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        defaults = ArchiveLimits()
        spider.limits = ArchiveLimits(
            max_member_bytes=settings.getint("GAZETTE_ZIP_MAX_MEMBER_BYTES", defaults.max_member_bytes),
            max_total_bytes=settings.getint("GAZETTE_ZIP_MAX_TOTAL_BYTES", defaults.max_total_bytes),
            max_ratio=settings.getfloat("GAZETTE_ZIP_MAX_RATIO", defaults.max_ratio),
            max_members=settings.getint("GAZETTE_ZIP_MAX_MEMBERS", defaults.max_members),
        )
        spider.xml_max_bytes = settings.getint("GAZETTE_XML_MAX_BYTES", DEFAULT_XML_MAX_BYTES)
        return spider

    # ---- to implement -------------------------------------------------------------------------------

    def parse_source(self, source: bytes | Path, label: str) -> Iterator[Item]:
        """Yield the records (and quarantined records) of one downloaded file. Runs in a worker thread."""
        raise NotImplementedError

    async def discover(self) -> AsyncIterator[Any]:
        """Yield requests that find and fetch new files (no ``file`` argument given)."""
        raise NotImplementedError
        yield  # pragma: no cover

    # ---- flow -----------------------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        """Process the given ``file``, or discover new files."""
        if getattr(self, "storage_error", None):
            return
        if self.file:
            path = local_path(self.file)
            if path is None:
                yield self.file_request(self.file, Path(urlparse(self.file).path).name or "download")
            else:
                async for item in self.process_file(path, path.name, remember=False):
                    yield item
            return
        async for request_or_item in self.discover():
            yield request_or_item

    def file_request(self, url: str, file_name: str, **meta: Any) -> scrapy.Request:
        """A download request for one gazette file, parsed by :meth:`parse_download`."""
        return scrapy.Request(
            url,
            callback=self.parse_download,
            errback=self.on_error,
            headers=self.download_headers(),
            meta={"file_name": file_name, **meta},
            dont_filter=True,
        )

    def queue_files(self, requests: list[scrapy.Request]) -> Iterator[scrapy.Request]:
        """Fetch files one after another, oldest first: later snapshots must be stored after earlier ones,
        and a file is only remembered as processed once the ones before it are done."""
        self.file_queue.extend(requests)
        next_request = self.next_file_request()
        if next_request is not None:
            yield next_request

    def next_file_request(self) -> scrapy.Request | None:
        """The next queued file download, if any."""
        return self.file_queue.pop(0) if self.file_queue else None

    def download_headers(self) -> dict[str, str]:
        """Extra headers for file downloads (API keys)."""
        return {}

    async def parse_download(self, response: Response) -> AsyncIterator[Any]:
        """Parse a downloaded file and remember it."""
        file_name = response.meta.get("file_name") or Path(urlparse(response.url).path).name
        etag = response.headers.get(b"ETag")
        async for item in self.process_file(
            response.body,
            file_name,
            size=len(response.body),
            etag=etag.decode("latin-1") if etag else None,
            file_date=response.meta.get("file_date"),
            remember=response.meta.get("remember", True),
        ):
            yield item
        next_request = self.next_file_request()
        if next_request is not None:
            yield next_request

    async def process_file(
        self,
        source: bytes | Path,
        file_name: str,
        *,
        size: int | None = None,
        etag: str | None = None,
        file_date: str | None = None,
        remember: bool = True,
    ) -> AsyncIterator[Item]:
        """Parse in a worker thread, batch by batch; record failures instead of raising."""
        if self._parse_lock is None:
            self._parse_lock = asyncio.Lock()
        # One file at a time: the machine has 2 cores, and the per-file tally is not shared between threads.
        async with self._parse_lock:
            async for item in self._process_file_locked(source, file_name, size, etag, file_date, remember):
                yield item

    async def _process_file_locked(
        self,
        source: bytes | Path,
        file_name: str,
        size: int | None,
        etag: str | None,
        file_date: str | None,
        remember: bool,
    ) -> AsyncIterator[Item]:
        self.crawler.stats.inc_value("alertbot/files_started")
        records = self.parse_source(source, file_name)
        try:
            while True:
                batch = await asyncio.to_thread(_take, records, PARSE_BATCH)
                for item in batch:
                    if isinstance(item, QuarantineItem):
                        self.crawler.stats.inc_value("alertbot/quarantined")
                    else:
                        self.crawler.stats.inc_value("alertbot/records")
                    yield item
                if len(batch) < PARSE_BATCH:
                    break
        except _FILE_ERRORS as error:
            kind = "unsafe" if isinstance(error, UnsafeXMLError | ZipBombError) else "corrupt"
            self.record_error(f"{file_name}: {error}", f"alertbot/files_{kind}")
            return
        except Exception as error:
            # A parser bug must not pass for a clean run: record it on the CrawlRun like any other failure.
            self.logger.exception("parsing %s failed", file_name)
            self.record_error(f"{file_name}: parser failure {error!r}", "alertbot/parser_errors")
            return
        finally:
            self._fold_tally()
        self.crawler.stats.inc_value("alertbot/files_processed")
        if remember:
            self.remember_file(file_name, size=size, etag=etag, file_date=file_date)

    def _fold_tally(self) -> None:
        for key, value in self.tally.items():
            self.crawler.stats.inc_value(f"alertbot/{key}", value)
        self.tally.clear()

    # ---- errors ---------------------------------------------------------------------------------------

    def record_error(self, message: str, stat: str) -> None:
        """Log an error, count it, and keep its message for the CrawlRun."""
        self.logger.error(message)
        self.crawler.stats.inc_value(stat)
        self.crawler.stats.inc_value("alertbot/errors")
        self.run_errors.append(message)

    def on_error(self, failure: Failure) -> Iterator[scrapy.Request]:
        """Errback for every request: record the failure, then go on with the next queued file."""
        self.record_failure(failure)
        next_request = self.next_file_request()
        if next_request is not None:
            yield next_request

    def record_failure(self, failure: Failure) -> None:
        """Record HTTP errors, timeouts and connection failures (after Scrapy's retries)."""
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        if failure.check(HttpError):
            status = failure.value.response.status
            self.record_error(f"{url}: HTTP {status}", "alertbot/http_errors")
        elif failure.check(DownloadTimeoutError, TxTimeoutError, TCPTimedOutError, TimeoutError):
            self.record_error(f"{url}: timed out", "alertbot/timeouts")
        elif failure.check(DNSLookupError, TxConnectionRefusedError):
            self.record_error(f"{url}: {failure.value}", "alertbot/connection_errors")
        else:
            self.record_error(f"{url}: {failure.getErrorMessage()}", "alertbot/download_errors")

    # ---- incremental memory ---------------------------------------------------------------------------

    def seen_file(self, file_name: str, size: int | None = None, etag: str | None = None) -> bool:
        """Whether this file (same name, and same size/ETag when known) was processed before."""
        entry = self.source_state.get("files", {}).get(file_name)
        if entry is None:
            return False
        if size is not None and entry.get("size") not in (None, size):
            return False
        return not (etag is not None and entry.get("etag") not in (None, etag))

    def remember_file(
        self, file_name: str, *, size: int | None, etag: str | None, file_date: str | None
    ) -> None:
        """Note a fully processed file (the pipeline persists ``source_state`` at close)."""
        files = self.source_state.setdefault("files", {})
        files[file_name] = {"size": size, "etag": etag, "date": file_date}
        if file_date and file_date > self.source_state.get("last_date", ""):
            self.source_state["last_date"] = file_date

    def finalise_state(self) -> None:
        """Last chance to update ``source_state`` before the pipeline saves it (query-based sources)."""

    def start_date(self) -> dt.date | None:
        """The first file date to fetch: ``since`` if given, else the day after the last processed file."""
        if self.since is not None:
            return self.since
        last = self.source_state.get("last_date")
        return dt.date.fromisoformat(last) + dt.timedelta(days=1) if last else None

    # ---- records --------------------------------------------------------------------------------------

    def build(self, element: etree._Element | None, native_id: str | None, **fields: Any) -> Item:
        """A validated record, or a quarantine item naming the failing field.

        A field holding U+FFFD came from bytes that were not UTF-8 (replaced so the rest of the file parses,
        see ``safexml.Utf8Repairer``): that record is quarantined, the file goes on.
        """
        garbled = sorted(name for name, value in fields.items() if _has_replacement(value))
        if garbled:
            return self.quarantined(
                element,
                native_id,
                f"the source file is not valid UTF-8 in field(s) {', '.join(garbled)} "
                "(undecodable bytes, shown as U+FFFD)",
            )
        try:
            return RecordIn(source=fields.pop("source", self.source_key), native_id=native_id or "", **fields)
        except ValidationError as error:
            return self.quarantined(element, native_id, f"invalid record: {_describe(error)}")

    def quarantined(
        self, element: etree._Element | None, native_id: str | None, reason: str
    ) -> QuarantineItem:
        """A quarantine item for a malformed record, with a snippet of its XML."""
        from spiders.base.safexml import snippet

        return QuarantineItem(
            source=self.source_key,
            native_id=native_id or None,
            reason=reason,
            snippet=snippet(element) if element is not None else "",
        )


def _has_replacement(value: Any) -> bool:
    if isinstance(value, str):
        return REPLACEMENT in value
    if isinstance(value, dict):
        return any(_has_replacement(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_replacement(v) for v in value)
    return False


def _describe(error: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors())


__all__ = ["FieldError", "GazetteSpider", "Item", "local_path", "parse_since"]
