"""The watchlist: the key-export-enterprise directory, read from and written to CSV or XLSX.

The format is the centre's spreadsheet (``../shared/bench/README.md``): one enterprise a row, columns
``id,name_zh,name_en,marks,classes,affiliates,markets,contact``, list fields ``|``-separated.
Validation names the file, row and field; an import with any bad row changes nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, select

from alertbot.models import AuditLog, Enterprise, utcnow
from alertbot.sheets import csv_value, write_csv, write_xlsx

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


def _read_table(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and data rows of a CSV (UTF-8, BOM allowed) or XLSX file, as strings."""
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:
            raise WatchlistError(path, [f"not a readable XLSX workbook: {exc}"]) from exc
        sheet = workbook.worksheets[0]
        rows = [[_cell(c) for c in row] for row in sheet.iter_rows(values_only=True)]
        workbook.close()
    elif suffix in {".csv", ".txt"}:
        data = path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise WatchlistError(
                path,
                [
                    f"line {line}: not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); save the file as UTF-8"
                ],
            ) from exc
        # csv_value undoes the export's formula neutralising ("'=x" -> "=x"), so a round trip is lossless.
        rows = [[csv_value(c.strip()) for c in row] for row in csv.reader(io.StringIO(text))]
    else:
        raise WatchlistError(path, [f"unsupported file type {suffix!r}: use .csv or .xlsx"])
    rows = [r for r in rows if any(r)]
    if not rows:
        raise WatchlistError(path, ["the file is empty: expected a header row " + ",".join(COLUMNS)])
    return [h.strip().lower() for h in rows[0]], rows[1:]


def read_watchlist(path: Path | str) -> list[WatchlistRow]:
    """Read and validate a watchlist file; raise :class:`WatchlistError` listing every bad row and field.

    Row numbers are spreadsheet rows (the header is row 1).
    """
    path = Path(path)
    if not path.is_file():
        raise WatchlistError(path, ["file not found"])
    header, data = _read_table(path)
    problems: list[str] = []
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        problems.append(f"row 1: unknown column(s) {', '.join(unknown)}; expected {','.join(COLUMNS)}")
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        problems.append(f"row 1: missing column(s) {', '.join(missing)}")
    if len(set(header)) != len(header):
        problems.append("row 1: a column name appears twice")
    if problems:
        raise WatchlistError(path, problems)

    rows: list[WatchlistRow] = []
    first_row_of: dict[str, int] = {}
    for offset, values in enumerate(data):
        number = offset + 2
        if len(values) > len(header):
            problems.append(f"row {number}: {len(values)} cells but the header has {len(header)} columns")
            continue
        cells = dict(zip(header, values + [""] * (len(header) - len(values)), strict=True))
        row_problems = _validate(cells, number)
        if row_problems:
            problems.extend(row_problems)
            continue
        entry_id = cells["id"]
        if entry_id in first_row_of:
            problems.append(
                f"row {number}, field id: duplicate id {entry_id!r} (first on row {first_row_of[entry_id]})"
            )
            continue
        first_row_of[entry_id] = number
        rows.append(
            WatchlistRow(
                id=entry_id,
                name_zh=cells.get("name_zh", ""),
                name_en=cells.get("name_en", ""),
                marks=_split(cells.get("marks", "")),
                classes=tuple(sorted({int(c) for c in _split(cells.get("classes", ""))})),
                affiliates=_split(cells.get("affiliates", "")),
                markets=tuple(m.upper() for m in _split(cells.get("markets", ""))),
                contact=_split(cells.get("contact", "")),
            )
        )
    if problems:
        raise WatchlistError(path, problems)
    return rows


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
        if not raw.isdigit() or not 1 <= int(raw) <= 45:
            problems.append(f"row {number}, field classes: {raw!r} is not a Nice class (1-45)")
    for market in _split(cells.get("markets", "")):
        if len(market) != 2 or not market.isalpha():
            problems.append(f"row {number}, field markets: {market!r} is not a two-letter ISO country code")
    return problems


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
    result = ImportResult(dry_run=dry_run)
    existing = {e.id: e for e in session.exec(select(Enterprise)).all()}
    for row in rows:
        fields = row.enterprise_fields()
        current = existing.get(row.id)
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
    query = select(Enterprise).order_by(col(Enterprise.id))
    if active_only:
        query = query.where(Enterprise.active == True)  # noqa: E712
    return list(session.exec(query).all())
