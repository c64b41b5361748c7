"""USPTO Trademark Daily XML applications (``apcYYMMDD.zip``) → new filings and marks published for opposition.

Source
    USPTO Open Data Portal product ``TRTDXFAP`` ("Trademark Full Text XML Data (No Images) – Daily
    Applications"): https://data.uspto.gov/bulkdata/datasets/TRTDXFAP . Metadata
    ``GET https://api.uspto.gov/api/v1/datasets/products/TRTDXFAP``, files
    ``…/datasets/products/files/TRTDXFAP/apcYYMMDD.zip``. Documentation:
    ``Trademark-Applications-Documentation-v2.3-20250813.doc`` and the status-code table in the product's
    file list (https://www.uspto.gov/learning-and-resources/xml-resources).
Cadence
    One zip per day, Saturdays included (created ~23:48 US Eastern), 10–30 MB zipped, 186–532 MB XML,
    11k–38k ``case-file`` records.
Auth
    ODP API key in the ``x-api-key`` header, from env ``ALERTBOT_USPTO_API_KEY``.
Caveats
    Each ``case-file`` is a full snapshot, not a delta, and most are ``TX`` updates of old cases. This spider
    keeps only **new filings** (``NA`` group, or filed within ``USPTO_TM_WINDOW_DAYS`` of the file date) and
    marks **published for opposition** (OG publication date within the window, or status 686), because
    those are the moments a squat can still be opposed. The same serial may appear twice in one file (two
    ``TX`` groups): per (serial, event) the later one wins. The file carries a 14.7 KB internal DTD; it is
    parsed with entity resolution, DTD loading and network off. ODP keys have been reported to get 403
    after sign-in changes – a 403 is recorded on the crawl run.
Arguments
    ``file=PATH_OR_URL`` process one file (zip or XML) instead of discovering; ``since=YYYY-MM-DD`` backfill
    from that date; ``product_url=URL`` another metadata endpoint; ``window_days=N``.
Settings
    ``USPTO_TM_PRODUCT_URL``, ``USPTO_TM_WINDOW_DAYS`` (default 30).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, ClassVar

from lxml import etree

from alertbot.deadlines import latest_extended_deadline, opposition_deadline
from spiders.base.archive import iter_members
from spiders.base.fields import FieldError, clean, compact_date, text_at
from spiders.base.safexml import iterparse_records
from spiders.base.spider import Item
from spiders.base.uspto_odp import OdpProductSpider
from spiders.items import QuarantineItem

PUBLISHED_FOR_OPPOSITION = "686"
NEW_APPLICATION_GROUP = "NA"
DEFAULT_WINDOW_DAYS = 30
_SERIAL = re.compile(r"\d{8}")
_OPPOSITION_EVENTS = {"PUBO", "NWAP", "ETOF", "OP.I", "OPNS", "R.PR"}
_FILE_NAME_DATE = re.compile(r"apc(\d{6})")


class UsptoTmDailySpider(OdpProductSpider):
    """USPTO trademark daily applications; see the module docstring."""

    name = "uspto_tm_daily"
    source_key = "uspto-tm"
    office = "US"
    product_url_setting: ClassVar[str] = "USPTO_TM_PRODUCT_URL"
    default_product_url: ClassVar[str] = "https://api.uspto.gov/api/v1/datasets/products/TRTDXFAP"
    file_name_pattern: ClassVar[re.Pattern[str]] = re.compile(r"apc\d{6}\.zip")

    def __init__(self, *args: Any, window_days: str | int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.window_days_arg = int(window_days) if window_days is not None else None

    @property
    def window(self) -> dt.timedelta:
        """How recent a filing or publication must be, relative to the file date, to be kept."""
        days = self.window_days_arg
        if days is None:
            settings = getattr(self, "settings", None)
            days = settings.getint("USPTO_TM_WINDOW_DAYS", DEFAULT_WINDOW_DAYS) if settings else None
        return dt.timedelta(days=days if days is not None else DEFAULT_WINDOW_DAYS)

    def parse_source(self, source: bytes | Path, label: str) -> Iterator[Item]:
        """Every XML member of the zip (normally one ``apcYYMMDD.xml``), or a plain XML file."""
        for member, stream in iter_members(source, label, self.limits):
            yield from self.parse_daily(stream, member.name)

    def parse_daily(self, stream: IO[bytes], name: str) -> Iterator[Item]:
        """Stream one daily XML document; yield kept records deduplicated by (serial, event)."""
        file_date = _date_from_name(name)
        group: str | None = None
        kept: dict[tuple[str, str], Item] = {}
        try:
            for element in iterparse_records(
                stream, ("creation-datetime", "action-key", "case-file"), name, self.xml_max_bytes
            ):
                tag = element.tag
                if tag == "case-file":
                    self.tally["case_files"] += 1
                    item = self.case_file(element, group, file_date)
                    if item is None:
                        self.tally["skipped"] += 1
                    elif isinstance(item, QuarantineItem):
                        yield item
                    else:
                        key = (item.native_id, item.event or "")
                        if key in kept:
                            self.tally["duplicates"] += 1
                            del kept[key]
                        kept[key] = item
                elif tag == "action-key":
                    group = clean(element.text)
                elif tag == "creation-datetime" and file_date is None:
                    file_date = compact_date(clean(element.text), "creation-datetime")
        except Exception:
            # Keep what was read before a truncation or bad byte; the error is still reported.
            yield from kept.values()
            raise
        yield from kept.values()

    def case_file(self, element: etree._Element, group: str | None, file_date: dt.date | None) -> Item | None:
        """The record for a kept case file, a quarantine item, or None when the case is not of interest."""
        serial = text_at(element, "serial-number")
        try:
            if serial is None or not _SERIAL.fullmatch(serial):
                raise FieldError(f"serial-number: {serial!r} is not 8 digits")
            header = element.find("case-file-header")
            if header is None:
                return None
            filing_date = compact_date(clean(header.findtext("filing-date")), "filing-date")
            published = compact_date(
                clean(header.findtext("published-for-opposition-date")), "published-for-opposition-date"
            )
            status = clean(header.findtext("status-code"))
            reference = file_date or compact_date(clean(element.findtext("transaction-date")), "transaction-date")
            event = self.event_for(group, status, filing_date, published, reference)
            if event is None:
                return None
            return self.record(element, header, serial, event, group, status, filing_date, published)
        except FieldError as error:
            return self.quarantined(element, serial, str(error))

    def event_for(
        self,
        group: str | None,
        status: str | None,
        filing_date: dt.date | None,
        published: dt.date | None,
        reference: dt.date | None,
    ) -> str | None:
        """``published`` for marks newly published for opposition, ``filed`` for new filings, else None."""
        window = self.window
        if published is not None and (
            status == PUBLISHED_FOR_OPPOSITION or (reference is not None and published >= reference - window)
        ):
            return "published"
        if group == NEW_APPLICATION_GROUP:
            return "filed"
        if filing_date is not None and reference is not None and filing_date >= reference - window:
            return "filed"
        return None

    def record(
        self,
        element: etree._Element,
        header: etree._Element,
        serial: str,
        event: str,
        group: str | None,
        status: str | None,
        filing_date: dt.date | None,
        published: dt.date | None,
    ) -> Item:
        """All fields of a kept case file."""
        owners = [_owner(owner) for owner in element.iterfind("case-file-owners/case-file-owner")]
        current = max(owners, key=lambda owner: owner["party_type"] or 0, default=None)
        classes = sorted(
            {
                int(code)
                for code in (clean(node.text) for node in element.iterfind("classifications/classification/international-code"))
                if code and code.isdigit() and 1 <= int(code) <= 45
            }
        )
        goods = {}
        for statement in element.iterfind("case-file-statements/case-file-statement"):
            type_code = clean(statement.findtext("type-code")) or ""
            if type_code.startswith("GS") and (text := clean(statement.findtext("text"))):
                goods[type_code] = text
        events = [
            {
                "code": clean(node.findtext("code")),
                "date": clean(node.findtext("date")),
                "text": clean(node.findtext("description-text")),
            }
            for node in element.iterfind("case-file-event-statements/case-file-event-statement")
            if clean(node.findtext("code")) in _OPPOSITION_EVENTS
        ]
        extended_until = None
        if published is not None and any(e["code"] == "ETOF" for e in events):
            extended = latest_extended_deadline("US", published)
            extended_until = extended.isoformat() if extended else None
        registration = clean(element.findtext("registration-number"))
        raw: dict[str, Any] = {
            "serial_number": serial,
            "registration_number": None if not registration or registration.strip("0") == "" else registration,
            "transaction_date": clean(element.findtext("transaction-date")),
            "action_key": group,
            "status_code": status,
            "status_date": clean(header.findtext("status-date")),
            "mark_drawing_code": clean(header.findtext("mark-drawing-code")),
            "opposition_pending": clean(header.findtext("opposition-pending-in")) == "T",
            "owners": owners,
            "goods": goods,
            "opposition_events": events,
            "international_registration_number": clean(
                element.findtext("international-registration/international-registration-number")
            ),
            "madrid_66a": clean(header.findtext("filing-basis-current-66a-in")) == "T",
        }
        if extended_until:
            raw["opposition_extendable_until"] = extended_until
        return self.build(
            element,
            serial,
            kind="trademark",
            text=clean(header.findtext("mark-identification")),
            applicant=current["name"] if current else None,
            applicant_country=(current["nationality"] or current["country"]) if current else None,
            classes=classes,
            office=self.office,
            status=status,
            event=event,
            filing_date=filing_date,
            publication_date=published,
            opposition_end=opposition_deadline("US", published) if event == "published" and published else None,
            url=f"https://tsdr.uspto.gov/#caseNumber={serial}&caseType=SERIAL_NO&searchType=statusSearch",
            raw=raw,
        )


def _owner(owner: etree._Element) -> dict[str, Any]:
    party_type = clean(owner.findtext("party-type"))
    nationality = clean(owner.findtext("nationality/country")) or clean(owner.findtext("nationality/other"))
    if nationality is None and clean(owner.findtext("nationality/state")):
        nationality = "US"
    address_country = clean(owner.findtext("country"))
    if address_country is None and clean(owner.findtext("state")):
        address_country = "US"
    return {
        "name": clean(owner.findtext("party-name")),
        "party_type": int(party_type) if party_type and party_type.isdigit() else None,
        "nationality": nationality,
        "country": address_country,
        "entity_type": clean(owner.findtext("legal-entity-type-code")),
        "dba": clean(owner.findtext("dba-aka-text")),
    }


def _date_from_name(name: str) -> dt.date | None:
    match = _FILE_NAME_DATE.search(name)
    if match is None:
        return None
    digits = match.group(1)
    try:
        return dt.date(2000 + int(digits[:2]), int(digits[2:4]), int(digits[4:]))
    except ValueError:
        return None
