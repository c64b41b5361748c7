"""``alertbot alerts``: placeholder until issue 5 (alert lifecycle and delivery)."""

from __future__ import annotations

import typer

from alertbot.cli._common import not_landed

app = typer.Typer(no_args_is_help=False, invoke_without_command=True)


@app.callback()
def _placeholder() -> None:
    not_landed("alerts", "issue 5 (alert lifecycle and delivery)")
