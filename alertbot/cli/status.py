"""``alertbot status``: being built in issue 2."""

from __future__ import annotations

from alertbot.cli._common import not_landed


def status() -> None:
    """Not built yet."""
    not_landed("status", "issue 2 (foundation)")
