"""``alertbot expo`` end to end: help on every subcommand, import / crawl / check against real crawls,
flagged booths and exhibitors as tables and JSON lines, set-url, list."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alertbot.cli import app
from alertbot.cli.expo import inert
from alertbot.expo.runner import samples_dir
from alertbot.settings import Settings
from tests.expo.conftest import edition_file
from tests.spiders.standins import LocalServer

runner = CliRunner()
SUBCOMMANDS = ["list", "check", "crawl", "import", "set-url", "exhibitors", "flagged"]


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_every_subcommand_has_help_in_chinese_and_english(command: str) -> None:
    result = runner.invoke(app, ["expo", command, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "Usage: alertbot expo " + command in result.output
    assert any("\u4e00" <= ch <= "\u9fff" for ch in result.output)
    assert " / " in result.output


def _jsonl(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


@pytest.mark.slow
def test_import_a_received_file_then_list_flagged_booths_and_exhibitors(watched: Settings) -> None:
    sample = samples_dir() / "giic-2026.xlsx"
    imported = runner.invoke(app, ["expo", "import", "giic-2026", str(sample)], terminal_width=200)
    assert imported.exit_code == 0, imported.output
    assert "新增 added" in imported.output
    assert "alertbot expo flagged giic-2026" in imported.output

    flagged = _jsonl(runner.invoke(app, ["expo", "flagged", "giic-2026", "--format", "jsonl"]).output)
    assert flagged
    for line in flagged:
        assert {"booth", "hall", "name_zh", "name_en", "watch_id", "risk", "reasons"} <= set(line)
    assert {line["watch_id"] for line in flagged} == {"siasun", "neusoft"}
    halls = [line["hall"] for line in flagged]
    assert halls == sorted(halls)
    in_b = _jsonl(
        runner.invoke(app, ["expo", "flagged", "giic-2026", "--hall", "B", "--format", "jsonl"]).output
    )
    assert [line["booth"] for line in in_b] == ["B-206"]  # 新松 itself at B-201 is not flagged
    table = runner.invoke(app, ["expo", "flagged", "giic-2026"], terminal_width=240)
    assert table.exit_code == 0
    assert "展馆 hall A" in table.output
    assert "A-118" in table.output
    assert "A-101" not in table.output  # 东软 at its own booth

    listed = _jsonl(runner.invoke(app, ["expo", "exhibitors", "giic-2026", "--format", "jsonl"]).output)
    assert len(listed) == 40
    fields = {
        "id",
        "name_zh",
        "name_en",
        "name_raw",
        "booth",
        "hall",
        "country",
        "products",
        "brands",
        "website",
    }
    assert all(fields <= set(line) for line in listed)
    siasun = next(line for line in listed if line["booth"] == "B-201")
    assert siasun["name_en"] == "SIASUN Robot & Automation Co., Ltd."

    again = runner.invoke(app, ["expo", "import", "giic-2026", str(sample)], terminal_width=200)
    assert again.exit_code == 0
    assert "新增 added" in again.output
    relisted = _jsonl(runner.invoke(app, ["expo", "exhibitors", "giic-2026", "--format", "jsonl"]).output)
    assert [line["id"] for line in relisted] == [line["id"] for line in listed]

    status = {
        line["id"]: line for line in _jsonl(runner.invoke(app, ["expo", "list", "--format", "jsonl"]).output)
    }
    assert status["giic-2026"]["exhibitors"] == 40
    assert status["giic-2026"]["flagged"] == len({line["booth"] for line in flagged})
    assert status["giic-2026"]["last_crawl_status"] == "ok"
    assert status["cieme-2026"]["last_crawl_at"] is None


@pytest.mark.slow
def test_check_prints_counts_and_names_every_mapping_problem(
    expo_site: LocalServer, settings: Settings, tmp_path: Path
) -> None:
    good = edition_file("test-csv", expo_site, tmp_path / "good")
    checked = runner.invoke(app, ["expo", "check", "test-csv", "--config", str(good)], terminal_width=200)
    assert checked.exit_code == 0, checked.output
    assert "解析 parsed 60" in checked.output
    assert "样例 sample" in checked.output
    assert "fields.website ('网址') is empty on" in checked.output  # a warning, not an error
    bad = edition_file("test-csv", expo_site, tmp_path / "bad", **{"booth: 展位号": "booth: 展位编号"})
    broken = runner.invoke(app, ["expo", "check", "test-csv", "--config", str(bad)], terminal_width=300)
    assert broken.exit_code == 1
    assert "fields.booth = '展位编号'" in broken.output
    typo = edition_file("test-csv", expo_site, tmp_path / "typo", **{"format: csv": "format: cvs"})
    refused = runner.invoke(app, ["expo", "check", "test-csv", "--config", str(typo)], terminal_width=300)
    assert refused.exit_code == 2
    assert "format: Input should be" in refused.output
    # Nothing was stored by the checks.
    listed = runner.invoke(app, ["expo", "list", "--format", "jsonl"])
    assert all(line["exhibitors"] == 0 for line in _jsonl(listed.output))


def test_crawl_without_a_list_url_says_how_to_set_one(settings: Settings) -> None:
    result = runner.invoke(app, ["expo", "crawl", "cieme-2026"], terminal_width=300)
    assert result.exit_code == 2
    assert "no list URL yet" in result.output
    assert "alertbot expo set-url cieme-2026 URL" in result.output
    unknown = runner.invoke(app, ["expo", "flagged", "cieme-2099"], terminal_width=300)
    assert unknown.exit_code == 2
    assert "unknown edition 'cieme-2099'" in unknown.output


def test_set_url_writes_the_data_dir_override(settings: Settings) -> None:
    result = runner.invoke(app, ["expo", "set-url", "giic-2026", "https://giic.example.cn/exhibitors.xlsx"])
    assert result.exit_code == 0, result.output
    assert (settings.data_dir / "expos" / "giic-2026.yaml").is_file()
    listed = {
        line["id"]: line for line in _jsonl(runner.invoke(app, ["expo", "list", "--format", "jsonl"]).output)
    }
    assert listed["giic-2026"]["url"] == "https://giic.example.cn/exhibitors.xlsx"
    assert runner.invoke(app, ["expo", "set-url", "giic-2026", "giic.example.cn"]).exit_code == 2


def test_crawled_text_is_inert_in_the_terminal() -> None:
    hostile = "[bold red]假冒[/bold red]\x1b[2J\u202eevil"
    made_safe = inert(hostile)
    assert "\x1b" not in made_safe
    assert "\u202e" not in made_safe
    assert made_safe.startswith("\\[bold red]")


def test_bundled_samples_are_two_different_shows() -> None:
    from openpyxl import load_workbook

    from alertbot.expo.runner import sample_file
    from tests.expo.fixture_data import GIIC_PLANTED, PLANTED

    # A read-only workbook keeps its file open until closed; left to the garbage collector, the file's
    # ResourceWarning surfaces in whichever later test happens to collect it.
    workbook = load_workbook(samples_dir() / "giic-2026.xlsx", read_only=True)
    try:
        booths = {row[2] for row in workbook["展商名录"].iter_rows(min_row=3, values_only=True)}
    finally:
        workbook.close()
    assert {r.booth for r in GIIC_PLANTED} <= booths
    assert not booths & {r.booth for r in PLANTED}
    assert {str(b).split("-")[0] for b in booths} == {"A", "B", "C"}
    assert sample_file is not None


def test_check_of_a_bundled_edition_without_url_reads_the_bundled_sample(settings: Settings) -> None:
    result = runner.invoke(app, ["expo", "check", "giic-2026"], terminal_width=300)
    assert result.exit_code == 0, result.output
    assert "using the bundled sample list giic-2026.xlsx" in result.output
    assert "解析 parsed 40" in result.output


def test_crawl_without_a_url_points_at_check_and_the_sample_but_stores_nothing(settings: Settings) -> None:
    result = runner.invoke(app, ["expo", "crawl", "giic-2026"], terminal_width=400)
    assert result.exit_code == 2
    assert "alertbot expo check giic-2026" in result.output
    assert str(samples_dir() / "giic-2026.xlsx") in result.output.replace("\n", "")


def _row_labels(output: str) -> list[str]:
    """The first column of the crawl summary, wrapped continuation lines left out."""
    cells = [line.split("│")[1].strip() for line in output.splitlines() if line.count("│") >= 2]
    return [cell for cell in cells if cell]


@pytest.mark.slow
def test_import_with_an_empty_watchlist_warns_and_summaries_keep_one_layout(
    settings: Settings, tmp_path: Path
) -> None:
    sample = samples_dir() / "giic-2026.xlsx"
    result = runner.invoke(app, ["expo", "import", "giic-2026", str(sample)], terminal_width=300)
    assert result.exit_code == 0, result.output
    assert "监测名录为空" in result.output
    assert result.output.index("监测名录为空") < result.output.index("watchlist is empty")
    assert "alertbot watchlist import" in result.output
    ok_rows = _row_labels(result.output)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a workbook")
    failed = runner.invoke(app, ["expo", "import", "giic-2026", str(broken)], terminal_width=300)
    assert failed.exit_code == 1, failed.output
    failed_rows = _row_labels(failed.output)
    assert failed_rows[:7] == ok_rows[:7]
    assert failed_rows[:3] == ["读取 rows read", "新增 added", "变更 changed"]


def test_list_keeps_the_id_whole_at_80_columns_and_shows_expo_mode_in_show_time(settings: Settings) -> None:
    result = runner.invoke(app, ["expo", "list"], terminal_width=80)
    assert result.exit_code == 0, result.output
    assert "cieme-2026" in result.output
    assert "giic-2026" in result.output
    assert "Asia/Shanghai" in result.output
    assert "UTC" not in result.output
    assert "展会模式" in result.output


def test_expo_mode_and_next_crawl_are_told_in_the_editions_time_zone(settings: Settings) -> None:
    import datetime as dt

    from alertbot import db
    from alertbot.cli.expo import expo_mode_text
    from alertbot.expo import edition_status

    db.upgrade(settings.resolved_database_url())
    before = dt.datetime(2026, 8, 1, 12, tzinfo=dt.UTC)
    during = dt.datetime(2026, 9, 2, 3, tzinfo=dt.UTC)
    with db.session_factory(settings)() as session:
        early = {r.id: r for r in edition_status(session, settings, now=before)}["cieme-2026"]
        live = {r.id: r for r in edition_status(session, settings, now=during)}["cieme-2026"]
    assert expo_mode_text(early) == "每日 daily 06:00; 每小时 hourly 自 from 2026-08-25"
    assert early.next_crawl_at.astimezone(dt.timezone(dt.timedelta(hours=8))).hour == 6
    assert "展会模式中 in expo mode" in expo_mode_text(live)
    assert "每小时 hourly" in expo_mode_text(live)


def test_set_url_replaces_the_empty_url_comment(settings: Settings) -> None:
    result = runner.invoke(app, ["expo", "set-url", "cieme-2026", "https://cieme.example.cn/catalogue.pdf"])
    assert result.exit_code == 0, result.output
    text = (settings.data_dir / "expos" / "cieme-2026.yaml").read_text(encoding="utf-8")
    assert "stays empty until" not in text
    assert "set with `alertbot expo set-url`" in text
    assert 'url: "https://cieme.example.cn/catalogue.pdf"' in text
    assert "# What the exhibitors make" in text  # other comments are kept
