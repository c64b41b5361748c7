"""Visually confusable Chinese characters (形近字) that are not homophones: 冰/水, 金/全, 雪/雷, 己/已.

The table (data/glyph_pairs.tsv) is derived once by data/build_glyph_pairs.py from the character data of
char-similar 0.0.2 (PyPI, MIT licence, github.com/yongzhuo/char-similar): stroke order, four-corner codes,
structure and component decomposition of the 5,000 commonest characters. It keeps only near-identical
pairs (the same strokes, one stroke more or changed, a dot radical added, one small component swapped, a
left radical swapped beside the same right-hand part, a right-hand part changed in one or two strokes beside
the same radical), the swaps of documented cases (鹭/鹜, 蒙/豪), and pairs of GB 2312 characters whose glyphs,
drawn in Noto Sans CJK SC, are each other's nearest as bitmaps (喜/嘉, 牧/枚) or by stroke directions (完/宪,
创/刨); data/glyph_near.tsv adds pairs by stroke direction alone (量/重, 雀/崔), the closest for any mark and the
rest for marks of three characters or more (see is_weak); it drops every pair that shares a reading,
because a homophone swap is a family of its own. See the build script for the exact rules and data/README.md
for provenance and licences.
"""

from __future__ import annotations

import importlib.resources
from functools import lru_cache

CLOSE_SIMILARITY = 65
"""Stroke-direction cosine (x 100) of a pair of glyph_near.tsv that counts for any mark; below it, a pair counts only
for a mark of three characters or more (see the build script's CLOSE_SIMILARITY and NEAR_SIMILARITY)."""
NEAR_RULE, CLOSE_RULE = "directions-near", "directions-close"


@lru_cache(maxsize=1)
def table() -> dict[str, dict[str, str]]:
    """Character → {look-alike character: the rule that paired them}."""
    pairs: dict[str, dict[str, str]] = {}
    text = importlib.resources.files("alertbot.matching").joinpath("data/glyph_pairs.tsv").read_text("utf-8")
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        char, other, rule = line.split("\t")
        pairs.setdefault(char, {})[other] = rule
    return pairs


@lru_cache(maxsize=1)
def _near_lines() -> dict[str, str]:
    """Character → its line of glyph_near.tsv, unparsed: a quarter of a million pairs, read as needed."""
    text = importlib.resources.files("alertbot.matching").joinpath("data/glyph_near.tsv").read_text("utf-8")
    return dict(line.split("\t", 1) for line in text.splitlines() if line and not line.startswith("#"))


@lru_cache(maxsize=8192)
def look_alikes(char: str) -> dict[str, str]:
    """The characters that look like ``char`` (and do not sound like it), with the rule that paired them."""
    found = dict(table().get(char, {}))
    for entry in _near_lines().get(char, "").split():
        other, score = entry[0], int(entry[1:])
        rule = CLOSE_RULE if score >= CLOSE_SIMILARITY else NEAR_RULE
        found.setdefault(other, f"{rule} {score / 100:.2f}")
    return found


def is_weak(rule: str) -> bool:
    """A pair only close enough to count where two other characters of the mark are in place (百雀羚 → 百崔羚)."""
    return rule.startswith(NEAR_RULE)
