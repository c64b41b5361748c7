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
    assert {"siasun", "zwz", "neusoft"} <= {line["watch_id"] for line in flagged}
    halls = [line["hall"] for line in flagged]
    assert halls == sorted(halls, key=lambda h: (h[0], int(h[1:])))
    in_e3 = _jsonl(
        runner.invoke(app, ["expo", "flagged", "giic-2026", "--hall", "E3", "--format", "jsonl"]).output
    )
    assert in_e3
    assert {line["hall"] for line in in_e3} == {"E3"}
    table = runner.invoke(app, ["expo", "flagged", "giic-2026"], terminal_width=240)
    assert table.exit_code == 0
    assert "展馆 hall E3" in table.output
    assert "E3-B105" in table.output
    assert "高 high" in table.output

    listed = _jsonl(runner.invoke(app, ["expo", "exhibitors", "giic-2026", "--format", "jsonl"]).output)
    assert len(listed) == 48
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
    siasun = next(line for line in listed if line["booth"] == "E1-A001")
    assert siasun["name_en"] == "SIASUN Robot & Automation Co., Ltd."

    again = runner.invoke(app, ["expo", "import", "giic-2026", str(sample)], terminal_width=200)
    assert again.exit_code == 0
    assert "新增 added" in again.output
    relisted = _jsonl(runner.invoke(app, ["expo", "exhibitors", "giic-2026", "--format", "jsonl"]).output)
    assert [line["id"] for line in relisted] == [line["id"] for line in listed]

    status = {
        line["id"]: line for line in _jsonl(runner.invoke(app, ["expo", "list", "--format", "jsonl"]).output)
    }
    assert status["giic-2026"]["exhibitors"] == 48
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
