"""Edition files: bundled editions, overrides in the data dir, errors that name the file and key, set-url,
the crawl spec, and the expo-mode schedule under a controlled clock."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from alertbot.expo import (
    EditionError,
    bundled_editions_dir,
    crawl_spec,
    load_edition_file,
    load_editions,
    next_crawl_at,
    parse_edition,
    set_url,
    source_key,
)
from alertbot.settings import Settings

BUNDLED = bundled_editions_dir()
CIEME = (BUNDLED / "cieme-2026.yaml").read_text(encoding="utf-8")
UTC = dt.UTC


def test_bundled_editions_load_with_no_list_url_yet(settings: Settings) -> None:
    editions = load_editions(settings)
    assert list(editions) == ["cieme-2026", "giic-2026"]
    cieme, giic = editions["cieme-2026"], editions["giic-2026"]
    assert (cieme.show.short, cieme.format, giic.format) == ("CIEME", "pdf", "xlsx")
    assert cieme.urls == []
    assert giic.urls == []
    assert cieme.expo_mode_days == 7
    assert cieme.expo_mode_interval == dt.timedelta(hours=1)
    assert "E2" in cieme.halls
    assert cieme.title == "中国国际装备制造业博览会 2026 (CIEME)"
    assert source_key("cieme-2026") == "cieme-2026"


def test_a_data_dir_file_overrides_the_bundled_edition_by_id_and_adds_new_ones(settings: Settings) -> None:
    folder = settings.data_dir / "expos"
    folder.mkdir(parents=True)
    (folder / "my-cieme.yaml").write_text(
        CIEME.replace("ends: 2026-09-05", "ends: 2026-09-06"), encoding="utf-8"
    )
    (folder / "cieme-2027.yml").write_text(
        CIEME.replace("id: cieme-2026", "id: cieme-2027").replace("2026-09-0", "2027-09-0"), encoding="utf-8"
    )
    editions = load_editions(settings)
    assert editions["cieme-2026"].ends == dt.date(2026, 9, 6)
    assert editions["cieme-2026"].path == folder / "my-cieme.yaml"
    assert editions["cieme-2027"].starts == dt.date(2027, 9, 1)
    assert editions["giic-2026"].path == BUNDLED / "giic-2026.yaml"


BAD_EDITIONS = [
    (lambda t: t.replace("show:\n  zh: 中国国际装备制造业博览会\n", "show:\n"), "show.zh: Field required"),
    (lambda t: t.replace("fields:", "fieldz:"), "fieldz: Extra inputs are not permitted"),
    (
        lambda t: t.replace("  booth: 展位号", "  bootn: 展位号"),
        "fields.bootn: Extra inputs are not permitted",
    ),
    (
        lambda t: t.replace("format: pdf", "format: docx"),
        "format: Input should be 'html', 'json', 'xlsx', 'csv' or 'pdf'",
    ),
    (lambda t: t.replace("format: pdf", "format: html"), "format html needs an 'html' section"),
    (
        lambda t: t.replace("expo_mode_interval: 1h", "expo_mode_interval: soon"),
        "expo_mode_interval: Value error, 'soon' is not a duration",
    ),
    (
        lambda t: t.replace("ends: 2026-09-05", "ends: 2026-08-05"),
        "ends (2026-08-05) is before starts (2026-09-01)",
    ),
    (lambda t: t.replace("starts: 2026-09-01", "starts: 1 Sept"), "starts: Input should be a valid date"),
    (
        lambda t: t.replace("timezone: Asia/Shanghai", "timezone: Mars/Olympus"),
        "timezone: Value error, unknown time zone 'Mars/Olympus'",
    ),
    (
        lambda t: t.replace("classes: [7, 8, 9, 11, 12, 37, 42]", "classes: [7, 99]"),
        "classes: Value error, Nice classes are 1-45",
    ),
    (lambda t: t.replace("  name_raw: 展商名称\n", ""), "map at least one of name_zh, name_en, name_raw"),
    (
        lambda t: t + "hall_pattern: '^(\\w+)-'\n",
        "hall_pattern: Value error, needs a named group (?P<hall>...)",
    ),
    (lambda t: t.replace("id: cieme-2026", "id: CIEME 2026"), "id: String should match pattern"),
    (lambda t: t.replace("W1, W2]", "W1, W2"), "not valid YAML"),
    (lambda t: "just a sentence", "expected a mapping of keys"),
]


@pytest.mark.parametrize(("mutate", "message"), BAD_EDITIONS)
def test_a_bad_edition_file_names_the_file_and_the_key(tmp_path: Path, mutate, message: str) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(mutate(CIEME), encoding="utf-8")
    with pytest.raises(EditionError) as raised:
        load_edition_file(path)
    assert str(raised.value).startswith(f"{path}: ")
    assert message in str(raised.value)


def test_a_bad_file_in_the_data_dir_stops_loading_with_its_name(settings: Settings) -> None:
    folder = settings.data_dir / "expos"
    folder.mkdir(parents=True)
    (folder / "typo.yaml").write_text(CIEME.replace("venue:", "venu:"), encoding="utf-8")
    with pytest.raises(EditionError, match=r"typo\.yaml: venu: Extra inputs are not permitted"):
        load_editions(settings)


def test_two_files_with_one_id_in_one_folder_are_refused(settings: Settings) -> None:
    folder = settings.data_dir / "expos"
    folder.mkdir(parents=True)
    (folder / "a.yaml").write_text(CIEME, encoding="utf-8")
    (folder / "b.yaml").write_text(CIEME, encoding="utf-8")
    with pytest.raises(EditionError, match=r"b\.yaml: id 'cieme-2026' is already defined in .*a\.yaml"):
        load_editions(settings)


def test_set_url_copies_a_bundled_edition_keeping_its_comments(settings: Settings) -> None:
    written = set_url(settings, "cieme-2026", "https://expo.example.cn/2026/会刊.pdf")
    assert written == settings.data_dir / "expos" / "cieme-2026.yaml"
    text = written.read_text(encoding="utf-8")
    lines = CIEME.splitlines()
    at = lines.index("url:")
    block = at
    while lines[block - 1].startswith("#"):
        block -= 1
    assert "stays empty" in " ".join(lines[block:at])  # the comment above url: is about the empty URL
    kept = [line for line in lines[:block] + lines[at:] if line.startswith("#")]
    assert all(line in text for line in kept)  # every other comment is kept
    assert "stays empty" not in text  # the comment about the empty URL is replaced
    assert text.count("# url set with `alertbot expo set-url` on ") == 1
    assert load_editions(settings)["cieme-2026"].urls == ["https://expo.example.cn/2026/会刊.pdf"]
    set_url(settings, "cieme-2026", "https://expo.example.cn/2026/v2.pdf")
    assert load_editions(settings)["cieme-2026"].urls == ["https://expo.example.cn/2026/v2.pdf"]
    assert written.read_text(encoding="utf-8").count("# url set with") == 1
    assert (BUNDLED / "cieme-2026.yaml").read_text(encoding="utf-8") == CIEME
    with pytest.raises(
        EditionError, match="unknown edition 'nope-2026'; known editions: cieme-2026, giic-2026"
    ):
        set_url(settings, "nope-2026", "https://x.example")


def test_crawl_spec_names_the_spider_edition_file_and_input(settings: Settings) -> None:
    edition = load_editions(settings)["cieme-2026"]
    with pytest.raises(EditionError, match="no list URL yet"):
        crawl_spec(edition, settings)
    name, args = crawl_spec(edition, settings, file="/tmp/会刊.pdf")
    assert name == "expo_exhibitors"
    assert args == {
        "edition": "cieme-2026",
        "config": str(BUNDLED / "cieme-2026.yaml"),
        "file": "/tmp/会刊.pdf",
    }
    set_url(settings, "cieme-2026", "https://expo.example.cn/list.pdf")
    edition = load_editions(settings)["cieme-2026"]
    assert crawl_spec(edition, settings) == (
        "expo_exhibitors",
        {"edition": "cieme-2026", "config": str(settings.data_dir.resolve() / "expos" / "cieme-2026.yaml")},
    )


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


# CIEME 2026: opens 2026-09-01 and closes after 2026-09-05 (Asia/Shanghai, UTC+8). Expo mode starts 7 days
# before: 2026-08-25 00:00 +08:00 = 2026-08-24 16:00 UTC; it ends 2026-09-06 00:00 +08:00 = 09-05 16:00 UTC.
# Outside it: daily at 06:00 show time = 22:00 UTC the day before.
SCHEDULE = [
    ("2026-06-01T12:00:00+00:00", {}, "2026-06-01T22:00:00+00:00"),  # months before: daily
    ("2026-06-01T22:00:00+00:00", {}, "2026-06-02T22:00:00+00:00"),  # exactly at a daily slot: the next one
    (
        "2026-08-24T12:00:00+00:00",
        {},
        "2026-08-24T16:00:00+00:00",
    ),  # expo mode starts before the next daily run
    ("2026-08-24T16:00:00+00:00", {}, "2026-08-24T17:00:00+00:00"),  # first hour of expo mode
    ("2026-08-30T03:17:00+00:00", {}, "2026-08-30T04:00:00+00:00"),  # hourly grid
    ("2026-09-05T14:59:59+00:00", {}, "2026-09-05T15:00:00+00:00"),  # last slot before closing
    ("2026-09-05T15:00:00+00:00", {}, "2026-09-05T22:00:00+00:00"),  # closed at 16:00: back to daily
    ("2026-09-10T00:00:00+00:00", {}, "2026-09-10T22:00:00+00:00"),  # after the show: daily
    (
        "2026-08-30T03:17:00+00:00",
        {"expo_mode_interval: 1h": "expo_mode_interval: 20m"},
        "2026-08-30T03:20:00+00:00",
    ),
    ("2026-08-26T12:00:00+00:00", {"expo_mode_days: 7": "expo_mode_days: 3"}, "2026-08-26T22:00:00+00:00"),
    ("2026-08-28T16:30:00+00:00", {"expo_mode_days: 7": "expo_mode_days: 3"}, "2026-08-28T17:00:00+00:00"),
    ("2026-08-30T11:17:00+08:00", {}, "2026-08-30T04:00:00+00:00"),  # any zone in, UTC out
]


@pytest.mark.parametrize(("now", "change", "expected"), SCHEDULE)
def test_next_crawl_at_hourly_in_expo_mode_daily_otherwise(
    now: str, change: dict[str, str], expected: str
) -> None:
    text = CIEME
    for old, new in change.items():
        text = text.replace(old, new)
    edition = parse_edition(text, "cieme-2026.yaml")
    due = next_crawl_at(edition, _at(now))
    assert due == _at(expected)
    assert due.tzinfo == UTC
    assert due > _at(now)


def test_next_crawl_at_refuses_a_naive_clock() -> None:
    edition = parse_edition(CIEME, "cieme-2026.yaml")
    with pytest.raises(ValueError, match="timezone-aware"):
        next_crawl_at(edition, dt.datetime(2026, 8, 30, 12, 0))


def test_walking_the_clock_through_a_show_crawls_hourly_only_inside_the_window() -> None:
    edition = parse_edition(CIEME.replace("expo_mode_days: 7", "expo_mode_days: 2"), "cieme-2026.yaml")
    now, runs = _at("2026-08-25T00:00:00+00:00"), []
    while now < _at("2026-09-09T00:00:00+00:00"):
        now = next_crawl_at(edition, now)
        runs.append(now)
    start, end = edition.expo_mode_window()
    inside = [r for r in runs if start <= r < end]
    assert len(inside) == (end - start) // dt.timedelta(hours=1)
    outside = [r for r in runs if not start <= r < end]
    assert all(r.astimezone(edition.zone).time() == dt.time(6, 0) for r in outside)
    # Expo mode (2 days) runs from 08-29 16:00 to 09-05 16:00 UTC; daily 22:00 UTC runs before and after.
    assert [r.date().isoformat() for r in outside] == [
        "2026-08-25", "2026-08-26", "2026-08-27", "2026-08-28",
        "2026-09-05", "2026-09-06", "2026-09-07", "2026-09-08", "2026-09-09",
    ]  # fmt: skip
    assert inside[0] == start
