"""File discovery on the USPTO Open Data Portal (ODP) bulk-data API, shared by the USPTO spiders.

``GET https://api.uspto.gov/api/v1/datasets/products/{PRODUCT}?fileDataFromDate=YYYY-MM-DD`` answers JSON:
``bulkDataProductBag[0].productFileBag.fileDataBag[]`` with ``fileName``, ``fileSize``,
``fileDataFromDate`` and ``fileDownloadURI``. Downloads need the same ``x-api-key`` header and may redirect
to a signed CDN URL (Scrapy follows it). Docs: https://data.uspto.gov/apis/bulk-data/search
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar
from urllib.parse import urlencode

import scrapy
from scrapy.http import Response

from alertbot.settings import get_settings
from spiders.base.spider import GazetteSpider

API_KEY_ENV = "ALERTBOT_USPTO_API_KEY"
MAX_REDIRECTS = 5
_REDIRECTS = (301, 302, 303, 307, 308)


class OdpProductSpider(GazetteSpider):
    """Finds the product's files newer than the last processed one and downloads them in date order."""

    product_url_setting: ClassVar[str] = ""
    default_product_url: ClassVar[str] = ""
    file_name_pattern: ClassVar[re.Pattern[str]] = re.compile(r".")

    def api_key(self) -> str | None:
        """The ODP key from the environment (never from files or the database)."""
        key = get_settings().uspto_api_key
        return key.get_secret_value() if key else None

    def download_headers(self) -> dict[str, str]:
        """ODP wants the key on every request, the file download included."""
        key = self.api_key()
        return {"x-api-key": key} if key else {}

    def resolve_product_url(self) -> str:
        """The product metadata URL, overridable by ``-a product_url=...`` or the spider's setting."""
        return str(
            getattr(self, "product_url", None)
            or self.settings.get(self.product_url_setting)
            or self.default_product_url
        )

    async def discover(self) -> AsyncIterator[Any]:
        """Ask the product endpoint for files from the start date on."""
        if not self.api_key():
            self.logger.warning("%s is not set; the Open Data Portal will refuse the request", API_KEY_ENV)
        params = {"includeFiles": "true"}
        start = self.start_date()
        if start is not None:
            params["fileDataFromDate"] = start.isoformat()
        yield scrapy.Request(
            f"{self.resolve_product_url()}?{urlencode(params)}",
            callback=self.parse_product,
            errback=self.on_error,
            headers={**self.download_headers(), "Accept": "application/json"},
            dont_filter=True,
        )

    def parse_product(self, response: Response) -> Iterator[scrapy.Request]:
        """Request each new file, oldest first; files seen before (same name and size) are skipped."""
        try:
            data = json.loads(response.text)
        except ValueError as error:
            self.record_error(
                f"{response.url}: product metadata is not JSON: {error}", "alertbot/bad_metadata"
            )
            return
        entries = [
            entry
            for product in data.get("bulkDataProductBag") or [data]
            for entry in (product.get("productFileBag") or {}).get("fileDataBag") or []
            if self.file_name_pattern.fullmatch(str(entry.get("fileName", "")))
        ]
        entries.sort(key=lambda entry: str(entry.get("fileDataFromDate") or entry["fileName"]))
        start = self.start_date()
        requests = []
        if start is None and entries and self.since is None:
            # First run: take the newest file only; `--since` backfills deliberately.
            entries = entries[-1:]
        for entry in entries:
            file_name = str(entry["fileName"])
            file_date = str(entry.get("fileDataFromDate") or "")[:10] or self.date_from_name(file_name)
            if start is not None and file_date and dt.date.fromisoformat(file_date) < start:
                continue
            size = entry.get("fileSize")
            if self.since is None and self.seen_file(file_name, size=size):
                self.crawler.stats.inc_value("alertbot/files_already_seen")
                continue
            requests.append(self.file_request(str(entry["fileDownloadURI"]), file_name, file_date=file_date))
        yield from self.queue_files(requests)

    def date_from_name(self, file_name: str) -> str:
        """``apc240925.zip`` / ``ipa220728.zip`` → ``2024-09-25``; empty when the name has no date."""
        match = re.search(r"(\d{2})(\d{2})(\d{2})", file_name)
        if match is None:
            return ""
        year, month, day = (int(part) for part in match.groups())
        try:
            return dt.date(2000 + year, month, day).isoformat()
        except ValueError:
            return ""

    def file_request(self, url: str, file_name: str, **meta: Any) -> scrapy.Request:
        """Downloads answer with a redirect to a signed CDN URL: follow it ourselves, without the API key.

        Scrapy's redirect middleware drops ``Authorization``/``Cookie`` on cross-domain redirects but not
        custom headers, so ``x-api-key`` would be sent to the CDN host too.
        """
        request = super().file_request(url, file_name, **meta)
        request.meta["dont_redirect"] = True
        request.meta["handle_httpstatus_list"] = list(_REDIRECTS)
        return request

    async def parse_download(self, response: Response) -> AsyncIterator[Any]:
        """Follow a redirect key-less (at most ``MAX_REDIRECTS``), else parse the file."""
        if response.status in _REDIRECTS:
            location = response.headers.get(b"Location")
            hops = int(response.meta.get("odp_redirects", 0)) + 1
            if not location or hops > MAX_REDIRECTS:
                self.record_error(
                    f"{response.url}: HTTP {response.status} without a usable Location",
                    "alertbot/http_errors",
                )
                next_request = self.next_file_request()
                if next_request is not None:
                    yield next_request
                return
            keep: dict[str, Any] = {
                k: response.meta[k] for k in ("file_name", "file_date", "remember") if k in response.meta
            }
            yield scrapy.Request(
                response.urljoin(location.decode("latin-1")),
                callback=self.parse_download,
                errback=self.on_error,
                meta={
                    **keep,
                    "odp_redirects": hops,
                    "dont_redirect": True,
                    "handle_httpstatus_list": list(_REDIRECTS),
                },
                dont_filter=True,
            )
            return
        async for item in super().parse_download(response):
            yield item
