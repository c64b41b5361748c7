"""Opening downloaded gazette files: zip archives (bounded against zip bombs) or plain XML.

Zip members are streamed straight into the parser (``ZipFile.open``), never extracted. Before a member is
opened its declared uncompressed size, the archive's total and the compression ratio are checked; the
stream is also capped while reading, in case a header lies.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"


class CorruptFileError(ValueError):
    """A truncated or corrupt download (bad zip, CRC error)."""


class ZipBombError(ValueError):
    """A zip whose uncompressed size or compression ratio is beyond the configured bounds."""


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    """Bounds for one downloaded file. Defaults fit the largest real gazette files with headroom."""

    # Real USPTO daily members are up to ~532 MB; annual backfile parts ~560 MB.
    max_member_bytes: int = 2 * 1024**3
    max_total_bytes: int = 8 * 1024**3
    # Real gazette XML deflates ~18:1 (apc: 10-30 MB zipped, 186-532 MB XML); classic bombs are ~1000:1.
    max_ratio: float = 200.0
    max_members: int = 200_000


@dataclass(frozen=True, slots=True)
class Member:
    """One XML document source inside a downloaded file."""

    name: str
    size: int


def is_zip(head: bytes) -> bool:
    """Whether the bytes start like a zip archive."""
    return head.startswith((ZIP_MAGIC, EMPTY_ZIP_MAGIC))


def check_zip(archive: zipfile.ZipFile, label: str, limits: ArchiveLimits) -> list[zipfile.ZipInfo]:
    """Validate every member's declared sizes; return the file members in archive order."""
    infos = [info for info in archive.infolist() if not info.is_dir()]
    if len(infos) > limits.max_members:
        raise ZipBombError(f"{label}: {len(infos):,} members, more than the limit of {limits.max_members:,}")
    total = 0
    for info in infos:
        if info.file_size > limits.max_member_bytes:
            raise ZipBombError(
                f"{label}: member {info.filename} declares {info.file_size:,} bytes uncompressed, "
                f"more than the per-member limit of {limits.max_member_bytes:,}"
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > limits.max_ratio:
            raise ZipBombError(
                f"{label}: member {info.filename} compresses {ratio:,.0f}:1, beyond the ratio limit "
                f"{limits.max_ratio:,.0f}:1 (zip bomb?)"
            )
        total += info.file_size
        if total > limits.max_total_bytes:
            raise ZipBombError(
                f"{label}: members add up to more than {limits.max_total_bytes:,} bytes uncompressed"
            )
    return infos


@contextmanager
def open_archive(source: bytes | Path, label: str, limits: ArchiveLimits) -> Iterator[zipfile.ZipFile | None]:
    """Yield a checked ZipFile for a zip, or None when the source is not a zip (plain XML)."""
    if isinstance(source, Path):
        with source.open("rb") as handle:
            head = handle.read(4)
    else:
        head = source[:4]
    if not is_zip(head):
        yield None
        return
    try:
        archive = zipfile.ZipFile(source if isinstance(source, Path) else io.BytesIO(source))
    except (zipfile.BadZipFile, EOFError) as error:
        raise CorruptFileError(
            f"{label}: not a readable zip (truncated or corrupt download): {error}"
        ) from error
    with archive:
        check_zip(archive, label, limits)
        yield archive


def iter_members(
    source: bytes | Path, label: str, limits: ArchiveLimits, suffixes: tuple[str, ...] = (".xml",)
) -> Iterator[tuple[Member, IO[bytes]]]:
    """Yield (member, binary stream) for each XML document in a zip, or the plain file itself."""
    with open_archive(source, label, limits) as archive:
        if archive is None:
            if isinstance(source, Path):
                with source.open("rb") as handle:
                    yield Member(label, source.stat().st_size), handle
            else:
                yield Member(label, len(source)), io.BytesIO(source)
            return
        for info in archive.infolist():
            if info.is_dir() or not info.filename.lower().endswith(suffixes):
                continue
            try:
                with archive.open(info) as stream:
                    yield Member(f"{label}!{info.filename}", info.file_size), stream
            except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile) as error:
                raise CorruptFileError(
                    f"{label}!{info.filename}: corrupt zip member (truncated download?): {error}"
                ) from error
