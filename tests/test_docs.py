"""The README stays true: its commands, settings and CLI table match the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alertbot.cli import app
from alertbot.settings import Settings
from tests.cli.test_cli import ISSUE_COMMANDS

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
runner = CliRunner()


def _commands(args: list[str]) -> list[str]:
    result = runner.invoke(app, [*args, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    section = result.output.split("Commands", 1)[1] if "Commands" in result.output else ""
    return re.findall(r"^│ (\w[\w-]*) ", section, flags=re.MULTILINE)


def test_readme_has_exactly_two_quick_start_commands() -> None:
    quick_start = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", quick_start, flags=re.DOTALL)
    assert [b.strip().count("\n") for b in blocks] == [0, 0]
    assert "alertbot demo" in blocks[0]
    assert "pytest" in blocks[1]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install -e '.[test]'" in ci
    assert "pip install -e '.[test]' && .venv/bin/python -m pytest" in README


def test_every_top_level_command_is_in_the_readme() -> None:
    commands = _commands([])
    assert set(ISSUE_COMMANDS) <= set(commands)
    for command in commands:
        assert f"`alertbot {command}" in README, f"README does not document `alertbot {command}`"


def test_every_setting_is_documented() -> None:
    for name in Settings.model_fields:
        variable = f"ALERTBOT_{name.upper()}"
        assert variable in README, f"{variable} is missing from the README"


@pytest.mark.parametrize(
    "group", ["db", "watchlist", "records", "alerts", "notify", "subscribers", "users", "sources", "expo"]
)
def test_every_subcommand_has_help(group: str) -> None:
    result = runner.invoke(app, [group, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    for command in _commands([group]):
        sub = runner.invoke(app, [group, command, "--help"], terminal_width=200)
        assert sub.exit_code == 0, sub.output
        assert "Usage:" in sub.output


def test_every_registered_command_has_a_commands_table_row() -> None:
    from alertbot.cli import COMMANDS

    table = README.split("## Commands", 1)[1].split("\n## ", 1)[0]
    assert "planned" not in table.lower()
    assert "not built" not in table.lower()
    named = set(re.findall(r"^\| `alertbot ([\w-]+)", table, flags=re.MULTILINE))
    assert set(COMMANDS) <= named, f"no README Commands row for {sorted(set(COMMANDS) - named)}"


@pytest.mark.parametrize("group", ["sources", "expo", "users", "alerts", "subscribers"])
def test_a_subcommand_list_in_the_commands_table_matches_help(group: str) -> None:
    table = README.split("## Commands", 1)[1].split("\n## ", 1)[0]
    listed = re.search(rf"^\| `alertbot {group} ([\w|\\-]+)", table, flags=re.MULTILINE)
    assert listed is not None, f"no `alertbot {group} a|b|…` row"
    assert listed.group(1).replace("\\|", "|").split("|") == _commands([group])
