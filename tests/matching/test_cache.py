"""The compiled watchlist index on disk: reused when nothing changed, rebuilt when anything did."""

from __future__ import annotations

import dataclasses
import logging
import pickle
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alertbot.cli import app
from alertbot.matching import Candidate, Matcher, Watch
from alertbot.matching import cache as matcher_cache
from tests.matching.conftest import FIXTURES

WATCHES = (
    Watch(
        id="bingshan",
        name_zh="大连冰山集团有限公司",
        name_en="Dalian Bingshan Group",
        marks=("冰山", "BINGSHAN"),
        classes=frozenset({11}),
    ),
    Watch(
        id="jinbei",
        name_zh="华晨金杯汽车有限公司",
        name_en="Brilliance Jinbei",
        marks=("金杯", "JINBEI"),
        classes=frozenset({12}),
    ),
)
PROBES = (
    Candidate(id="r1", kind="trademark", text="ICEBERG", applicant="Nordfrost GmbH", classes=frozenset({11})),
    Candidate(id="r2", kind="trademark", text="全杯", applicant="Apex Motors Ltd", classes=frozenset({12})),
    Candidate(id="r3", kind="trademark", text="JINBEY", applicant="Apex Motors Ltd", classes=frozenset({12})),
    Candidate(
        id="r4", kind="exhibitor", text="青岛水山制冷设备有限公司", applicant=None, classes=frozenset()
    ),
)


def _answers(matcher: Matcher) -> list[list[tuple[str, str, str]]]:
    return [[(h.watch_id, h.variant, h.risk) for h in matcher.match(c)] for c in PROBES]


def test_second_compile_loads_the_stored_index_and_answers_alike(tmp_path: Path) -> None:
    fresh = _answers(Matcher(WATCHES))
    assert all(fresh), fresh  # every probe is a hit, so "alike" below means something
    first = matcher_cache.compiled_matcher(WATCHES, tmp_path)
    files = list(tmp_path.glob("matcher-*.pickle"))
    assert len(files) == 1
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    stored = files[0].stat().st_mtime_ns
    second = matcher_cache.compiled_matcher(WATCHES, tmp_path)
    assert second is not first
    assert files[0].stat().st_mtime_ns == stored  # read, not written again
    assert _answers(first) == _answers(second) == fresh


def test_a_changed_watchlist_or_code_is_a_new_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = matcher_cache.watchlist_key(WATCHES)
    changed = (WATCHES[0], dataclasses.replace(WATCHES[1], classes=frozenset({12, 7})))
    assert matcher_cache.watchlist_key(changed) != key
    assert matcher_cache.watchlist_key(WATCHES[:1]) != key
    monkeypatch.setattr(matcher_cache, "code_fingerprint", lambda: "another version of the matcher")
    assert matcher_cache.watchlist_key(WATCHES) != key


def test_code_fingerprint_covers_the_matcher_sources_and_data() -> None:
    assert len(matcher_cache.code_fingerprint()) == 64


@pytest.mark.parametrize("content", [b"", b"\x80\x05truncated", pickle.dumps({"not": "a matcher"})])
def test_an_unreadable_or_foreign_file_is_rebuilt(
    tmp_path: Path, content: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / f"matcher-{matcher_cache.watchlist_key(WATCHES)}.pickle"
    path.write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="alertbot.matching.cache"):
        matcher = matcher_cache.compiled_matcher(WATCHES, tmp_path)
    assert _answers(matcher) == _answers(Matcher(WATCHES))
    assert "ignoring" in caplog.text
    assert isinstance(pickle.loads(path.read_bytes()), Matcher)  # replaced by a good one


def test_no_cache_directory_means_no_file(tmp_path: Path) -> None:
    matcher_cache.compiled_matcher(WATCHES, None)
    assert not list(tmp_path.iterdir())


def test_only_the_newest_files_are_kept(tmp_path: Path) -> None:
    for n in range(matcher_cache.KEEP + 2):
        watches = (
            Watch(
                id=f"w{n}", name_zh="", name_en=f"Company {n}", marks=(f"MARK{n}XQ",), classes=frozenset({9})
            ),
        )
        matcher_cache.compiled_matcher(watches, tmp_path)
    assert len(list(tmp_path.glob("matcher-*.pickle"))) == matcher_cache.KEEP


def test_an_unwritable_directory_still_matches(tmp_path: Path) -> None:
    blocker = tmp_path / "file-not-directory"
    blocker.write_text("x")
    matcher = matcher_cache.compiled_matcher(WATCHES, blocker / "cache")
    assert _answers(matcher) == _answers(Matcher(WATCHES))


def test_cli_uses_the_data_dir_cache_unless_told_not_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alertbot.settings import get_settings

    monkeypatch.setenv("ALERTBOT_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    records = tmp_path / "records.jsonl"
    records.write_text('{"id": "r1", "kind": "trademark", "text": "ICEBERG", "classes": [11]}\n', "utf-8")
    watchlist = FIXTURES / "watchlist_families.csv"
    base = ["match", "--watchlist", str(watchlist), "--records", str(records), "--workers", "1"]
    try:
        cold = CliRunner().invoke(app, [*base, "--no-cache", "--out", str(tmp_path / "cold.jsonl")])
        assert cold.exit_code == 0, cold.output
        assert not (tmp_path / "data" / "cache").exists()
        for name in ("first", "second"):
            warm = CliRunner().invoke(app, [*base, "--out", str(tmp_path / f"{name}.jsonl")])
            assert warm.exit_code == 0, warm.output
        assert len(list((tmp_path / "data" / "cache").glob("matcher-*.pickle"))) == 1
        outputs = {(tmp_path / f"{n}.jsonl").read_text("utf-8") for n in ("cold", "first", "second")}
        assert len(outputs) == 1
        assert '"watch_id": "bingshan"' in outputs.pop()
    finally:
        get_settings.cache_clear()


def test_loading_the_index_leaves_the_garbage_collector_on(tmp_path: Path) -> None:
    """The load pauses the cyclic collector (as the compile does) and turns it back on, also after a bad file."""
    import gc

    assert gc.isenabled()
    matcher_cache.compiled_matcher(WATCHES, tmp_path)  # compiled and stored
    assert isinstance(matcher_cache.compiled_matcher(WATCHES, tmp_path), Matcher)  # loaded
    assert gc.isenabled()
    (tmp_path / f"matcher-{matcher_cache.watchlist_key(WATCHES)}.pickle").write_bytes(b"not a pickle")
    matcher_cache.compiled_matcher(WATCHES, tmp_path)
    assert gc.isenabled()
