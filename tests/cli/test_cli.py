"""The command line reads well and is honest about what is not built yet."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from alertbot import __version__
from alertbot.cli import app

runner = CliRunner()
# Every command issue 2 names; each must exist with a help line, even before its own issue lands.
ISSUE_COMMANDS = (
    "db",
    "watchlist",
    "records",
    "crawl",
    "match",
    "alerts",
    "notify",
    "users",
    "expo",
    "run",
    "status",
    "demo",
    "report",
)


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"alertbot {__version__}"


def test_help_lists_every_command_with_a_one_line_help() -> None:
    result = runner.invoke(app, ["--help"], terminal_width=200)
    assert result.exit_code == 0
    for command in ISSUE_COMMANDS:
        line = next((ln for ln in result.output.splitlines() if ln.startswith(f"│ {command} ")), "")
        assert line.strip("│ ").split(None, 1)[1:], f"`{command}` has no help line"


@pytest.mark.parametrize(
    ("args", "issue"),
    [
        (["run"], "always-on"),
    ],
)
def test_planned_commands_say_so_and_do_nothing(args: list[str], issue: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "not built yet" in result.output
    assert issue in result.output


def test_status_on_an_empty_database_says_what_to_do(settings) -> None:
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 1
    assert "alertbot db upgrade" in result.output
