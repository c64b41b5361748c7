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
