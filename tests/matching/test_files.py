"""File matching: records in, hits out; bad lines reported with file and line; parallel equals serial."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alertbot.matching import Matcher
from alertbot.matching.files import RecordError, candidate_from_json, match_file, read_watches
from tests.matching.conftest import FIXTURES, read_table


def write_records(path: Path, rows: list[dict[str, str]], extra_lines: tuple[str, ...] = ()) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for i, row in enumerate(rows):
            classes = [int(c) for c in row["classes"].split("|") if c]
            record = {
                "id": f"t{i}",
                "kind": row["kind"],
                "text": row["text"] or None,
                "applicant": row["applicant"] or None,
                "applicant_country": None,
                "classes": classes,
            }
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        for line in extra_lines:
            handle.write(line + "\n")


def test_bad_lines_are_reported_with_line_and_field_and_the_rest_goes_on(tmp_path: Path) -> None:
    records = tmp_path / "records.jsonl"
    rows = read_table("variants.csv")[:3]
    write_records(
        records,
        rows,
        (
            '{"id": "b1", "kind": "song", "text": "X"}',
            "not json",
            "",
            '{"id": "b2", "kind": "trademark", "text": "X", "classes": [99]}',
        ),
    )
    matcher = Matcher(read_watches(FIXTURES / "watchlist_dev.csv"))
    hits, errors, _ = match_file(matcher, records, workers=1)
    assert {h["record_id"] for h in hits} == {"t0", "t1", "t2"}
    assert errors == [
        f"{records}: line 4: field 'kind' must be one of ['exhibitor', 'patent', 'trademark'], got 'song'",
        f"{records}: line 5: not JSON (Expecting value)",
        f"{records}: line 7: field 'classes' must be a list of Nice classes 1-45, got [99]",
    ]


def test_lines_only_the_standard_library_reads_are_read_and_errors_keep_its_wording(tmp_path: Path) -> None:
    # Lines are parsed by orjson, with the standard library as the judge of what orjson refuses: NaN and a
    # lone surrogate escape are read as before, and bad lines keep the standard library's wording.
    records = tmp_path / "records.jsonl"
    records.write_text(
        "\n".join(
            [
                '{"id": "n1", "kind": "trademark", "text": "SIASUN", "classes": [7], "score": NaN}',
                '{"id": "s1", "kind": "trademark", "text": "SIASUN \\ud800", "classes": [7]}',
                '  {"id": "w1", "kind": "trademark", "text": "SIASUN", "classes": [7]}  ',
                '{"id": "x1", "kind": "trademark", "text": "SIASUN"} trailing',
                '{"id": "x2", "kind": "trademark", "text": "SIASUN"',
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    matcher = Matcher(read_watches(FIXTURES / "watchlist_dev.csv"))
    hits, errors, _ = match_file(matcher, records, workers=1)
    assert {h["record_id"] for h in hits} == {"n1", "s1", "w1"}
    assert errors == [
        f"{records}: line 4: not JSON (Extra data)",
        f"{records}: line 5: not JSON (Expecting ',' delimiter)",
    ]


def test_parallel_chunks_give_the_same_hits_and_line_numbers_as_one_process(tmp_path: Path) -> None:
    records = tmp_path / "records.jsonl"
    rows = read_table("variants.csv") * 20
    write_records(records, rows, ("oops",))
    matcher = Matcher(read_watches(FIXTURES / "watchlist_dev.csv"))
    serial = match_file(matcher, records, workers=1)
    parallel = match_file(matcher, records, workers=2, chunk_bytes=2_000)
    assert parallel == serial
    assert serial[1] == [f"{records}: line {len(rows) + 1}: not JSON (Expecting value)"]


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ([], "must be a JSON object"),
        ({"kind": "trademark"}, "field 'id'"),
        ({"id": "x", "kind": "trademark", "text": 5}, "field 'text'"),
        ({"id": "x", "kind": "trademark", "applicant": ["a"]}, "field 'applicant'"),
        ({"id": "x", "kind": "trademark", "classes": ["7"]}, "field 'classes'"),
        ({"id": "x", "kind": "trademark", "classes": [True]}, "field 'classes'"),
        ({"id": "x", "kind": "trademark", "classes": [46]}, "field 'classes'"),
        ({"id": "x", "kind": "trademark", "classes": [-1]}, "field 'classes'"),
        ({"id": "x", "kind": "trademark", "classes": [9, 46]}, "field 'classes'"),
        ({"id": "x", "kind": "trademark", "classes": 9}, "field 'classes'"),
    ],
)
def test_candidate_from_json_names_the_bad_field(obj: object, message: str) -> None:
    with pytest.raises(RecordError, match=message):
        candidate_from_json(obj, "f.jsonl: line 3")


@pytest.mark.parametrize(
    ("classes", "expected"),
    [([0, 9], {9}), ([0], set()), ([9], {9}), ([45], {45}), ([1, 45, 1], {1, 45}), ([], set())],
)
def test_unclassified_zero_is_dropped(classes: list[int], expected: set[int]) -> None:
    candidate = candidate_from_json({"id": 7, "kind": "trademark", "text": "A", "classes": classes}, "x")
    assert (candidate.id, candidate.classes) == ("7", frozenset(expected))


class _FaultOnOneRecord(Matcher):
    """The real matcher, with a fault injected for one record id (a bug the engine once had: set K's 58同城)."""

    def match(self, candidate):  # type: ignore[no-untyped-def]
        if candidate.id == "bad":
            raise ValueError("not enough values to unpack")
        return super().match(candidate)


def test_a_matcher_fault_on_one_record_is_reported_and_the_rest_go_on(tmp_path: Path) -> None:
    records = tmp_path / "records.jsonl"
    lines = [
        {"id": "a", "kind": "trademark", "text": "SIASUN", "classes": [7]},
        {"id": "bad", "kind": "trademark", "text": "SIASUN", "classes": [7]},
        {"id": "c", "kind": "trademark", "text": "SIASUN", "classes": [7]},
    ]
    records.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    matcher = _FaultOnOneRecord(read_watches(FIXTURES / "watchlist_dev.csv"))
    hits, errors, _ = match_file(matcher, records, workers=1)
    assert {h["record_id"] for h in hits} == {"a", "c"}
    assert errors == [f"{records}: line 2: matching failed (ValueError: not enough values to unpack)"]
