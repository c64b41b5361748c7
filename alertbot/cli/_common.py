"""Helpers shared by the CLI command modules."""

from __future__ import annotations

import typer
from rich.console import Console

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


def not_landed(command: str, issue: str) -> None:
    """Say plainly that a command is planned but not built yet, and exit with status 2."""
    err_console.print(
        f"[yellow]`alertbot {command}` is not built yet[/yellow]: it lands with {issue}. Nothing was done."
    )
    raise typer.Exit(code=2)
