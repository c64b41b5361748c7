"""``alertbot report``: placeholder until the monthly reports issue."""

from __future__ import annotations

from alertbot.cli._common import not_landed


def report() -> None:
    """Not built yet."""
    not_landed("report", "the monthly reports issue")
