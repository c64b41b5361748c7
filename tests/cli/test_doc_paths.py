"""The paths README.md and docs/*.md point at exist in the repository, as read on GitHub.

A newcomer followed ``../shared/...`` from docs/expo.md, docs/matching.md and docs/spiders.md: that folder is
next to the developers' checkout, not in the repository. Every relative link and every backticked ``../``
path in the docs must resolve to a file or folder inside the repository.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")
RELATIVE_IN_CODE = re.compile(r"`(\.\./[^`\s]*)`")


def _targets(text: str) -> list[str]:
    links = [t for t in LINK.findall(text) if not re.match(r"[a-z][a-z0-9+.-]*:|#", t)]
    return links + RELATIVE_IN_CODE.findall(text)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_path_resolves_inside_the_repository(doc: Path) -> None:
    broken = []
    for target in _targets(doc.read_text(encoding="utf-8")):
        path = (doc.parent / target.split("#", 1)[0]).resolve()
        if not path.is_relative_to(ROOT) or not path.exists():
            broken.append(target)
    assert broken == [], f"{doc.relative_to(ROOT)}: {broken}"


def test_the_checker_catches_a_link_out_of_the_repository() -> None:
    assert _targets("see `../shared/formats/` and [x](../shared/notes/a.md)") == [
        "../shared/notes/a.md",
        "../shared/formats/",
    ]
