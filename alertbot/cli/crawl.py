"""``alertbot crawl``: placeholder until the gazette spiders land (issue 4)."""

from __future__ import annotations

import typer

from alertbot.cli._common import not_landed


def crawl(name: str = typer.Argument(..., help="Spider name, e.g. uspto_tm_daily.")) -> None:
    """Run one spider."""
    not_landed("crawl", "issue 4 (gazette spiders)")
