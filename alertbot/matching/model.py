"""The matching engine's public data types and its stable reason codes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

RISK_LEVELS: tuple[str, ...] = ("low", "medium", "high")
"""Risk levels from weakest to strongest."""

VARIANTS: tuple[str, ...] = (
    "exact",
    "spacing",
    "skeleton",
    "traditional",
    "numeral",
    "pinyin",
    "homophone",
    "lookalike",
    "phonetic",
    "typo",
    "containment",
    "translation",
    "company-name",
)
"""How a record met a watched mark, strongest first (the order breaks ties between hits)."""


def raise_risk(risk: str) -> str:
    """One level up (``high`` stays ``high``)."""
    index = RISK_LEVELS.index(risk)
    return RISK_LEVELS[min(index + 1, len(RISK_LEVELS) - 1)]


def risk_rank(risk: str) -> int:
    """0 for low, 1 for medium, 2 for high."""
    return RISK_LEVELS.index(risk)


# code -> (zh, en). Parameterised codes are written "code:detail" (e.g. "class-overlap:7,9"); the table
# holds the part before the colon. The message templates translate codes through this table.
REASON_CODES: Mapping[str, tuple[str, str]] = {
    "variant:exact": ("与监测商标完全相同", "identical to the watched mark"),
    "variant:spacing": ("仅大小写、空格或标点不同", "differs only in case, spacing or punctuation"),
    "variant:skeleton": (
        "形近字符替换（同形字/数字代字母）",
        "look-alike characters (homoglyphs, digits for letters)",
    ),
    "variant:traditional": ("繁体写法", "written in traditional Chinese characters"),
    "variant:pinyin": ("中文商标的拼音", "pinyin of the Chinese mark"),
    "variant:homophone": ("同音字替换", "homophone characters (same pinyin)"),
    "variant:phonetic": ("读音近似的拼写", "sound-alike respelling"),
    "variant:typo": ("一处拼写差异", "one-letter misspelling"),
    "variant:containment": ("包含监测商标并加字", "contains the watched mark with added letters or words"),
    "variant:company-name": ("企业名称中使用监测商标", "company name uses the watched mark"),
    "variant:numeral": (
        "中文数字与阿拉伯数字互换",
        "Chinese numerals written as digits, or digits as numerals",
    ),
    "variant:lookalike": (
        "形近字替换（一个字换成字形相近、读音不同的字）",
        "one character swapped for a look-alike that sounds different",
    ),
    "variant:translation": ("商标的中英文翻译", "translation of the mark (Chinese ↔ English)"),
    "pinyin:spaced": ("逐字分写的拼音", "pinyin written syllable by syllable"),
    "gloss": ("所依据的词典释义（CC-CEDICT）", "the dictionary gloss that matched (CC-CEDICT)"),
    "foreign-word": (
        "商标在周围文字的语言中是普通词",
        "the mark is an ordinary word of the language around it (detail: the language)",
    ),
    "gloss-reworded": (
        "译文与释义词序或词形不同（复数、派生词）",
        "the translation words the gloss in another order or form (a plural, a derived word)",
    ),
    "glyph": ("被替换的形近字对", "the look-alike character pair that matched"),
    "numeral": ("数字形式", "the numeral form that matched"),
    "script:mixed": ("汉字与拼音混写", "Chinese characters and pinyin mixed"),
    "romanisation:wade-giles": ("威妥玛式拼音", "Wade-Giles romanisation of the mark"),
    "industry-word": ("名称中含本企业行业用语", "the name holds a word of the enterprise's industry"),
    "place-swapped": (
        "以地名开头的商标，地名被换成另一地名",
        "a mark that begins with a place, with another place in front of its trade name",
    ),
    "containment:added-word": ("商标后/前加通用词", "generic word added to the mark"),
    "containment:affix": ("商标前后粘连词缀", "affix glued to the mark"),
    "mark:coined": ("臆造商标（任何类别均受保护）", "coined mark (protected in every class)"),
    "mark:chinese": ("中文商标（任何类别均受保护）", "Chinese-character mark (protected in every class)"),
    "mark:dictionary": (
        "常用词商标（仅本企业类别受保护）",
        "dictionary-word mark (protected in the enterprise's classes)",
    ),
    "mark:acronym": ("短缩写商标（仅完全相同时受保护）", "short acronym (protected only as an exact copy)"),
    "acronym-use": (
        "短词以大写缩写形式用于企业名称",
        "short word written as a capitalised acronym in a company name",
    ),
    "class-overlap": ("与本企业类别重合", "Nice classes overlap the enterprise's"),
    "class-outside": ("在本企业类别之外", "outside the enterprise's Nice classes"),
    "classes-unknown": ("申请未注明类别", "the filing names no Nice class"),
    "party:applicant": ("申请人名称使用监测商标", "the applicant's name uses the watched mark"),
    "party:exhibitor": ("展商名称使用监测商标", "the exhibitor's name uses the watched mark"),
    "serial-filer": (
        "该申请人命中多家重点企业（批量抢注嫌疑）",
        "applicant matches several watched enterprises (serial filer)",
    ),
    # Why a comparison did not become an alert (shown by ``alertbot match --explain``).
    "excluded:foreign-word": (
        "在其他语言的句子中作为普通词使用，且不在本企业类别内",
        "used as an ordinary word of another language, outside the enterprise's classes",
    ),
    "excluded:own-filing": ("企业自身的申请/展位", "the enterprise's own filing or booth"),
    "excluded:affiliate": ("关联企业的申请/展位", "a listed affiliate's filing or booth"),
    "excluded:known-party": ("名录内企业或关联企业的名称", "the name of a watched enterprise or affiliate"),
    "excluded:dictionary-outside-classes": (
        "常用词商标，类别不重合",
        "dictionary-word mark outside the enterprise's classes",
    ),
    "excluded:common-word-outside-classes": (
        "中文商标为常用词，仅部分或拼音出现且类别不重合",
        "Chinese mark that is an ordinary word, met in part or in pinyin outside the enterprise's classes",
    ),
    "excluded:acronym-not-exact": ("短缩写仅完全相同才预警", "short acronym that is not an exact copy"),
    "excluded:translation-outside-classes": (
        "翻译商标，类别不重合",
        "translation of the mark outside the enterprise's classes",
    ),
    "excluded:translation-without-industry-word": (
        "名称含商标译名但无本企业行业用语",
        "the name holds a translation of the mark but no word of the enterprise's industry",
    ),
    "excluded:acronym-outside-classes": (
        "短缩写，类别不重合",
        "short acronym outside the enterprise's classes",
    ),
}


def describe(code: str, lang: str = "en") -> str:
    """The zh or en wording of a reason code (codes with details keep the detail in brackets)."""
    known = REASON_CODES.get(code)
    detail = ""
    if known is None:
        prefix, _, detail = code.partition(":")
        known = REASON_CODES.get(prefix)
    if known is None:
        return code
    text = known[0] if lang == "zh" else known[1]
    return f"{text} ({detail})" if detail else text


@dataclass(frozen=True, slots=True)
class Watch:
    """One enterprise of the watchlist, as the matcher sees it."""

    id: str
    name_zh: str
    name_en: str
    marks: tuple[str, ...]
    classes: frozenset[int]
    affiliates: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Candidate:
    """One record to check: a trademark filing, an exhibitor or a patent."""

    id: str
    kind: str
    text: str | None
    applicant: str | None = None
    applicant_country: str | None = None
    classes: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class Hit:
    """One alert: a record that is a risk to one watched enterprise, with the evidence."""

    record_id: str
    watch_id: str
    risk: str
    score: float
    mark: str
    variant: str
    reasons: tuple[str, ...]
    class_overlap: tuple[int, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The JSON-lines contract of ``alertbot match`` (``../shared/bench/README.md``)."""
        return {
            "record_id": self.record_id,
            "watch_id": self.watch_id,
            "risk": self.risk,
            "score": round(self.score, 1),
            "mark": self.mark,
            "variant": self.variant,
            "reasons": list(self.reasons),
            "class_overlap": list(self.class_overlap),
        }
