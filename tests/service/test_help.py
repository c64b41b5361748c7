"""``--help`` of the service commands is Chinese first, then English (like ``alertbot expo --help``)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from typer.main import get_command

from alertbot.cli import app

CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]")


def _chinese_first(text: str | None) -> bool:
    # Chinese words come before the English (a command name or variable in the Chinese part is fine).
    if not text or not CJK.search(text) or not LATIN.search(text):
        return False
    english = text.find(" / ")
    return english > 0 and CJK.search(text[:english]) is not None and LATIN.search(text[english:]) is not None


def _commands() -> dict[str, Any]:
    # Typer 0.29 vendors click: the command objects are Typer's, found by their ``commands`` mapping.
    root: Any = get_command(app)
    found: dict[str, Any] = {}
    for name in ("run", "worker", "status", "sources"):
        command = root.commands[name]
        found[name] = command
        for sub, child in getattr(command, "commands", {}).items():
            found[f"{name} {sub}"] = child
    return found


COMMANDS = _commands()


def test_every_sources_subcommand_is_checked() -> None:
    assert {"sources list", "sources show", "sources set-url", "sources schedule"} <= set(COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_help_is_chinese_first(name: str) -> None:
    command = COMMANDS[name]
    assert _chinese_first(command.help), f"`alertbot {name} --help`: {command.help!r}"
    for param in command.params:
        if param.name == "help":
            continue  # Typer's own --help option
        text = getattr(param, "help", None)
        assert _chinese_first(text), f"`alertbot {name}` {param.name}: {text!r}"
