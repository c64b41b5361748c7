"""Shared helpers for the matching tests: fixture paths, table rows, a compiled dev-watchlist matcher."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from alertbot.matching import Candidate, Matcher
from alertbot.matching.files import read_watches

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "matching"
SHARED_BENCH = Path(__file__).resolve().parents[2].parent / "shared" / "bench"


def read_table(name: str) -> list[dict[str, str]]:
    """Rows of a CSV table under tests/fixtures/matching/."""
    with (FIXTURES / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def candidate_from_row(row: dict[str, str], record_id: str = "r1") -> Candidate:
    """A candidate from a table row with kind, text, applicant and |-separated classes."""
    return Candidate(
        id=record_id,
        kind=row["kind"],
        text=row["text"] or None,
        applicant=row["applicant"] or None,
        classes=frozenset(int(c) for c in row["classes"].split("|") if c),
    )


@pytest.fixture(scope="session")
def dev_matcher() -> Matcher:
    """The matcher compiled from the dev watchlist (a copy kept under tests/fixtures/matching)."""
    return Matcher(read_watches(FIXTURES / "watchlist_dev.csv"))


@pytest.fixture(scope="session")
def other_matcher() -> Matcher:
    """The matcher compiled from fourteen other Liaoning enterprises and one invented one (generalisation check)."""
    return Matcher(read_watches(FIXTURES / "watchlist_other.csv"))
