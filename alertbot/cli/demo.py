"""``alertbot demo``: being built in issue 2."""

from __future__ import annotations

from alertbot.cli._common import not_landed


def demo() -> None:
    """Not built yet."""
    not_landed("demo", "issue 2 (foundation)")
