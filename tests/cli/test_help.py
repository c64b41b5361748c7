"""``--help`` of every command is Chinese first with the English after `` / ``, and shows plain type labels.

The walk covers the whole command tree (every group, command, argument and option, Typer's own ``--help``
included), so a command added later without a Chinese help fails here.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from alertbot.cli import app

runner = CliRunner()
HAN = re.compile(r"[\u4e00-\u9fff]")
# Typer 0.29 printed the Python annotation as the type: <bool>, <str>, <float>, <list[str]> …
ANNOTATION_LABEL = re.compile(r"<(bool|str|int|float|Path|datetime|list\[[^\]]*\])>")


def _walk(command: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    found = [(path, command)]
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        found.extend(_walk(sub, (*path, name)))
    return found


ROOT = get_command(app)
COMMANDS = dict(_walk(ROOT))


def _bilingual(text: str | None) -> bool:
    # Chinese first: the text opens with a Han character; then " / " and the same in English.
    if not text:
        return False
    chinese, separator, english = text.partition(" / ")
    return bool(HAN.match(chinese)) and separator == " / " and re.search(r"[A-Za-z]{3,}", english) is not None


def test_the_walk_reaches_every_group_and_command() -> None:
    names = {" ".join(path) for path in COMMANDS}
    assert {"db upgrade", "watchlist import", "users invite", "notify test", "crawl", "match", "bot"} <= names
    assert {"subscribers add", "subscribers list", "subscribers remove"} <= names
    assert len(COMMANDS) > 50


@pytest.mark.parametrize("path", sorted(COMMANDS), ids=lambda p: " ".join(p) or "alertbot")
def test_every_help_is_chinese_first_then_english(path: tuple[str, ...]) -> None:
    command = COMMANDS[path]
    where = "alertbot " + " ".join(path)
    assert _bilingual(command.help), f"`{where} --help`: {command.help!r}"
    params = [
        *command.params,
        command.get_help_option(command.make_context(where, [], resilient_parsing=True)),
    ]
    for param in params:
        if param is None:
            continue
        text = getattr(param, "help", None)
        assert _bilingual(text), f"`{where}` {param.name}: {text!r}"


@pytest.mark.parametrize("path", sorted(COMMANDS), ids=lambda p: " ".join(p) or "alertbot")
def test_help_shows_plain_types_and_no_type_for_a_flag(path: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*path, "--help"], terminal_width=200, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "显示此帮助并退出 / Show this message and exit." in result.output
    assert ANNOTATION_LABEL.search(result.output) is None, result.output
    help_row = next(line for line in result.output.splitlines() if "--help" in line and "显示此帮助" in line)
    # The row holds the option and its help only: no type word between them.
    assert re.match(r"^│ --help\s+显示此帮助", help_row), help_row


def test_value_options_name_their_kind() -> None:
    result = runner.invoke(app, ["alerts", "list", "--help"], terminal_width=200, env={"COLUMNS": "200"})
    rows = {line.split()[1]: line for line in result.output.splitlines() if line.startswith("│ --")}
    assert "TEXT" in rows["--enterprise"]
    assert "[low|medium|high]" in rows["--risk"]
    assert "INTEGER" in rows["--limit"]
    invite = runner.invoke(
        app, ["users", "invite", "--help"], terminal_width=200, env={"COLUMNS": "200"}
    ).output
    assert re.search(r"│ --hours\s+NUMBER", invite), invite
    export = runner.invoke(
        app, ["records", "export", "--help"], terminal_width=200, env={"COLUMNS": "200"}
    ).output
    assert re.search(r"│ --since\s+YYYY-MM-DD", export), export


def test_invite_hours_shows_no_false_default() -> None:
    result = runner.invoke(app, ["users", "invite", "--help"], terminal_width=200, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "[default: 0]" not in result.output
    hours = result.output.split("--hours", 1)[1].split("--actor", 1)[0]
    assert "ALERTBOT_INVITE_TTL_HOURS" in hours
    assert "default:" not in hours.replace("(default:", "")


def test_the_root_help_says_where_the_english_is() -> None:
    result = runner.invoke(app, ["--help"], terminal_width=200, env={"COLUMNS": "200"})
    assert "Every help text is Chinese first, then English" in result.output


@pytest.mark.parametrize("columns", ["80", "81", "100"])
def test_a_long_chinese_run_wraps_instead_of_being_cut(columns: str) -> None:
    # Rich cut a Chinese sentence (no spaces) wider than its column with "…", and the English after it.
    for path, command in COMMANDS.items():
        texts = [command.help or "", *(getattr(p, "help", "") or "" for p in command.params)]
        texts += [sub.help or "" for sub in getattr(command, "commands", {}).values()]
        output = runner.invoke(app, [*path, "--help"], env={"COLUMNS": columns}).output
        assert output.count("…") <= sum(text.count("…") for text in texts), (path, output)
    root = runner.invoke(app, ["--help"], env={"COLUMNS": columns}).output
    # The English at the end of `status`'s long Chinese-first line is all there.
    assert "Times in ALERTBOT_TIMEZONE, named on screen." in " ".join(root.replace("│", " ").split())
