"""``alertbot match``: placeholder until the matching engine lands (issue 3)."""

from __future__ import annotations

from alertbot.cli._common import not_landed


def match() -> None:
    """Match records against the watchlist."""
    not_landed("match", "issue 3 (matching engine)")
