"""Held-out set G (issue 10): the real `alertbot match` CLI on twenty further enterprises, for the new families.

Set G (tests/fixtures/matching-heldout/g, see its README.md) was built blind by a red-team engineer who had not read
the matcher's code or docs, nor the other held-out sets' generators and case lists, on the families issue 10 names:
translations both ways, visual look-alikes (形近字), homophones in exhibitor names, mixed scripts (half pinyin,
Wade-Giles, numerals), affiliates under spelled-out legal forms, a place swapped in front of the trade name, and
their hard negatives. Its builder did not run the matcher on it: the first sight is the lead's (README.md: new
families F1 0.855, precision 0.978). It is scored with the shared benchmark's own scorer through
the helpers of test_heldout.py, on the new families: every record except the small anchor of old families
(why = "base-…").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.matching.conftest import SHARED_BENCH
from tests.matching.test_heldout import (
    HELDOUT,
    assert_enterprises_are_new,
    assert_generator_writes,
    read_jsonl,
    score_new_families,
    watch_ids,
)

SET_G = HELDOUT / "g"
MIN_F1 = 0.95
MIN_PRECISION = 0.97
ANCHOR_PREFIX = "base-"


def test_set_g_is_complete_and_consistent() -> None:
    records, labels = read_jsonl(SET_G / "records.jsonl"), read_jsonl(SET_G / "labels.jsonl")
    enterprises = watch_ids(SET_G / "watchlist.csv")
    assert len(enterprises) == 20
    assert 1000 <= len(records) <= 1200
    assert [r["id"] for r in records] == [lab["record_id"] for lab in labels]
    assert len({r["id"] for r in records}) == len(records)
    assert {r["kind"] for r in records} == {"trademark", "exhibitor", "patent"}
    assert {r["source"] for r in records if r["kind"] == "exhibitor"} == {"cieme-2026", "giic-2026"}
    for record in records:
        if record["kind"] == "exhibitor":
            assert record["booth"], record
    for label in labels:
        assert set(label["high"]) <= set(label["watch_ids"]) <= enterprises, label
        assert label["why"], label
        if label["why"] == "filler" or label["why"].startswith(("negative-", "affiliate-", "own-")):
            assert not label["watch_ids"], label
    assert {lab["why"] for lab in labels if lab["why"].startswith("translation-") and lab["watch_ids"]}
    for label in labels:
        if label["why"].startswith("translation-"):
            assert not label["high"], label  # translations are medium, never high


def test_set_g_covers_every_family() -> None:
    whys = {lab["why"].split("-", 1)[0] for lab in read_jsonl(SET_G / "labels.jsonl")}
    assert {
        "translation",
        "visual",
        "homophone",
        "mixed",
        "affiliate",
        "place",
        "negative",
        "base",
        "filler",
    } <= whys


def test_set_g_watchlist_has_the_dev_columns() -> None:
    header = (SET_G / "watchlist.csv").read_text("utf-8").splitlines()[0]
    assert header == "id,name_zh,name_en,marks,classes,affiliates,markets,contact"


def test_set_g_enterprises_are_new() -> None:
    """No enterprise of G is in another watchlist of the project (by id or Chinese name)."""
    assert_enterprises_are_new(SET_G)


def test_set_g_is_what_its_generator_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert_generator_writes(
        SET_G, "build_g.py", tmp_path, monkeypatch, REAL_MARKS=SHARED_BENCH / "real-marks-dev.jsonl"
    )


@pytest.fixture(scope="module")
def set_g_result(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Alerts from the real CLI on set G, scored by the shared scorer on the new families only."""
    return score_new_families(SET_G, tmp_path_factory.mktemp("heldout-g"), ANCHOR_PREFIX)


def test_set_g_new_families_f1(set_g_result: dict[str, Any]) -> None:
    assert set_g_result["f1"] >= MIN_F1, set_g_result


def test_set_g_new_families_precision(set_g_result: dict[str, Any]) -> None:
    assert set_g_result["precision"] >= MIN_PRECISION, set_g_result
