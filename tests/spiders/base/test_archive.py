"""Zip bombs and truncated archives are refused before any parsing; members stream without extraction."""

from __future__ import annotations

from pathlib import Path

import pytest

from spiders.base.archive import ArchiveLimits, CorruptFileError, ZipBombError, iter_members
from tests.spiders.standins import fixture_bytes, zip_bytes


def _names(source: bytes | Path, limits: ArchiveLimits | None = None) -> list[str]:
    return [member.name for member, _stream in iter_members(source, "f.zip", limits or ArchiveLimits())]


def test_high_compression_ratio_is_refused() -> None:
    bomb = zip_bytes({"bomb.xml": b"<d>" + b"\0" * 5_000_000 + b"</d>"})
    with pytest.raises(ZipBombError, match="ratio"):
        _names(bomb)


def test_member_and_total_size_bounds() -> None:
    payload = fixture_bytes("uspto_tm_daily", "uspto-tm-daily.sample.xml")
    archive = zip_bytes({"a.xml": payload, "b.xml": payload})
    with pytest.raises(ZipBombError, match="per-member limit"):
        _names(archive, ArchiveLimits(max_member_bytes=len(payload) - 1))
    with pytest.raises(ZipBombError, match="add up"):
        _names(archive, ArchiveLimits(max_total_bytes=len(payload) + 10))
    assert _names(archive) == ["f.zip!a.xml", "f.zip!b.xml"]


def test_truncated_zip_is_a_corrupt_file() -> None:
    archive = zip_bytes({"a.xml": fixture_bytes("uspto_tm_daily", "uspto-tm-daily.sample.xml")})
    with pytest.raises(CorruptFileError, match="truncated"):
        _names(archive[: len(archive) // 2])


def test_plain_xml_and_zip_from_disk(tmp_path: Path) -> None:
    plain = tmp_path / "apc240925.xml"
    plain.write_bytes(b"<d/>")
    zipped = tmp_path / "apc240925.zip"
    zipped.write_bytes(zip_bytes({"apc240925.xml": b"<d/>", "readme.txt": b"x"}))
    assert _names(plain) == ["f.zip"]
    assert [(m.name, s.read()) for m, s in iter_members(zipped, "apc240925.zip", ArchiveLimits())] == [
        ("apc240925.zip!apc240925.xml", b"<d/>")
    ]
