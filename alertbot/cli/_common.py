"""Helpers shared by the CLI command modules.

Help text convention (one for every command): each command, argument and option help is Chinese first, then
`` / `` and the same in English, so ``--help`` reads in Chinese and English stays on the same screen.
:func:`finish_help` applies the parts Typer builds itself (its own ``--help`` option, the type column).
"""

from __future__ import annotations

import datetime as dt
import enum
import getpass
import pathlib
from typing import Any

import typer
from rich.console import Console
from typer import _click
from typer.core import TyperArgument, TyperGroup, TyperOption

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)

HELP_OPTION_HELP = "显示此帮助并退出 / Show this message and exit."

_TYPE_LABELS: dict[Any, str] = {
    str: "TEXT",
    int: "INTEGER",
    float: "NUMBER",
    bool: "BOOLEAN",
    pathlib.Path: "PATH",
    dt.datetime: "DATETIME",
    dt.date: "DATE",
}
_FORMAT_PARTS = (("%Y", "YYYY"), ("%m", "MM"), ("%d", "DD"), ("%H", "HH"), ("%M", "MM"), ("%S", "SS"))


def upgraded_session_factory() -> Any:
    """A session factory on the configured database, migrated to the newest schema first (CLI commands that
    write: users, subscribers, sources)."""
    from alertbot import db
    from alertbot.settings import get_settings

    settings = get_settings()
    db.upgrade(settings.resolved_database_url())
    return db.session_factory(settings)


def cli_actor(actor: str = "") -> str:
    """Who acts, for the audit log: the name given, else ``cli:<OS user>`` (``cli`` when the OS cannot tell)."""
    if actor:
        return actor
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name in the environment (containers): still an actor, just unnamed
        return "cli"


def not_landed(command: str, issue: str) -> None:
    """Say plainly that a command is planned but not built yet, and exit with status 2."""
    err_console.print(
        f"[yellow]`alertbot {command}` is not built yet[/yellow]: it lands with {issue}. Nothing was done."
    )
    raise typer.Exit(code=2)


def type_label(param: TyperArgument | TyperOption) -> str | None:
    """What the help's type column shows: nothing for a flag, a word for a value (TEXT, NUMBER, PATH …),
    the choices for an enum. Typer 0.29 shows the Python annotation instead (``<bool>``, ``<list[str]>``)."""
    if isinstance(param, TyperOption) and (param.is_flag or param.count):
        return None
    descriptor = param.type_descriptor
    annotation = descriptor.annotation
    if descriptor.is_list:
        (annotation,) = getattr(annotation, "__args__", (str,))
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return "[" + "|".join(str(member.value) for member in annotation) + "]"
    if descriptor.is_datetime and descriptor.parameter_info.formats:
        shown = []
        for fmt in descriptor.parameter_info.formats:
            for code, word in _FORMAT_PARTS:
                fmt = fmt.replace(code, word)
            shown.append(fmt)
        return "|".join(shown)
    return _TYPE_LABELS.get(annotation, "TEXT")


class _LabelledArgument(TyperArgument):
    def display_type(self, ctx: _click.Context) -> str:
        return type_label(self) or ""


class _LabelledOption(TyperOption):
    def display_type(self, ctx: _click.Context) -> str:
        return type_label(self) or ""

    def display_type_rich(self, ctx: _click.Context) -> str | None:
        label = super().display_type_rich(ctx)
        # A flag shows no type at all (an empty label would still take a column).
        return label or None


def finish_help(command: _click.Command) -> None:
    """Give ``command`` and every sub-command the house help: plain type labels, a bilingual ``--help``."""
    for param in command.params:
        if type(param) is TyperArgument:
            param.__class__ = _LabelledArgument
        elif type(param) is TyperOption:
            param.__class__ = _LabelledOption
    # Typer creates its --help option on first use and caches it on the command; create it now to word it.
    help_option = command.get_help_option(_click.Context(command, **command.context_settings))
    if help_option is not None:
        help_option.help = HELP_OPTION_HELP
        if type(help_option) is TyperOption:
            help_option.__class__ = _LabelledOption
    for sub in getattr(command, "commands", {}).values():
        finish_help(sub)


def fold_help_text() -> None:
    """Wrap a long run of Chinese in ``--help`` instead of cutting it.

    Rich wraps at spaces and crops a "word" wider than its table column with "…" (the columns' default
    overflow). A Chinese sentence has no spaces, so at 80 columns Typer's help lost the end of a Chinese line
    and the English after it. Every help text Typer renders goes through ``rich_utils._make_rich_text``;
    its Text now folds (breaks between characters, which is how Chinese wraps anyway).
    """
    from rich.text import Text
    from typer import rich_utils

    original = rich_utils._make_rich_text
    if getattr(original, "folds", False):
        return

    def make_rich_text(*, text: str, style: str = "", markup_mode: Any) -> Any:
        rendered = original(text=text, style=style, markup_mode=markup_mode)
        if isinstance(rendered, Text):
            rendered.overflow = "fold"
        return rendered

    make_rich_text.folds = True  # type: ignore[attr-defined]
    rich_utils._make_rich_text = make_rich_text


class HelpGroup(TyperGroup):
    """The root group: applies :func:`finish_help` to the whole command tree once it is built."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        finish_help(self)
        fold_help_text()
