"""Visually confusable Chinese characters (形近字) that are not homophones: 冰/水, 金/全, 雪/雷, 己/已.

The table (data/glyph_pairs.tsv) is derived once by data/build_glyph_pairs.py from the character data of
char-similar 0.0.2 (PyPI, MIT licence, github.com/yongzhuo/char-similar): stroke order, four-corner codes,
structure and component decomposition of the 5,000 commonest characters. It keeps only near-identical
pairs (the same strokes, one stroke more or changed, a dot radical added, one small component swapped, a
left radical swapped beside the same right-hand part, a right-hand part changed in one or two strokes beside
the same radical), the swaps of documented cases (鹭/鹜, 蒙/豪), and pairs of GB 2312 characters whose glyphs,
drawn in Noto Sans CJK SC, are each other's nearest as bitmaps (喜/嘉, 牧/枚) or by stroke directions (完/宪,
创/刨); it drops every pair that shares a reading,
because a homophone swap is a family of its own. See the build script for the exact rules and data/README.md
for provenance and licences.
"""

from __future__ import annotations

import importlib.resources
from functools import lru_cache


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


def look_alikes(char: str) -> dict[str, str]:
    """The characters that look like ``char`` (and do not sound like it), with the rule that paired them."""
    return table().get(char, {})
