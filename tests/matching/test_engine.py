"""The matcher: every variant family and every exclusion as data tables, plus properties and the API."""

from __future__ import annotations

import json
import string

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from alertbot.matching import (
    REASON_CODES,
    Candidate,
    Hit,
    Matcher,
    Watch,
    describe,
    escalate_serial_filers,
    mark_kind,
)
from tests.matching.conftest import candidate_from_row, read_table

VARIANT_ROWS = read_table("variants.csv")
OTHER_ROWS = read_table("cases_other.csv")


@pytest.mark.parametrize("row", VARIANT_ROWS, ids=[r["family"] for r in VARIANT_ROWS])
def test_variant_families_and_exclusions(dev_matcher: Matcher, row: dict[str, str]) -> None:
    hits = dev_matcher.match(candidate_from_row(row))
    if not row["watch"]:
        assert hits == [], f"{row['family']}: expected no alert, got {[h.to_json() for h in hits]}"
        return
    assert [h.watch_id for h in hits] == [row["watch"]]
    hit = hits[0]
    assert (hit.variant, hit.risk) == (row["variant"], row["risk"])
    assert row["reason"] in hit.reasons


@pytest.mark.parametrize("row", OTHER_ROWS, ids=[f"{r['case']}:{r['text']}" for r in OTHER_ROWS])
def test_rules_generalise_to_other_liaoning_enterprises(other_matcher: Matcher, row: dict[str, str]) -> None:
    hits = other_matcher.match(candidate_from_row(row))
    expected = {w for w in row["expect"].split("|") if w}
    assert {h.watch_id for h in hits} == expected, [h.to_json() for h in hits]
    high = {w for w in row["high"].split("|") if w}
    assert high <= {h.watch_id for h in hits if h.risk == "high"}


def test_every_emitted_reason_code_is_documented(dev_matcher: Matcher, other_matcher: Matcher) -> None:
    codes: set[str] = set()
    for matcher, rows in ((dev_matcher, VARIANT_ROWS), (other_matcher, OTHER_ROWS)):
        for row in rows:
            explanation = matcher.explain(candidate_from_row(row))
            codes.update(code for comp in explanation.comparisons for code in comp.reasons)
    undocumented = {
        code for code in codes if code not in REASON_CODES and code.partition(":")[0] not in REASON_CODES
    }
    assert not undocumented
    assert describe("class-overlap:7,9", "zh").endswith("(7,9)")
    assert all(zh and en for zh, en in REASON_CODES.values())


def test_hit_to_json_is_the_cli_contract(dev_matcher: Matcher) -> None:
    (hit,) = dev_matcher.match(
        Candidate(id="x1", kind="trademark", text="SIASUN", classes=frozenset({7, 35}))
    )
    data = hit.to_json()
    assert set(data) == {
        "record_id",
        "watch_id",
        "risk",
        "score",
        "mark",
        "variant",
        "reasons",
        "class_overlap",
    }
    assert (data["record_id"], data["watch_id"], data["risk"], data["class_overlap"]) == (
        "x1",
        "siasun",
        "high",
        [7],
    )
    json.dumps(data)


def test_one_hit_per_enterprise_with_the_strongest_evidence_first(dev_matcher: Matcher) -> None:
    hits = dev_matcher.match(
        Candidate(
            id="x", kind="trademark", text="NEUSOFT", applicant="Neusoft Trading Ltd.", classes=frozenset({9})
        )
    )
    assert len(hits) == 1
    assert hits[0].variant == "exact"
    assert "party:applicant" in hits[0].reasons  # the weaker evidence still shows in the reasons


def test_match_many_equals_match_one_by_one(dev_matcher: Matcher) -> None:
    rows = VARIANT_ROWS[:20]
    candidates = [candidate_from_row(r, record_id=str(i)) for i, r in enumerate(rows)]
    one_by_one = [h for c in candidates for h in dev_matcher.match(c)]
    assert list(dev_matcher.match_many(candidates)) == one_by_one


def test_known_party_name_is_not_flagged_for_borrowing_another_watched_mark(dev_matcher: Matcher) -> None:
    # 华晨雷诺金杯 is Jinbei's listed affiliate; its name contains Brilliance's mark 华晨.
    explanation = dev_matcher.explain(Candidate(id="x", kind="exhibitor", text="华晨雷诺金杯汽车有限公司"))
    assert explanation.hits == ()
    assert {c.watch_id for c in explanation.comparisons} >= {"brilliance", "jinbei"}
    assert any(
        "excluded:known-party" in c.reasons for c in explanation.comparisons if c.watch_id == "brilliance"
    )
    assert explanation.parties[0].affiliate_of == ("jinbei",)


def test_explain_shows_forms_parties_and_rejections(dev_matcher: Matcher) -> None:
    explanation = dev_matcher.explain(
        Candidate(
            id="x", kind="trademark", text="DHHI", applicant="Kaiser Handels GmbH", classes=frozenset({42})
        )
    )
    assert explanation.hits == ()
    assert explanation.forms["skeleton"] == "dhhi"
    (comparison,) = explanation.comparisons
    assert not comparison.accepted
    assert "excluded:acronym-outside-classes" in comparison.reasons
    assert explanation.nearest[0][1] == "DHHI"


def test_serial_filer_hits_rise_one_level() -> None:
    hits = [
        Hit("r1", "a", "low", 80.0, "AAA", "typo", ("variant:typo",)),
        Hit("r2", "b", "medium", 90.0, "BBB", "exact", ("variant:exact",)),
        Hit("r3", "a", "high", 100.0, "AAA", "exact", ("variant:exact",)),
        Hit("r4", "a", "low", 80.0, "AAA", "typo", ("variant:typo",)),
    ]
    applicants = {
        "r1": "Squat Co., Ltd.",
        "r2": "SQUAT COMPANY LIMITED",
        "r3": "Squat Co.",
        "r4": "Other Ltd",
    }
    raised = escalate_serial_filers(hits, applicants)
    assert [h.risk for h in raised] == ["medium", "high", "high", "low"]
    assert all("serial-filer" in h.reasons for h in raised[:3])
    assert "serial-filer" not in raised[3].reasons
    assert escalate_serial_filers(raised, applicants)[2].reasons.count("serial-filer") == 1


@pytest.mark.parametrize(
    ("mark", "kind"),
    [
        ("SNOW", "dictionary"),
        ("BRILLIANCE", "dictionary"),
        ("NHI", "acronym"),
        ("DHHI", "acronym"),
        ("3SBIO", "coined"),
        ("SIASUN", "coined"),
        ("新松", "chinese"),
        ("GOLDEN BELL", "dictionary"),
    ],
)
def test_mark_kind_uses_word_frequencies(mark: str, kind: str) -> None:
    assert mark_kind(mark) == kind


LETTERS = st.text(alphabet=string.ascii_uppercase, min_size=2, max_size=12)
WORDS = st.sampled_from(["SNOW", "PANDA", "BRILLIANCE", "GOLDEN BELL", "STAR"])
HAN = st.text(alphabet=[chr(c) for c in range(0x4E00, 0x4E00 + 3000)], min_size=2, max_size=4)


@settings(max_examples=80, deadline=None)
@given(mark=st.one_of(LETTERS, WORDS, HAN), classes=st.frozensets(st.integers(1, 45), min_size=1, max_size=3))
def test_an_exact_copy_of_a_mark_in_the_enterprise_classes_always_matches_high(
    mark: str, classes: frozenset[int]
) -> None:
    watch = Watch(id="w", name_zh="某某有限公司", name_en="Someone Co., Ltd.", marks=(mark,), classes=classes)
    record = Candidate(id="r", kind="trademark", text=mark, applicant="Other Ltd", classes=classes)
    assert [(h.watch_id, h.risk) for h in Matcher([watch]).match(record)] == [("w", "high")]


@settings(max_examples=60, deadline=None)
@given(mark=st.one_of(LETTERS, HAN), classes=st.frozensets(st.integers(1, 45), min_size=1, max_size=3))
def test_an_exact_copy_of_a_coined_or_chinese_mark_matches_in_any_class(
    mark: str, classes: frozenset[int]
) -> None:
    assume(mark_kind(mark) in ("coined", "chinese"))
    other = frozenset(range(1, 46)) - classes
    watch = Watch(id="w", name_zh="某某有限公司", name_en="Someone Co., Ltd.", marks=(mark,), classes=classes)
    record = Candidate(id="r", kind="trademark", text=mark.lower(), classes=frozenset({min(other)}))
    assert [(h.watch_id, h.risk) for h in Matcher([watch]).match(record)] == [("w", "medium")]


def test_every_reason_code_is_explained_in_the_docs() -> None:
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs" / "matching.md").read_text(encoding="utf-8")
    missing = [code for code in REASON_CODES if f"`{code}`" not in docs]
    assert not missing


def test_place_names_and_ordinary_words_do_not_hide_marks_by_accident() -> None:
    matcher = Matcher(
        [
            Watch(
                "hisense", "海信集团控股股份有限公司", "Hisense Group", ("海信", "HISENSE"), frozenset({9})
            ),
            Watch(
                "longi", "隆基绿能科技股份有限公司", "LONGi Green Energy", ("隆基", "LONGI"), frozenset({9})
            ),
        ]
    )

    def watch_ids(kind: str, text: str) -> list[str]:
        return [h.watch_id for h in matcher.match(Candidate("r", kind, text, classes=frozenset({9})))]

    assert watch_ids("exhibitor", "上海新材料有限公司") == []  # 海新 straddles the place name 上海
    assert watch_ids("exhibitor", "宁波海新电器有限公司") == ["hisense"]  # a homophone after the place
    assert watch_ids("trademark", "LONGING") == []  # an English word around LONGI
    assert watch_ids("trademark", "MYLONGI") == ["longi"]


def _one_edit_neighbours(key: str) -> set[str]:
    """Every string one OSA edit from ``key``: a letter substituted, inserted or deleted, or two swapped."""
    found = set()
    for i in range(len(key) + 1):
        found.add(key[:i] + "j" + key[i:])
        if i < len(key):
            found.add(key[:i] + "j" + key[i + 1 :])
            found.add(key[:i] + key[i + 1 :])
        if i + 1 < len(key):
            found.add(key[:i] + key[i + 1] + key[i] + key[i + 2 :])
    return found


@pytest.mark.parametrize(
    "mark", ["SKY", "SNOW", "PANDA", "GOLDEN", "SIASUN", "NEUSOFT", "KORBELVIN", "BRILLIANCE"]
)
def test_the_typo_prefilter_never_hides_a_mark_one_edit_away(mark: str) -> None:
    # The typo family skips a record's piece when no mark of a nearby length shares either end with it
    # (engine._TYPO_ENDS); no single edit anywhere in the mark may make it fail that test.
    matcher = Matcher([Watch("w", "", "", (mark,), frozenset({9}))])
    assert mark_kind(mark) != "acronym"
    pieces = [p for p in _one_edit_neighbours(mark.lower()) if len(p) >= 3]
    assert pieces
    assert [p for p in pieces if not matcher._may_have_typo_neighbour(p)] == []
    assert not matcher._may_have_typo_neighbour("zzzzqqqq")


@pytest.mark.parametrize("collecting", [True, False])
def test_compiling_the_index_leaves_the_garbage_collector_as_it_found_it(collecting: bool) -> None:
    """The compile (and the cache's load) pauses the cyclic collector (bench/README.md: it cost as much as the
    compile) and restores the caller's setting, also when the compile fails."""
    import gc

    was = gc.isenabled()
    try:
        (gc.enable if collecting else gc.disable)()
        Matcher(
            [Watch("w", "沈阳新松机器人自动化股份有限公司", "Siasun", ("新松", "SIASUN"), frozenset({7}))]
        )
        assert gc.isenabled() is collecting
        assert gc.get_freeze_count() > 0  # the index is frozen: no collector pass, no copy in forked workers
        with pytest.raises(AttributeError):
            Matcher([None])  # type: ignore[list-item]
        assert gc.isenabled() is collecting
    finally:
        (gc.enable if was else gc.disable)()


def test_compiling_the_index_does_not_freeze_garbage_left_from_before() -> None:
    """Cyclic garbage made before a compile is collected, not frozen for the life of the service."""
    import gc
    import weakref

    class Node:
        pass

    node = Node()
    node.itself = node  # type: ignore[attr-defined]
    alive = weakref.ref(node)
    del node
    assert gc.isenabled()
    Matcher([Watch("w", "沈阳新松机器人自动化股份有限公司", "Siasun", ("新松", "SIASUN"), frozenset({7}))])
    assert alive() is None
