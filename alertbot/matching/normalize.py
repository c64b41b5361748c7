"""Text forms that both sides of a comparison are reduced to.

Every function here is pure and idempotent on its own output, and the expensive ones are cached, because
applicants and exhibitor names repeat a lot in gazettes.
"""

from __future__ import annotations

import importlib.resources
import itertools
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

import zhconv
from confusable_homoglyphs import confusables
from pypinyin import Style, lazy_pinyin, pinyin
from pypinyin.constants import PINYIN_DICT
from pypinyin.contrib.tone_convert import to_normal

from alertbot.matching import cedict
from alertbot.matching.lexicon import (
    ALL_LATIN_LEGAL_FORMS,
    FORM_JURISDICTIONS,
    HAN_LEGAL_PREFIXES,
    HAN_LEGAL_SUFFIXES,
    HAN_PLACE_SUFFIXES,
    HAN_PLACES,
    HANGUL_LEGAL_FORMS,
    LATIN_LEGAL_PREFIXES,
    LATIN_PLACES,
    is_dictionary_word,
)

_HAN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_HAN_RUN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_LATIN_RE = re.compile(r"[a-z]")
# Anything that is not a letter or digit separates words (punctuation, dots of "N.E.P.G.", brackets, "·").
_SEPARATORS_RE = re.compile(r"[\W_]+", re.UNICODE)
_AMPERSAND_RE = re.compile(r"\s*[&+＆]\s*")

_SKELETON_SCRIPTS = ("CYRILLIC", "GREEK", "LATIN", "ARMENIAN", "CHEROKEE", "COPTIC")


def _build_skeleton_table() -> dict[int, str]:
    """Non-ASCII letters that look like one ASCII letter or digit, with that letter (case kept)."""
    table: dict[int, str] = {}
    for char, entries in confusables.confusables_data.items():
        if len(char) != 1 or char.isascii():
            continue
        name = unicodedata.name(char, "")
        if not name.startswith(_SKELETON_SCRIPTS):
            continue
        for entry in entries:
            target = entry["c"]
            if len(target) == 1 and target.isascii() and target.isalnum():
                # The data maps capital iota/I to "l"; keep capitals capital so "I"/"l" can be told by context.
                if target == "l" and char.isupper():
                    target = "I"
                table[ord(char)] = target
                break
    return table


_SKELETON_TABLE = _build_skeleton_table()
# Digits used as letters in squats (0/O, 1/I, 5/S, 6/G, 9/g, 2/Z, 7/T, and the leetspeak 3/E, 4/A, 8/B, $, @).
_DIGIT_LOOKALIKES = str.maketrans(
    {
        "0": "o",
        "5": "s",
        "6": "g",
        "9": "g",
        "2": "z",
        "7": "t",
        "3": "e",
        "4": "a",
        "8": "b",
        "$": "s",
        "@": "a",
        "|": "l",
    }
)


def _strip_accents(text: str) -> str:
    """Letters without their accents and tone marks (NEÜSOFT → NEUSOFT, Xīn Sōng → Xin Song).

    Recomposed afterwards, so Hangul syllables (decomposed to jamo by NFD) come back whole.
    """
    if text.isascii():
        return text
    bare = "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", bare)


_HAN_RUN_RE = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)")


def scripts_spaced(text: str) -> str:
    """Chinese characters set apart from the letters beside them ("青岛tcl电子" → "青岛 tcl 电子"): a Latin brand
    written into a Chinese company name is a word of its own."""
    return " ".join(_HAN_RUN_RE.sub(r" \1 ", text).split()) if has_han(text) else text


def has_han(text: str) -> bool:
    """Whether ``text`` contains Chinese characters."""
    return _HAN_RE.search(text) is not None


def han_only(text: str) -> str:
    """The Chinese characters of ``text``, in order."""
    return "".join(_HAN_RUN_RE.findall(text))


@lru_cache(maxsize=262144)
def fold(text: str) -> str:
    """NFKC, casefold, traditional→simplified, ``&`` → ``and``, punctuation and spacing folded to one space."""
    if text.isascii() and text.isalnum():
        return text.lower()  # the common case (one Latin word): every other step is a no-op
    text = unicodedata.normalize("NFKC", text)
    if has_han(text):
        text = to_simplified(text)
    # Turkish İ casefolds to i + a combining dot, which the separators would turn into a space (ANONİM).
    text = _AMPERSAND_RE.sub(" and ", text).casefold().replace("i\u0307", "i")
    return _SEPARATORS_RE.sub(" ", text).strip()


def tokens(text: str) -> tuple[str, ...]:
    """The folded words of ``text``."""
    return tuple(fold(text).split())


@lru_cache(maxsize=65536)
def to_simplified(text: str) -> str:
    """Traditional Chinese characters replaced by simplified ones (character-level, no vocabulary changes), and
    variant characters by the standard ones first (老鼎豊 = 老鼎丰, see _variant_characters).

    A text all of whose characters are in GB 2312 is simplified Chinese already and is left as written: 乾 (qián,
    乾隆) and 于 are characters of their own there, which a character-level conversion would turn into 干."""
    text = text.translate(_variant_characters())
    if all(len(ch.encode("gb2312", "ignore")) == 2 for ch in text if _HAN_RE.match(ch)):
        return text
    return str(zhconv.convert(text, "zh-hans"))


_VARIANT_TABLES = ("JPVariants", "TWVariants", "HKVariants")


@lru_cache(maxsize=1)
def _variant_characters() -> dict[int, str]:
    """Variant character → its standard simplified character, from OpenCC's variant tables (Japanese shinjitai,
    Taiwan and Hong Kong forms; the opencc-python-reimplemented package, Apache-2.0), e.g. 豊 → 丰, 亜 → 亚, 仏 → 佛.

    Only characters outside GB 2312 that zhconv leaves as they are: a variant that is also a standard character
    of its own (芸, the Japanese form of 藝, is the Chinese 芸 of 芸香) keeps its own meaning."""
    table: dict[int, str] = {}
    for name in _VARIANT_TABLES:
        text = importlib.resources.files("opencc").joinpath(f"dictionary/{name}.txt").read_text("utf-8")
        for line in text.splitlines():
            standard, _, variants = line.partition("\t")
            for variant in variants.split():
                if len(variant) != 1 or len(standard) != 1 or len(variant.encode("gb2312", "ignore")) == 2:
                    continue
                simplified = zhconv.convert(standard, "zh-hans")
                if zhconv.convert(variant, "zh-hans") == variant and simplified != variant:
                    table[ord(variant)] = simplified
    return table


@lru_cache(maxsize=262144)
def skeleton(text: str) -> str:
    """A homoglyph skeleton: look-alike letters and digits mapped to one ASCII letter, then casefolded.

    ``I``/``l``/``1`` are told apart by context: in an all-capitals word a lowercase ``l`` or a ``1`` stands
    for ``I``; in a lowercase word a capital ``I`` or a ``1`` stands for ``l``. So ``SlASUN`` → ``siasun`` and
    ``WeIlhope`` → ``wellhope``, while ``NHL`` stays ``nhl`` and does not meet ``NHI``.
    """
    if text.isascii() and text.isalpha() and (text.isupper() or text.islower()):
        return text.lower()  # one-case ASCII letters: no look-alike can hide there
    text = _strip_accents(unicodedata.normalize("NFKC", text).translate(_SKELETON_TABLE))
    text = text.translate(_SKELETON_TABLE).translate(_DIGIT_LOOKALIKES)
    words = []
    for word in text.split():
        upper = sum(1 for ch in word if ch.isupper() and ch != "I")
        lower = sum(1 for ch in word if ch.islower() and ch != "l")
        if upper > lower or (upper == lower and upper > 0):
            word = word.replace("l", "I").replace("1", "I")
        elif lower > upper:
            # A title-case capital I ("Iberia") is a real I; only an I inside a lowercase word is a look-alike.
            word = word[:1] + word[1:].replace("I", "l").replace("1", "l")
        words.append(word.replace("1", "l"))
    folded = fold(" ".join(words))
    # Casefolding can create look-alikes of its own (combining ypogegrammeni → ι); map those too.
    return fold(folded.translate(_SKELETON_TABLE).translate(_DIGIT_LOOKALIKES))


def compact(text: str) -> str:
    """The folded text without spaces."""
    return fold(text).replace(" ", "")


@lru_cache(maxsize=262144)
def skeleton_compact(text: str) -> str:
    """The homoglyph skeleton without spaces: the key for exact-equivalent comparison of Latin marks."""
    return skeleton(text).replace(" ", "")


_PHONETIC_RULES: tuple[tuple[str, str], ...] = (
    ("sch", "sh"),
    ("tch", "ch"),
    ("ks", "x"),
    ("cs", "x"),
    ("ph", "f"),
    ("gh", "g"),
    ("kh", "k"),
    ("dh", "d"),
    ("th", "t"),
    ("ck", "k"),
    ("ch", "k"),
    ("ew", "eu"),
    ("ow", "ou"),
    ("w", "v"),
    ("ay", "ei"),
    ("ey", "ei"),
    ("ai", "ei"),
    ("y", "i"),
    ("ee", "i"),
    ("ea", "i"),
    ("ie", "i"),
    ("oo", "u"),
    ("ou", "u"),
    ("q", "k"),
)
_SOFT_C_RE = re.compile(r"c(?=[eiy])")
_DOUBLE_RE = re.compile(r"(.)\1+")
# Pinyin-derived marks are respelt the way English speakers hear them: Wade-Giles "hs" and pinyin "x" before a
# vowel sound like "sh" (XINGQI → SHINGCHI, HSING), "zh" like "j" (ZHONG → JONG); pinyin "q" is already keyed
# with English "ch" (both become "k"), and "ui"/"way", "ao"/"ow" differ by one vowel (the
# matcher allows one vowel edit inside a vowel group, see one_vowel_apart).
# (needle, pattern, replacement): the pattern only runs when the needle is in the key (most keys lack it).
_PINYIN_START_RULES: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("zh", re.compile(r"zh"), "j"),
    # Pinyin c is "ts" (CAI = TSAI), written "ts" by Wade-Giles and by English speakers.
    ("ts", re.compile(r"ts(?=[aeiouy])"), "c"),
    ("dz", re.compile(r"dz(?=[aeiouy])"), "z"),
    # A silent "h" after a vowel at a syllable end: OH sounds like pinyin "ou", AH/EH like the bare vowel.
    ("oh", re.compile(r"(?<=o)h(?![aeiouy])"), "u"),
    ("ah", re.compile(r"(?<=a)h(?![aeiouy])"), ""),
    ("eh", re.compile(r"(?<=e)h(?![aeiouy])"), ""),
    ("ih", re.compile(r"(?<=i)h(?![aeiouy])"), ""),
    ("uh", re.compile(r"(?<=u)h(?![aeiouy])"), ""),
)
_PINYIN_X_RE = re.compile(r"x(?=[aeiou])")
# Wade-Giles "hs" starts a syllable word (Ch'ing-hsia, HSING); read on the spaced skeleton, where words show.
_WADE_GILES_HS_RE = re.compile(r"\bhs(?=[aeiouy])")
# Two spellings read two ways, so both keys are kept: consonant + "y" at a syllable end sounds like "ai"
# (sky, my, by) or like "i" (city); "ow" at a syllable end like pinyin "ao" (how, now) or like "ou" (low).
_AMBIGUOUS_READINGS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("y", re.compile(r"(?<=[bcdfghjklmnpqrstvwxz])y(?![aeiouy])"), "ai"),
    ("ow", re.compile(r"ow(?![aeiouy])"), "ao"),
)
# A "u" between a consonant and a vowel is the glide "w" (HUANG = HWANG, KUERY ≠ KERY), not a vowel sound.
_GLIDE_U_RE = re.compile(r"(?<![aeiou])u(?=[aeio])")
PHONETIC_VOWELS = frozenset("aeiou")
_DROP_VOWELS = str.maketrans("", "", "aeiou")


def _phonetic_key(compact_skeleton: str) -> str:
    key = compact_skeleton
    for needle, pattern, repl in _PINYIN_START_RULES:
        if needle in key:
            key = pattern.sub(repl, key)
    if "c" in key:
        key = _SOFT_C_RE.sub("s", key)
    for old, new in _PHONETIC_RULES:
        if old in key:
            key = key.replace(old, new)
    key = key.replace("c", "k")
    if "x" in key:
        key = _PINYIN_X_RE.sub("sh", key)
    if "u" in key and ("ua" in key or "ue" in key or "ui" in key or "uo" in key):
        key = _GLIDE_U_RE.sub("v", key)
    # Doubled letters collapsed; searching first spares the many keys without any, and groupby is cheaper than
    # a template substitution (which expands "\1" in Python for every match).
    return "".join(letter for letter, _ in itertools.groupby(key)) if _DOUBLE_RE.search(key) else key


@lru_cache(maxsize=262144)
def phonetic(text: str) -> str:
    """A sound-alike key for Latin marks: common respellings folded (sch/sh, ks/x, ph/f, w/v, ay/ei, y/i, c/k,
    pinyin x/sh, zh/j, ts/c, a silent h after a vowel…) and doubled letters collapsed, so KINNGSEMI, NEWSOFT, JINBAY
    and ZONEKO meet their marks."""
    return phonetic_keys(text)[0]


@lru_cache(maxsize=262144)
def phonetic_keys(text: str) -> tuple[str, ...]:
    """:func:`phonetic`, plus the keys of the other reading of ambiguous spellings: a consonant + "y" at a
    syllable end read as "ai" (SKY = SKAI), "ow" read as "ao" (LOW = LAO)."""
    spelling = skeleton_compact(text)
    if "hs" in spelling:
        spelling = _WADE_GILES_HS_RE.sub("sh", skeleton(text)).replace(" ", "")
    spellings = [spelling]
    for needle, pattern, reading in _AMBIGUOUS_READINGS:
        if needle in spelling and pattern.search(spelling):
            spellings += [pattern.sub(reading, s) for s in spellings]
    if len(spellings) == 1:
        return (_phonetic_key(spelling),)
    return tuple(dict.fromkeys(_phonetic_key(spelling) for spelling in spellings))


def one_vowel_apart(a: str, b: str) -> bool:
    """Whether phonetic keys ``a`` and ``b`` differ only by one vowel respelt inside a vowel group: a vowel
    beside another vowel swapped, added or dropped (EPIAO / EPEAO, SKY "ski" / SKAI "skei").
    The first sound must agree; a vowel changed, added or dropped between consonants (HUALU / HUALI,
    ZONECO / ZONECA) changes a syllable and does not count."""
    if a == b:
        return True
    if not a or not b or a[0] != b[0]:
        return False
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diffs) != 1 or a[diffs[0]] not in PHONETIC_VOWELS or b[diffs[0]] not in PHONETIC_VOWELS:
            return False
        i = diffs[0]
        return any(c in PHONETIC_VOWELS for c in a[i - 1 : i] + a[i + 1 : i + 2])
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    if len(longer) != len(shorter) + 1:
        return False
    for i, char in enumerate(longer):
        if char in PHONETIC_VOWELS and longer[:i] + longer[i + 1 :] == shorter:
            beside = longer[i - 1 : i] + longer[i + 1 : i + 2]
            if any(c in PHONETIC_VOWELS for c in beside):
                return True
    return False


def consonant_frame(key: str) -> str:
    """A phonetic key without its vowels: keys that are equal or :func:`one_vowel_apart` share it."""
    return key.translate(_DROP_VOWELS)


@lru_cache(maxsize=1)
def pinyin_syllables() -> frozenset[str]:
    """Every toneless pinyin syllable (about 420: "a", "bi", "zhuang" …), ü written "u" and "v"."""
    toned: set[str] = set()
    for readings in PINYIN_DICT.values():
        toned.update(readings.split(","))
    bare = {str(to_normal(syllable)) for syllable in toned}
    return frozenset(bare | {s.replace("ü", "u") for s in bare} | {s.replace("ü", "v") for s in bare})


def _pinyin_alternatives(syllable: str) -> tuple[str, ...]:
    # pypinyin writes ü as "v"; filings write it as "u", "yu" or "v".
    if "v" in syllable:
        return (syllable.replace("v", "u"), syllable.replace("v", "yu"), syllable)
    return (syllable,)


@lru_cache(maxsize=65536)
def _common_readings(char: str) -> tuple[str, ...]:
    """The two most common toneless readings of one character (pypinyin lists the common one first).

    The second reading is kept only when it is a word reading in CC-CEDICT (an ordinary meaning, not a
    surname-only, cross-reference or archaic reading): 万 is "wan", never "mo"; 单 "dan", not "shan";
    解 "jie", not "xie". A Chinese speaker reading the mark as a word would not use those, while they turn
    ordinary European words (MODA, SHANTI …) into the pinyin of a watched mark.
    """
    readings = tuple(dict.fromkeys(pinyin(char, style=Style.NORMAL, heteronym=True)[0][:2]))
    if len(readings) < 2:
        return readings
    words = cedict.word_readings(char)
    return readings if not words or readings[1] in words else readings[:1]


@lru_cache(maxsize=65536)
def pinyin_readings(text: str, limit: int = 8) -> tuple[tuple[str, ...], ...]:
    """Toneless pinyin syllable sequences of the Chinese characters of ``text``.

    The first is the phrase-aware reading (重庆 → chong qing). Brands often use another reading of a
    polyphone (美的 is read "Mei Di", not pypinyin's "mei de"), so each character's two most common readings
    are combined too, up to ``limit`` sequences. Rarer readings (大 → tai, 沈 → tan) are left out on purpose:
    they would make ordinary words such as TAIYANG meet 大杨. ü is also tried as "u" and "yu" (pypinyin
    writes "v").
    """
    han = han_only(to_simplified(unicodedata.normalize("NFKC", text)))
    if not han:
        return ()
    phrase = tuple(lazy_pinyin(han, style=Style.NORMAL))
    per_char = [_common_readings(ch) for ch in han]
    readings: list[tuple[str, ...]] = []
    bases = itertools.chain([phrase], itertools.islice(itertools.product(*per_char), limit * 2))
    for base in bases:
        if len(base) != len(han):
            continue
        for reading in itertools.product(*(_pinyin_alternatives(s) for s in base)):
            if reading not in readings:
                readings.append(reading)
    return tuple(readings[:limit])


@lru_cache(maxsize=262144)
def han_syllables(text: str) -> tuple[str, ...]:
    """One toneless syllable per Chinese character of ``text`` (phrase-aware reading), for homophone search."""
    han = han_only(to_simplified(unicodedata.normalize("NFKC", text)))
    if not han:
        return ()
    syllables = tuple(_pinyin_alternatives(s)[0] for s in lazy_pinyin(han, style=Style.NORMAL))
    return syllables if len(syllables) == len(han) else tuple(lazy_pinyin(ch)[0] for ch in han)


@lru_cache(maxsize=262144)
def han_syllable_choices(text: str) -> tuple[tuple[str, ...], ...]:
    """For each Chinese character of ``text``, the readings a speaker may give it: the phrase-aware one first,
    then the character's other common word reading (靓 is jìng in pypinyin, but liàng in 靓女 and in most names;
    see _common_readings). Homophone search reads a record with these, as it reads a mark."""
    syllables = han_syllables(text)
    written = han_only(unicodedata.normalize("NFKC", text))
    han = han_only(to_simplified(written))
    if len(syllables) != len(han):
        return tuple((s,) for s in syllables)
    # A traditional character that simplifies into another word's character keeps its own readings too: 乾
    # (qián, as in 乾坤) becomes 干 (gān) when simplified, but 双乾 still sounds like 双钱.
    originals = written if len(written) == len(han) else han
    return tuple(
        tuple(dict.fromkeys([syllable, *_spoken_readings(char, original)]))
        for syllable, char, original in zip(syllables, han, originals, strict=True)
    )


def _spoken_readings(*chars: str) -> list[str]:
    """The common word readings of the characters (see _common_readings), ü written as pinyin writes it."""
    return [
        _pinyin_alternatives(reading)[0]
        for char in dict.fromkeys(chars)
        for reading in _common_readings(char)
    ]


def _forms_by_last_word(forms: tuple[tuple[str, ...], ...]) -> dict[str, tuple[tuple[str, ...], ...]]:
    index: dict[str, list[tuple[str, ...]]] = {}
    for form in forms:
        index.setdefault(form[-1], []).append(form)
    return {word: tuple(sorted(group, key=len, reverse=True)) for word, group in index.items()}


_FORMS_BY_LAST_WORD = _forms_by_last_word(ALL_LATIN_LEGAL_FORMS)


def _strip_latin_forms(words: list[str], removed: list[tuple[str, ...]] | None = None) -> list[str]:
    # Forms are compared without accents ("beschränkter", "société", "osakeyhtiö"); the name keeps them.
    bare = [_strip_accents(w) for w in words]
    changed = True
    while changed and len(words) > 1:
        changed = False
        for form in _FORMS_BY_LAST_WORD.get(bare[-1], ()):
            if len(words) > len(form) and tuple(bare[-len(form) :]) == form:
                del words[-len(form) :]
                del bare[-len(form) :]
                changed = True
                if removed is not None:
                    removed.append(form)
                break
        for form in LATIN_LEGAL_PREFIXES:
            if len(words) > len(form) and tuple(words[: len(form)]) == form:
                del words[: len(form)]
                del bare[: len(form)]
                changed = True
                if removed is not None:
                    removed.append(form)
                break
        kept = [i for i, w in enumerate(words) if w not in HANGUL_LEGAL_FORMS]
        if kept and len(kept) < len(words):
            words[:] = [words[i] for i in kept]
            bare[:] = [bare[i] for i in kept]
            changed = True
    return words


def _strip_han_forms(text: str) -> str:
    changed = True
    while changed and text and (text.endswith(HAN_LEGAL_SUFFIXES) or text.startswith(HAN_LEGAL_PREFIXES)):
        changed = False
        for suffix in HAN_LEGAL_SUFFIXES:
            if text.endswith(suffix) and len(text) > len(suffix):
                text = text[: -len(suffix)]
                changed = True
                break
        for prefix in HAN_LEGAL_PREFIXES:
            if text.startswith(prefix) and len(text) > len(prefix):
                text = text[len(prefix) :]
                changed = True
                break
    return text


_HAN_PLACES_BY_FIRST: dict[str, tuple[str, ...]] = {}
for _place in HAN_PLACES:  # in HAN_PLACES' order, which decides between overlapping names
    _HAN_PLACES_BY_FIRST[_place[0]] = (*_HAN_PLACES_BY_FIRST.get(_place[0], ()), _place)


def strip_han_place(text: str) -> str:
    """``text`` without leading place names (沈阳, 辽宁省, 大连市 …); never returns an empty string."""
    changed = True
    while changed and text:
        changed = False
        for place in _HAN_PLACES_BY_FIRST.get(text[0], ()):
            if text.startswith(place) and len(text) > len(place):
                rest = text[len(place) :]
                for suffix in HAN_PLACE_SUFFIXES:
                    if rest.startswith(suffix) and len(rest) > 1:
                        rest = rest[1:]
                        break
                text = rest
                changed = True
                break
    return text


@lru_cache(maxsize=262144)
def legal_core(name: str) -> str:
    """A company name without its legal forms (有限公司, Co., Ltd., GmbH, 주식회사 …), folded.

    Trailing forms are stripped until nothing changes ("Co., Ltd." is two forms), using cleanco's
    international table plus our own list (forms split by punctuation folding, group/holding words).
    """
    text = unicodedata.normalize("NFKC", name).strip()
    if has_han(text):
        text = _strip_han_forms(_SEPARATORS_RE.sub("", to_simplified(text)).casefold())
    words = _strip_latin_forms(fold(text).split())
    return " ".join(words)


@lru_cache(maxsize=65536)
def legal_form_jurisdictions(name: str) -> frozenset[str] | None:
    """The countries a Latin company name's legal form belongs to ("… B.V.": the Netherlands, Belgium, Suriname),
    or None when the name has no form or only one used everywhere (Ltd, Co., Ltd., Corp., LLC); see
    FORM_JURISDICTIONS."""
    text = unicodedata.normalize("NFKC", name).strip()
    if not text or has_han(text):
        return None
    removed: list[tuple[str, ...]] = []
    _strip_latin_forms(fold(text).split(), removed)
    found = [FORM_JURISDICTIONS.get("".join(form)) for form in removed]
    countries = [c for c in found if c is not None]
    return frozenset().union(*countries) if countries else None


@lru_cache(maxsize=262144)
def name_key(name: str) -> str:
    """The identity key of a legal name: legal forms stripped, folded, spaces removed.

    "SHENYANG JINBEI AUTOMOTIVE COMPANY LTD." and "Shenyang Jinbei Automotive Co., Ltd." share a key, and
    so do "沈阳新松机器人自动化股份有限公司" and "沈阳新松机器人自动化有限公司".
    """
    return legal_core(name).replace(" ", "")


@lru_cache(maxsize=262144)
def name_key_without_place(name: str) -> str:
    """:func:`name_key` without leading place names ("新松机器人自动化" for "沈阳新松机器人自动化股份有限公司")."""
    core = legal_core(name)
    if has_han(core):
        return strip_han_place(core.replace(" ", ""))
    words = core.split()
    while len(words) > 1 and words[0] in LATIN_PLACES:
        words.pop(0)
    return "".join(words)


def is_latin(text: str) -> bool:
    """Whether the folded text has Latin letters and no Chinese characters."""
    folded = fold(text)
    return not has_han(folded) and _LATIN_RE.search(folded) is not None


def deletes(key: str) -> set[str]:
    """All strings one deletion away from ``key`` (the symmetric-delete neighbourhood for edit distance 1)."""
    return {key[:i] + key[i + 1 :] for i in range(len(key))}


# ---------------------------------------------------------------- Wade-Giles
# Wade-Giles writes the unaspirated stops p, t, k, ch, ts where pinyin writes b, d, g, zh/j, z, and marks the
# aspirated ones with an apostrophe (p', t', k', ch', ts') that filings often drop; so each initial gives
# every pinyin initial it can stand for, and only real pinyin syllables are kept.
_WG_INITIALS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ch", ("zh", "j", "ch", "q")),
    ("hs", ("x",)),
    ("ts", ("z", "c")),
    ("tz", ("z", "c")),
    ("sh", ("sh",)),
    ("ss", ("s",)),
    ("p", ("b", "p")),
    ("t", ("d", "t")),
    ("k", ("g", "k")),
    ("j", ("r",)),
    ("m", ("m",)),
    ("f", ("f",)),
    ("n", ("n",)),
    ("l", ("l",)),
    ("h", ("h",)),
    ("s", ("s",)),
    ("y", ("y",)),
    ("w", ("w",)),
    ("", ("",)),
)
_WG_FINALS: dict[str, tuple[str, ...]] = {
    "ung": ("ong",),
    "iung": ("iong",),
    "ih": ("i",),
    "u": ("u", "i"),  # ssu, tzu = si, zi
    "ieh": ("ie",),
    "ien": ("ian",),
    "ueh": ("ue", "ve"),
    "uei": ("ui",),
    "o": ("e", "o", "uo"),
    "eh": ("e",),
    "erh": ("er",),
    "ui": ("ui",),
    "uo": ("uo",),
}
WG_APOSTROPHE_RE = re.compile(r"(?<=[A-Za-z])['’‘ʼʻ`´′](?=[A-Za-z])")  # aspiration marks, any glyph
# Initials pinyin has and Wade-Giles never writes: a word starting with one of them is not Wade-Giles.
_NOT_WADE_GILES = frozenset("bdgqxzrv")


@lru_cache(maxsize=65536)
def wade_giles_syllable(word: str) -> tuple[str, ...]:
    """The pinyin syllables one Wade-Giles syllable can stand for ("ping" → bing, ping; "ku" → gu, ku; the postal
    "kiang" → jiang, qiang, but not for an English word written alone: KING SHAN is no 京山)."""
    return _wade_giles_syllable(word, postal=not is_dictionary_word(word))


@lru_cache(maxsize=65536)
def _wade_giles_syllable(word: str, *, postal: bool) -> tuple[str, ...]:
    if not word.isalpha() or not word.isascii() or word[0] in _NOT_WADE_GILES or "q" in word or "x" in word:
        return ()
    if word[0] == "c" and not word.startswith("ch"):
        return ()
    syllables = pinyin_syllables()
    found: dict[str, None] = {}
    for initial, targets in _WG_INITIALS:
        if not word.startswith(initial):
            continue
        final = word[len(initial) :]
        if not final:
            continue
        for target in targets:
            for pinyin_final in _WG_FINALS.get(final, (final,)):
                candidate = target + pinyin_final
                if candidate in syllables:
                    found[candidate] = None
        if postal and initial in ("k", "ts") and final.startswith("i"):
            # The postal romanisation writes j and q before i as k or ts (Peking 北京, Nanking 南京, Kiangsu
            # 江苏, Tsingtao 青岛, Tsinan 济南; Wade-Giles has ch there).
            for target in ("j", "q"):
                for pinyin_final in _WG_FINALS.get(final, (final,)):
                    if (candidate := target + pinyin_final) in syllables:
                        found[candidate] = None
        if initial == "y":
            # Wade-Giles yu is pinyin you (yü, written yu without its dots, is yu); yen is yan, yeh is ye.
            for candidate in {"yu": ("you", "yu"), "yen": ("yan",), "yeh": ("ye",)}.get(word, ()):
                found[candidate] = None
        if found:
            break
    if not found and word[0] in "iu":
        # Wade-Giles writes syllables without an initial as bare vowels: i = yi, in = yin, u = wu, uan = wan.
        glide = "y" + word if word[0] == "i" and len(word) > 1 and word[1] != "n" else "y" + word[1:]
        for candidate in (
            "yi" if word == "i" else glide,
            "y" + word,
            "wu" if word == "u" else "w" + word[1:],
        ):
            if candidate in syllables:
                found[candidate] = None
    return tuple(found)


MAX_WADE_GILES_SPELLINGS = 64


@lru_cache(maxsize=1)
def _wade_giles_of_pinyin() -> dict[str, tuple[str, ...]]:
    """Pinyin syllable → the Wade-Giles syllables (apostrophes dropped) that stand for it: the inverse of
    wade_giles_syllable, over every initial and final either system writes."""
    finals = {syllable[len(initial) :] for syllable in pinyin_syllables() for initial, _ in _WG_INITIALS}
    finals |= set(_WG_FINALS) | {"ih", "u"}
    inverse: dict[str, dict[str, None]] = {}
    for initial, _ in _WG_INITIALS:
        for final in finals:
            if not final:
                continue
            spelling = initial + final
            # Inside a word written in one piece (SHENGKING) a syllable is no English word of its own.
            for syllable in _wade_giles_syllable(spelling, postal=True):
                inverse.setdefault(syllable, {})[spelling] = None
    return {syllable: tuple(spellings) for syllable, spellings in inverse.items()}


def wade_giles_spellings(reading: Sequence[str], limit: int = 16) -> tuple[str, ...]:
    """A pinyin reading written in Wade-Giles as one word, apostrophes dropped ("chen guang" → chenkuang):
    the spellings a filing without hyphens may use, for an index built once."""
    table = _wade_giles_of_pinyin()
    options = [table.get(syllable, ()) for syllable in reading]
    if not all(options):
        return ()
    return tuple("".join(parts) for parts in itertools.islice(itertools.product(*options), limit))


@lru_cache(maxsize=65536)
def wade_giles_readings(text: str) -> tuple[str, ...]:
    """Joined pinyin spellings of a text written in Wade-Giles, two to four syllables ("Ping-shan" →
    bingshan, pingshan; "Shen-ku" → shengu, shenku); empty when a word is not a Wade-Giles syllable."""
    words = _strip_accents(fold(WG_APOSTROPHE_RE.sub("", text))).split()  # ê, ü: shêng, yüan
    if not 2 <= len(words) <= 4:
        return ()
    options = [wade_giles_syllable(w) for w in words]
    if not all(options):
        return ()
    return tuple("".join(p) for p in itertools.islice(itertools.product(*options), MAX_WADE_GILES_SPELLINGS))


# ---------------------------------------------------------------- Chinese numerals
# Financial ("capital") numerals, written to prevent forgery and used in marks too: 玖玖玖 = 九九九 = 999.
CAPITAL_NUMERALS = str.maketrans(
    {
        "壹": "一",
        "贰": "二",
        "貳": "二",
        "叁": "三",
        "參": "三",
        "肆": "四",
        "伍": "五",
        "陆": "六",
        "陸": "六",
        "柒": "七",
        "捌": "八",
        "玖": "九",
        "拾": "十",
        "佰": "百",
        "仟": "千",
    }
)
_CAPITAL_NUMERAL_RE = re.compile("[壹贰貳叁參肆伍陆陸柒捌玖拾佰仟]")


def has_capital_numeral(text: str) -> bool:
    """Whether the text writes a numeral in its financial form (壹, 叁, 玖 …)."""
    return _CAPITAL_NUMERAL_RE.search(text) is not None


_HAN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_HAN_UNITS = {"十": 10, "廿": 20, "卅": 30, "百": 100, "千": 1000}
_NUMERAL_RUN_RE = re.compile("[零〇一二两三四五六七八九十廿卅百千]+")


def _numeral_value(run: str) -> str:
    """A run of Chinese numerals as digits: digit by digit without units (三一 → 31, 九九九 → 999), by value
    with them (廿五 → 25, 二十五 → 25, 一百零八 → 108)."""
    if not any(ch in _HAN_UNITS for ch in run):
        return "".join(str(_HAN_DIGITS[ch]) for ch in run)
    total, current = 0, 0
    for ch in run:
        if ch in _HAN_DIGITS:
            current = _HAN_DIGITS[ch]
        else:
            unit = _HAN_UNITS[ch]
            if unit in (20, 30):
                total += unit
            else:
                total += (current or 1) * unit
            current = 0
    return str(total + current)


_ANY_NUMERAL_RE = re.compile("[0-9零〇一二两三四五六七八九十廿卅百千壹贰貳叁參肆伍陆陸柒捌玖拾佰仟]")


def has_numeral(text: str) -> bool:
    """Whether the text has a digit or a Chinese numeral."""
    return _ANY_NUMERAL_RE.search(text) is not None


@lru_cache(maxsize=65536)
def numeral_key(text: str) -> str:
    """The text with Chinese numerals written as digits, folded and without spaces ("廿五" → "25", "三六一度"
    → "361度"); empty when the text has no numeral or digit at all."""
    folded = fold(text).replace(" ", "").translate(CAPITAL_NUMERALS)
    if not any(ch.isdigit() or ch in _HAN_DIGITS or ch in _HAN_UNITS for ch in folded):
        return ""
    return _NUMERAL_RUN_RE.sub(lambda m: _numeral_value(m.group()), folded)


# ---------------------------------------------------------------- mixed scripts
@lru_cache(maxsize=65536)
def mixed_script_readings(text: str) -> tuple[str, ...]:
    """A text of Chinese characters and Latin letters with the characters written in pinyin, joined to the
    letters beside them ("冰SHAN" → "bingshan", "BING山" → "bingshan"); each polyphone's common readings are
    tried. Empty for a text that is not mixed."""
    folded = fold(text)
    if not has_han(folded) or not _LATIN_RE.search(folded):
        return ()
    pieces: list[tuple[str, ...]] = []
    for ch in folded:
        if _HAN_RE.match(ch):
            pieces.append(tuple(_pinyin_alternatives(_common_readings(ch)[0])[:1] + _common_readings(ch)[1:]))
        else:
            pieces.append((ch,))
    return tuple("".join(p) for p in itertools.islice(itertools.product(*pieces), 8))


_DIGIT_HAN = str.maketrans("0123456789", "零一二三四五六七八九")


def digits_in_han(text: str) -> str:
    """Digits written as Chinese numerals, digit by digit ("361度" → "三六一度", "999" → "九九九")."""
    return text.translate(_DIGIT_HAN)


_ASCII_DIGIT_RE = re.compile("[0-9]")
_DIGIT_PINYIN = ("ling", "yi", "er", "san", "si", "wu", "liu", "qi", "ba", "jiu")


def digits_in_pinyin(text: str) -> str:
    """Digits of a Latin text read aloud in Chinese and written in pinyin ("7PILANG" → "qipilang"); empty
    when the text has no digit."""
    if _ASCII_DIGIT_RE.search(text) is None:
        return ""
    return "".join(_DIGIT_PINYIN[int(ch)] if "0" <= ch <= "9" else ch for ch in fold(text))


def strip_accents(text: str) -> str:
    """Letters without their accents and tone marks (yüan → yuan, shêng → sheng)."""
    return _strip_accents(text)


# Spellings that pinyin never writes and Wade-Giles does: a joined word holding one may be Wade-Giles.
_WADE_GILES_MARKERS = ("hs", "ts", "tz", "ih", "ung", "ieh", "ien", "ueh", "uei")
_WADE_GILES_MARKER_RE = re.compile("|".join(_WADE_GILES_MARKERS))


@lru_cache(maxsize=65536)
def joined_wade_giles_readings(word: str) -> tuple[str, ...]:
    """Joined pinyin spellings of one word that writes two to four Wade-Giles syllables without hyphens
    ("Paihsiang" → baixiang, "Tienshihli" → dianshili, tianshili); only for words with a spelling pinyin never
    uses (hs, ts, tz, -ih, -ung, -ieh, -ien …), so ordinary words are not cut up."""
    word = strip_accents(fold(WG_APOSTROPHE_RE.sub("", word)))
    if not 5 <= len(word) <= 20 or not word.isalpha() or not _WADE_GILES_MARKER_RE.search(word):
        return ()
    cuts: list[tuple[str, ...]] = []

    def walk(start: int, parts: tuple[str, ...]) -> None:
        if len(cuts) >= 8:
            return
        if start == len(word):
            if 2 <= len(parts) <= 4:
                cuts.append(parts)
            return
        if len(parts) == 4:
            return
        for end in range(min(len(word), start + 6), start, -1):
            if wade_giles_syllable(word[start:end]):
                walk(end, (*parts, word[start:end]))

    walk(0, ())
    found: dict[str, None] = {}
    for parts in cuts:
        options = [wade_giles_syllable(p) for p in parts]
        for spelling in itertools.islice(itertools.product(*options), MAX_WADE_GILES_SPELLINGS):
            found["".join(spelling)] = None
    return tuple(found)
