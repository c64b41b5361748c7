"""WIPO ST.66 (TM-XML) trademark files: EUIPO EUTM bulk, TMview office feeds, WIPO ST.66 output.

Source
    * EUIPO open data / EUTM bulk download (namespace ``http://www.euipo.europa.eu/EUTM/EUTM_Download``):
      trade-mark files plus separate applicant (``EM_APPLICANT``) and representative files, with
      ``operationCode`` Insert/Delete deltas. Portal: https://euipo.europa.eu/ohimportal/en/open-data
    * TMview office feeds (one namespace per office, e.g. ``http://ro.tmview.europa.eu/trademark/data``):
      daily diff archives such as ``2020-06-30-RO-DIFF-INDX-0000.zip`` holding one XML per mark.
    * WIPO ST.66 output (``http://www.wipo.int/standards/XMLSchema/trademarks``).
    Standard: https://www.wipo.int/standards/en/pdf/03-66-01.pdf
Cadence
    EUIPO and TMview feeds are daily deltas; apply them in date order.
Auth
    None for the bulk files (the EUIPO *search API* needs OAuth2 and is not used here).
Caveats
    Elements are matched on their **local names**, whatever the namespace. ``operationCode="Delete"``
    yields a record with ``deleted=True`` (event ``deleted``). EUIPO bulk trade marks carry only
    ``ApplicantKey/Identifier``; names and countries come from the applicant companion file, joined on
    ``Applicant/ApplicantIdentifier`` – pass it as ``applicants=PATH_OR_URL`` or put it in the same zip
    (a member whose name contains "applicant"). The join only sees applicants delivered in this run: a
    key whose applicant came in an earlier delta stays unresolved (``raw["applicant_keys"]``).
    ``ClassNumber`` 0 means "not yet classified" and is dropped from ``classes`` (kept in ``raw``). The
    current EUIPO bulk file names and URL were not verifiable from public material, so there is no
    built-in feed URL: set ``ST66_FEED_URLS`` or pass ``file=``.
    Source keys: ``euipo`` (office EM), ``wipo-madrid`` (WO), ``tmview-xx`` for other offices.
Arguments
    ``file=PATH_OR_URL`` (zip of XML files, or one XML), ``applicants=PATH_OR_URL``, ``since=YYYY-MM-DD``.
Settings
    ``ST66_FEED_URLS`` – list of feed file URLs to fetch when no ``file`` is given (each processed once).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import IO, Any

import scrapy
from lxml import etree
from scrapy.http import Response

from alertbot.deadlines import opposition_deadline
from spiders.base.archive import iter_members
from spiders.base.fields import (
    RECORD_ERRORS,
    clean,
    iso_date,
    nice_classes,
    record_error_reason,
    text_at,
    texts_at,
)
from spiders.base.safexml import iterparse_records
from spiders.base.spider import GazetteSpider, Item, local_path

Applicant = dict[str, Any]
_PUBLISHED_STATUSES = ("published", "opposed", "opposition")
_REGISTERED_STATUSES = ("registered",)
_FILED_STATUSES = ("filed", "examination", "received")
_APPLICATION_PUBLISHED_SECTIONS = ("A.1", "A1")


def source_key_for(office: str | None) -> str:
    """``EM`` → ``euipo``, ``WO`` → ``wipo-madrid``, other office codes → ``tmview-xx``."""
    if not office:
        return "euipo"
    office = office.upper()
    if office == "EM":
        return "euipo"
    if office == "WO":
        return "wipo-madrid"
    return f"tmview-{office.lower()}"


def applicant_from(node: etree._Element) -> Applicant:
    """Name and country of an ``Applicant`` element (embedded or from the companion file)."""
    formatted = node.find("{*}ApplicantAddressBook/{*}FormattedNameAddress")
    name = None
    country = None
    if formatted is not None:
        name = text_at(formatted, "{*}Name/{*}FormattedName/{*}OrganizationName")
        if name is None:
            person = [
                text_at(formatted, f"{{*}}Name/{{*}}FormattedName/{{*}}{part}")
                for part in ("FirstName", "LastName")
            ]
            name = " ".join(p for p in person if p) or None
        if name is None:
            name = (
                " ".join(
                    texts_at(
                        formatted, "{*}Name/{*}FreeFormatName/{*}FreeFormatNameDetails/{*}FreeFormatNameLine"
                    )
                )
                or None
            )
        country = text_at(formatted, "{*}Address/{*}AddressCountryCode")
    country = (
        country
        or text_at(node, "{*}ApplicantIncorporationCountryCode")
        or text_at(node, "{*}ApplicantNationalityCode")
    )
    return {
        "id": text_at(node, "{*}ApplicantIdentifier"),
        "name": name,
        "country": country,
        "legal_entity": text_at(node, "{*}ApplicantLegalEntity"),
    }


def event_for(status: str | None, registration_date: dt.date | None, published: dt.date | None) -> str:
    """Map the office's status text to filed / published / registered / updated."""
    lowered = (status or "").lower()
    if (
        any(word in lowered for word in _REGISTERED_STATUSES)
        and "cancel" not in lowered
        and "pending" not in lowered
    ):
        return "registered"
    if any(word in lowered for word in _PUBLISHED_STATUSES):
        return "published"
    if any(word in lowered for word in _FILED_STATUSES):
        return "filed"
    if registration_date is not None:
        return "registered"
    if published is not None:
        return "published"
    return "updated"


class St66TrademarkSpider(GazetteSpider):
    """ST.66 trademark files; see the module docstring."""

    name = "st66"
    source_key = "euipo"
    office = "EM"

    def __init__(self, *args: Any, applicants: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.applicants_location = applicants
        self.applicants: dict[str, Applicant] = {}

    # ---- discovery / companion file -------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        """Load the applicant companion first (when given), then the trade-mark file(s)."""
        if getattr(self, "storage_error", None):
            return
        if self.applicants_location:
            path = local_path(self.applicants_location)
            if path is None:
                yield scrapy.Request(
                    self.applicants_location,
                    callback=self.parse_applicants_download,
                    errback=self.on_error,
                    dont_filter=True,
                )
                return
            try:
                self.load_applicants(path, path.name)
            except Exception as error:
                self.record_error(f"{path}: applicant file unreadable: {error}", "alertbot/files_corrupt")
        async for item in super().start():
            yield item

    async def parse_applicants_download(self, response: Response) -> AsyncIterator[Any]:
        """Companion downloaded: build the join table, then go on with the trade marks."""
        try:
            self.load_applicants(response.body, Path(response.url).name)
        except Exception as error:
            self.record_error(f"{response.url}: applicant file unreadable: {error}", "alertbot/files_corrupt")
        async for item in super().start():
            yield item

    async def discover(self) -> AsyncIterator[Any]:
        """Fetch each configured feed URL not processed before."""
        urls = self.settings.getlist("ST66_FEED_URLS")
        if not urls:
            self.record_error(
                "st66: no feed URL configured (set ST66_FEED_URLS or pass -a file=PATH_OR_URL)",
                "alertbot/config_errors",
            )
            return
        requests = []
        for url in urls:
            file_name = Path(url).name
            if self.since is None and self.seen_file(file_name):
                self.crawler.stats.inc_value("alertbot/files_already_seen")
                continue
            requests.append(self.file_request(url, file_name))
        for request in self.queue_files(requests):
            yield request

    # ---- parsing --------------------------------------------------------------------------------------

    def load_applicants(self, source: bytes | Path, label: str) -> None:
        """Read an applicant file (or the applicant members of a zip) into the join table."""
        for member, stream in iter_members(source, label, self.limits):
            self._read_applicants(stream, member.name)

    def _read_applicants(self, stream: IO[bytes], name: str) -> None:
        for element in iterparse_records(stream, "{*}Applicant", name, self.xml_max_bytes):
            applicant = applicant_from(element)
            if not applicant["id"]:
                continue
            if element.get("operationCode") == "Delete":
                self.applicants.pop(applicant["id"], None)
            else:
                self.applicants[applicant["id"]] = applicant
            self.tally["applicants_loaded"] += 1

    def parse_source(self, source: bytes | Path, label: str) -> Iterator[Item]:
        """Applicant members first (for the join), then every trade-mark member."""
        for member, stream in iter_members(source, label, self.limits):
            if "applicant" in member.name.lower():
                self._read_applicants(stream, member.name)
        for member, stream in iter_members(source, label, self.limits):
            if "applicant" in member.name.lower() or "representative" in member.name.lower():
                continue
            for element in iterparse_records(stream, "{*}TradeMark", member.name, self.xml_max_bytes):
                self.tally["trademarks"] += 1
                yield self.trademark(element)

    def trademark(self, element: etree._Element) -> Item:
        """One ``TradeMark`` element → record (or deletion, or quarantine)."""
        office = text_at(element, "{*}RegistrationOfficeCode")
        number = text_at(element, "{*}ApplicationNumber")
        source = source_key_for(office)
        if number is None:
            return self.quarantined(element, None, "ApplicationNumber is missing")
        if element.get("operationCode") == "Delete":
            self.tally["deletions"] += 1
            return self.build(
                element,
                number,
                source=source,
                kind="trademark",
                office=office,
                event="deleted",
                deleted=True,
                raw={"operation": "Delete"},
            )
        try:
            return self._full_record(element, number, office, source)
        except RECORD_ERRORS as error:
            return self.quarantined(element, number, record_error_reason(error))

    def _full_record(self, element: etree._Element, number: str, office: str | None, source: str) -> Item:
        classes_raw = texts_at(
            element,
            "{*}GoodsServicesDetails/{*}GoodsServices/{*}ClassDescriptionDetails/{*}ClassDescription/{*}ClassNumber",
        )
        classes = nice_classes(classes_raw, "ClassNumber")
        goods: dict[str, str] = {}
        for description in element.iterfind(
            "{*}GoodsServicesDetails/{*}GoodsServices/{*}ClassDescriptionDetails/{*}ClassDescription"
        ):
            texts = {
                node.get("languageCode") or "": clean(node.text)
                for node in description.iterfind("{*}GoodsServicesDescription")
            }
            chosen = texts.get("en") or next((t for t in texts.values() if t), None)
            if chosen:
                goods[text_at(description, "{*}ClassNumber") or "?"] = chosen
        embedded = [applicant_from(node) for node in element.iterfind("{*}ApplicantDetails/{*}Applicant")]
        keys = texts_at(element, "{*}ApplicantDetails/{*}ApplicantKey/{*}Identifier")
        joined = [self.applicants[key] for key in keys if key in self.applicants]
        applicants = embedded or joined
        unresolved = [key for key in keys if key not in self.applicants] if not embedded else []
        if unresolved:
            self.tally["applicant_keys_unresolved"] += len(unresolved)
        publications: list[tuple[str | None, str | None, dt.date | None]] = [
            (
                text_at(node, "{*}PublicationIdentifier"),
                text_at(node, "{*}PublicationSection"),
                iso_date(text_at(node, "{*}PublicationDate"), "PublicationDate"),
            )
            for node in element.iterfind("{*}PublicationDetails/{*}Publication")
        ]
        application_publication = next(
            (p for p in publications if p[1] in _APPLICATION_PUBLISHED_SECTIONS),
            publications[0] if publications else None,
        )
        published = application_publication[2] if application_publication else None
        status = text_at(element, "{*}MarkCurrentStatusCode")
        registration_date = iso_date(text_at(element, "{*}RegistrationDate"), "RegistrationDate")
        stated_end = iso_date(text_at(element, "{*}OppositionPeriodEndDate"), "OppositionPeriodEndDate")
        event = event_for(status, registration_date, published)
        opposition_end = stated_end
        if opposition_end is None and published is not None and event == "published" and office:
            opposition_end = opposition_deadline(office, published)
        mark = text_at(element, "{*}WordMarkSpecification/{*}MarkVerbalElementText") or text_at(
            element, "{*}WordMarkSpecification/{*}MarkSignificantVerbalElementText"
        )
        first = applicants[0] if applicants else None
        return self.build(
            element,
            number,
            source=source,
            kind="trademark",
            text=mark,
            applicant=first["name"] if first else None,
            applicant_country=first["country"] if first else None,
            classes=classes,
            office=office,
            status=status,
            event=event,
            filing_date=iso_date(text_at(element, "{*}ApplicationDate"), "ApplicationDate"),
            publication_date=published,
            opposition_end=opposition_end,
            url=f"https://www.tmdn.org/tmview/#/tmview/detail/{office}{number}" if office else None,
            raw={
                "operation": element.get("operationCode") or "Insert",
                "registration_number": text_at(element, "{*}RegistrationNumber"),
                "registration_date": registration_date.isoformat() if registration_date else None,
                "expiry_date": text_at(element, "{*}ExpiryDate"),
                "status_date": text_at(element, "{*}MarkCurrentStatusDate"),
                "mark_feature": text_at(element, "{*}MarkFeature"),
                "kind_mark": text_at(element, "{*}KindMark"),
                "applicants": applicants,
                "applicant_keys": keys,
                "applicant_keys_unresolved": unresolved,
                "unclassified_goods": "0" in [c.strip("0") or "0" for c in classes_raw],
                "goods": goods,
                "publications": [
                    {"id": ident, "section": section, "date": day.isoformat() if day else None}
                    for ident, section, day in publications
                ],
                "opposition_start": text_at(element, "{*}OppositionPeriodStartDate"),
                "opposition_end_stated": stated_end is not None,
                "language": text_at(element, "{*}ApplicationLanguageCode"),
            },
        )
