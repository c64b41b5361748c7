"""``alertbot users``: placeholder until the role-based bot commands issue."""

from __future__ import annotations

import typer

from alertbot.cli._common import not_landed

app = typer.Typer(no_args_is_help=False, invoke_without_command=True)


@app.callback()
def _placeholder() -> None:
    not_landed("users", "the role-based bot commands issue")
