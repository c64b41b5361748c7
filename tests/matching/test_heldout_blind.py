"""Held-out sets H to L (issue 10): the real `alertbot match` CLI on twenty further enterprises each.

Each set (tests/fixtures/matching-heldout/<set>, see its README.md) was built blind from the same brief, like sets
D to G (whose briefs differ, so they keep modules of their own), by someone who had not read the matcher's code and never ran it, on the families issue 10 names:
translations both ways, visual look-alikes (形近字), homophones (同音字) in exhibitor names and patent applicants,
mixed scripts (half pinyin, Wade-Giles, numerals, digits in pinyin), affiliates under spelled-out legal forms, a
place swapped in front of the trade name, and their hard negatives. Each is scored with the shared benchmark's
own scorer through the helpers of test_heldout.py. The issue's target applies to the new families: every record
except the small anchor of old families (why = "base-…").
"""

from __future__ import annotations

from dataclasses import dataclass
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

MIN_F1 = 0.95
MIN_PRECISION = 0.97
ANCHOR_PREFIX = "base-"


@dataclass(frozen=True)
class BlindSet:
    """A blind set of the same brief, and the targets it is known to miss (its README.md has the figures)."""

    name: str
    first_sight: str
    below_f1: bool = True
    below_precision: bool = False

    @property
    def folder(self) -> Path:
        return HELDOUT / self.name


SETS = (
    BlindSet("h", "first sight 0.880 with precision 0.983", below_f1=False),
    BlindSet("i", "first sight 0.851 with precision 0.964", below_f1=False),
    BlindSet("j", "first sight 0.913 with precision 0.968", below_f1=False),
    BlindSet("k", "first sight 0.892 with precision 0.980", below_f1=False),
    BlindSet("l", "first sight 0.906 with precision 0.986", below_f1=False),
    BlindSet("m", "first sight 0.882 with precision 0.995", below_f1=False),
    BlindSet("n", "first sight 0.965 with precision 0.987", below_f1=False),
    BlindSet("o", "first sight 0.954 with precision 0.979", below_f1=False),
)


@pytest.fixture(params=SETS, ids=[s.name for s in SETS])
def blind(request: pytest.FixtureRequest) -> BlindSet:
    return request.param  # type: ignore[no-any-return]


def test_set_is_complete_and_consistent(blind: BlindSet) -> None:
    records, labels = read_jsonl(blind.folder / "records.jsonl"), read_jsonl(blind.folder / "labels.jsonl")
    enterprises = watch_ids(blind.folder / "watchlist.csv")
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


def test_risk_levels_follow_the_issue(blind: BlindSet) -> None:
    """Translations are medium, never high; look-alikes are high in the own classes or beside an industry word,
    medium otherwise; place swaps are high; affiliates under long legal forms are never risks."""
    for label in read_jsonl(blind.folder / "labels.jsonl"):
        if label["why"].startswith("translation-"):
            assert label["watch_ids"], label
            assert label["high"] == [], label
        if label["why"].startswith(
            ("visual-own-class", "visual-exhibitor-industry", "visual-patent-industry", "place-swap")
        ):
            assert label["high"] == label["watch_ids"] != [], label
        if label["why"].startswith(("visual-other-class", "visual-exhibitor-generic")):
            assert label["watch_ids"] != [] == label["high"], label


def test_set_spreads_risks_over_every_enterprise(blind: BlindSet) -> None:
    """Every enterprise carries between 9 and 20 risk pairs."""
    pairs = {watch_id: 0 for watch_id in watch_ids(blind.folder / "watchlist.csv")}
    for label in read_jsonl(blind.folder / "labels.jsonl"):
        for watch_id in label["watch_ids"]:
            pairs[watch_id] += 1
    assert all(9 <= count <= 20 for count in pairs.values()), pairs


def test_watchlist_has_the_dev_columns(blind: BlindSet) -> None:
    header = (blind.folder / "watchlist.csv").read_text("utf-8").splitlines()[0]
    assert header == "id,name_zh,name_en,marks,classes,affiliates,markets,contact"


def test_enterprises_are_new(blind: BlindSet) -> None:
    """No enterprise of the set is in another watchlist of the project (by id or Chinese name)."""
    assert_enterprises_are_new(blind.folder)


def test_set_is_what_its_generator_writes(
    blind: BlindSet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert_generator_writes(blind.folder, f"build_{blind.name}.py", tmp_path, monkeypatch)


@pytest.fixture(scope="module", params=SETS, ids=[s.name for s in SETS])
def scored(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[BlindSet, Any]:
    """Alerts from the real CLI on one set, scored by the shared scorer on the new families only."""
    blind: BlindSet = request.param
    work = tmp_path_factory.mktemp(f"heldout-{blind.name}")
    return blind, score_new_families(blind.folder, work, ANCHOR_PREFIX)


def _known_shortfall(request: pytest.FixtureRequest, blind: BlindSet, below: bool) -> None:
    if below:
        reason = (
            f"issue 10: set {blind.name.upper()}'s new families are below the target ({blind.first_sight})"
        )
        request.applymarker(pytest.mark.xfail(strict=False, reason=reason))


def test_new_families_f1(request: pytest.FixtureRequest, scored: tuple[BlindSet, dict[str, Any]]) -> None:
    blind, result = scored
    _known_shortfall(request, blind, blind.below_f1)
    assert result["f1"] >= MIN_F1, result


def test_new_families_precision(
    request: pytest.FixtureRequest, scored: tuple[BlindSet, dict[str, Any]]
) -> None:
    blind, result = scored
    _known_shortfall(request, blind, blind.below_precision)
    assert result["precision"] >= MIN_PRECISION, result
