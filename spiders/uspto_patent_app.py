"""USPTO patent application full text, weekly ``ipaYYMMDD.zip`` → one record per published application.

Source
    USPTO Open Data Portal product ``APPXML`` ("Patent Application Full-Text Data (No Images)"):
    ``GET https://api.uspto.gov/api/v1/datasets/products/APPXML`` lists the files with their
    ``fileDownloadURI`` (use those, the path layout has changed over time). Legacy mirror:
    ``https://bulkdata.uspto.gov/data/patent/application/redbook/fulltext/YYYY/ipaYYMMDD.zip``.
    DTDs/documentation: https://www.uspto.gov/learning-and-resources/xml-resources
Cadence
    Weekly, Thursdays; thousands of applications per file.
Auth
    ODP API key in ``x-api-key``, from env ``ALERTBOT_USPTO_API_KEY``.
Caveats
    The weekly XML is **many complete XML documents concatenated** (each with its own ``<?xml …?>`` and
    DOCTYPE), so the file as a whole is not well-formed. It is split on lines matching ``^\\s*<\\?xml``
    (real files have indented prologs too) and each document is parsed on its own with a hardened parser;
    the DOCTYPE's external DTD is never fetched (text uses numeric character references). Applicants are
    under ``us-parties/us-applicants/us-applicant`` from DTD v4.3 on and under
    ``parties/applicants/applicant`` before; both are read. A malformed document is quarantined and the
    rest of the file goes on.
Arguments
    ``file=PATH_OR_URL``, ``since=YYYY-MM-DD``, ``product_url=URL``.
Settings
    ``USPTO_PATENT_PRODUCT_URL``, ``USPTO_PATENT_MAX_DOCUMENT_BYTES`` (default 64 MiB per document).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, ClassVar

from lxml import etree

from spiders.base.archive import iter_members
from spiders.base.fields import RECORD_ERRORS, FieldError, clean, compact_date, record_error_reason, text_at
from spiders.base.safexml import InputTooLargeError, UnsafeXMLError, parse_document
from spiders.base.spider import Item
from spiders.base.uspto_odp import OdpProductSpider

_PROLOG = re.compile(rb"\s*<\?xml\s")
DEFAULT_MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
_APPLICANT_PATHS = (
    "us-parties/us-applicants/us-applicant",  # DTD v4.3 and later
    "parties/applicants/applicant",  # DTD v4.0-v4.2
)


def split_documents(
    stream: IO[bytes], name: str, max_document_bytes: int, max_total_bytes: int
) -> Iterator[bytes]:
    """Cut a concatenated-XML stream into documents at every line that starts a new XML declaration."""
    lines: list[bytes] = []
    document_bytes = 0
    total = 0
    for line in stream:
        total += len(line)
        if total > max_total_bytes:
            raise InputTooLargeError(
                f"{name}: more than {max_total_bytes:,} bytes of XML; refused as oversized"
            )
        if _PROLOG.match(line) and lines:
            yield b"".join(lines)
            lines, document_bytes = [], 0
        lines.append(line)
        document_bytes += len(line)
        if document_bytes > max_document_bytes:
            raise InputTooLargeError(
                f"{name}: one document is larger than {max_document_bytes:,} bytes; refused as oversized"
            )
    if lines and b"".join(lines).strip():
        yield b"".join(lines)


class UsptoPatentAppSpider(OdpProductSpider):
    """USPTO weekly patent application publications; see the module docstring."""

    name = "uspto_patent_app"
    source_key = "uspto-patent"
    office = "US"
    product_url_setting: ClassVar[str] = "USPTO_PATENT_PRODUCT_URL"
    default_product_url: ClassVar[str] = "https://api.uspto.gov/api/v1/datasets/products/APPXML"
    file_name_pattern: ClassVar[re.Pattern[str]] = re.compile(r"ipa\d{6}\.zip")

    @property
    def max_document_bytes(self) -> int:
        """Per-document cap (a single application with big tables is a few MB)."""
        settings = getattr(self, "settings", None)
        if settings is None:
            return DEFAULT_MAX_DOCUMENT_BYTES
        return settings.getint("USPTO_PATENT_MAX_DOCUMENT_BYTES", DEFAULT_MAX_DOCUMENT_BYTES)

    def parse_source(self, source: bytes | Path, label: str) -> Iterator[Item]:
        """Every XML member of the weekly zip (normally one), or a plain concatenated file."""
        for member, stream in iter_members(source, label, self.limits):
            for index, document in enumerate(
                split_documents(stream, member.name, self.max_document_bytes, self.xml_max_bytes), start=1
            ):
                self.tally["documents"] += 1
                yield self.document(document, f"{member.name}#{index}")

    def document(self, data: bytes, name: str) -> Item:
        """One application document → a record, or a quarantine item when it cannot be read."""
        try:
            root = parse_document(data, name)
        except UnsafeXMLError:
            raise
        except etree.XMLSyntaxError as error:
            return self._quarantine_bytes(data, f"{name}: malformed XML: {error}")
        if root.tag != "us-patent-application":
            self.tally["skipped"] += 1
            return self._quarantine_bytes(
                data, f"{name}: root element {root.tag!r} is not us-patent-application"
            )
        biblio = root.find("us-bibliographic-data-application")
        if biblio is None:
            return self.quarantined(root, None, f"{name}: no us-bibliographic-data-application")
        publication = biblio.find("publication-reference/document-id")
        number = text_at(publication, "doc-number") if publication is not None else None
        country = (text_at(publication, "country") if publication is not None else None) or "US"
        native_id = f"{country}{number}" if number else None
        try:
            if publication is None or number is None:
                raise FieldError("publication-reference/document-id/doc-number is missing")
            return self.record(root, biblio, publication, native_id or "", name)
        except RECORD_ERRORS as error:
            return self.quarantined(root, native_id, f"{name}: {record_error_reason(error)}")

    def record(
        self,
        root: etree._Element,
        biblio: etree._Element,
        publication: etree._Element,
        native_id: str,
        name: str,
    ) -> Item:
        """All fields of one application."""
        application = biblio.find("application-reference/document-id")
        applicants = [
            _party(node, node.get("applicant-authority-category") or node.get("app-type"))
            for path in _APPLICANT_PATHS
            for node in biblio.iterfind(path)
        ]
        assignees = [_party(node, "assignee") for node in biblio.iterfind("assignees/assignee")]
        organisations = [p for p in applicants if p["organisation"]]
        primary = next(
            (p for p in organisations if p["category"] == "assignee"),
            next(iter(assignees), next(iter(organisations), next(iter(applicants), None))),
        )
        title_node = biblio.find("invention-title")
        abstract = root.find("abstract")
        kind_code = text_at(publication, "kind")
        return self.build(
            root,
            native_id,
            kind="patent",
            text=clean("".join(title_node.itertext())) if title_node is not None else None,
            applicant=primary["name"] if primary else None,
            applicant_country=primary["country"] if primary else None,
            office=self.office,
            status=kind_code,
            event="published",
            filing_date=compact_date(text_at(application, "date"), "application-reference/date")
            if application is not None
            else None,
            publication_date=compact_date(text_at(publication, "date"), "publication-reference/date"),
            url=f"https://ppubs.uspto.gov/pubwebapp/external.html?q={native_id.removeprefix('US')}.pn.",
            raw={
                "publication_number": text_at(publication, "doc-number"),
                "kind": kind_code,
                "application_number": text_at(application, "doc-number") if application is not None else None,
                "dtd_version": root.get("dtd-version"),
                "file": root.get("file"),
                "applicants": applicants,
                "assignees": assignees,
                "ipc": [_ipc(node) for node in biblio.iterfind("classifications-ipcr/classification-ipcr")],
                "cpc_main": [
                    _ipc(node) for node in biblio.iterfind("classifications-cpc/main-cpc/classification-cpc")
                ],
                "priority": [
                    {
                        "country": text_at(node, "country"),
                        "number": text_at(node, "doc-number"),
                        "date": text_at(node, "date"),
                    }
                    for node in biblio.iterfind("priority-claims/priority-claim")
                ],
                "abstract": (clean(" ".join(abstract.itertext())) or "")[:2000]
                if abstract is not None
                else None,
            },
        )

    def _quarantine_bytes(self, data: bytes, reason: str) -> Item:
        from spiders.items import QuarantineItem

        return QuarantineItem(
            source=self.source_key,
            native_id=None,
            reason=reason,
            snippet=data[:2000].decode("utf-8", "replace"),
        )


def _party(node: etree._Element, category: str | None) -> dict[str, Any]:
    book = node.find("addressbook")
    if book is None:
        book = node
    organisation = text_at(book, "orgname")
    person = " ".join(part for part in (text_at(book, "first-name"), text_at(book, "last-name")) if part)
    country = (
        text_at(book, "address/country")
        or text_at(node, "residence/country")
        or text_at(node, "nationality/country")
    )
    return {
        "name": organisation or person or None,
        "organisation": organisation is not None,
        "country": country,
        "category": category,
        "role": text_at(book, "role"),
    }


def _ipc(node: etree._Element) -> str:
    parts = [text_at(node, tag) or "" for tag in ("section", "class", "subclass", "main-group", "subgroup")]
    return f"{parts[0]}{parts[1]}{parts[2]} {parts[3]}/{parts[4]}".strip()
