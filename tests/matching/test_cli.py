"""``alertbot match`` through the real CLI: files in, JSON lines out; --explain; the dev-set quality gate."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alertbot.cli import app
from tests.matching.conftest import FIXTURES, SHARED_BENCH, read_table

runner = CliRunner()


def test_match_files_writes_one_json_line_per_alert(tmp_path: Path) -> None:
    records = tmp_path / "records.jsonl"
    rows = read_table("variants.csv")
    with records.open("w", encoding="utf-8") as handle:
        for i, row in enumerate(rows):
            classes = [int(c) for c in row["classes"].split("|") if c]
            handle.write(
                json.dumps(
                    {
                        "id": f"v{i}",
                        "kind": row["kind"],
                        "text": row["text"] or None,
                        "applicant": row["applicant"] or None,
                        "classes": classes,
                    }
                )
                + "\n"
            )
    out = tmp_path / "alerts.jsonl"
    result = runner.invoke(
        app,
        [
            "match",
            "--watchlist",
            str(FIXTURES / "watchlist_dev.csv"),
            "--records",
            str(records),
            "--out",
            str(out),
            "--workers",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    alerts = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    expected = {(f"v{i}", row["watch"]) for i, row in enumerate(rows) if row["watch"]}
    assert {(a["record_id"], a["watch_id"]) for a in alerts} == expected
    assert all(a["risk"] in ("high", "medium", "low") and a["reasons"] for a in alerts)


def test_match_to_stdout_and_missing_files_are_named(tmp_path: Path) -> None:
    records = tmp_path / "r.jsonl"
    records.write_text(
        '{"id": "a", "kind": "trademark", "text": "SIASUN", "classes": [7]}\n', encoding="utf-8"
    )
    result = runner.invoke(app, ["match", "-w", str(FIXTURES / "watchlist_dev.csv"), "-r", str(records)])
    assert result.exit_code == 0
    assert '"watch_id": "siasun"' in result.stdout
    missing = runner.invoke(
        app, ["match", "-w", str(FIXTURES / "watchlist_dev.csv"), "-r", str(tmp_path / "no")]
    )
    assert missing.exit_code == 1
    assert "no such records file" in missing.output
    half = runner.invoke(app, ["match", "-r", str(records)])
    assert half.exit_code == 2


def test_explain_prints_the_comparison_table() -> None:
    result = runner.invoke(
        app,
        [
            "match",
            "--explain",
            "NEU SOFT",
            "--applicant",
            "Acme Ltd",
            "--classes",
            "9",
            "--watchlist",
            str(FIXTURES / "watchlist_dev.csv"),
        ],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "variant:spacing" in result.output
    assert '"watch_id": "neusoft"' in result.output
    assert '"risk": "high"' in result.output


def test_explain_rejects_bad_classes() -> None:
    result = runner.invoke(
        app,
        ["match", "--explain", "X", "--classes", "7,99", "--watchlist", str(FIXTURES / "watchlist_dev.csv")],
    )
    assert result.exit_code != 0
    assert "Nice classes 1-45" in result.output


HELDOUT = FIXTURES.parent / "matching-heldout"


def evaluate_through_cli(tmp_path: Path, watchlist: Path, records: Path, labels: Path) -> dict[str, float]:
    """Run ``alertbot match`` in a subprocess and score it with the shared eval_matching.py."""
    predictions = tmp_path / "predictions.jsonl"
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "from alertbot.cli import main; main()",
            "match",
            "--watchlist",
            str(watchlist),
            "--records",
            str(records),
            "--out",
            str(predictions),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    score = subprocess.run(
        [sys.executable, str(SHARED_BENCH / "eval_matching.py"), str(labels), str(predictions), "--json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    result: dict[str, float] = json.loads(score.stdout)
    return result


@pytest.mark.slow
def test_heldout_set_quality_through_the_real_cli(tmp_path: Path) -> None:
    if not (SHARED_BENCH / "eval_matching.py").is_file():
        pytest.skip(f"the shared benchmark is not available at {SHARED_BENCH}")
    if not (HELDOUT / "labels.jsonl").is_file():
        pytest.skip(f"no held-out set at {HELDOUT}")
    result = evaluate_through_cli(
        tmp_path, HELDOUT / "watchlist.csv", HELDOUT / "records.jsonl", HELDOUT / "labels.jsonl"
    )
    assert result["f1"] >= 0.98, result
    assert result["high_recall"] >= 0.95, result


@pytest.mark.slow
def test_dev_set_quality_through_the_real_cli(tmp_path: Path) -> None:
    if not (SHARED_BENCH / "eval_matching.py").is_file():
        pytest.skip(f"the shared benchmark is not available at {SHARED_BENCH}")
    dev = SHARED_BENCH / "matching-dev"
    result = evaluate_through_cli(
        tmp_path, dev / "watchlist.csv", dev / "records.jsonl", dev / "labels.jsonl"
    )
    assert result["f1"] >= 0.99, result
    assert result["precision"] >= 0.99, result
    assert result["high_recall"] >= 0.95, result


@pytest.mark.slow
def test_explain_names_the_gloss_and_the_character_pair() -> None:
    watchlist = str(FIXTURES / "watchlist_families.csv")
    for text, classes, shown in (
        ("GOLDEN CUP MOTORS", "12", "gloss:金=golden + 杯=cup"),
        ("水山", "11", "glyph:冰→水 (dot-radical)"),
        ("ICEBERG", "3", "excluded:translation-outside-classes"),
    ):
        result = runner.invoke(
            app,
            ["match", "--explain", text, "--classes", classes, "--watchlist", watchlist],
            env={"COLUMNS": "250"},
        )
        assert result.exit_code == 0, result.output
        assert shown in result.output, result.output


REAL_FILINGS_WATCHLISTS = {
    "dev": SHARED_BENCH / "matching-dev" / "watchlist.csv",
    "heldout-d": FIXTURES.parent / "matching-heldout" / "d" / "watchlist.csv",
    "liaoning": FIXTURES.parents[2] / "watchlists" / "liaoning-export-enterprises.csv",
    "families": FIXTURES / "watchlist_families.csv",
}


@pytest.mark.parametrize("name", sorted(REAL_FILINGS_WATCHLISTS))
def test_real_filings_raise_at_most_two_alerts_per_ten_thousand(tmp_path: Path, name: str) -> None:
    real = SHARED_BENCH / "real-marks-dev.jsonl"
    if not real.is_file() or not REAL_FILINGS_WATCHLISTS[name].is_file():
        pytest.skip(f"the shared benchmark is not available at {SHARED_BENCH}")
    out = tmp_path / "alerts.jsonl"
    result = runner.invoke(
        app,
        [
            "match",
            "-w",
            str(REAL_FILINGS_WATCHLISTS[name]),
            "-r",
            str(real),
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    records = len(real.read_text(encoding="utf-8").splitlines())
    alerts = len(out.read_text(encoding="utf-8").splitlines())
    assert alerts <= 2 * records / 10_000, alerts


def test_database_mode_explains_against_the_stored_watchlist_and_matches_stored_records(
    settings: object,
) -> None:
    imported = runner.invoke(app, ["watchlist", "import", str(FIXTURES / "watchlist_dev.csv"), "--no-retro"])
    assert imported.exit_code == 0, imported.output
    explained = runner.invoke(app, ["match", "--explain", "新鬆", "--classes", "7"], env={"COLUMNS": "200"})
    assert explained.exit_code == 0, explained.output
    assert '"watch_id": "siasun"' in explained.output
    assert "variant:traditional" in explained.output
    matched = runner.invoke(app, ["match"])
    assert matched.exit_code == 0, matched.output
    assert "0 new alert(s)" in matched.output


def test_a_bad_watchlist_row_is_named_and_nothing_is_matched(tmp_path: Path) -> None:
    watchlist = tmp_path / "w.csv"
    watchlist.write_text(
        "id,name_zh,name_en,marks,classes,affiliates,markets,contact\nacme,,Acme Ltd,ACME,7|x9,,,\n",
        encoding="utf-8",
    )
    records = tmp_path / "r.jsonl"
    records.write_text('{"id": "a", "kind": "trademark", "text": "ACME", "classes": [7]}\n', encoding="utf-8")
    result = runner.invoke(app, ["match", "-w", str(watchlist), "-r", str(records)])
    assert result.exit_code == 1
    assert "row 2" in result.output
    assert "classes" in result.output
