"""Held-out set E (issue 10): the real `alertbot match` CLI on twenty further enterprises, for the new families.

Set E (tests/fixtures/matching-heldout/e, see its README.md) was built blind, like set D, by someone who had not
read the matcher's code, on the families issue 10 names: translations both ways, visual look-alikes (形近字),
homophones (同音字) in exhibitor names, mixed scripts (half pinyin, Wade-Giles, numerals), affiliates under
spelled-out legal forms, a place swapped in front of the trade name, and their hard negatives. It is scored with
the shared benchmark's own scorer through the helpers of test_heldout.py. The issue's target applies to the new
families: every record except the small anchor of old families (why = "base-…").
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

SET_E = HELDOUT / "e"
MIN_F1 = 0.95
MIN_PRECISION = 0.97
ANCHOR_PREFIX = "base-"


def test_set_e_is_complete_and_consistent() -> None:
    records, labels = read_jsonl(SET_E / "records.jsonl"), read_jsonl(SET_E / "labels.jsonl")
    enterprises = watch_ids(SET_E / "watchlist.csv")
    assert len(enterprises) == 20
    assert [r["id"] for r in records] == [lab["record_id"] for lab in labels]
    assert len({r["id"] for r in records}) == len(records)
    assert {r["kind"] for r in records} == {"trademark", "exhibitor", "patent"}
    for label in labels:
        assert set(label["high"]) <= set(label["watch_ids"]) <= enterprises, label
        assert label["why"], label


def test_set_e_watchlist_has_the_dev_columns() -> None:
    header = (SET_E / "watchlist.csv").read_text("utf-8").splitlines()[0]
    assert header == "id,name_zh,name_en,marks,classes,affiliates,markets,contact"


def test_set_e_enterprises_are_new() -> None:
    """No enterprise of E is in another watchlist of the project (by id or Chinese name), except unit-test table
    fixtures written before E was built that happen to hold some of its enterprises."""
    assert_enterprises_are_new(
        SET_E,
        known_overlaps=(TABLE_FIXTURES / "watchlist_families.csv", TABLE_FIXTURES / "watchlist_other.csv"),
    )


def test_set_e_is_what_its_generator_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert_generator_writes(SET_E, "build_e.py", tmp_path, monkeypatch)


@pytest.fixture(scope="module")
def set_e_result(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Alerts from the real CLI on set E, scored by the shared scorer on the new families only."""
    return score_new_families(SET_E, tmp_path_factory.mktemp("heldout-e"), ANCHOR_PREFIX)


def test_set_e_new_families_f1(set_e_result: dict[str, Any]) -> None:
    assert set_e_result["f1"] >= MIN_F1, set_e_result


def test_set_e_new_families_precision(set_e_result: dict[str, Any]) -> None:
    assert set_e_result["precision"] >= MIN_PRECISION, set_e_result
