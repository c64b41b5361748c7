"""KIPRIS Plus (KIPO) trademark search REST responses → Korean trademark records.

Source
    KIPRIS Plus open API, trademark information search service:
    ``http://plus.kipris.or.kr/kipo-api/kipi/trademarkInfoSearchService/getWordSearch?searchString=…&ServiceKey=…``
    (word search) and ``…/getAdvancedSearch`` (field search, used here with a publication-date range).
    Portal and parameter reference: https://plus.kipris.or.kr/portal/data/service/List.do
    Answer: ``response/header/{successYN,resultCode,resultMsg}`` + ``response/body/items/item``.
Cadence
    Searched on demand; run daily for the days since the last run (KIPO publishes for opposition daily).
    Bulk data is a paid KIPRIS Plus service and is not used.
Auth
    ``ServiceKey`` query parameter from env ``ALERTBOT_KIPRIS_API_KEY``.
Caveats
    Two generations of the service name the item fields differently: camelCase (``applicantName``,
    ``applicationNumber``, ``classificationCode``, ``publicationDate``) and PascalCase (``ApplicantName``,
    ``ApplicationNumber``, ``GoodClassificationCode``, ``PublicNumber``, ``PublicDate``); both are read.
    ``applicationStatus`` is Korean: 출원 filed, 공고 published for opposition (2-month window), 등록
    registered. The applicant's country is not in the answer. A ``resultCode`` other than ``00`` (bad key,
    quota) is recorded as an error. The advanced-search parameter names could not be checked against the
    live service; they are overridable (``KIPRIS_DATE_PARAMETER``).
Arguments
    ``file=PATH_OR_URL`` (a saved response), ``terms=A,B`` (word searches instead of the date search),
    ``since=YYYY-MM-DD``, ``base_url=URL``.
Settings
    ``KIPRIS_BASE_URL``, ``KIPRIS_PAGE_SIZE`` (default 500), ``KIPRIS_TERMS``, ``KIPRIS_DATE_PARAMETER``
    (default ``publicationDate``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import scrapy
from lxml import etree
from scrapy.http import Response

from alertbot.deadlines import opposition_deadline
from alertbot.settings import get_settings
from spiders.base.archive import iter_members
from spiders.base.fields import (
    RECORD_ERRORS,
    FieldError,
    clean,
    compact_date,
    is_number,
    nice_classes,
    record_error_reason,
)
from spiders.base.safexml import iterparse_records, local_name
from spiders.base.spider import GazetteSpider, Item

DEFAULT_BASE_URL = "http://plus.kipris.or.kr/kipo-api/kipi/trademarkInfoSearchService"
DEFAULT_PAGE_SIZE = 500
STATUS_EVENTS = {"출원": "filed", "공고": "published", "등록": "registered"}
_OK_CODES = {"00", "0", "000"}

# Lower-cased element name → our field, for both generations of the service.
FIELD_ALIASES = {
    "applicationnumber": "application_number",
    "applicantname": "applicant",
    "applicationdate": "application_date",
    "applicationstatus": "status",
    "classificationcode": "classes",
    "goodclassificationcode": "classes",
    "publicationnumber": "publication_number",
    "publicnumber": "publication_number",
    "publicationdate": "publication_date",
    "publicdate": "publication_date",
    "registrationnumber": "registration_number",
    "registrationdate": "registration_date",
    "registrationpublicnumber": "registration_publication_number",
    "registrationpublicdate": "registration_publication_date",
    "regprivilegename": "holder",
    "title": "title",
    "viennacode": "vienna_codes",
    "agentname": "agent",
    "prioritynumber": "priority_number",
    "prioritydate": "priority_date",
    "fulltext": "full_text",
    "indexno": "index",
}


class KiprisApiError(ValueError):
    """KIPRIS answered with an error result code (bad key, quota, bad parameters)."""


def item_fields(element: etree._Element) -> dict[str, str | None]:
    """The item's children under our field names, whatever the casing."""
    fields: dict[str, str | None] = {}
    for child in element:
        if not isinstance(child.tag, str):
            continue
        key = FIELD_ALIASES.get(local_name(child).lower())
        if key is not None and fields.get(key) is None:
            fields[key] = clean(child.text)
    return fields


class KiprisTmSpider(GazetteSpider):
    """KIPRIS Plus trademark search; see the module docstring."""

    name = "kipris_tm"
    source_key = "kipris"
    office = "KR"

    def __init__(
        self, *args: Any, terms: str | None = None, base_url: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.terms_arg = [t.strip() for t in terms.split(",") if t.strip()] if terms else None
        self.base_url_arg = base_url
        self.search_end: dt.date | None = None
        self.pages_pending = 0
        self.pages_done = 0

    @property
    def base_url(self) -> str:
        """Service root, overridable by ``-a base_url=`` or ``KIPRIS_BASE_URL``."""
        return (self.base_url_arg or self.settings.get("KIPRIS_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")

    def service_key(self) -> str:
        """The KIPRIS Plus key from the environment."""
        key = get_settings().kipris_api_key
        return key.get_secret_value() if key else ""

    async def discover(self) -> AsyncIterator[Any]:
        """Word searches for the given terms, or the publication-date search since the last run."""
        if not self.service_key():
            self.logger.warning("ALERTBOT_KIPRIS_API_KEY is not set; KIPRIS will refuse the request")
        terms = self.terms_arg or self.settings.getlist("KIPRIS_TERMS")
        if terms:
            for term in terms:
                yield self.page_request("getWordSearch", {"searchString": term}, 1)
            return
        start = self.start_date() or self.today - dt.timedelta(days=1)
        self.search_end = self.today
        parameter = self.settings.get("KIPRIS_DATE_PARAMETER", "publicationDate")
        yield self.page_request(
            "getAdvancedSearch", {parameter: f"{start:%Y%m%d}~{self.today:%Y%m%d}", "publication": "true"}, 1
        )

    def page_request(self, operation: str, params: dict[str, str], page: int) -> scrapy.Request:
        """One page of a search."""
        size = self.settings.getint("KIPRIS_PAGE_SIZE", DEFAULT_PAGE_SIZE)
        query = {**params, "numOfRows": str(size), "pageNo": str(page), "ServiceKey": self.service_key()}
        self.pages_pending += 1
        return scrapy.Request(
            f"{self.base_url}/{operation}?{urlencode(query)}",
            callback=self.parse_page,
            errback=self.on_error,
            meta={"operation": operation, "params": params, "page": page, "page_size": size},
            dont_filter=True,
        )

    async def parse_page(self, response: Response) -> AsyncIterator[Any]:
        """Records of one page; the next page when this one was full."""
        self.pages_pending -= 1
        before = self.crawler.stats.get_value("alertbot/items_in_pages", 0)
        async for item in self.process_file(
            response.body, f"kipris-page-{response.meta['page']}.xml", remember=False
        ):
            yield item
        seen = self.crawler.stats.get_value("alertbot/items_in_pages", 0) - before
        if seen >= response.meta["page_size"]:
            yield self.page_request(
                response.meta["operation"], response.meta["params"], response.meta["page"] + 1
            )
        else:
            self.pages_done += 1

    def finalise_state(self) -> None:
        """After a complete, error-free date search, continue from its end next time."""
        if self.search_end is not None and not self.run_errors and self.pages_pending == 0 and not self.file:
            self.source_state["last_date"] = self.search_end.isoformat()

    # ---- parsing --------------------------------------------------------------------------------------

    def parse_source(self, source: bytes | Path, label: str) -> Iterator[Item]:
        """Check the header's result code, then turn each ``item`` into a record."""
        for member, stream in iter_members(source, label, self.limits):
            for element in iterparse_records(
                stream, ("header", "item", "Item"), member.name, self.xml_max_bytes
            ):
                if element.tag == "header":
                    self._check_header(element, member.name)
                    continue
                self.tally["items_in_pages"] += 1
                yield self.item(element)

    def _check_header(self, header: etree._Element, name: str) -> None:
        code = clean(header.findtext("resultCode"))
        success = clean(header.findtext("successYN"))
        if (code is not None and code not in _OK_CODES) or success == "N":
            raise KiprisApiError(
                f"{name}: KIPRIS error resultCode={code} {clean(header.findtext('resultMsg'))}"
            )

    def item(self, element: etree._Element) -> Item:
        """One search hit → record."""
        fields = item_fields(element)
        number = fields.get("application_number")
        try:
            if not number or not is_number(number):
                raise FieldError(f"applicationNumber: {number!r} is not a number")
            status = fields.get("status")
            event = STATUS_EVENTS.get(status or "", "updated")
            published = compact_date(fields.get("publication_date"), "publicationDate")
            return self.build(
                element,
                number,
                kind="trademark",
                text=fields.get("title"),
                applicant=fields.get("applicant"),
                applicant_country=None,
                classes=nice_classes([fields.get("classes") or ""], "classificationCode"),
                office=self.office,
                status=status,
                event=event,
                filing_date=compact_date(fields.get("application_date"), "applicationDate"),
                publication_date=published,
                opposition_end=opposition_deadline("KR", published)
                if published and event == "published"
                else None,
                url=f"http://kipris.or.kr/khome/detail/trademark?applno={number}",
                raw={
                    key: value for key, value in fields.items() if key not in {"title", "applicant"} and value
                },
            )
        except RECORD_ERRORS as error:
            return self.quarantined(element, number, record_error_reason(error))
