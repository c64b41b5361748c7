"""The command line reads well and is honest about what is not built yet."""

from __future__ import annotations

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


def test_run_and_worker_explain_themselves() -> None:
    # `alertbot run` is built (issue 13): it runs until SIGTERM, so only its help is checked here;
    # tests/service/test_run_e2e.py runs the real process.
    for command, words in (("run", "always-on"), ("worker", "dispatcher"), ("sources", "pause")):
        result = runner.invoke(app, [command, "--help"], terminal_width=200)
        assert result.exit_code == 0, result.output
        assert words in " ".join(result.output.replace("│", " ").split())


def test_status_on_an_empty_database_says_what_to_do(settings) -> None:
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 1
    assert "alertbot db upgrade" in result.output
