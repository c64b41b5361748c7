"""Held-out set F (issue 10): the real `alertbot match` CLI on twenty further enterprises, for the new families.

Set F (tests/fixtures/matching-heldout/f, see its README.md) was built blind, like sets D and E, by someone who
had not read the matcher's code nor the other held-out sets' cases: translations both ways, visual look-alikes
(形近字), homophones (同音字) in exhibitor names, mixed scripts (half pinyin, Wade-Giles, numerals), affiliates
under spelled-out legal forms, a place swapped in front of the trade name, and their hard negatives (translations
in other classes or beside an unrelated industry word, an unrelated or a shared character, English words that are
also pinyin syllables). It is scored with the shared benchmark's own scorer through the helpers of
test_heldout.py. The issue's target applies to the new families: every record except the small anchor of old
families (why = "base-…").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.matching.test_heldout import (
    HELDOUT,
    assert_enterprises_are_new,
    assert_generator_writes,
    read_jsonl,
    score_new_families,
    watch_ids,
)

SET_F = HELDOUT / "f"
MIN_F1 = 0.95
MIN_PRECISION = 0.97
ANCHOR_PREFIX = "base-"


def test_set_f_is_complete_and_consistent() -> None:
    records, labels = read_jsonl(SET_F / "records.jsonl"), read_jsonl(SET_F / "labels.jsonl")
    enterprises = watch_ids(SET_F / "watchlist.csv")
    assert len(enterprises) == 20
    assert [r["id"] for r in records] == [lab["record_id"] for lab in labels]
    assert len({r["id"] for r in records}) == len(records)
    assert {r["kind"] for r in records} == {"trademark", "exhibitor", "patent"}
    for record in records:
        if record["kind"] == "exhibitor":
            assert record["source"] in {"cieme-2026", "giic-2026"}, record
            assert record["booth"], record
    for label in labels:
        assert set(label["high"]) <= set(label["watch_ids"]) <= enterprises, label
        assert label["why"], label
        if label["why"] == "filler" or label["why"].startswith(("negative-", "affiliate-", "own-")):
            assert label["watch_ids"] == [], label
        if label["why"].startswith("translation-"):
            assert label["watch_ids"], label
            assert label["high"] == [], label  # translations are medium risk, never high


def test_set_f_watchlist_has_the_dev_columns() -> None:
    header = (SET_F / "watchlist.csv").read_text("utf-8").splitlines()[0]
    assert header == "id,name_zh,name_en,marks,classes,affiliates,markets,contact"


def test_set_f_enterprises_are_new() -> None:
    """No enterprise of F is in another watchlist of the project (by id or Chinese name)."""
    assert_enterprises_are_new(SET_F)


def test_set_f_is_what_its_generator_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert_generator_writes(SET_F, "build_f.py", tmp_path, monkeypatch)


@pytest.fixture(scope="module")
def set_f_result(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Alerts from the real CLI on set F, scored by the shared scorer on the new families only."""
    return score_new_families(SET_F, tmp_path_factory.mktemp("heldout-f"), ANCHOR_PREFIX)


def test_set_f_new_families_f1(set_f_result: dict[str, Any]) -> None:
    assert set_f_result["f1"] >= MIN_F1, set_f_result


def test_set_f_new_families_precision(set_f_result: dict[str, Any]) -> None:
    assert set_f_result["precision"] >= MIN_PRECISION, set_f_result
