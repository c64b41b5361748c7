"""The watchlist: the key-export-enterprise directory, read from and written to CSV or XLSX.

The format is the centre's spreadsheet (``../shared/bench/README.md``): one enterprise a row, columns
``id,name_zh,name_en,marks,classes,affiliates,markets,contact``, list fields ``|``-separated.
Validation names the file, row and field; an import with any bad row changes nothing.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from alertbot.sheets import csv_value, write_csv, write_xlsx
from alertbot.textsafety import control_characters, hidden_characters, strip_hidden

if TYPE_CHECKING:
    from sqlmodel import Session

    from alertbot.models import Enterprise

# The database layer (sqlmodel, the models) is imported by the functions that use it: reading a watchlist
# file (`alertbot match --watchlist`) needs none of it, and its import costs about a quarter of a second.

COLUMNS: tuple[str, ...] = (
    "id",
    "name_zh",
    "name_en",
    "marks",
    "classes",
    "affiliates",
    "markets",
    "contact",
)
REQUIRED_COLUMNS: tuple[str, ...] = ("id",)
LIST_SEPARATOR = "|"


class WatchlistError(Exception):
    """Raised when a watchlist file cannot be imported, from :func:`read_watchlist`; lists every problem."""

    def __init__(self, path: Path, problems: Sequence[str]) -> None:
        self.path = path
        self.problems = list(problems)
        super().__init__(f"{path}: {len(self.problems)} problem(s):\n" + "\n".join(self.problems))


class WatchlistRow(BaseModel):
    """One validated watchlist row."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1)
    name_zh: str = ""
    name_en: str = ""
    marks: tuple[str, ...] = ()
    classes: tuple[int, ...] = ()
    affiliates: tuple[str, ...] = ()
    markets: tuple[str, ...] = ()
    contact: tuple[str, ...] = ()

    def to_watch(self) -> Any:
        """The matching engine's view of this row (an ``alertbot.matching.Watch``)."""
        from alertbot.matching import Watch

        return Watch(
            id=self.id,
            name_zh=self.name_zh,
            name_en=self.name_en,
            marks=self.marks,
            classes=frozenset(self.classes),
            affiliates=self.affiliates,
        )

    def enterprise_fields(self) -> dict[str, Any]:
        """Column values as stored on :class:`~alertbot.models.Enterprise`."""
        return {
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "marks": list(self.marks),
            "classes": list(self.classes),
            "affiliates": list(self.affiliates),
            "markets": list(self.markets),
            "contacts": list(self.contact),
        }

    @classmethod
    def from_enterprise(cls, enterprise: Enterprise) -> WatchlistRow:
        """The row an enterprise exports as."""
        return cls(
            id=enterprise.id,
            name_zh=enterprise.name_zh,
            name_en=enterprise.name_en,
            marks=tuple(enterprise.marks),
            classes=tuple(enterprise.classes),
            affiliates=tuple(enterprise.affiliates),
            markets=tuple(enterprise.markets),
            contact=tuple(enterprise.contacts),
        )


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(LIST_SEPARATOR) if part.strip())


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# The longest value each column may hold (characters). A watchlist cell longer than this is a mistake (a
# pasted document, a corrupt file); the error names row and field instead of storing or choking on it.
FIELD_LIMITS: dict[str, int] = {
    "id": 64,
    "name_zh": 1000,
    "name_en": 1000,
    "marks": 10_000,
    "classes": 500,
    "affiliates": 50_000,
    "markets": 1000,
    "contact": 5000,
}
# The csv module's own per-field limit while reading: anything longer is reported from the raw line.
_CSV_FIELD_LIMIT = max(FIELD_LIMITS.values()) * 4
_MAX_XLSX_UNCOMPRESSED = 256 * 1024 * 1024
# Whitespace controls a spreadsheet puts into cells (Alt+Enter, Word's vertical tab): replaced by a space.
_WHITESPACE_CONTROLS = {
    "\n": "line break",
    "\r": "carriage return",
    "\t": "tab",
    "\x0b": "vertical tab",
    "\x0c": "form feed",
    "\x85": "next line",
    "\u2028": "line separator",
    "\u2029": "paragraph separator",
}
_SURROGATE = re.compile("[\udc80-\udcff]")


class _OversizedCell(Exception):
    def __init__(self, row: int, line: int, offset: int | None = None) -> None:
        self.row = row
        self.line = line
        self.offset = offset


def id_key(entry_id: str) -> str:
    """What makes two ids the same enterprise: case, width (NFKC) and hidden characters do not count."""
    return unicodedata.normalize("NFKC", strip_hidden(entry_id)).strip().casefold()


def _csv_records(path: Path) -> Iterator[list[str]]:
    """CSV records streamed (never the whole file in memory); a cell beyond the reader's limit stops the
    read with :class:`_OversizedCell` naming the record number and its first line."""
    previous = csv.field_size_limit()
    csv.field_size_limit(_CSV_FIELD_LIMIT)
    try:
        # surrogateescape: bytes that are not UTF-8 are kept as lone surrogates, reported per row and field.
        with path.open("r", encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
            reader = csv.reader(handle)
            number = 0
            while True:
                first_line = reader.line_num + 1
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except csv.Error as error:
                    if "field larger than field limit" in str(error):
                        raise _OversizedCell(number + 1, first_line) from None
                    raise WatchlistError(
                        path, [f"row {number + 1}: not a readable CSV row ({error})"]
                    ) from None
                number += 1
                yield row
    finally:
        csv.field_size_limit(previous)


def _oversized_field(path: Path, line: int, header: list[str]) -> tuple[str, int]:
    """Which field of the record starting at ``line`` is too long, and its length, found with str.find on
    the raw line (C speed, one copy of the line) instead of the csv module."""
    with path.open("r", encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        for _ in range(line - 1):
            handle.readline()
        text = handle.readline()
    position, index = 0, 0
    while position <= len(text):
        if text.startswith('"', position):
            end = position + 1
            while True:
                end = text.find('"', end)
                if end == -1 or not text.startswith('"', end + 1):
                    break
                end += 2
            end = len(text) if end == -1 else end + 1
            length = end - position - 2
        else:
            end = text.find(",", position)
            end = len(text.rstrip("\r\n")) if end == -1 else end
            length = end - position
        if length > _CSV_FIELD_LIMIT or end >= len(text.rstrip("\r\n")):
            name = header[index] if index < len(header) else f"column {index + 1}"
            return name, length
        position, index = end + 1, index + 1
    return "?", len(text)


_MAX_LINE_BYTES = 1024 * 1024
_CHUNK = 1024 * 1024


def _long_line(path: Path) -> tuple[int, int] | None:
    """(line number, byte offset) of the first physical line longer than any valid row could be (1 MiB),
    found in 1 MiB chunks: a 50 MB cell is reported without ever being held in memory."""
    line, line_start, offset = 1, 0, 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            position = 0
            while (newline := chunk.find(b"\n", position)) != -1:
                if offset + newline - line_start > _MAX_LINE_BYTES:
                    return line, line_start
                line, line_start, position = line + 1, offset + newline + 1, newline + 1
            offset += len(chunk)
            if offset - line_start > _MAX_LINE_BYTES:
                return line, line_start
    return None


def _field_at(path: Path, start: int, header: list[str]) -> tuple[str, int]:
    """The first field longer than its limit in the line starting at byte ``start``, and its length in
    characters, scanned chunk by chunk (quotes honoured; memory stays at one chunk)."""
    quoted, index, length, at_start = False, 0, 0, True
    special = re.compile(rb'["\n,]')
    with path.open("rb") as handle:
        handle.seek(start)
        while chunk := handle.read(_CHUNK):
            position = 0
            while True:
                found = special.search(chunk, position)
                stop = found.start() if found else len(chunk)
                length += len(chunk[position:stop].decode("utf-8", errors="replace"))
                name = header[index] if index < len(header) else f"column {index + 1}"
                if length > FIELD_LIMITS.get(name, _CSV_FIELD_LIMIT) and not found:
                    break  # keep counting this field in the next chunk
                if found is None:
                    break
                char, position = chunk[stop : stop + 1], stop + 1
                if char == b'"':
                    quoted = not quoted if (at_start or quoted) else quoted
                    at_start = False
                    continue
                if quoted:
                    length += 1
                    continue
                if length > FIELD_LIMITS.get(name, _CSV_FIELD_LIMIT):
                    return name, length
                if char == b"\n":
                    return name, length
                index, length, at_start = index + 1, 0, True
            at_start = False
    name = header[index] if index < len(header) else f"column {index + 1}"
    return name, length


def _record_number(path: Path, line: int) -> int:
    """The CSV record (spreadsheet row) that starts on physical ``line``: lines before it are short."""
    with path.open("r", encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        return sum(1 for _ in csv.reader(itertools.islice(handle, line - 1))) + 1


def _csv_header(path: Path) -> list[str]:
    with path.open("r", encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        first = handle.readline(_MAX_LINE_BYTES)
    return [h.strip().lower() for h in next(csv.reader([first]), [])]


def _read_table(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(spreadsheet row number, cells) of a CSV (UTF-8, BOM allowed) or XLSX file, the header first."""
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        yield from _xlsx_rows(path)
    elif suffix in {".csv", ".txt"}:
        long_line = _long_line(path)
        if long_line is not None:
            raise _OversizedCell(_record_number(path, long_line[0]), long_line[0], offset=long_line[1])
        for number, row in enumerate(_csv_records(path), start=1):
            # csv_value undoes the export's formula neutralising ("'=x" -> "=x"): a round trip is lossless.
            yield number, [csv_value(c.strip()) for c in row]
    else:
        raise WatchlistError(path, [f"unsupported file type {suffix!r}: use .csv or .xlsx"])


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    import zipfile

    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (OSError, zipfile.BadZipFile) as exc:
        raise WatchlistError(path, [f"not a readable XLSX workbook: {exc}"]) from exc
    if unpacked > _MAX_XLSX_UNCOMPRESSED:
        raise WatchlistError(
            path,
            [f"the workbook unpacks to {unpacked / 1e6:.0f} MB; a watchlist is at most "
             f"{_MAX_XLSX_UNCOMPRESSED / 1e6:.0f} MB unpacked"],
        )  # fmt: skip
    try:
        # Read into memory first: a read-only workbook on a path keeps the file open until closed, and a
        # caller that stops this generator early would leave that to the garbage collector.
        workbook = load_workbook(io.BytesIO(path.read_bytes()), read_only=True, data_only=True)
    except Exception as exc:
        raise WatchlistError(path, [f"not a readable XLSX workbook: {exc}"]) from exc
    try:
        sheet = workbook.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [_cell(c) for c in row]
    finally:
        workbook.close()


def _clean_cell(value: str, field: str, number: int, problems: list[str], notices: list[str]) -> str:
    """Check one cell: size, encoding, control and hidden characters. Returns the normalised value."""
    where = f"row {number}, field {field}"
    limit = FIELD_LIMITS.get(field)
    if limit is not None and len(value) > limit:
        problems.append(f"{where}: {len(value)} characters; at most {limit} allowed")
        return ""
    bad = _SURROGATE.search(value)
    if bad:
        byte = ord(bad.group(0)) - 0xDC00
        problems.append(f"{where}: not UTF-8 (byte 0x{byte:02x}); save the file as UTF-8")
        return ""
    controls = control_characters(value)
    if controls:
        replaced: dict[str, None] = {}
        for char in value:
            if char in _WHITESPACE_CONTROLS:
                replaced[char] = None
            elif control_characters(char):
                problems.append(f"{where}: control character U+{ord(char):04X} is not allowed")
                return ""
        for char in replaced:
            notices.append(f"{where}: {_WHITESPACE_CONTROLS[char]} (U+{ord(char):04X}) replaced by a space")
        value = "".join(" " if c in _WHITESPACE_CONTROLS else c for c in value)
        value = LIST_SEPARATOR.join(" ".join(part.split()) for part in value.split(LIST_SEPARATOR))
    hidden = hidden_characters(value)
    if hidden:
        notices.append(f"{where}: hidden character(s) {', '.join(dict.fromkeys(hidden))} removed")
        value = strip_hidden(value).strip()
    return value


def clean_text(value: str) -> str:
    """A stored name or mark as an import would now accept it: whitespace controls (line breaks, tabs,
    vertical tab) become one space, other control characters and hidden characters are removed. Used by
    migration 0002 for entries imported before these checks."""
    if not (control_characters(value) or hidden_characters(value)):
        return value
    spaced = "".join(" " if c in _WHITESPACE_CONTROLS else c for c in strip_hidden(value))
    return " ".join("".join(c for c in spaced if not control_characters(c)).split())


def read_watchlist(path: Path | str) -> list[WatchlistRow]:
    """Read and validate a watchlist file; raise :class:`WatchlistError` listing every bad row and field.

    Row numbers are spreadsheet rows (the header is row 1).
    """
    return read_watchlist_with_notices(path)[0]


def read_watchlist_with_notices(path: Path | str) -> tuple[list[WatchlistRow], list[str]]:
    """Like :func:`read_watchlist`, also returning what was normalised (line breaks, hidden characters),
    each naming the row and field.

    Checked per cell: size (``FIELD_LIMITS``), UTF-8, control characters (whitespace ones become a space,
    others such as NUL are refused), hidden characters (removed), ids (case, width and hidden characters
    do not make another enterprise), Nice classes and market codes.
    """
    path = Path(path)
    if not path.is_file():
        raise WatchlistError(path, ["file not found"])
    problems: list[str] = []
    notices: list[str] = []
    rows: list[WatchlistRow] = []
    header: list[str] = []
    first_row_of: dict[str, tuple[int, str]] = {}
    table = _read_table(path)
    try:
        for number, values in table:
            if not any(values):
                continue
            if not header:
                header = [h.strip().lower().lstrip("\ufeff") for h in values]
                _check_header(header, problems)
                if problems:
                    raise WatchlistError(path, problems)
                continue
            row = _row(header, values, number, problems, notices, first_row_of)
            if row is not None:
                rows.append(row)
    except _OversizedCell as big:
        if not header:
            header = _csv_header(path)
        if big.offset is not None:
            field, length = _field_at(path, big.offset, header)
        else:
            field, length = _oversized_field(path, big.line, header)
        limit = FIELD_LIMITS.get(field, _CSV_FIELD_LIMIT)
        problems.append(f"row {big.row}, field {field}: {length} characters; at most {limit} allowed")
    if not header:
        raise WatchlistError(path, ["the file is empty: expected a header row " + ",".join(COLUMNS)])
    if problems:
        raise WatchlistError(path, problems)
    return rows, notices


def _check_header(header: list[str], problems: list[str]) -> None:
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        problems.append(f"row 1: unknown column(s) {', '.join(unknown)}; expected {','.join(COLUMNS)}")
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        problems.append(f"row 1: missing column(s) {', '.join(missing)}")
    if len(set(header)) != len(header):
        problems.append("row 1: a column name appears twice")


def _row(
    header: list[str],
    values: list[str],
    number: int,
    problems: list[str],
    notices: list[str],
    first_row_of: dict[str, tuple[int, str]],
) -> WatchlistRow | None:
    if len(values) > len(header) and any(values[len(header) :]):
        problems.append(f"row {number}: {len(values)} cells but the header has {len(header)} columns")
        return None
    before = len(problems)
    cells = {
        name: _clean_cell(value, name, number, problems, notices)
        for name, value in zip(header, values + [""] * (len(header) - len(values)), strict=False)
    }
    if "id" in cells:
        cells["id"] = unicodedata.normalize("NFKC", cells["id"]).strip()
    failed = {p.split(", field ", 1)[1].split(":", 1)[0] for p in problems[before:] if ", field " in p}
    # Every other field is still checked, so one pass lists every problem of the row.
    problems.extend(p for p in _validate(cells, number) if not failed & set(p.split(":", 1)[0].split("/")))
    if len(problems) > before:
        return None
    entry_id = cells["id"]
    key = id_key(entry_id)
    if key in first_row_of:
        first_number, first_id = first_row_of[key]
        spelt = "" if first_id == entry_id else f" as {first_id!r}; ids ignore case and hidden characters"
        problems.append(
            f"row {number}, field id: duplicate id {entry_id!r} (first on row {first_number}{spelt})"
        )
        return None
    first_row_of[key] = (number, entry_id)
    return WatchlistRow(
        id=entry_id,
        name_zh=cells.get("name_zh", ""),
        name_en=cells.get("name_en", ""),
        marks=_split(cells.get("marks", "")),
        classes=tuple(sorted({int(c) for c in _split(cells.get("classes", ""))})),
        affiliates=_split(cells.get("affiliates", "")),
        markets=tuple(m.upper() for m in _split(cells.get("markets", ""))),
        contact=_split(cells.get("contact", "")),
    )


def _validate(cells: dict[str, str], number: int) -> list[str]:
    problems: list[str] = []
    if not cells.get("id"):
        problems.append(f"row {number}, field id: missing id")
    elif any(ch.isspace() for ch in cells["id"]) or len(cells["id"]) > 64:
        problems.append(
            f"row {number}, field id: {cells['id']!r} must be at most 64 characters without spaces"
        )
    if not (cells.get("name_zh") or cells.get("name_en") or cells.get("marks")):
        problems.append(f"row {number}, field name_zh/name_en/marks: give at least a name or a mark")
    for raw in _split(cells.get("classes", "")):
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 45:
            problems.append(f"row {number}, field classes: {raw!r} is not a Nice class (1-45)")
    for market in _split(cells.get("markets", "")):
        if not _MARKET.fullmatch(market):
            problems.append(f"row {number}, field markets: {_market_hint(market)}")
    return problems


_MARKET = re.compile(r"[A-Za-z]{2}")


def _market_hint(market: str) -> str:
    from alertbot.report.labels import COUNTRIES, country_code

    code = country_code(market)
    hint = f"write {code}" if code in COUNTRIES else "use the ISO 3166 code, e.g. CN, US, DE"
    return f"{market!r} is not a two-letter ISO country code; {hint}"


@dataclass
class ImportResult:
    """What an import did (or would do, on a dry run)."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def changed_ids(self) -> list[str]:
        """Ids whose entries are new or changed: these get a retro-match."""
        return self.added + self.updated


def apply_watchlist(
    session: Session, rows: Iterable[WatchlistRow], *, actor: str, dry_run: bool = False
) -> ImportResult:
    """Add new entries and update changed ones in place, audit-logging each change.

    Entries not in ``rows`` are left alone. The caller commits; on a dry run nothing is written.
    """
    from sqlmodel import select

    from alertbot.models import AuditLog, Enterprise, utcnow

    result = ImportResult(dry_run=dry_run)
    existing = {e.id: e for e in session.exec(select(Enterprise)).all()}
    # "ACME", "acme" and "acme\u200b" are one enterprise: a row updates the entry whose id has its key.
    by_key = {id_key(e.id): e for e in existing.values()}
    for row in rows:
        fields = row.enterprise_fields()
        current = existing.get(row.id) or by_key.get(id_key(row.id))
        if current is not None and current.id != row.id:
            row = row.model_copy(update={"id": current.id})
        if current is None:
            result.added.append(row.id)
            if not dry_run:
                session.add(Enterprise(id=row.id, **fields))
                session.add(
                    AuditLog(
                        actor=actor,
                        action="watchlist.add",
                        entity_type="enterprise",
                        entity_id=row.id,
                        after=fields,
                    )
                )
            continue
        before = WatchlistRow.from_enterprise(current).enterprise_fields()
        if before == fields and current.active:
            result.unchanged.append(row.id)
            continue
        result.updated.append(row.id)
        if not dry_run:
            for key, value in fields.items():
                setattr(current, key, value)
            current.active = True
            current.updated_at = utcnow()
            session.add(current)
            changed = {k: v for k, v in fields.items() if before.get(k) != v}
            session.add(
                AuditLog(
                    actor=actor,
                    action="watchlist.update",
                    entity_type="enterprise",
                    entity_id=row.id,
                    before={k: before[k] for k in changed},
                    after=changed,
                )
            )
    return result


def write_watchlist(rows: Sequence[WatchlistRow], path: Path | str) -> None:
    """Write rows as CSV or XLSX (by the file's suffix) in the import format; a round trip is lossless."""
    path = Path(path)
    table = [list(COLUMNS)] + [
        [
            row.id,
            row.name_zh,
            row.name_en,
            LIST_SEPARATOR.join(row.marks),
            LIST_SEPARATOR.join(str(c) for c in row.classes),
            LIST_SEPARATOR.join(row.affiliates),
            LIST_SEPARATOR.join(row.markets),
            LIST_SEPARATOR.join(row.contact),
        ]
        for row in rows
    ]
    if path.suffix.lower() == ".xlsx":
        # Every name is written as a text cell, never a formula (alertbot.sheets): "=HYPERLINK(…)" stays text.
        write_xlsx(path, table[0], table[1:], title="watchlist")
        return
    with path.open("w", encoding="utf-8", newline="") as handle:
        write_csv(handle, table)


def load_enterprises(session: Session, *, active_only: bool = True) -> list[Enterprise]:
    """Watchlist entries in id order."""
    from sqlmodel import col, select

    from alertbot.models import Enterprise

    query = select(Enterprise).order_by(col(Enterprise.id))
    if active_only:
        query = query.where(Enterprise.active == True)  # noqa: E712
    return list(session.exec(query).all())
