"""Reading exhibitor lists in the forms shows publish them: HTML rows, JSON items, and tables (CSV, XLSX,
PDF catalogues). Turns one published row into a :class:`RecordIn` (kind ``exhibitor``) under an edition's
field mapping (see ``alertbot.expo.editions``).

Everything here is pure parsing; the spider (``spiders/expo_exhibitors.py``) fetches.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jmespath
from cssselect import SelectorError
from parsel import Selector, SelectorList
from pydantic import ValidationError

from alertbot.expo.editions import LIST_FIELDS, Edition
from alertbot.expo.names import (
    clean,
    exhibitor_native_id,
    hall_from_booth,
    normalise_booth,
    normalise_name,
    split_bilingual,
    split_terms,
)
from spiders.base.archive import ArchiveLimits, open_archive
from spiders.items import QuarantineItem, RecordIn

Item = RecordIn | QuarantineItem
HEADER_SEARCH_ROWS = 30
TEXT_ENCODINGS = ("utf-8-sig", "gb18030")


class MappingError(ValueError):
    """The edition's mapping does not fit the published list (missing column, bad selector or path)."""


# ---- one row → one record -------------------------------------------------------------------------------


def build_exhibitor(edition: Edition, values: dict[str, Any], where: str) -> Item:
    """A record from one published row (field name → text or list of texts), or a quarantine item naming
    the row and field."""
    text = {k: clean(_join(v)) for k, v in values.items() if k not in LIST_FIELDS}
    name_zh, name_en = text.get("name_zh", ""), text.get("name_en", "")
    published = text.get("name_raw") or (
        name_zh if name_en and name_en in name_zh else " ".join(p for p in (name_zh, name_en) if p)
    )
    if name_zh:
        # A "Chinese name" column often holds the bilingual name, or only an English one for foreign firms.
        zh_part, en_part = split_bilingual(name_zh)
        name_zh, name_en = zh_part, name_en or en_part
    elif not name_en:
        name_zh, name_en = split_bilingual(published)
    elif text.get("name_raw"):
        name_zh = split_bilingual(published)[0]
    name_zh, name_en = normalise_name(name_zh), normalise_name(name_en)
    if not (name_zh or name_en):
        return QuarantineItem(
            source=edition.id,
            native_id=None,
            reason=f"{where}: no exhibitor name (name_zh, name_en and name_raw are empty)",
            snippet=repr(values)[:2000],
        )
    booth = normalise_booth(text.get("booth", ""))
    hall = normalise_booth(text.get("hall", "")) or hall_from_booth(booth, edition.hall_pattern)
    country = text.get("country", "")
    website = text.get("website", "")
    products = split_terms(values.get("products"), edition.separators)
    brands = split_terms(values.get("brands"), edition.separators)
    name = name_zh or name_en
    try:
        return RecordIn(
            source=edition.id,
            native_id=exhibitor_native_id(name, booth),
            kind="exhibitor",
            text=name,
            applicant_country=country if 0 < len(country) <= 8 else None,
            classes=list(edition.classes),
            status="listed",
            event="exhibiting",
            hall=hall or None,
            booth=booth or None,
            url=website or None,
            raw={
                "show": edition.title,
                "edition": edition.id,
                "name_zh": name_zh,
                "name_en": name_en,
                "name_raw": published,
                "country": country,
                "products": products,
                "brands": brands,
                "website": website,
            },
        )
    except ValidationError as error:
        return QuarantineItem(
            source=edition.id,
            native_id=None,
            reason=f"{where}: invalid record: {error.errors()[0]['msg']}",
            snippet=repr(values)[:2000],
        )


def _join(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(str(v) for v in value if v is not None)
    return str(value)


# ---- HTML -----------------------------------------------------------------------------------------------


def _is_xpath(expression: str) -> bool:
    return expression.startswith(("/", "./", "(", "xpath:"))


def select(node: Selector, expression: str) -> SelectorList[Selector]:
    """CSS, or XPath when the expression starts with ``/``, ``./``, ``(`` or ``xpath:``."""
    if _is_xpath(expression):
        return node.xpath(expression.removeprefix("xpath:"))
    return node.css(expression.removeprefix("css:"))


def texts(node: Selector, expression: str) -> list[str]:
    """Every match's text: a text or attribute node as is, an element as its whole text content."""
    found: list[str] = []
    for match in select(node, expression):
        root = match.root
        value = "".join(match.xpath(".//text()").getall()) if hasattr(root, "tag") else str(match.get())
        value = clean(value)
        if value:
            found.append(value)
    return found


def html_rows(edition: Edition, body: str, url: str, page: int) -> Iterator[Item]:
    """The exhibitors on one HTML list page."""
    assert edition.html is not None
    document = Selector(text=body)
    try:
        rows = select(document, edition.html.rows)
    except (ValueError, SelectorError) as error:
        raise MappingError(f"html.rows: {edition.html.rows!r} is not a valid selector: {error}") from error
    mapped = edition.fields.mapped()
    for number, row in enumerate(rows, start=1):
        values: dict[str, Any] = {}
        for field, expression in mapped.items():
            try:
                found = texts(row, str(expression))
            except (ValueError, SelectorError) as error:
                raise MappingError(
                    f"fields.{field}: {expression!r} is not a valid selector: {error}"
                ) from error
            values[field] = found if field in LIST_FIELDS else " ".join(found)
        yield build_exhibitor(edition, values, f"{url} (page {page}) row {number}")


def next_page(edition: Edition, body: str) -> str | None:
    """The next-page link on an HTML list page, if any (relative; the caller joins it)."""
    assert edition.html is not None
    if not edition.html.next_page:
        return None
    document = Selector(text=body)
    try:
        matches = select(document, edition.html.next_page)
    except (ValueError, SelectorError) as error:
        raise MappingError(
            f"html.next_page: {edition.html.next_page!r} is not a valid selector: {error}"
        ) from error
    for match in matches:
        value = match.get() if not hasattr(match.root, "tag") else match.attrib.get("href")
        if value and clean(str(value)):
            return clean(str(value))
    return None


# ---- JSON -----------------------------------------------------------------------------------------------


def compile_path(expression: str, key: str) -> Any:
    """A compiled JMESPath, or a :class:`MappingError` naming the edition key."""
    try:
        return jmespath.compile(expression)
    except jmespath.exceptions.JMESPathError as error:
        raise MappingError(f"{key}: {expression!r} is not a valid JMESPath: {error}") from error


def json_values(document: Any, fields: dict[str, str | int]) -> dict[str, Any]:
    """Field values from one JSON object through JMESPath expressions."""
    values: dict[str, Any] = {}
    for field, expression in fields.items():
        found = compile_path(str(expression), f"fields.{field}").search(document)
        if isinstance(found, list):
            values[field] = [clean(_join(v)) for v in found if v is not None]
        elif isinstance(found, dict):
            values[field] = clean(" ".join(str(v) for v in found.values() if v is not None))
        elif found is not None:
            values[field] = clean(str(found))
    return values


# ---- tables: CSV, XLSX, PDF -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TableRow:
    """One row of a table with where it was found (for error messages)."""

    cells: list[str]
    where: str


def _header_key(value: object) -> str:
    return clean(unicodedata.normalize("NFKC", str(value or ""))).replace(" ", "").casefold()


def decode_text(data: bytes, encoding: str | None, label: str) -> str:
    """CSV bytes as text: the edition's encoding, or UTF-8 (with or without BOM), else GB18030."""
    for candidate in (encoding,) if encoding else TEXT_ENCODINGS:
        try:
            return data.decode(candidate)
        except UnicodeDecodeError:
            continue
        except LookupError as error:
            raise MappingError(f"table.encoding: unknown encoding {candidate!r}") from error
    tried = encoding or " or ".join(TEXT_ENCODINGS)
    raise MappingError(f"cannot decode {label} as {tried}; set table.encoding in the edition file")


def csv_rows(edition: Edition, data: bytes, label: str) -> Iterator[TableRow]:
    """Rows of a CSV file."""
    text = decode_text(data, edition.table.encoding, label)
    for number, cells in enumerate(csv.reader(io.StringIO(text), delimiter=edition.table.delimiter), start=1):
        yield TableRow([c or "" for c in cells], f"{label} row {number}")


def xlsx_rows(
    edition: Edition, source: bytes | Path, label: str, limits: ArchiveLimits | None = None
) -> Iterator[TableRow]:
    """Rows of one sheet of a workbook (the named sheet, else the first). A workbook is a zip: its members'
    sizes and compression ratios are checked first, like any downloaded archive (zip bombs)."""
    from openpyxl import load_workbook

    with open_archive(source, label, limits or ArchiveLimits()) as archive:
        if archive is None:
            raise MappingError(f"{label} is not an XLSX workbook (not a zip); check the edition's format")
    # Read into memory: a workbook given as a path would keep an OS file open until the generator is finalised,
    # and a caller that stops early (`expo check` samples a few rows) leaves that to the garbage collector.
    handle = io.BytesIO(source.read_bytes() if isinstance(source, Path) else source)
    workbook = load_workbook(handle, read_only=True, data_only=True)
    try:
        sheet_name = edition.table.sheet
        if sheet_name is not None and sheet_name not in workbook.sheetnames:
            raise MappingError(
                f"table.sheet: {label} has no sheet {sheet_name!r} (sheets: {', '.join(workbook.sheetnames)})"
            )
        sheet = workbook[sheet_name] if sheet_name else workbook.worksheets[0]
        for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield TableRow(
                ["" if c is None else str(c) for c in cells], f"{label} sheet {sheet.title} row {number}"
            )
    finally:
        workbook.close()


def pdf_rows(edition: Edition, source: bytes | Path, label: str) -> Iterator[TableRow]:
    """Rows of every table on every page of a PDF catalogue (pdfplumber, with the edition's table settings)."""
    import pdfplumber

    handle = source if isinstance(source, Path) else io.BytesIO(source)
    settings = dict(edition.table.pdf)
    with pdfplumber.open(handle) as pdf:
        for page_number, page in enumerate(pdf.pages, start=1):
            try:
                tables = page.extract_tables(settings) if settings else page.extract_tables()
            except (TypeError, ValueError) as error:
                raise MappingError(f"table.pdf: pdfplumber refused the table settings: {error}") from error
            row_number = 0
            for table in tables:
                for cells in table:
                    row_number += 1
                    yield TableRow(
                        ["" if c is None else str(c) for c in cells],
                        f"{label} page {page_number} row {row_number}",
                    )
            # pdfplumber keeps parsed objects per page; release them as we go (memory stays flat).
            page.close()


def table_records(edition: Edition, rows: Iterator[TableRow], label: str) -> Iterator[Item]:
    """Records from table rows: find the header, map columns, skip repeated headers and join continuation
    rows (a name wrapped onto the next row, with no booth)."""
    mapped = edition.fields.mapped()
    by_header = {field: _header_key(v) for field, v in mapped.items() if isinstance(v, str)}
    columns: dict[str, int] = {field: int(v) - 1 for field, v in mapped.items() if isinstance(v, int)}
    header: list[str] | None = None
    searched: list[TableRow] = []
    pending: tuple[dict[str, Any], str] | None = None
    header_row = edition.table.header_row
    for index, row in enumerate(rows, start=1):
        keys = [_header_key(c) for c in row.cells]
        if header is None:
            if not by_header:
                header = []
            elif header_row is not None:
                if index < header_row:
                    continue
                header = keys
                columns.update(_locate(by_header, keys, row, label))
                continue
            elif all(h in keys for h in by_header.values()):
                header = keys
                columns.update(_locate(by_header, keys, row, label))
                continue
            else:
                searched.append(row)
                if len(searched) >= HEADER_SEARCH_ROWS:
                    break
                continue
        if header and keys == header:
            continue  # the header repeated on every page of a catalogue
        if not any(c.strip() for c in row.cells):
            continue
        values = {field: row.cells[i] if i < len(row.cells) else "" for field, i in columns.items()}
        if (
            edition.table.continuation
            and pending is not None
            and "booth" in columns
            and not clean(values.get("booth"))
            and any(clean(values.get(n)) for n in ("name_raw", "name_zh", "name_en"))
        ):
            pending = (_continue(pending[0], values), pending[1])
            continue
        if pending is not None:
            yield _table_item(edition, *pending)
        pending = (values, row.where)
    if header is None:
        first = searched[0].cells if searched else []
        seen = {_header_key(c) for row in searched for c in row.cells}
        missing = [f"fields.{f} = {mapped[f]!r}" for f, key in by_header.items() if key not in seen]
        raise MappingError(
            f"no header row with every mapped column; not found: {', '.join(missing) or 'none alone'}; "
            f"first row: {' | '.join(clean(c) for c in first) or '(empty)'}"
        )
    if pending is not None:
        yield _table_item(edition, *pending)


def _locate(by_header: dict[str, str], keys: list[str], row: TableRow, label: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for field, key in by_header.items():
        if key not in keys:
            raise MappingError(
                f"fields.{field}: column {key!r} is not in the header of {label} "
                f"({' | '.join(clean(c) for c in row.cells)})"
            )
        found[field] = keys.index(key)
    return found


def _continue(previous: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(previous)
    for field, value in extra.items():
        if not clean(value):
            continue
        separator = "\n" if field not in LIST_FIELDS else "、"
        merged[field] = f"{merged.get(field) or ''}{separator}{value}" if merged.get(field) else value
    return merged


def _table_item(edition: Edition, values: dict[str, Any], where: str) -> Item:
    return build_exhibitor(edition, values, where)
