"""``alertbot run``: placeholder until the always-on service issue."""

from __future__ import annotations

from alertbot.cli._common import not_landed


def run() -> None:
    """Not built yet."""
    not_landed("run", "the always-on service issue")
