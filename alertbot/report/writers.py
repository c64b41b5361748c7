"""Write the report's tables as XLSX, markdown and CSV. Crawled text stays inert in all three:

* XLSX and CSV go through :mod:`alertbot.sheets`, the project's one safe spreadsheet writer: every string is
  a text cell, never a formula, even when it starts with ``=`` (a squatter can file a mark called
  ``=HYPERLINK(...)``); a CSV field starting with ``=``, ``+``, ``-``, ``@``, tab, CR or ``'`` gets a leading
  ``'``;
* markdown: one rule for every table cell, heading and summary line (:func:`md_cell`): escape only what
  would change the rendering, so crawled text reads exactly as crawled but makes no link, image, HTML,
  emphasis or extra column, and the report's own dates, times and words are printed as they are. Only a
  :class:`~alertbot.report.tables.Link` to an official register becomes a clickable autolink.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote, urlsplit

from openpyxl import Workbook
from openpyxl.drawing.image import Image as XlsxImage
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from alertbot.report.charts import Chart
from alertbot.report.data import ReportData
from alertbot.report.labels import label
from alertbot.report.tables import Cell, Link, Table, report_title, summary_rows
from alertbot.sheets import write_csv as write_csv_rows
from alertbot.sheets import xlsx_cell

MAX_COLUMN_WIDTH = 60
MIN_COLUMN_WIDTH = 8
CHART_ROWS = 26  # rows an embedded chart takes on the charts sheet, at the default row height

# Markdown (CommonMark + GFM tables, as GitHub, GitLab and most viewers render it): what in a table cell can
# change the rendering, and so is escaped in crawled text. Nothing else is touched.
_MD_ENTITY = re.compile(r"&(?=#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{1,31};)")  # &lt; etc.
_MD_PUNCTUATION = re.compile(r"([\\`*_\[\]|~])")  # escapes, code, emphasis, links, cell breaks, strikeout
_MD_URL_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):(?=//)")  # GFM autolinks http://… https://…
_MD_WWW = re.compile(r"\b(www)\.", re.IGNORECASE)  # GFM autolinks www.…
_MD_EMAIL_AT = re.compile(r"(?<=[A-Za-z0-9.+\-])@(?=[A-Za-z0-9\-]+\.)")  # GFM autolinks a@b.c
_MD_BLOCK_START = re.compile(r"^(?:(#{1,6}|[+\-])|([0-9]{1,9})([.)]))(?=\s|$)")  # heading, list item
# Hosts of the official registers whose record pages our spiders link to (and their siblings): a link there
# is printed clickable. Any other address in a link column (an exhibitor's own website, say) is crawled
# text and stays inert.
OFFICIAL_REGISTER_DOMAINS = (
    "uspto.gov",
    "tmdn.org",
    "euipo.europa.eu",
    "epo.org",
    "espacenet.com",
    "wipo.int",
    "kipris.or.kr",
    "j-platpat.inpit.go.jp",
    "cnipa.gov.cn",
)
_URL_SAFE = ";/?:@&=+$,-_.!~*'()#[]%"  # everything else (| < > space ` \ non-ASCII) is percent-encoded


# -- XLSX -----------------------------------------------------------------------------------------------------
def _append(sheet: Worksheet, values: Sequence[Cell], *, bold: bool = False) -> None:
    """Append one row through :func:`alertbot.sheets.xlsx_cell`, the project's one safe spreadsheet writer:
    strings are text cells, never formulas; dates keep a date format."""
    cells = []
    for value in values:
        cell = xlsx_cell(sheet, value.url if isinstance(value, Link) else value, bold=bold)
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            cell.number_format = "yyyy-mm-dd"
        cells.append(cell)
    sheet.append(cells)


def _width(value: Cell) -> int:
    if value is None:
        return 0
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    if text.isascii():
        return len(text)
    # East Asian wide characters take two columns.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _fit_columns(sheet: Worksheet, rows: Sequence[Sequence[Cell]]) -> None:
    widths: dict[int, int] = {}
    for row in rows:
        for index, value in enumerate(row, start=1):
            widths[index] = max(widths.get(index, 0), _width(value))
    for index, width in widths.items():
        sheet.column_dimensions[get_column_letter(index)].width = min(
            max(width + 2, MIN_COLUMN_WIDTH), MAX_COLUMN_WIDTH
        )


def _table_sheet(sheet: Worksheet, table: Table) -> None:
    _append(sheet, table.headers, bold=True)
    for row in table.rows:
        _append(sheet, row)
    sheet.freeze_panes = "A2"
    last = get_column_letter(len(table.headers))
    sheet.auto_filter.ref = f"A1:{last}{max(len(table.rows) + 1, 1)}"
    _fit_columns(sheet, [table.headers, *table.rows])


def _sheet_title(title: str, used: set[str]) -> str:
    # Sheet names: at most 31 characters, none of []:*?/\ ; unique.
    clean = re.sub(r"[\[\]:*?/\\]", " ", title)[:31]
    candidate, number = clean, 2
    while candidate in used:
        suffix = f" {number}"
        candidate, number = clean[: 31 - len(suffix)] + suffix, number + 1
    used.add(candidate)
    return candidate


def write_xlsx(
    data: ReportData, tables: Sequence[Table], charts: Sequence[Chart], lang: str, path: Path
) -> Path:
    """The workbook: a summary sheet, one sheet per table (frozen header, filter, fitted widths), and a
    charts sheet with the PNGs embedded."""
    workbook = Workbook()
    used: set[str] = set()
    summary = workbook.active
    assert summary is not None  # a fresh Workbook always has one sheet
    summary.title = _sheet_title(label("table.summary", lang), used)
    _append(summary, [report_title(data, lang)])
    summary["A1"].font = Font(bold=True, size=14)
    _append(summary, [])
    _append(summary, [label("sum.figure", lang), label("sum.value", lang)], bold=True)
    rows = summary_rows(data, lang)
    for index, (name, value) in enumerate(rows, start=4):
        _append(summary, [name, value])
        summary.cell(row=index, column=2).alignment = Alignment(horizontal="right")
    summary.freeze_panes = "A4"
    _fit_columns(summary, [(label("sum.figure", lang), label("sum.value", lang)), *rows])

    for table in tables:
        _table_sheet(workbook.create_sheet(_sheet_title(table.title, used)), table)

    if charts:
        sheet = workbook.create_sheet(_sheet_title(label("table.charts", lang), used))
        for index, chart in enumerate(charts):
            image = XlsxImage(str(chart.path))
            sheet.add_image(image, f"A{1 + index * CHART_ROWS}")
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


# -- markdown -------------------------------------------------------------------------------------------------
def is_official_register(url: str) -> bool:
    """True for an http(s) address on an official register's host (no user part: ``https://uspto.gov@x``
    is host ``x``)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    host = (parts.hostname or "").rstrip(".")
    if parts.scheme not in ("http", "https") or not host or "@" in parts.netloc:
        return False
    return any(host == domain or host.endswith("." + domain) for domain in OFFICIAL_REGISTER_DOMAINS)


def md_text(text: str) -> str:
    """Text (crawled or ours) for a markdown table cell, heading or list line: read as written, rendered
    inert. On one line, escaped are only ``\\ ` * _ [ ] | ~``, ``!`` before ``[``, ``<`` and ``>`` (as
    ``&lt;``/``&gt;``), ``&`` where it would start an entity, the ``:`` of ``scheme://``, the ``.`` of
    ``www.``, the ``@`` of an e-mail address, and a heading or list marker at the start."""
    text = " ".join(text.split())  # a newline would end the table row
    text = _MD_ENTITY.sub("&amp;", text)
    text = text.replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_PUNCTUATION.sub(r"\\\1", text)  # first: the escapes below add backslashes of their own
    text = text.replace("!\\[", "\\!\\[")
    text = _MD_URL_SCHEME.sub(r"\1\\:", text)
    text = _MD_WWW.sub(r"\1\\.", text)
    text = _MD_EMAIL_AT.sub(r"\\@", text)
    return _MD_BLOCK_START.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}", text)


def md_cell(value: Cell) -> str:
    """A value as markdown: dates as ISO dates, numbers as they are, text through :func:`md_text`, a link
    to an official register as a clickable ``<autolink>`` (any other link as inert text)."""
    if value is None:
        return ""
    if isinstance(value, Link):
        if is_official_register(value.url):
            return f"<{quote(value.url, safe=_URL_SAFE)}>"
        return md_text(value.url)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return md_text(value)
    return str(value)


def write_markdown(
    data: ReportData, tables: Sequence[Table], charts: Sequence[Chart], lang: str, path: Path
) -> Path:
    """The report as one markdown document: summary list, one section per table, the charts as images."""
    lines = [f"# {md_cell(report_title(data, lang))}", ""]
    for name, value in summary_rows(data, lang):
        lines.append(
            f"- {md_cell(name)}: **{md_cell(value)}**" if value is not None else f"- {md_cell(name)}: –"
        )
    lines.append("")
    for chart in charts:
        lines.append(f"![{md_cell(chart.title)}]({chart.path.name})")
    if charts:
        lines.append("")
    for table in tables:
        lines += [f"## {md_cell(table.title)}", ""]
        if not table.rows:
            lines += [md_cell(label("md.none", lang)), ""]
            continue
        lines.append("| " + " | ".join(md_cell(header) for header in table.headers) + " |")
        lines.append("|" + "---|" * len(table.headers))
        for row in table.rows:
            lines.append("| " + " | ".join(md_cell(value) for value in row) + " |")
        lines.append("")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


# -- CSV ------------------------------------------------------------------------------------------------------
def _csv_value(value: Cell) -> object:
    if isinstance(value, Link):
        return value.url
    return value.isoformat() if isinstance(value, dt.date) else value


def write_csv(data: ReportData, tables: Sequence[Table], lang: str, out_dir: Path, stem: str) -> list[Path]:
    """One UTF-8 CSV (with BOM, so Excel reads the Chinese) per table: ``<stem>-<table>.csv``, the summary
    first."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    summary = Table(
        "summary",
        label("table.summary", lang),
        (label("sum.figure", lang), label("sum.value", lang)),
        tuple(summary_rows(data, lang)),
    )
    for table in [summary, *tables]:
        path = out_dir / f"{stem}-{table.key}.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            # alertbot.sheets quotes every field that a spreadsheet would run as a formula.
            write_csv_rows(handle, [table.headers, *([_csv_value(v) for v in row] for row in table.rows)])
        written.append(path)
    return written
