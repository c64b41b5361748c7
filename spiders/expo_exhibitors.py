"""Expo exhibitor lists (CIEME, GIIC and any other show) → exhibitor records, driven by one YAML file per
show edition (``alertbot/expo/editions/*.yaml``, overridable in ``<data dir>/expos/``; schema in docs/expo.md).

Source
    Whatever the edition file names: an HTML list or search page with pagination; a "cloud expo" (云展) JSON
    API with list and detail endpoints (Canton Fair style); an XLSX or CSV list (often sent to the centre by
    e-mail: ``alertbot expo import``); a PDF show catalogue (会刊, CIIF style) read with pdfplumber. The real
    CIEME and GIIC 2026 list URLs are not public yet; the bundled editions read the bundled samples.
Cadence
    Daily; hourly (or the edition's ``expo_mode_interval``) from ``expo_mode_days`` before the show opens until
    it closes – ``alertbot.expo.next_crawl_at`` answers when.
Identity
    An exhibitor is (edition, normalised name, booth): ``native_id`` = ``BOOTH|name key``. Re-crawls and
    re-imports update the same record, never renumber it. Each crawl is a whole list: after an error-free
    crawl, exhibitors no longer listed are marked removed and the add/change/remove diff is saved on the run
    (``alertbot.expo.close_snapshot``, called by the pipeline for ``full_snapshot`` spiders).
Caveats
    Chinese directories are often Chinese-name-only, with full-width punctuation and traditional characters:
    ``name_raw`` keeps the published text, ``name_zh``/``name_en`` are NFKC-normalised and a bilingual name is
    split. PDF names wrapped onto a second table row (no booth) are joined to the row above. Products and
    brands are split on the edition's ``separators`` and matched too (see ``alertbot.expo.matching``).
Arguments
    ``edition=ID`` (required), ``config=FILE.yaml`` (use this edition file), ``file=PATH_OR_URL`` (read this
    list instead of the edition's URL; its format is the edition's).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote, urlparse

import scrapy
from scrapy.http import Response

from alertbot.expo.editions import Edition, EditionError, get_edition
from alertbot.settings import get_settings
from spiders.base.expo import (
    MappingError,
    build_exhibitor,
    compile_path,
    csv_rows,
    html_rows,
    json_values,
    next_page,
    pdf_rows,
    table_records,
    xlsx_rows,
)
from spiders.base.spider import GazetteSpider, Item, local_path
from spiders.items import QuarantineItem

TABLE_READERS = {"csv": csv_rows, "xlsx": xlsx_rows, "pdf": pdf_rows}


class ExpoExhibitorsSpider(GazetteSpider):
    """One spider for every show edition; see the module docstring."""

    name = "expo_exhibitors"
    source_kind: ClassVar[str] = "expo"
    # Each crawl reads the whole list: the pipeline marks exhibitors it no longer lists as removed.
    full_snapshot: ClassVar[bool] = True

    custom_settings: ClassVar[dict[str, Any]] = {
        # Show sites and catalogues are small next to gazettes; in expo mode the list is crawled hourly, so a
        # hung site must give up long before the next run instead of holding it for the gazettes' 900 s.
        "DOWNLOAD_TIMEOUT": 180,
        # A 会刊 PDF with photos can reach ~100 MB; anything far beyond is not an exhibitor list.
        "DOWNLOAD_MAXSIZE": 256 * 1024 * 1024,
        "DOWNLOAD_WARNSIZE": 64 * 1024 * 1024,
    }

    def __init__(
        self, *args: Any, edition: str | None = None, config: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.source_key = edition or "expo"
        self.edition: Edition | None = None
        self.config_error: str | None = None
        self.pages_seen: set[str] = set()
        self.rows_by_page: dict[str, int] = {}
        if not edition:
            self.config_error = "the edition argument is required (-a edition=cieme-2026)"
            return
        try:
            self.edition = get_edition(get_settings(), edition, config)
        except EditionError as error:
            self.config_error = str(error)

    # ---- flow -----------------------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        """Read the given file, or the edition's list URL(s) in its format."""
        if getattr(self, "storage_error", None):
            return
        if self.config_error or self.edition is None:
            self.record_error(f"edition config: {self.config_error}", "alertbot/config_errors")
            return
        edition = self.edition
        if self.file:
            if edition.format in TABLE_READERS:
                async for item in super().start():
                    yield item
            else:
                yield self.page_request(self._file_url(self.file), 1)
            return
        if not edition.urls:
            self.record_error(
                f"{edition.id}: no list URL (url is empty): set one with `alertbot expo set-url` or import a file",
                "alertbot/config_errors",
            )
            return
        for url in edition.urls:
            if edition.format in TABLE_READERS:
                yield self.file_request(
                    url, Path(urlparse(url).path).name or f"{edition.id}.{edition.format}"
                )
            else:
                yield self.page_request(url, 1)

    @staticmethod
    def _file_url(location: str) -> str:
        path = local_path(location)
        return path.resolve().as_uri() if path is not None else location

    async def discover(self) -> AsyncIterator[Any]:
        """Not used: :meth:`start` reads the edition's URLs."""
        return
        yield  # pragma: no cover

    # ---- tables (csv, xlsx, pdf) ----------------------------------------------------------------------

    def parse_source(self, source: bytes | Path, label: str) -> Iterator[Item]:
        """Records of one spreadsheet, CSV or PDF (runs in a worker thread, batch by batch)."""
        assert self.edition is not None
        edition = self.edition
        reader = TABLE_READERS.get(edition.format)
        if reader is None:
            raise MappingError(f"format {edition.format}: not a file format (html and json are fetched)")
        if edition.format == "csv":
            data = source.read_bytes() if isinstance(source, Path) else source
            rows = csv_rows(edition, data, label)
        elif edition.format == "xlsx":
            rows = xlsx_rows(edition, source, label, self.limits)
        else:
            rows = pdf_rows(edition, source, label)
        for item in table_records(edition, rows, label):
            self.tally["rows"] += 1
            yield item

    # ---- HTML and JSON pages --------------------------------------------------------------------------

    def page_request(self, template: str, page: int) -> scrapy.Request:
        """One list page (HTML), or one page of the JSON API (``{page}``/``{size}`` of the template filled)."""
        assert self.edition is not None
        headers: dict[str, str] = {}
        url = template
        if self.edition.format == "json":
            api = self.edition.json_api
            assert api is not None
            headers = dict(api.headers)
            url = template.replace("{page}", str(page)).replace("{size}", str(api.page_size))
            callback = self.parse_json_page
        else:
            callback = self.parse_html_page
        self.pages_seen.add(url)
        return scrapy.Request(
            url,
            callback=callback,
            errback=self.on_error,
            headers=headers,
            meta={"page": page},
            cb_kwargs={"template": template},
            dont_filter=True,
        )

    async def parse_html_page(self, response: Response, template: str) -> AsyncIterator[Any]:
        """The exhibitors on one HTML page, then the next page."""
        assert self.edition is not None
        assert self.edition.html is not None
        page = response.meta["page"]
        body = response.text
        try:
            items = list(html_rows(self.edition, body, response.url, page))
            following = next_page(self.edition, body)
        except MappingError as error:
            self.record_error(f"{response.url}: {error}", "alertbot/mapping_errors")
            return
        if not items and page == 1:
            self.record_error(
                f"{response.url}: html.rows {self.edition.html.rows!r} matched nothing on the first page",
                "alertbot/mapping_errors",
            )
        for item in items:
            yield self._count(item)
        if following and page < self.edition.html.max_pages:
            url = response.urljoin(following)
            if url not in self.pages_seen:
                yield self.page_request(url, page + 1)

    async def parse_json_page(self, response: Response, template: str) -> AsyncIterator[Any]:
        """One page of the JSON list: its items (with detail calls when configured), then the next page."""
        edition = self.edition
        assert edition is not None
        assert edition.json_api is not None
        api = edition.json_api
        page = response.meta["page"]
        try:
            document = json.loads(response.text)
            found = compile_path(api.items, "json.items").search(document)
            if not isinstance(found, list):
                raise MappingError(
                    f"json.items: {api.items!r} is not a list on page {page} (got {type(found).__name__})"
                )
            total = None
            if api.total_pages:
                value = compile_path(api.total_pages, "json.total_pages").search(document)
                total = int(value) if value is not None else None
            mapped = edition.fields.mapped()
            id_path = compile_path(api.detail.id, "json.detail.id") if api.detail else None
        except (ValueError, TypeError) as error:
            self.record_error(f"{response.url}: {error}", "alertbot/mapping_errors")
            return
        if not found and page == api.page_start:
            self.record_error(
                f"{response.url}: json.items {api.items!r} is empty on the first page",
                "alertbot/mapping_errors",
            )
        for number, entry in enumerate(found, start=1):
            where = f"{response.url} item {number}"
            try:
                values = json_values(entry, mapped)
            except MappingError as error:
                self.record_error(f"{where}: {error}", "alertbot/mapping_errors")
                return
            if api.detail is not None and id_path is not None:
                key = id_path.search(entry)
                if key is None:
                    yield self._count(
                        QuarantineItem(
                            source=edition.id,
                            native_id=None,
                            reason=f"{where}: json.detail.id {api.detail.id!r} is missing, no detail call",
                            snippet=json.dumps(entry, ensure_ascii=False)[:2000],
                        )
                    )
                    continue
                yield scrapy.Request(
                    api.detail.url.replace("{id}", quote(str(key), safe="")),
                    callback=self.parse_json_detail,
                    errback=self.on_error,
                    headers=dict(api.headers),
                    cb_kwargs={"values": values, "where": where},
                    dont_filter=True,
                )
            else:
                yield self._count(build_exhibitor(edition, values, where))
        more = (page - api.page_start + 1) < total if total is not None else len(found) >= api.page_size
        # A saved answer given as --file (no {page} in its address) is one page: never re-fetch it.
        pageable = "{page}" in template
        if found and more and pageable and page - api.page_start + 1 < api.max_pages:
            yield self.page_request(template, page + 1)

    async def parse_json_detail(
        self, response: Response, values: dict[str, Any], where: str
    ) -> AsyncIterator[Any]:
        """One exhibitor's detail answer: its fields fill in or replace the list item's."""
        edition = self.edition
        assert edition is not None
        assert edition.json_api is not None
        assert edition.json_api.detail is not None
        detail = edition.json_api.detail
        try:
            document = json.loads(response.text)
            if detail.root:
                document = compile_path(detail.root, "json.detail.root").search(document)
            extra = json_values(document, detail.fields.mapped()) if document is not None else {}
        except (ValueError, TypeError) as error:
            self.record_error(f"{response.url}: {error}", "alertbot/mapping_errors")
            return
        merged = {**values, **{k: v for k, v in extra.items() if v}}
        yield self._count(build_exhibitor(edition, merged, where))

    def _count(self, item: Item) -> Item:
        self.crawler.stats.inc_value(
            "alertbot/quarantined" if not hasattr(item, "kind") else "alertbot/records"
        )
        return item
