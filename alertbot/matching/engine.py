"""The matcher: a watchlist compiled once into hash indexes, then one cheap pass per record.

Cost per record does not grow with the number of marks: every comparison starts from a hash lookup
(exact keys, pinyin keys, phonetic keys, the symmetric-delete neighbourhood for one-edit typos, the first
three letters of a mark for glued affixes, the first two characters or syllables of a Chinese mark for
containment and homophones). Only the few marks found that way are scored.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from alertbot.matching import cedict, glyphs, translate
from alertbot.matching import normalize as nz
from alertbot.matching.lexicon import (
    CHINESE_JURISDICTIONS,
    HAN_INDUSTRY_WORDS,
    HAN_PLACES,
    LATIN_PLACES,
    chinese_zipf,
    is_common_affix,
    is_dictionary_word,
    sentence_language,
    word_zipf,
)
from alertbot.matching.model import VARIANTS, Candidate, Hit, Watch, risk_rank

ACRONYM_MAX_LEN = 4
"""Latin marks this short (and not a dictionary word) are acronyms: protected only as exact copies."""
TYPO_MIN_LEN = 6
"""Marks at least this long accept any single edit; shorter ones only a swap of neighbours or a doubled letter."""
PHONETIC_MIN_SPELLING = 60.0
"""How alike (rapidfuzz ratio) a short text (under PHONETIC_SHORT_TEXT letters) must also be spelt to be a sound-alike:
every one in the labelled sets is 66 or more, while chance collisions of short keys are far apart (iDEO and YEDAO:
44). Longer respellings are far apart on purpose (CHINGSHYA for QINGXIA: English and Wade-Giles spellings of pinyin)."""
PHONETIC_SHORT_TEXT = 6
AFFIX_MIN_LEN = 5
"""Coined marks at least this long are found glued inside a longer word ("MYJINBEI")."""
PHONETIC_MIN_LEN = 4
"""Sound-alike keys shorter than this (e.g. "iu" from YIOW) meet too much by chance to mean anything."""
MAX_WINDOW = 6
"""Longest run of words joined when looking for a mark written with spaces ("Bei Fang Zhong Gong")."""

CACHE_SIZE = 500_000
"""Texts and names whose evidence is kept per matcher (gazettes repeat applicants and short marks)."""

PARTY_FUZZY_MIN_LEN = 12
PARTY_FUZZY_MIN_SCORE = 94
"""A party name this long that is this close (fuzz.ratio of name keys) to a known legal name is that company."""

_EXACT_FAMILY = frozenset({"exact", "spacing", "skeleton", "traditional", "numeral"})
_GLOSS_MAX_WORDS = 4
"""Longest English form of a translated mark looked up in a record (words)."""
_STEM_PREFIX = 3
"""Letters a word shares with its lemma (BLOSSOMS, blossom; HEAVENLY, heaven): a cheap first test."""
# Mark lengths and how many letters at each end a one-edit neighbour of such a mark keeps: one edit (OSA)
# touches at most two adjacent letters, so a key of length >= a + b + 1 keeps its first a or its last b letters
# (a = b). (ends kept, shortest mark, longest mark)
_TYPO_ENDS: tuple[tuple[int, int, int], ...] = ((3, 7, 10_000), (2, 5, 6), (1, 3, 4))
_WILDCARD = "\x00"  # stands for the swapped character in the look-alike index
_NUMBER_RUN_RE = re.compile("[0-9零〇一二两三四五六七八九十廿卅百千]{2,}")
_VARIANT_ORDER = {name: i for i, name in enumerate(VARIANTS)}


@dataclass(frozen=True, slots=True)
class _Mark:
    watch_id: str
    text: str
    kind: str  # "coined" | "dictionary" | "acronym" | "chinese"
    key: str  # skeleton (Latin) or simplified characters (Chinese)
    classes: frozenset[int]


@dataclass(frozen=True, slots=True)
class _Evidence:
    mark: _Mark
    variant: str
    score: float
    whole: bool  # the mark is the whole text (not contained in a longer text)
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Comparison:
    """One record-vs-mark comparison and what was decided about it (for ``explain``)."""

    watch_id: str
    mark: str
    source: str  # "text" | "applicant" | "exhibitor"
    variant: str
    score: float
    accepted: bool
    risk: str | None
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PartyCheck:
    """Who filed the record, as far as the watchlist knows."""

    name: str
    key: str
    own_of: tuple[str, ...]  # watch ids whose own legal name this is
    affiliate_of: tuple[str, ...]  # watch ids that list this name as an affiliate


@dataclass(frozen=True, slots=True)
class Explanation:
    """Everything the matcher derived from one record, and every comparison it made."""

    candidate: Candidate
    forms: dict[str, str]
    parties: tuple[PartyCheck, ...]
    comparisons: tuple[Comparison, ...]
    hits: tuple[Hit, ...]
    nearest: tuple[tuple[str, str, float], ...] = field(default=())  # (watch_id, mark, WRatio) for context


def mark_kind(mark: str) -> str:
    """``chinese``, ``acronym`` (≤4 letters, not a word), ``dictionary`` (every word common) or ``coined``."""
    if nz.has_han(mark):
        return "chinese"
    words = nz.fold(mark).split()
    joined = "".join(words)
    if words and all(w.isalpha() and is_dictionary_word(w) for w in words):
        return "dictionary"
    if len(joined) <= ACRONYM_MAX_LEN:
        return "acronym"
    return "coined"


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector paused while the index is built or loaded, then restored as it was: the index
    is millions of small objects and no reference cycles, and the collector's passes over them, again and
    again as they are allocated, cost about as much as the compile itself (bench/README.md). Then they are
    frozen (``gc.freeze``): the collector never walks them again, nor does each forked worker, which would
    copy every page it touches. Reference counting still frees them. Cyclic garbage left from before is
    collected first, so that the freeze does not keep it for the life of a long-running service."""
    collecting = gc.isenabled()
    if collecting:
        gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if collecting:
            gc.enable()


def _is_swap_or_double(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ by swapping two neighbours or by doubling one letter."""
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        return (
            len(diffs) == 2
            and diffs[1] == diffs[0] + 1
            and a[diffs[0]] == b[diffs[1]]
            and a[diffs[1]] == b[diffs[0]]
        )
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    if len(longer) != len(shorter) + 1:
        return False
    for i in range(len(longer)):
        if longer[:i] + longer[i + 1 :] == shorter:
            return (i > 0 and longer[i] == longer[i - 1]) or (
                i + 1 < len(longer) and longer[i] == longer[i + 1]
            )
    return False


def _ends_a_word(rest: str) -> bool:
    """Whether Chinese text ending right before ``rest`` ends a word: nothing follows, or an industry word or
    a place does ("…电子", "…(深圳)"), or a one-character trade with 业 ("…面业", "…车业": X业 is how a
    name says what line of business it is in)."""
    return not rest or rest.startswith(HAN_INDUSTRY_WORDS) or rest.startswith(HAN_PLACES) or rest[1:2] == "业"


LINE_OF_BUSINESS_WORD_ZIPF = 1.0
"""A rest of three characters is a line of business when it is one word of Chinese this common (wordfreq): 干电池
2.2, 老陈醋 1.6, 普洱茶 2.4, 农用车 1.9; a trade-name character before a business of two (玛冷柜, 鱼粮油) is no word."""


def _is_line_of_business(found: str, rest: str) -> bool:
    """Whether ``rest``, all that stands between a swapped mark (``found``, as written) and a company's legal
    form, is the company's line of business: one word of two characters (须丰|速运, 申华|制笔) or two of them
    (永星|床品科技, with an industry word or a dictionary word last). Three characters are a trade name of three
    and a business of two as often as the other way round (奥柯玛|冷柜, 桃丽园|贸易, 金隆鱼|粮油), so they do not
    count; nor does a rest that continues a dictionary word begun in the mark (创始人, 沈古董)."""
    if len(rest) == 4:
        second = rest[2:]
        if not (_ends_a_word(second) or cedict.is_common_word(second)) or _ends_a_word(rest[1:]):
            return False
    elif len(rest) == 3:
        if chinese_zipf(rest) < LINE_OF_BUSINESS_WORD_ZIPF:
            return False
    elif len(rest) != 2:
        return False
    return not any(
        cedict.is_common_word(found[start:] + rest[:size])
        for start in range(len(found))
        for size in range(1, len(rest) + 1)
    )


ENGLISH_WORD_ZIPF = 3.0
"""How common (wordfreq Zipf, English) each word of a text must be for the text to read as English words."""
FUNCTION_WORDS = frozenset(
    {
        "a",
        "an",
        "the",
        "of",
        "at",
        "in",
        "on",
        "to",
        "for",
        "with",
        "and",
        "or",
        "is",
        "are",
        "your",
        "our",
        "my",
    }
)
"""Words that make a run of English words a sentence rather than a name (A CLEANER WORLD … AT A TIME)."""
SENTENCE_MIN_FUNCTION_WORDS = 2


def _is_english_phrase(word: str, others: Sequence[str]) -> bool:
    """Whether ``word`` and the ``others`` (one or more) are all common English words."""
    return bool(others) and all(w.isalpha() and word_zipf(w) >= ENGLISH_WORD_ZIPF for w in (word, *others))


def _is_sentence(others: Sequence[str]) -> bool:
    """Whether the words around a mark hold English function words enough to make a sentence."""
    return sum(w in FUNCTION_WORDS for w in others) >= SENTENCE_MIN_FUNCTION_WORDS


ORDINARY_WORD_ZIPF = 3.0
"""A look-alike that is a dictionary word this common (wordfreq Zipf) reads as that word: 光学 optics (4.0) and
光明 (4.4) are no swaps of 光宇; the swaps squatters write are rare words or none (全马 2.3; 一车 "a cartload" is
frequent but a phrase, not a word)."""


def _is_ordinary_word(han: str) -> bool:
    """Whether ``han`` is a common dictionary word (see ORDINARY_WORD_ZIPF)."""
    return cedict.is_common_word(han) and chinese_zipf(han) >= ORDINARY_WORD_ZIPF


LONGER_WORD_MAX = 6
"""Longest ordinary word looked for around a mark met inside a text (idioms are four characters, some six)."""


def _inside_longer_word(han: str, start: int, size: int) -> bool:
    """Whether the mark at ``han[start:start + size]`` is part of a longer ordinary word of the text (an idiom
    such as 八面玲珑, a word such as 理想国 "utopia") or of a name whose English is not its pinyin (伊利诺伊
    Illinois holds 伊利, 金马奖 Golden Horse Award holds 金马): CC-CEDICT words with a lowercase reading and such
    names, so that a Chinese company's or place's own name in the dictionary (华为, 青岛) is no such word."""
    for begin in range(max(0, start - LONGER_WORD_MAX + size), start + 1):
        for end in range(start + size, min(len(han), begin + LONGER_WORD_MAX) + 1):
            if end - begin > size and (
                cedict.is_common_word(han[begin:end]) or cedict.is_name_in_english(han[begin:end])
            ):
                return True
    return False


def _inside_longer_pinyin(words: Sequence[str], start: int, end: int) -> bool:
    """Whether ``words[start:end]``, written syllable by syllable, continues a longer name written the same
    way: "Jin Sen Yuan" (金森远) holds "Sen Yuan" (森远) as the end of a longer name. The pinyin
    counterpart of a homophone inside a longer Chinese word. A place spelt out before it ("Da Lian Xin
    Song") does not count, and a mark written as one word ("JIN SENYUAN") is a mark with an added word."""
    syllables = nz.pinyin_syllables()
    if end - start < 2 or not all(word in syllables for word in words[start:end]):
        return False
    first = start
    while first > 0 and words[first - 1] in syllables:
        first -= 1
    if first == start:
        return False
    return not any("".join(words[i:start]) in LATIN_PLACES for i in range(first, start))


def _place_swapped(name: str, key: str, known: str) -> bool:
    """Whether a long name close to a known legal name differs from it in its leading place: a 青岛… company
    that uses the 字号 of a 大连… enterprise is another company, however alike the rest of the names are.
    Places we do not list (county-level cities) count too: a Chinese name's first two characters, the
    usual length of a place name, and a Latin name's first word must agree."""
    bare = nz.name_key_without_place(name)
    if bare != key and not known.startswith(key[: len(key) - len(bare)]):
        return True  # a listed place in front of the record's name that the known name does not have
    if nz.has_han(key):
        return key[:2] != known[:2]
    first = nz.legal_core(name).split()[:1]
    return bool(first) and not known.startswith(first[0])


def _matched_text(ev: _Evidence) -> str:
    """The words of a record that a translation or look-alike evidence stands on (to tell them from the
    industry words beside them): the English glosses ("golden cup"), the Chinese word (熊猫), or the mark
    with its swapped character (银鹜)."""
    for tag in ev.tags:
        if tag.startswith("gloss:"):
            # "泸州=pinyin + 老=old + 窖=cellar"; a number kept as written has no "=" ("国窖=national cellar + 1573").
            parts = [
                part.partition("=")[::2] if "=" in part else (part, part)
                for part in tag.removeprefix("gloss:").split(" + ")
            ]
            if ev.mark.kind == "chinese":
                return " ".join(
                    meaning for _, meaning in parts if meaning not in ("pinyin", translate.OMITTED)
                )
            return parts[0][0]
        if tag.startswith("glyph:"):
            original, _, rest = tag.removeprefix("glyph:").partition("→")
            return ev.mark.key.replace(original, rest[:1], 1)
    return ""


def _written_as_acronym(name: str, key: str) -> bool:
    """Whether ``name`` writes ``key`` as a capitalised word among lowercase ones ("SAC Technology Co.")."""
    words = unicodedata.normalize("NFKC", name).replace(".", "").split()
    has_lower = any(ch.islower() for ch in name)
    return has_lower and any(w.isupper() and nz.skeleton_compact(w) == key for w in words)


def _across_words(han: str, start: int) -> bool:
    """Whether the two characters at ``start`` are split between two words of the text: the first ends a
    dictionary word begun before it, or the second begins one that goes on after it (三一重工: 一 + 重工)."""
    before = start > 0 and cedict.is_common_word(han[start - 1 : start + 1])
    return before or (start + 3 <= len(han) and cedict.is_common_word(han[start + 1 : start + 3]))


class Matcher:
    """Compiles a watchlist once; then decides, for each record, which enterprises it is a risk to and why."""

    def __init__(self, watches: Sequence[Watch]) -> None:
        self.watches: dict[str, Watch] = {w.id: w for w in watches}
        self._latin: dict[str, list[_Mark]] = defaultdict(list)
        self._latin_deletes: dict[str, list[_Mark]] = defaultdict(list)
        self._typo_heads: dict[int, set[str]] = {ends: set() for ends, _, _ in _TYPO_ENDS}
        self._typo_tails: dict[int, set[str]] = {ends: set() for ends, _, _ in _TYPO_ENDS}
        self._typo_short_marks = False  # a mark of one or two letters (no end is kept: always look it up)
        self._pinyin: dict[str, list[tuple[_Mark, tuple[str, ...]]]] = defaultdict(list)
        self._phonetic: dict[str, list[tuple[_Mark, str]]] = defaultdict(list)
        self._affix: dict[str, list[_Mark]] = defaultdict(list)
        self._han: dict[str, list[_Mark]] = defaultdict(list)
        self._han_start: dict[str, list[_Mark]] = defaultdict(list)
        self._syllable_start: dict[tuple[str, str], list[tuple[_Mark, tuple[str, ...]]]] = defaultdict(list)
        self._gloss: dict[str, list[tuple[_Mark, str]]] = defaultdict(list)
        self._gloss_first_words: set[str] = set()
        self._gloss_by_key: dict[str, list[tuple[_Mark, str]]] = defaultdict(list)
        self._gloss_lemmas: set[str] = set()
        self._gloss_stems: set[str] = set()  # their first letters: most record words are no lemma's form
        self._han_gloss_start: dict[str, list[tuple[_Mark, str, str]]] = defaultdict(list)
        self._wade_giles: dict[str, list[_Mark]] = defaultdict(list)
        self._glyph: dict[str, list[tuple[_Mark, int]]] = defaultdict(list)
        self._glyph_lengths: set[int] = set()
        self._numeral: dict[str, list[_Mark]] = defaultdict(list)
        self._numeral_by_number: dict[str, list[tuple[_Mark, str]]] = defaultdict(list)
        self._place_led: dict[str, list[tuple[_Mark, str, str]]] = defaultdict(list)
        self._industry: dict[str, translate.IndustryWords] = {}
        self._own_names: dict[str, set[str]] = defaultdict(set)
        self._affiliate_names: dict[str, set[str]] = defaultdict(set)
        # (name key, watch id) → the countries of each such listed name's legal form (None: any country)
        self._party_jurisdictions: dict[tuple[str, str], list[frozenset[str] | None]] = defaultdict(list)
        self.marks: list[_Mark] = []
        self._text_cache: dict[str, tuple[_Evidence, ...]] = {}
        self._name_cache: dict[str, tuple[_Evidence, ...]] = {}
        self._party_cache: dict[str, PartyCheck] = {}
        with collector_paused():
            for watch in watches:
                self._compile(watch)
            self._gloss_stems.update(lemma[:_STEM_PREFIX] for lemma in self._gloss_lemmas)
            self._compile_chinese_translations()
            nz.pinyin_syllables()  # built once here, so forked workers share it
            translate.form_key.cache_clear()  # it serves one compile; kept, it would be copied into each worker

    # ------------------------------------------------------------------ compile
    def _compile(self, watch: Watch) -> None:
        for name in (watch.name_zh, watch.name_en):
            # The enterprise's own legal names are Chinese registrations, whatever their English form says.
            own = nz.legal_form_jurisdictions(name) or CHINESE_JURISDICTIONS
            self._index_party(name, watch.id, self._own_names, own)
        for name in watch.affiliates:
            self._index_party(name, watch.id, self._affiliate_names, nz.legal_form_jurisdictions(name))
        for text in watch.marks:
            if not text or not text.strip():
                continue
            kind = mark_kind(text)
            if kind == "chinese":
                # Digits in a Chinese mark are part of it, read as Chinese numerals (361度 = 三六一度).
                spelt = nz.digits_in_han(nz.fold(text))
                key = nz.han_only(spelt)
                mark = _Mark(watch.id, text, kind, key, watch.classes)
                self._han[key].append(mark)
                if len(key) >= 2:
                    self._han_start[key[:2]].append(mark)
                for reading in nz.pinyin_readings(spelt):
                    self._pinyin["".join(reading)].append((mark, reading))
                    if len(reading) >= 2:
                        self._syllable_start[reading[0], reading[1]].append((mark, reading))
                        for spelling in nz.wade_giles_spellings(reading):
                            if mark not in self._wade_giles[spelling]:
                                self._wade_giles[spelling].append(mark)
                # Translations: the English forms of the mark (CC-CEDICT glosses), compiled once; a number
                # written in digits at either end stays as written (国窖1573 → NATIONAL CELLAR 1573).
                for form, how in translate.english_forms(spelt) + translate.forms_with_number(text):
                    self._gloss[form].append((mark, how))
                    self._gloss_first_words.add(form.split(" ", 1)[0])
                    if "=pinyin" not in how:  # a half-translation is met as written (ZHANGZI ISLAND)
                        said = translate.form_key(form)
                        self._gloss_by_key[said].append((mark, how))
                        self._gloss_lemmas.update(said.split())
                    if " " in form:
                        glued = form.replace(" ", "")  # YELLOWSEA, GOLDENWIND
                        self._gloss[glued].append((mark, how))
                        self._gloss_first_words.add(glued)
                # A mark that begins with a place (云南白药): its trade name after the place, unless that is an
                # ordinary word (青岛啤酒's 啤酒), is met behind another place in a company name (贵州白药).
                trade = nz.strip_han_place(key)
                if trade != key and len(trade) >= 2 and not cedict.is_common_word(trade):
                    self._place_led[trade[:2]].append((mark, key[: len(key) - len(trade)], trade))
                # Visual look-alikes: the mark with one character left open, for each character that has
                # look-alikes; a record fills the gap with a look-alike of that character.
                if len(key) >= 2:
                    for i, char in enumerate(key):
                        if glyphs.look_alikes(char):
                            self._glyph[key[:i] + _WILDCARD + key[i + 1 :]].append((mark, i))
                            self._glyph_lengths.add(len(key))
            else:
                key = nz.skeleton_compact(text)
                if not key:
                    continue
                mark = _Mark(watch.id, text, kind, key, watch.classes)
                self._latin[key].append(mark)
                if kind != "acronym":
                    # One index for the symmetric-delete neighbourhood: the key and all its one-deletion
                    # strings, so a record's piece needs only 1 + len(piece) lookups.
                    for neighbour in {key, *nz.deletes(key)}:
                        self._latin_deletes[neighbour].append(mark)
                    self._index_typo_ends(key)
                    if len(key) >= 5:
                        self._index_phonetic(mark)
                if kind == "coined" and len(key) >= AFFIX_MIN_LEN:
                    # Keyed by the first AFFIX_MIN_LEN letters (every such mark has them): a record word's
                    # slices meet only marks that may start there (three letters met a dozen by chance).
                    self._affix[key[:AFFIX_MIN_LEN]].append(mark)
            self._index_numerals(mark)
            self.marks.append(mark)

    def _index_typo_ends(self, key: str) -> None:
        for ends, shortest, _longest in _TYPO_ENDS:
            if len(key) >= shortest:
                self._typo_heads[ends].add(key[:ends])
                self._typo_tails[ends].add(key[-ends:])
                return
        self._typo_short_marks = True

    def _may_have_typo_neighbour(self, piece: str) -> bool:
        """False when no mark can be one edit from ``piece``: every mark of a length within one of the piece's
        keeps neither end of the piece (see _TYPO_ENDS). Spares most pieces the 1 + len(piece) lookups."""
        length = len(piece)
        if length <= 3 and self._typo_short_marks:
            return True
        for ends, shortest, longest in _TYPO_ENDS:
            if shortest - 1 <= length <= longest + 1 and (
                piece[:ends] in self._typo_heads[ends] or piece[-ends:] in self._typo_tails[ends]
            ):
                return True
        return False

    def _index_numerals(self, mark: _Mark) -> None:
        # Chinese numerals and digits are the same mark (廿五 = 25, 三一 = 31), and digits read aloud in
        # Chinese are its pinyin (999 = JIUJIUJIU).
        numeral = nz.numeral_key(mark.text)
        if not numeral:
            return
        self._numeral[numeral].append(mark)
        digits = "".join(ch if ch.isdigit() else " " for ch in numeral).split()
        if digits and numeral not in digits:
            # A mark with a number among other characters (道光廿五 → 道光25): a company name holds it with its
            # trade after it (道光25酒业), so it is looked up by its number, then checked as a substring.
            for run in dict.fromkeys(digits):
                self._numeral_by_number[run].append((mark, numeral))
        if "廿" in mark.text or "卅" in mark.text:
            # 廿 (niàn) and 卅 (sà) are said as the numbers they write: 廿五 is also ERSHIWU, like 二十五.
            said = nz.fold(mark.text).replace("廿", "二十").replace("卅", "三十")
            for reading in nz.pinyin_readings(said)[:2]:
                self._pinyin["".join(reading)].append((mark, reading))
        if any(ch.isdigit() for ch in mark.text):
            spoken = nz.digits_in_han(nz.fold(mark.text)).replace(" ", "")
            if nz.han_only(spoken) == spoken:  # digits and characters only (999, 361度), not 3SBIO
                for reading in nz.pinyin_readings(spoken)[:2]:
                    self._pinyin["".join(reading)].append((mark, reading))

    def _industry_words(self, watch_id: str) -> translate.IndustryWords:
        """The enterprise's industry words, worked out the first time a record needs them (few do)."""
        words = self._industry.get(watch_id)
        if words is None:
            watch = self.watches[watch_id]
            words = translate.industry_words(watch.name_zh, watch.name_en, watch.marks, watch.classes)
            self._industry[watch_id] = words
        return words

    def _compile_chinese_translations(self) -> None:
        # English word marks written in Chinese (PANDA → 熊猫): one pass over the dictionary for all marks.
        latin = [m for m in self.marks if m.kind == "dictionary"]
        forms = translate.chinese_forms(m.text for m in latin)
        for mark in latin:
            for word in forms.get(mark.text, ()):
                self._han_gloss_start[word[:2]].append((mark, word, f"{word}={nz.fold(mark.text)}"))
        # Marks of two or three English words, or two glued (BLUEMOON), put into Chinese word by word
        # (蓝色月亮, 和平鸟): a translator's choice of words that no dictionary entry gives whole.
        composable = [m for m in self.marks if m.kind in ("dictionary", "coined")]
        composed = translate.composed_chinese_forms(m.text for m in composable)
        own_chinese: dict[str, set[str]] = defaultdict(set)  # 金风 is GOLDWIND's own mark, not a translation
        for mark in self.marks:
            if mark.kind == "chinese":
                own_chinese[mark.watch_id].add(mark.key)
        for mark in composable:
            whole = set(forms.get(mark.text, ())) | own_chinese[mark.watch_id]
            for word, how in composed.get(mark.text, ()):
                if word not in whole:
                    self._han_gloss_start[word[:2]].append((mark, word, how))

    def _index_phonetic(self, mark: _Mark) -> None:
        # By consonant frame (the key without its vowels): keys that are equal or one vowel apart share it,
        # so one lookup finds every candidate, and only those few are compared.
        for phon in nz.phonetic_keys(mark.text):
            if len(phon) >= PHONETIC_MIN_LEN:
                self._phonetic[nz.consonant_frame(phon)].append((mark, phon))

    def _phonetic_evidence(self, text: str, key: str) -> list[_Evidence]:
        """Marks that sound like the whole text: equal phonetic keys, or keys one vowel edit apart."""
        index = self._phonetic
        pool: dict[int, tuple[_Mark, bool]] = {}  # mark → whether some keys are equal
        for phon in nz.phonetic_keys(text):
            if len(phon) < PHONETIC_MIN_LEN or not (entries := index.get(nz.consonant_frame(phon))):
                continue
            for mark, mark_phon in entries:
                if phon == mark_phon:
                    pool[id(mark)] = (mark, True)
                elif id(mark) not in pool and nz.one_vowel_apart(phon, mark_phon):
                    pool[id(mark)] = (mark, False)
        if not pool or (key.isalpha() and is_dictionary_word(key)):
            return []
        all_words: bool | None = None
        found: list[_Evidence] = []
        for mark, same in pool.values():
            if mark.kind == "acronym":
                continue
            if not same:
                if all_words is None:
                    # Only dictionary words ("SKY WORTH") are those words, unless they sound exactly alike.
                    all_words = all(w.isalpha() and is_dictionary_word(w) for w in nz.fold(text).split())
                if all_words:
                    continue
            spelling = fuzz.ratio(key, self._mark_latin_key(mark, key))
            if spelling < PHONETIC_MIN_SPELLING and len(key) < PHONETIC_SHORT_TEXT:
                # The phonetic keys of short words collide by chance (iDEO and YEDAO); a longer respelling is far
                # from the mark by design (CHINGSHYA for QINGXIA, Ch'ing-hsia).
                continue
            found.append(_Evidence(mark, "phonetic", spelling, True))
        return found

    # ------------------------------------------------------------------ evidence from a mark text
    def _text_evidence(self, text: str) -> tuple[_Evidence, ...]:
        cached = self._text_cache.get(text)
        if cached is not None:
            return cached
        found: list[_Evidence] = []
        if text.isascii():
            if any(c.isalpha() for c in text):
                found.extend(self._latin_evidence(text))
        else:
            han = nz.has_han(text)
            if han:
                found.extend(self._han_evidence(text, whole_text=True))
            if nz.is_latin(text) or (han and any(c.isascii() and c.isalpha() for c in text)):
                found.extend(self._latin_evidence(text))
            if han:
                found.extend(self._mixed_script_evidence(text))
                found.extend(self._digits_among_characters(text, whole_text=True))
        if self._numeral and nz.has_numeral(text) and (numeral := nz.numeral_key(text)):
            letters = any(c.isalpha() for c in text)
            for mark in self._numeral.get(numeral, ()):
                if nz.fold(text).replace(" ", "") != nz.fold(mark.text).replace(" ", ""):
                    found.append(_Evidence(mark, "numeral", 100.0, True, (f"numeral:{numeral}",)))
                elif not letters:
                    # A mark of digits alone (999) copied as it is: no letter or character index sees it.
                    found.append(_Evidence(mark, "exact", 100.0, True))
        result = tuple(found)
        if len(self._text_cache) > CACHE_SIZE:
            self._text_cache.clear()
        self._text_cache[text] = result
        return result

    def _latin_evidence(self, text: str, *, translations: bool = True) -> list[_Evidence]:
        found: list[_Evidence] = []
        key = nz.skeleton_compact(text)
        if not key:
            return found
        if translations:
            found.extend(self._translation_evidence(nz.fold(text).split()))
            if not self._pinyin.get(key):
                found.extend(self._wade_giles_evidence(text))
            if spoken := nz.digits_in_pinyin(text):
                # A Chinese mark's numerals written as digits inside its pinyin (7PILANG for 七匹狼).
                for ev in self._latin_evidence(spoken, translations=False):
                    if ev.whole and ev.variant in ("pinyin", "exact", "spacing"):
                        found.append(_Evidence(ev.mark, ev.variant, 95.0, True, (*ev.tags, "numeral:pinyin")))
        words = nz.skeleton(text).split()
        folded = nz.fold(text)
        exact = list(self._latin.get(key, ()))
        if "1" in text:
            # "1" stands for I in capitals and for l in lowercase; in capitals it may also stand for L.
            exact.extend(
                m for m in self._latin.get(nz.skeleton_compact(text.replace("1", "L")), ()) if m not in exact
            )
        for mark in exact:
            if folded == nz.fold(mark.text):
                variant = "exact"
            elif nz.compact(text) == nz.compact(mark.text):
                variant = "spacing"
            else:
                variant = "skeleton"
            found.append(_Evidence(mark, variant, 100.0, True))
        # Pinyin that is itself a common English word, written as that one word (SITE for 四特 sì tè), is that
        # word outside the enterprise's classes (see _judge).
        english_word = len(words) == 1 and key.isalpha() and word_zipf(key) >= translate.COMMON_WORD_ZIPF
        for mark, reading in self._pinyin.get(key, ()):
            spaced = len(words) > 1 and tuple(words) == reading
            whole_tags = ("pinyin:spaced",) if spaced else ("foreign-word:en",) if english_word else ()
            found.append(_Evidence(mark, "pinyin", 90.0 if spaced else 95.0, True, whole_tags))
        # A mark written as one or more whole words inside a longer text ("NEUSOFT GROUP", "JIN BEI PRO").
        if len(words) > 1:
            for start in range(len(words)):
                for end in range(start + 1, min(len(words), start + MAX_WINDOW) + 1):
                    if end - start == len(words):
                        continue
                    joined = "".join(words[start:end])
                    latin_marks = self._latin.get(joined, ())
                    pinyin_marks = self._pinyin.get(joined, ())
                    if (latin_marks or pinyin_marks) and _inside_longer_pinyin(words, start, end):
                        continue
                    share = 100.0 * len(joined) / len(key)
                    others = [*words[:start], *words[end:]]
                    english = end - start == 1 and _is_english_phrase(joined, others)
                    if english and _is_sentence(others):
                        # A dictionary-word mark as one word of an English sentence is that word (WORLD in A
                        # CLEANER WORLD, ONE CONTAINER AT A TIME), in any class.
                        latin_marks = [m for m in latin_marks if m.kind != "dictionary"]
                    # Pinyin that is a common English word among English words (SITE, 四特 sì tè, in GLOBAL PRIME
                    # SITE) is that word outside the enterprise's classes, as a coined mark amid a foreign
                    # sentence is (see _judge).
                    english_pinyin = english and word_zipf(joined) >= translate.COMMON_WORD_ZIPF
                    for mark in latin_marks:
                        added: tuple[str, ...] = ("containment:added-word",)
                        if mark.kind == "coined" and end - start == 1:
                            # ANKER amid German words (MOIN CARD ANKER DER REGION) may be "anchor" (see _judge)
                            lang = sentence_language(joined, [*words[:start], *words[end:]])
                            added += (f"foreign-word:{lang}",) if lang else ()
                        found.append(_Evidence(mark, "containment", share, False, added))
                    for mark, reading in pinyin_marks:
                        tags = ["containment:added-word", "variant:pinyin"]
                        if end - start > 1 and tuple(words[start:end]) == reading:
                            tags.append("pinyin:spaced")
                        if english_pinyin:
                            tags.append("foreign-word:en")
                        found.append(_Evidence(mark, "containment", share, False, tuple(tags)))
        # One edit away: the whole text, and each long word of a longer text.
        pieces = [(key, True)] + (
            [(w, False) for w in words if len(w) >= AFFIX_MIN_LEN] if len(words) > 1 else []
        )
        # A text of two or more ordinary words (BEST-ONE) is those words, not a one-edit slip of a one-word mark
        # (BESTORE), as for sound-alikes (see _phonetic_evidence); a mark of as many words may still be
        # slipped in one of them (MASTER KANG for MASTER KONG).
        phrase = (
            len(words) if len(words) > 1 and all(w.isalpha() and is_dictionary_word(w) for w in words) else 0
        )
        for piece, whole in pieces:
            for ev in self._typo_evidence(piece, whole, key):
                if not (whole and phrase and len(ev.mark.text.split()) != phrase):
                    found.append(ev)
        found.extend(self._phonetic_evidence(text, key))
        # Glued affixes ("MYJINBEI", "ESIASUN"): a coined mark inside one word, the rest a common affix.
        for word in words:
            if len(word) <= AFFIX_MIN_LEN:
                continue
            for i in range(len(word) - AFFIX_MIN_LEN + 1):
                for mark in self._affix.get(word[i : i + AFFIX_MIN_LEN], ()):
                    if len(mark.key) >= len(word) or not word.startswith(mark.key, i):
                        continue
                    before, after = word[:i], word[i + len(mark.key) :]
                    # A word that is itself an ordinary word ("LONGING" around LONGI) is that word.
                    if all(not part or is_common_affix(part) for part in (before, after)) and not (
                        word.isalpha() and is_dictionary_word(word)
                    ):
                        glued: tuple[str, ...] = ("containment:affix",)
                        if len(words) > 1:
                            glued = (*glued, "containment:added-word")
                        found.append(
                            _Evidence(mark, "containment", 100.0 * len(mark.key) / len(key), False, glued)
                        )
        return found

    def _digits_among_characters(self, text: str, *, whole_text: bool) -> list[_Evidence]:
        """Digits written among Chinese characters read as Chinese numerals (7匹狼 = 七匹狼, 6个核桃), and
        financial numerals as ordinary ones (柒匹狼 = 七匹狼)."""
        capital = nz.has_capital_numeral(text)
        if not capital and not any(ch.isdigit() and ch.isascii() for ch in text):
            return []
        spelled = nz.digits_in_han(nz.fold(text)).translate(nz.CAPITAL_NUMERALS)
        return [
            _Evidence(
                ev.mark,
                "numeral" if ev.variant in ("exact", "traditional") else ev.variant,
                ev.score,
                ev.whole,
                (*ev.tags, "numeral:digits"),
            )
            for ev in self._han_evidence(spelled, whole_text=whole_text)
            if ev.variant in ("exact", "traditional", "containment", "lookalike", "homophone")
        ]

    def _mixed_script_evidence(self, text: str) -> list[_Evidence]:
        """Half characters, half pinyin (冰SHAN, BING山): the characters read in pinyin, then the whole text
        compared as a Latin one; it counts as the mark itself, like its pinyin."""
        found: list[_Evidence] = []
        readings = nz.mixed_script_readings(text)
        # A mark with digits (58同城) is indexed with its digits read in pinyin: 58同CHENG is WUBATONGCHENG.
        readings += tuple(spoken for reading in readings if (spoken := nz.digits_in_pinyin(reading)))
        for reading in readings:
            for ev in self._latin_evidence(reading, translations=False):
                if ev.whole and (ev.variant in _EXACT_FAMILY or ev.variant == "pinyin"):
                    variant = "pinyin" if ev.mark.kind == "chinese" else "exact"
                    found.append(_Evidence(ev.mark, variant, 95.0, True, (*ev.tags, "script:mixed")))
        return found

    def _translation_evidence(self, words: Sequence[str]) -> list[_Evidence]:
        """English forms of Chinese marks among the words (ICEBERG, GOLDEN CUP MOTORS, ZHANGZI ISLAND)."""
        found: list[_Evidence] = []
        gloss = self._gloss
        if not gloss:
            return found
        first_words = self._gloss_first_words
        if any(w.isdigit() for w in words):
            words = [translate.NUMBER_WORDS.get(w, w) for w in words]  # 7 WOLVES = SEVEN WOLVES
        for start in range(len(words)):
            if words[start] not in first_words:
                continue  # no English form of a watched mark starts with this word
            for end in range(start + 1, min(len(words), start + _GLOSS_MAX_WORDS) + 1):
                phrase = " ".join(words[start:end])
                # The gloss itself, not an inflected form: NINE SUNS is not 九阳's "nine sun".
                for mark, how in gloss.get(phrase, ()):
                    whole = end - start == len(words)
                    share = 100.0 * len(phrase) / max(1, len(" ".join(words)))
                    found.append(_Evidence(mark, "translation", min(85.0, share), whole, (f"gloss:{how}",)))
        if not found:
            found = self._reworded_translation_evidence(words)
        return found

    def _reworded_translation_evidence(self, words: Sequence[str]) -> list[_Evidence]:
        """English forms of Chinese marks in another word order or inflection (FRAGRANT RICE VILLAGE for 稻香村's
        "rice fragrant village", PLUM BLOSSOMS for 梅花's "plum blossom", HEAVENLY for 天堂's "heaven")."""
        found: list[_Evidence] = []
        stems = self._gloss_stems
        if not any(w[:_STEM_PREFIX] in stems for w in words):
            return found
        lemmas = self._gloss_lemmas
        known = [
            w[:_STEM_PREFIX] in stems
            and (w in lemmas or translate.lemma(w) in lemmas or translate.lemma(w, False) in lemmas)
            for w in words
        ]
        for start in range(len(words)):
            if not known[start]:
                continue
            for end in range(start + 1, min(len(words), start + _GLOSS_MAX_WORDS) + 1):
                if not known[end - 1] and words[end - 1] not in translate.PHRASE_FILLERS:
                    break
                if not known[end - 1]:
                    continue  # BIRD OF … : a phrase does not end on "of"
                for mark, how in self._gloss_by_key.get(translate.phrase_key(list(words[start:end])), ()):
                    whole = end - start == len(words)
                    share = 100.0 * sum(map(len, words[start:end])) / max(1, sum(map(len, words)))
                    tags = (f"gloss:{how}", "gloss-reworded")
                    found.append(_Evidence(mark, "translation", min(85.0, share), whole, tags))
        return found

    def _wade_giles_evidence(self, text: str) -> list[_Evidence]:
        """A Chinese mark romanised in Wade-Giles (Ping-shan, Shen-ku): the same risk as its pinyin (written
        syllable by syllable, like spaced pinyin); with added words around it, a mark with an added word."""
        found: list[_Evidence] = []
        if " " not in text and "-" not in text:
            # One word: Wade-Giles writes a syllable a word, unless the hyphens were dropped (Paihsiang).
            for spelling in nz.joined_wade_giles_readings(text):
                for mark, _reading in self._pinyin.get(spelling, ()):
                    found.append(_Evidence(mark, "pinyin", 90.0, True, ("romanisation:wade-giles",)))
            # Without a spelling pinyin never uses (CHENKUANG, LAOPAN: unaspirated k, p are pinyin g, b): only
            # a Chinese mark's whole reading in Wade-Giles (indexed once), never an English word.
            marks = self._wade_giles.get(nz.fold(text), ()) if not found else ()
            if marks and not is_dictionary_word(nz.fold(text)):
                for mark in marks:
                    found.append(_Evidence(mark, "pinyin", 90.0, True, ("romanisation:wade-giles",)))
            return found
        seen: set[int] = set()
        words = nz.strip_accents(nz.fold(nz.WG_APOSTROPHE_RE.sub("", text))).split()  # ê, ü: shêng, yüan
        if len(words) < 2:
            return found
        parses = [bool(nz.wade_giles_syllable(w)) for w in words]
        for start in range(len(words)):
            if not parses[start]:
                continue
            for end in range(start + 2, min(len(words), start + 4) + 1):
                if not parses[end - 1]:
                    break
                whole = end - start == len(words)
                if not whole and (
                    _inside_longer_pinyin(words, start, end)
                    or (start > 0 and nz.wade_giles_readings(" ".join(words[start - 1 : end])))
                ):
                    continue  # the end of a longer name written syllable by syllable (Jin Hui Shan)
                for spelling in nz.wade_giles_readings(" ".join(words[start:end])):
                    for mark, _reading in self._pinyin.get(spelling, ()):
                        if id(mark) in seen:
                            continue
                        seen.add(id(mark))
                        tags: tuple[str, ...] = ("romanisation:wade-giles", "pinyin:spaced")
                        if whole:
                            found.append(_Evidence(mark, "pinyin", 90.0, True, tags))
                        else:
                            tags = ("containment:added-word", "variant:pinyin", *tags)
                            found.append(_Evidence(mark, "containment", 80.0, False, tags))
        return found

    def _mark_latin_key(self, mark: _Mark, fallback: str) -> str:
        if mark.kind == "chinese":
            readings = nz.pinyin_readings(mark.text)
            return "".join(readings[0]) if readings else fallback
        return mark.key

    def _typo_evidence(self, piece: str, whole: bool, key: str) -> list[_Evidence]:
        found: list[_Evidence] = []
        if len(piece) < 3 or not self._may_have_typo_neighbour(piece):
            return found
        seen: set[int] = set()
        lookup = self._latin_deletes.get
        # The piece and its one-deletion strings (nz.deletes), looked up as they are made: most pieces meet
        # no mark, and a set of them built first costs more than the few repeated lookups it would spare.
        pools = [pool] if (pool := lookup(piece)) is not None else []
        for i in range(len(piece)):
            if (pool := lookup(piece[:i] + piece[i + 1 :])) is not None:
                pools.append(pool)
        for pool in pools:
            for mark in pool:
                if id(mark) in seen or mark.kind == "acronym" or mark.key == piece:
                    continue
                seen.add(id(mark))
                if OSA.distance(piece, mark.key, score_cutoff=1) > 1:
                    continue
                if len(mark.key) < TYPO_MIN_LEN and not _is_swap_or_double(piece, mark.key):
                    continue
                tags = () if whole else ("containment:added-word",)
                found.append(_Evidence(mark, "typo", fuzz.ratio(piece, mark.key), whole, tags))
        # A one-edit neighbour that is itself an ordinary word ("biotech" near PIOTECH) is that word.
        if found and piece.isalpha() and is_dictionary_word(piece):
            return []
        return found

    def _han_evidence(
        self, text: str, *, whole_text: bool, before_legal_form: bool = False
    ) -> list[_Evidence]:
        found: list[_Evidence] = []
        original = nz.han_only(nz.fold(text) if not nz.has_han(text) else text)
        han = nz.han_only(nz.fold(text))
        if not han:
            return found
        # A homophone must be a word of its own: it starts where the text starts or right after the leading
        # place name ("上海新…" holds 海新 by accident, not as a squat of 海信), and it ends where the text ends
        # or where an industry word or a place follows ("宁波大东阮工业" holds 东阮 inside the longer
        # word 大东阮, so it is not 东软). Chance homophones inside other words are common: about 400
        # toneless syllables cover all of Chinese.
        place_end = len(han) - len(nz.strip_han_place(han))
        homophone_starts = {0, place_end} if whole_text else {place_end}
        if not whole_text and place_end == 0 and len(han) > 2:
            # Company names read [place][brand][industry]; a place missing from our list (a county-level
            # city such as 太仓) still takes the first two characters, the usual length of a place name.
            homophone_starts.add(2)
        traditional = original != han
        for i in range(len(han) - 1):
            for mark in self._han_start.get(han[i : i + 2], ()):
                if not han.startswith(mark.key, i):
                    continue
                whole = whole_text and len(mark.key) == len(han)
                if whole:
                    found.append(_Evidence(mark, "traditional" if traditional else "exact", 100.0, True))
                else:
                    if len(mark.key) == 2 and i not in homophone_starts and _across_words(han, i):
                        continue  # 三一重工 holds 一重 across two words (三一 + 重工), not as a name
                    if 0 < i < place_end and nz.strip_han_place(mark.key) == mark.key:
                        # 湖北|大仓储 holds 北大仓, 西安|克莱 holds 安克: begun inside the place name (a mark that
                        # begins with a place, 中国重汽, is met in 郑州中国重汽 where the places are cut)
                        continue
                    if _inside_longer_word(han, i, len(mark.key)):
                        continue  # 八面玲珑 holds 玲珑, 理想国 holds 理想: a word of its own
                    tags = ("variant:traditional",) if traditional else ()
                    found.append(
                        _Evidence(mark, "containment", 100.0 * len(mark.key) / len(han), False, tags)
                    )
        for mark in self._han.get(han, ()) if len(han) == 1 else ():
            found.append(_Evidence(mark, "traditional" if traditional else "exact", 100.0, True))
        choices = nz.han_syllable_choices(original if len(original) == len(han) else han)
        for i in sorted(homophone_starts):
            if i >= len(choices) - 1:
                continue
            candidates = [
                found_mark
                for first, second in itertools.product(choices[i], choices[i + 1])
                for found_mark in self._syllable_start.get((first, second), ())
            ]
            for mark, reading in candidates:
                end = i + len(reading)
                if end > len(choices) or han[i:end] == mark.key:
                    continue
                if not all(syllable in choices[i + k] for k, syllable in enumerate(reading)):
                    continue
                if len(mark.key) < 3 and not self._ends_trade_name(
                    han[end:], mark.watch_id, before_legal_form, han[i:end]
                ):
                    continue  # three characters or more, one of them kept, are no chance reading
                # Swapping every character for a homophone is chance (about 400 toneless syllables cover all
                # of Chinese); a squat keeps one character of the mark (红蜻蜓 → 红青亭).
                changed = sum(1 for a, b in zip(han[i:end], mark.key, strict=False) if a != b)
                if changed > max(1, len(mark.key) - 1):
                    continue
                whole = whole_text and len(reading) == len(han)
                share = 100.0 * len(reading) / len(han)
                found.append(_Evidence(mark, "homophone", 90.0 if whole else min(90.0, share), whole))
        if not whole_text and place_end > 0 and self._place_led:
            found.extend(self._place_swap_evidence(han, place_end))
        found.extend(self._han_translation_evidence(han, homophone_starts, whole_text))
        found.extend(self._look_alike_evidence(han, homophone_starts, whole_text, before_legal_form))
        return found

    def _place_swap_evidence(self, han: str, place_end: int) -> list[_Evidence]:
        """A company name that puts another place in front of the trade name of a mark beginning with a place
        (贵州白药 for 云南白药): another company using the mark's 字号, as docs/matching.md says of swapped places."""
        found: list[_Evidence] = []
        place, rest = han[:place_end], han[place_end:]
        for mark, mark_place, trade in self._place_led.get(rest[:2], ()):
            after = rest[len(trade) :]
            if place.endswith(mark_place):
                continue  # the mark's own place is there (郑州中国重汽 keeps 中国重汽 whole): not swapped
            if rest.startswith(trade) and self._ends_trade_name(after, mark.watch_id):
                tag = f"place-swapped:{mark_place}→{place}"
                found.append(_Evidence(mark, "containment", 100.0 * len(trade) / len(han), False, (tag,)))
        return found

    def _ends_trade_name(
        self, rest: str, watch_id: str, before_legal_form: bool = False, found: str = ""
    ) -> bool:
        """Whether a homophone or look-alike of a mark that ``rest`` follows is a trade name (字号) of its own:
        nothing, an industry word, a place or X业 follows (_ends_a_word), or the enterprise's own trade
        (沈古 + 鼓风机), or an ordinary dictionary word that starts the description of the business (深机 +
        数控机床, 考板 + 厨房电器, 蓝月亭 + 洗衣液), or, in a company name, two to four characters right before
        its legal form: a Chinese company name reads [place][trade name][line of business][legal form], so what
        stands between the trade name and the legal form says what the company does, even in words no list
        holds (须丰 + 速运, 申华 + 制笔, 永星 + 床品科技). Inside a longer word (大东阮 + 工业 holds 东阮) the
        characters after the mark do not start a word."""
        if _ends_a_word(rest) or self._industry_words(watch_id).starts(rest):
            return True
        if before_legal_form and _is_line_of_business(found, rest):
            return True
        return any(cedict.is_common_word(rest[:size]) for size in (2, 3, 4) if len(rest) >= size)

    def _han_translation_evidence(self, han: str, starts: set[int], whole_text: bool) -> list[_Evidence]:
        """English word marks written in Chinese (熊猫 for PANDA), where a word of the text starts."""
        found: list[_Evidence] = []
        if not self._han_gloss_start:
            return found
        for i in sorted(starts):
            for mark, word, how in self._han_gloss_start.get(han[i : i + 2], ()):
                if han.startswith(word, i):
                    whole = whole_text and len(word) == len(han)
                    share = 100.0 * len(word) / len(han)
                    found.append(_Evidence(mark, "translation", min(85.0, share), whole, (f"gloss:{how}",)))
        return found

    def _look_alike_evidence(
        self, han: str, starts: set[int], whole_text: bool, before_legal_form: bool = False
    ) -> list[_Evidence]:
        """One character of a Chinese mark swapped for one that looks alike and sounds different (冰山 →
        水山, 金杯 → 全杯), as a word of its own: where the text (or the name after its place) starts, ending
        where the text ends or an industry word or a place follows. A pair of the lower look-alike bar
        (glyphs.is_weak) counts only in a mark of three characters or more (百雀羚 → 百崔羚)."""
        found: list[_Evidence] = []
        if not self._glyph:
            return found
        for start in sorted(starts | {0}):
            for length in self._glyph_lengths:
                if start not in starts and length < 3:
                    continue  # a mark that begins with a place (云南白药) is met where the text begins
                window = han[start : start + length]
                if len(window) < length:
                    continue
                rest = han[start + length :]
                for i in range(length):
                    for mark, position in self._glyph.get(window[:i] + _WILDCARD + window[i + 1 :], ()):
                        original, swapped = mark.key[position], window[position]
                        if position != i or swapped == original:
                            continue
                        rule = glyphs.look_alikes(original).get(swapped)
                        if rule is None or _is_ordinary_word(window):
                            continue
                        if length < 3 and glyphs.is_weak(rule):
                            continue
                        if length < 3 and not self._ends_trade_name(
                            rest, mark.watch_id, before_legal_form, window
                        ):
                            continue
                        whole = whole_text and length == len(han)
                        found.append(
                            _Evidence(
                                mark, "lookalike", 90.0, whole, (f"glyph:{original}→{swapped} ({rule})",)
                            )
                        )
        return found

    # ------------------------------------------------------------------ evidence from a company name
    def _name_evidence(self, name: str) -> tuple[_Evidence, ...]:
        cached = self._name_cache.get(name)
        if cached is not None:
            return cached
        found: list[_Evidence] = []
        core = nz.legal_core(name) or nz.fold(name)
        before_legal_form = len(nz.han_only(core)) < len(nz.han_only(nz.fold(name)))
        if nz.has_han(core):
            for ev in self._han_evidence(core, whole_text=False, before_legal_form=before_legal_form):
                if ev.variant in ("translation", "lookalike"):
                    found.append(self._with_industry_word(ev, name, core))
                    continue
                found.append(
                    _Evidence(ev.mark, "company-name", 90.0, False, (f"variant:{ev.variant}", *ev.tags))
                )
        if nz.has_han(core):
            for ev in self._digits_among_characters(core, whole_text=False):
                if ev.variant == "lookalike":  # 廊坊58同域信息: a look-alike, high beside the trade
                    found.append(self._with_industry_word(ev, name, core))
                    continue
                variant = "variant:homophone" if ev.variant == "homophone" else "variant:numeral"
                found.append(_Evidence(ev.mark, "company-name", 90.0, False, (variant, *ev.tags)))
        if self._numeral:
            for run in _NUMBER_RUN_RE.findall(core):
                for mark in self._numeral.get(nz.numeral_key(run), ()):
                    if nz.fold(mark.text).replace(" ", "") != run:
                        numeral = ("variant:numeral", f"numeral:{nz.numeral_key(run)}")
                        found.append(_Evidence(mark, "company-name", 90.0, False, numeral))
        if self._numeral_by_number and nz.has_han(core) and nz.has_numeral(core):
            keyed, written = nz.numeral_key(core), nz.fold(core).replace(" ", "")
            for number in dict.fromkeys(re.findall(r"[0-9]+", keyed)):
                for mark, mark_key in self._numeral_by_number.get(number, ()):
                    # Written as the mark writes it, it is the mark itself (found as such), not a numeral form.
                    if mark_key in keyed and nz.fold(mark.text).replace(" ", "") not in written:
                        as_number = ("variant:numeral", f"numeral:{mark_key}")
                        found.append(_Evidence(mark, "company-name", 90.0, False, as_number))
        folded_words = core.split()
        if not nz.has_han(core):
            for ev in self._translation_evidence(folded_words):
                found.append(self._with_industry_word(ev, name, core))
            for ev in self._wade_giles_evidence(core):
                found.append(_Evidence(ev.mark, "company-name", 85.0, False, ("variant:pinyin", *ev.tags)))
        words = nz.skeleton(nz.scripts_spaced(core)).split()  # 青岛TCL电子: TCL is a word of its own
        for start in range(len(words)):
            for end in range(start + 1, min(len(words), start + MAX_WINDOW) + 1):
                joined = "".join(words[start:end])
                latin_marks = self._latin.get(joined, ())
                pinyin_marks = self._pinyin.get(joined, ())
                if (latin_marks or pinyin_marks) and _inside_longer_pinyin(words, start, end):
                    continue
                for mark in latin_marks:
                    tags: tuple[str, ...] = ()
                    if (
                        mark.kind == "dictionary"
                        and len(mark.key) <= ACRONYM_MAX_LEN
                        and _written_as_acronym(name, joined)
                    ):
                        tags = ("acronym-use",)
                    found.append(_Evidence(mark, "company-name", 90.0, False, tags))
                for mark, _reading in pinyin_marks:
                    found.append(_Evidence(mark, "company-name", 85.0, False, ("variant:pinyin",)))
        for word in words:
            if len(word) >= TYPO_MIN_LEN:
                for ev in self._typo_evidence(word, False, word):
                    if len(ev.mark.key) >= TYPO_MIN_LEN:
                        found.append(
                            _Evidence(ev.mark, "company-name", ev.score * 0.9, False, ("variant:typo",))
                        )
        result = tuple(found)
        if len(self._name_cache) > CACHE_SIZE:
            self._name_cache.clear()
        self._name_cache[name] = result
        return result

    def _with_industry_word(self, ev: _Evidence, name: str, core: str) -> _Evidence:
        """Evidence from a company name, tagged with a word of the mark's enterprise's industry if the name
        holds one beside the mark ("Iceberg Refrigeration", "银鹜食品"); the mark's own words do not count."""
        word = self._industry_words(ev.mark.watch_id).find(core, skip=_matched_text(ev))
        tags = (*ev.tags, f"industry-word:{word}") if word else ev.tags
        return _Evidence(ev.mark, ev.variant, ev.score, False, tags)

    # ------------------------------------------------------------------ parties
    def _index_party(
        self, name: str, watch_id: str, index: dict[str, set[str]], countries: frozenset[str] | None
    ) -> None:
        # A legal name is known with its place ("沈阳新松…") and without it ("新松…"); a record may omit the
        # place but not swap it for another one ("大连机床" is not "沈阳机床"), nor put one in front of a
        # legal name that has none: such a name is registered nationally, and "长沙三一重工" would be another
        # registration than "三一重工".
        if not name or not (key := nz.name_key(name)):
            return
        for known in dict.fromkeys((key, nz.name_key_without_place(name))):
            index[known].add(watch_id)
            self._party_jurisdictions[known, watch_id].append(countries)

    def _party_ids(self, name: str, index: dict[str, set[str]]) -> set[str]:
        key = nz.name_key(name)
        matched = key
        found = set(index.get(key, ()))
        if not found and len(key) >= PARTY_FUZZY_MIN_LEN:
            # Spelling slips in long legal names ("Shenyang Blower Work Group") still name the same company.
            best = process.extractOne(key, list(index), scorer=fuzz.ratio, score_cutoff=PARTY_FUZZY_MIN_SCORE)
            if best is not None and not _place_swapped(name, key, best[0]):
                # A spelling slip may not touch the brand: 大连万迖集团 is not 大连万达集团, whatever the ratio.
                matched = best[0]
                found |= {w for w in index[best[0]] if self._keeps_marks(w, key, best[0])}
        countries = nz.legal_form_jurisdictions(name)
        if countries is None or not found:
            return found
        # The same name under a legal form of other countries is another company: "Chenming Papier B.V." is not
        # the listed "Chenming Papier SAS", and "Gloria Pharmaceutical S.p.A." not "Harbin Gloria Pharmaceuticals
        # Co., Ltd.".
        return {
            w
            for w in found
            if any(known is None or known & countries for known in self._party_jurisdictions[matched, w])
        }

    def _keeps_marks(self, watch_id: str, key: str, known: str) -> bool:
        """Whether every watched mark of the enterprise that its legal name spells is spelt in ``key`` too."""
        watch = self.watches.get(watch_id)
        if watch is None:
            return True
        for mark in watch.marks:
            mark_key = nz.han_only(nz.fold(mark)) if nz.has_han(mark) else nz.fold(mark).replace(" ", "")
            if mark_key and mark_key in known and mark_key not in key:
                return False
        return True

    def check_party(self, name: str) -> PartyCheck:
        """Whether ``name`` is a watched enterprise's own legal name or a listed affiliate (any spelling)."""
        cached = self._party_cache.get(name)
        if cached is None:
            cached = PartyCheck(
                name=name,
                key=nz.name_key(name),
                own_of=tuple(sorted(self._party_ids(name, self._own_names))),
                affiliate_of=tuple(sorted(self._party_ids(name, self._affiliate_names))),
            )
            if len(self._party_cache) > CACHE_SIZE:
                self._party_cache.clear()
            self._party_cache[name] = cached
        return cached

    # ------------------------------------------------------------------ judging
    @staticmethod
    def _judge(ev: _Evidence, classes: frozenset[int], from_name: bool) -> tuple[str | None, tuple[str, ...]]:
        """The risk of one piece of evidence (or None and the exclusion reason), and its reason codes."""
        mark = ev.mark
        overlap = sorted(classes & mark.classes)
        reasons: list[str] = [f"variant:{ev.variant}", *ev.tags, f"mark:{mark.kind}"]
        if overlap:
            reasons.append("class-overlap:" + ",".join(map(str, overlap)))
        elif classes:
            reasons.append("class-outside")
        else:
            reasons.append("classes-unknown")
        exactish = ev.whole and (
            ev.variant in _EXACT_FAMILY or (ev.variant == "pinyin" and "pinyin:spaced" not in ev.tags)
        )
        if not overlap and any(tag.startswith("foreign-word:") for tag in ev.tags):
            # A coined mark that is an ordinary word of the language of the words around it, outside the
            # enterprise's classes, is that word (ANKER in a German slogan is an anchor; SITE, the pinyin of
            # 四特, among English words is a site).
            return None, (*reasons, "excluded:foreign-word")
        if ev.variant == "translation":
            # A translation is a medium risk at most: a trademark in the enterprise's own classes, or a company
            # name that pairs it with a word of the enterprise's industry.
            if from_name:
                if any(tag.startswith("industry-word:") for tag in ev.tags):
                    return "medium", tuple(reasons)
                return None, (*reasons, "excluded:translation-without-industry-word")
            if overlap:
                return "medium", tuple(reasons)
            return None, (*reasons, "excluded:translation-outside-classes")
        if ev.variant == "lookalike":
            # Medium in any class; high in the enterprise's own classes, or in a company name beside a word of
            # the enterprise's industry.
            if from_name:
                paired = any(tag.startswith("industry-word:") for tag in ev.tags)
                return ("high" if paired else "medium"), tuple(reasons)
            return ("high" if overlap else "medium"), tuple(reasons)
        if from_name:
            if mark.kind == "dictionary" and not overlap and "acronym-use" not in ev.tags:
                return None, (*reasons, "excluded:dictionary-outside-classes")
            if mark.kind == "acronym" and "variant:typo" in ev.tags:
                return None, (*reasons, "excluded:acronym-not-exact")
            return "medium", tuple(reasons)
        if mark.kind == "acronym":
            token_copy = ev.variant == "containment" and ev.tags == ("containment:added-word",)
            # Digits read aloud in Chinese (999 = JIUJIUJIU) are the mark itself.
            spoken_digits = ev.variant == "pinyin" and any(ch.isdigit() for ch in mark.text)
            if ev.variant not in _EXACT_FAMILY and not token_copy and not spoken_digits:
                return None, (*reasons, "excluded:acronym-not-exact")
            if not overlap:
                return None, (*reasons, "excluded:acronym-outside-classes")
            return ("high" if exactish else "medium"), tuple(reasons)
        if mark.kind == "dictionary":
            if not overlap:
                return None, (*reasons, "excluded:dictionary-outside-classes")
            return ("high" if exactish else "medium"), tuple(reasons)
        if overlap:
            return ("high" if exactish else "medium"), tuple(reasons)
        if not exactish and mark.kind == "chinese" and cedict.is_common_word(mark.key):
            # A Chinese mark that is an ordinary word (凤凰 phoenix, 熊猫 panda), met only in part or in
            # pinyin among other words outside its classes, is that word (FENGHUANG DANCONG is a tea), as an
            # English dictionary mark is outside its classes.
            return None, (*reasons, "excluded:common-word-outside-classes")
        return ("medium" if exactish else "low"), tuple(reasons)

    def _evidence(
        self, candidate: Candidate
    ) -> tuple[tuple[_Evidence, ...], list[tuple[str, str, tuple[_Evidence, ...]]]]:
        """Evidence from the mark text (trademarks only) and from each party name (applicant, exhibitor)."""
        text_evidence: tuple[_Evidence, ...] = ()
        if candidate.kind == "trademark" and candidate.text:
            text_evidence = self._text_evidence(candidate.text)
        parties: list[tuple[str, str, tuple[_Evidence, ...]]] = []
        if candidate.kind == "exhibitor" and candidate.text:
            parties.append(("exhibitor", candidate.text, self._name_evidence(candidate.text)))
        if candidate.applicant:
            parties.append(("applicant", candidate.applicant, self._name_evidence(candidate.applicant)))
        return text_evidence, parties

    def _compare(
        self,
        candidate: Candidate,
        text_evidence: tuple[_Evidence, ...],
        parties: list[tuple[str, str, tuple[_Evidence, ...]]],
    ) -> tuple[list[PartyCheck], list[Comparison]]:
        checks = [self.check_party(name) for _, name, _ in parties]
        excluded_own = {w for c in checks for w in c.own_of}
        excluded_affiliate = {w for c in checks for w in c.affiliate_of}
        comparisons: list[Comparison] = []

        def add(ev: _Evidence, source: str, from_name: bool, known_party: bool) -> None:
            risk, reasons = self._judge(ev, candidate.classes, from_name)
            if from_name:
                reasons = (f"party:{source}", *reasons)
            watch_id = ev.mark.watch_id
            if risk is not None and watch_id in excluded_own:
                risk, reasons = None, (*reasons, "excluded:own-filing")
            elif risk is not None and watch_id in excluded_affiliate:
                risk, reasons = None, (*reasons, "excluded:affiliate")
            elif risk is not None and known_party:
                risk, reasons = None, (*reasons, "excluded:known-party")
            comparisons.append(
                Comparison(
                    watch_id, ev.mark.text, source, ev.variant, ev.score, risk is not None, risk, reasons
                )
            )

        for ev in text_evidence:
            add(ev, "text", False, False)
        for (source, _name, evidence), check in zip(parties, checks, strict=True):
            known = bool(check.own_of or check.affiliate_of)
            for ev in evidence:
                add(ev, source, True, known)
        return checks, comparisons

    def _hits(self, candidate: Candidate, comparisons: Sequence[Comparison]) -> list[Hit]:
        accepted = [c for c in comparisons if c.accepted and c.risk is not None]
        # Strongest first: risk, then the variant's strength, then the score.
        accepted.sort(
            key=lambda c: (-risk_rank(c.risk or "low"), _VARIANT_ORDER.get(c.variant, 99), -c.score)
        )
        best: dict[str, Comparison] = {}
        reasons: dict[str, dict[str, None]] = defaultdict(dict)
        for comp in accepted:
            best.setdefault(comp.watch_id, comp)
            reasons[comp.watch_id].update(dict.fromkeys(comp.reasons))
        hits = []
        for watch_id, comp in best.items():
            watch = self.watches[watch_id]
            hits.append(
                Hit(
                    record_id=candidate.id,
                    watch_id=watch_id,
                    risk=comp.risk or "low",
                    score=comp.score,
                    mark=comp.mark,
                    variant=comp.variant,
                    reasons=tuple(reasons[watch_id]),
                    class_overlap=tuple(sorted(candidate.classes & watch.classes)),
                )
            )
        hits.sort(key=lambda h: (-risk_rank(h.risk), -h.score, h.watch_id))
        return hits

    # ------------------------------------------------------------------ public API
    def could_match(self, kind: object, text: object, applicant: object) -> bool:
        """False when no index lookup finds any watched mark in the record's text or names (the fast path).

        Malformed fields answer True, so the caller takes the slow path that reports them.
        """
        if (text is not None and type(text) is not str) or (
            applicant is not None and type(applicant) is not str
        ):
            return True
        if text and kind == "trademark" and self._text_evidence(text):
            return True
        if text and kind == "exhibitor" and self._name_evidence(text):
            return True
        return bool(applicant and self._name_evidence(applicant))

    def match(self, candidate: Candidate) -> list[Hit]:
        """The alerts this record raises: at most one per enterprise, strongest evidence first."""
        text_evidence, parties = self._evidence(candidate)
        if not text_evidence and not any(evidence for _, _, evidence in parties):
            return []  # the common case: no index lookup found any watched mark
        _, comparisons = self._compare(candidate, text_evidence, parties)
        return self._hits(candidate, comparisons)

    def match_many(self, candidates: Iterable[Candidate]) -> Iterator[Hit]:
        """Match a stream of records (the compiled index and the text caches are shared across them)."""
        for candidate in candidates:
            yield from self.match(candidate)

    def explain(self, candidate: Candidate) -> Explanation:
        """Every form derived from the record, who filed it, each comparison made and the decision."""
        checks, comparisons = self._compare(candidate, *self._evidence(candidate))
        text = candidate.text or ""
        forms = {
            "folded": nz.fold(text),
            "skeleton": nz.skeleton_compact(text),
            "phonetic": nz.phonetic(text) if nz.is_latin(text) else "",
            "simplified": nz.to_simplified(text) if nz.has_han(text) else "",
            "pinyin": " ".join(nz.han_syllables(text)),
            "applicant core": nz.legal_core(candidate.applicant) if candidate.applicant else "",
        }
        nearest: list[tuple[str, str, float]] = []
        if text:
            scored = [(m.watch_id, m.text, fuzz.WRatio(nz.fold(text), nz.fold(m.text))) for m in self.marks]
            nearest = sorted(scored, key=lambda t: -t[2])[:5]
        return Explanation(
            candidate=candidate,
            forms={k: v for k, v in forms.items() if v},
            parties=tuple(checks),
            comparisons=tuple(comparisons),
            hits=tuple(self._hits(candidate, comparisons)),
            nearest=tuple(nearest),
        )
