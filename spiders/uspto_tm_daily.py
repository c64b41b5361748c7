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
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, ClassVar

from lxml import etree

from alertbot.deadlines import latest_extended_deadline, opposition_deadline
from spiders.base.archive import iter_members
from spiders.base.fields import RECORD_ERRORS, FieldError, clean, compact_date, is_number, record_error_reason
from spiders.base.safexml import iterparse_records
from spiders.base.spider import Item
from spiders.base.uspto_odp import OdpProductSpider
from spiders.items import QuarantineItem, RecordIn

PUBLISHED_FOR_OPPOSITION = "686"
NEW_APPLICATION_GROUP = "NA"
DEFAULT_WINDOW_DAYS = 30
# Small on purpose: repeats within a group are adjacent, repeats across TX groups are far apart and are
# settled by the store's upsert anyway; a large window only keeps records (and cache lines) alive longer.
DEDUPE_WINDOW = 64
_OPPOSITION_CODES = frozenset({"PUBO", "NWAP", "ETOF", "OP.I", "OPNS", "R.PR"})
_FILTER_PARTS = ("serial-number", "transaction-date", "case-file-header")
_CASE_PARTS = (
    "serial-number",
    "registration-number",
    "transaction-date",
    "case-file-header",
    "case-file-statements",
    "case-file-event-statements",
    "case-file-owners",
    "classifications",
    "international-registration",
)
_FILTER_HEADER_FIELDS = ("filing-date", "status-code", "published-for-opposition-date")
_HEADER_FIELDS = (
    "filing-date",
    "status-code",
    "status-date",
    "mark-identification",
    "mark-drawing-code",
    "published-for-opposition-date",
    "opposition-pending-in",
    "filing-basis-current-66a-in",
)
_OWNER_FIELDS = (
    "party-type",
    "nationality",
    "legal-entity-type-code",
    "party-name",
    "state",
    "country",
    "dba-aka-text",
)
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
        """Stream one daily XML document; yield kept records deduplicated by (serial, event).

        Kept records wait in a bounded window (``DEDUPE_WINDOW``) so a repeated (serial, event) replaces
        the earlier snapshot before anything is emitted; repeats further apart are both emitted in file
        order, and the store's upsert by serial keeps the later one. Memory stays bounded either way.
        """
        file_date = _date_from_name(name)
        self._window = self.window
        group: str | None = None
        window: OrderedDict[tuple[str, str], RecordIn] = OrderedDict()
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
                        if window.pop(key, None) is not None:
                            self.tally["duplicates"] += 1
                        window[key] = item
                        if len(window) > DEDUPE_WINDOW:
                            yield window.popitem(last=False)[1]
                elif tag == "action-key":
                    group = clean(element.text)
                elif tag == "creation-datetime" and file_date is None:
                    file_date = compact_date((clean(element.text) or "")[:8], "creation-datetime")
        except Exception:
            # Keep what was read before a truncation or bad byte; the error is still reported.
            yield from window.values()
            raise
        yield from window.values()

    def case_file(self, element: etree._Element, group: str | None, file_date: dt.date | None) -> Item | None:
        """The record for a kept case file, a quarantine item, or None when the case is not of interest.

        Most case files in a daily file are skipped, so the filter reads only what it needs. Children are
        picked with ``iterchildren(*tags)``, which filters in C instead of creating a Python proxy for
        each of the ~50 header children.
        """
        first = {child.tag: child for child in element.iterchildren(*_FILTER_PARTS)}
        serial = _strip(_node_text(first.get("serial-number")))
        try:
            if serial is None or len(serial) != 8 or not is_number(serial):
                raise FieldError(f"serial-number: {serial!r} is not 8 digits")
            header = first.get("case-file-header")
            if header is None:
                return None
            head = {child.tag: child.text for child in header.iterchildren(*_FILTER_HEADER_FIELDS)}
            filing_date = compact_date(_strip(head.get("filing-date")), "filing-date")
            published = compact_date(
                _strip(head.get("published-for-opposition-date")), "published-for-opposition-date"
            )
            status = _strip(head.get("status-code"))
            reference = file_date or compact_date(
                _strip(_node_text(first.get("transaction-date"))), "transaction-date"
            )
            event = self.event_for(group, status, filing_date, published, reference)
            if event is None:
                return None
            parts = {child.tag: child for child in element.iterchildren(*_CASE_PARTS)}
            head = {child.tag: child.text for child in header.iterchildren(*_HEADER_FIELDS)}
            return self.record(element, parts, head, serial, event, group, status, filing_date, published)
        except RECORD_ERRORS as error:
            return self.quarantined(element, serial, record_error_reason(error))

    def event_for(
        self,
        group: str | None,
        status: str | None,
        filing_date: dt.date | None,
        published: dt.date | None,
        reference: dt.date | None,
    ) -> str | None:
        """``published`` for marks newly published for opposition, ``filed`` for new filings, else None."""
        window = getattr(self, "_window", None) or self.window
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
        parts: dict[str, etree._Element],
        head: dict[str, str | None],
        serial: str,
        event: str,
        group: str | None,
        status: str | None,
        filing_date: dt.date | None,
        published: dt.date | None,
    ) -> Item:
        """All fields of a kept case file."""
        owners_node = parts.get("case-file-owners")
        owners = [_owner(owner) for owner in owners_node] if owners_node is not None else []
        current = max(owners, key=lambda owner: owner["party_type"] or 0, default=None)
        classes_node = parts.get("classifications")
        class_codes = (
            (node.text or "").strip()
            for node in (
                classes_node.iterdescendants("international-code") if classes_node is not None else ()
            )
        )
        classes = sorted({int(code) for code in class_codes if is_number(code) and 1 <= int(code) <= 45})
        goods: dict[str, str] = {}
        statements = parts.get("case-file-statements")
        for statement in statements if statements is not None else ():
            fields = {child.tag: child.text for child in statement.iterchildren("type-code", "text")}
            type_code = (fields.get("type-code") or "").strip()
            if type_code.startswith("GS") and (text := (fields.get("text") or "").strip()):
                goods[type_code] = text
        events = []
        event_statements = parts.get("case-file-event-statements")
        if event_statements is not None:
            codes = [(node.text or "").strip() for node in event_statements.iterdescendants("code")]
            wanted = [i for i, code in enumerate(codes) if code in _OPPOSITION_CODES]
            if wanted and len(codes) != len(event_statements):
                # A statement without <code>: positions do not line up, fall back to reading each one.
                wanted = [
                    i
                    for i, node in enumerate(event_statements)
                    if (node.findtext("code") or "").strip() in _OPPOSITION_CODES
                ]
            for index in wanted:
                fields = {
                    child.tag: child.text
                    for child in event_statements[index].iterchildren("code", "date", "description-text")
                }
                events.append(
                    {
                        "code": (fields.get("code") or "").strip(),
                        "date": _strip(fields.get("date")),
                        "text": clean(fields.get("description-text")),
                    }
                )
        extended_until = None
        if published is not None and any(e["code"] == "ETOF" for e in events):
            extended = latest_extended_deadline("US", published)
            extended_until = extended.isoformat() if extended else None
        registration = _text(parts, "registration-number")
        international = parts.get("international-registration")
        raw: dict[str, Any] = {
            "serial_number": serial,
            "registration_number": None
            if not registration or registration.strip("0") == ""
            else registration,
            "transaction_date": _text(parts, "transaction-date"),
            "action_key": group,
            "status_code": status,
            "status_date": _strip(head.get("status-date")),
            "mark_drawing_code": _strip(head.get("mark-drawing-code")),
            "opposition_pending": _strip(head.get("opposition-pending-in")) == "T",
            "owners": owners,
            "goods": goods,
            "opposition_events": events,
            "international_registration_number": clean(
                international.findtext("international-registration-number")
            )
            if international is not None
            else None,
            "madrid_66a": _strip(head.get("filing-basis-current-66a-in")) == "T",
        }
        if extended_until:
            raw["opposition_extendable_until"] = extended_until
        return self.build(
            element,
            serial,
            kind="trademark",
            text=clean(head.get("mark-identification")),
            applicant=current["name"] if current else None,
            applicant_country=(current["nationality"] or current["country"]) if current else None,
            classes=classes,
            office=self.office,
            status=status,
            event=event,
            filing_date=filing_date,
            publication_date=published,
            opposition_end=opposition_deadline("US", published)
            if event == "published" and published
            else None,
            url=f"https://tsdr.uspto.gov/#caseNumber={serial}&caseType=SERIAL_NO&searchType=statusSearch",
            raw=raw,
        )


def _text(parts: dict[str, etree._Element], tag: str) -> str | None:
    node = parts.get(tag)
    return clean(node.text) if node is not None else None


def _node_text(node: etree._Element | None) -> str | None:
    return node.text if node is not None else None


def _strip(value: str | None) -> str | None:
    """Strip a code or date (no inner whitespace to collapse); empty becomes None."""
    if value is None:
        return None
    return value.strip() or None


def _owner(owner: etree._Element) -> dict[str, Any]:
    fields = {child.tag: child for child in owner.iterchildren(*_OWNER_FIELDS)}
    nationality_node = fields.get("nationality")
    nationality = None
    if nationality_node is not None:
        inner = {child.tag: clean(child.text) for child in nationality_node}
        nationality = inner.get("country") or inner.get("other") or ("US" if inner.get("state") else None)
    address_country = _text(fields, "country") or ("US" if _text(fields, "state") else None)
    party_type_node = fields.get("party-type")
    party_type = _strip(party_type_node.text) if party_type_node is not None else None
    return {
        "name": _text(fields, "party-name"),
        "party_type": int(party_type) if party_type and is_number(party_type) else None,
        "nationality": nationality,
        "country": address_country,
        "entity_type": _text(fields, "legal-entity-type-code"),
        "dba": _text(fields, "dba-aka-text"),
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
