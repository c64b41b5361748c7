"""Held-out set D (issue 10): the real `alertbot match` CLI on twenty further enterprises, for the new families.

Set D (tests/fixtures/matching-heldout/d, see its README.md) was built blind, by someone who had not read the
matcher's code, on the families issue 10 names: translations, visual look-alikes (形近字), mixed scripts,
affiliates under spelled-out legal forms, a place swapped in front of the trade name, and their hard negatives.
It is scored with the shared benchmark's own scorer through the helpers of test_heldout.py. The issue's target
applies to the new families: every record except the small anchor of old families (why = "base-…").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.matching.test_heldout import (
    HELDOUT,
    TABLE_FIXTURES,
    assert_enterprises_are_new,
    assert_generator_writes,
    read_jsonl,
    score_new_families,
    watch_ids,
)

SET_D = HELDOUT / "d"
MIN_F1 = 0.95
MIN_PRECISION = 0.97
ANCHOR_PREFIX = "base-"


def test_set_d_is_complete_and_consistent() -> None:
    records, labels = read_jsonl(SET_D / "records.jsonl"), read_jsonl(SET_D / "labels.jsonl")
    enterprises = watch_ids(SET_D / "watchlist.csv")
    assert len(enterprises) == 20
    assert [r["id"] for r in records] == [lab["record_id"] for lab in labels]
    assert {r["kind"] for r in records} == {"trademark", "exhibitor", "patent"}
    for label in labels:
        assert set(label["high"]) <= set(label["watch_ids"]) <= enterprises, label
        assert label["why"], label


def test_set_d_enterprises_are_new() -> None:
    """No enterprise of D is in another watchlist of the project (by id or Chinese name), except unit-test table
    fixtures written before D was built that happen to hold some of its enterprises."""
    assert_enterprises_are_new(
        SET_D,
        known_overlaps=(TABLE_FIXTURES / "watchlist_families.csv", TABLE_FIXTURES / "watchlist_other.csv"),
    )


def test_set_d_is_what_its_generator_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert_generator_writes(SET_D, "build_d.py", tmp_path, monkeypatch)


@pytest.fixture(scope="module")
def set_d_result(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Alerts from the real CLI on set D, scored by the shared scorer on the new families only."""
    return score_new_families(SET_D, tmp_path_factory.mktemp("heldout-d"), ANCHOR_PREFIX)


def test_set_d_new_families_f1(set_d_result: dict[str, Any]) -> None:
    assert set_d_result["f1"] >= MIN_F1, set_d_result


def test_set_d_new_families_precision(set_d_result: dict[str, Any]) -> None:
    assert set_d_result["precision"] >= MIN_PRECISION, set_d_result
