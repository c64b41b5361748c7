"""``alertbot expo``: placeholder until the config-driven expo spiders issue."""

from __future__ import annotations

import typer

from alertbot.cli._common import not_landed

app = typer.Typer(no_args_is_help=False, invoke_without_command=True)


@app.callback()
def _placeholder() -> None:
    not_landed("expo", "the config-driven expo spiders issue")
