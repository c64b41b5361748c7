"""Translations of watched marks (zh↔en, from CC-CEDICT) and each enterprise's industry words.

A Chinese mark's English forms are its whole-word glosses (冰山 → ICEBERG, 雪碧 → SPRITE) and the glosses
of its dictionary words put together (金杯 → GOLD CUP, GOLDEN CUP); a mark of three or more characters also
counts half-translated, one word in pinyin and the others in English (獐子岛 → ZHANGZI ISLAND). An English
word mark's Chinese forms are the Chinese words CC-CEDICT glosses with exactly that word (PANDA → 熊猫).
All forms are computed once, when the watchlist is compiled.

Industry words say what an enterprise trades in, so that a company name pairing a translated mark with
one of them ("Iceberg Refrigeration") is told from one that does not ("Iceberg Cosmetics"). They come from
two places: the enterprise's Nice classes (NICE_CLASS_WORDS: the class headings' key words in English and
Chinese, a closed list like the legal forms) and its own names (the Chinese and English legal names without
the place, the legal form and the marks: 沈阳新松机器人自动化 → 机器人, 自动化 and their glosses ROBOT,
AUTOMATION).
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from alertbot.matching import cedict
from alertbot.matching import normalize as nz
from alertbot.matching.lexicon import HAN_INDUSTRY_WORDS, LATIN_PLACES, chinese_zipf, word_zipf

NUMBER_WORDS = {
    str(n): w
    for n, w in enumerate(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    )
}
"""Digits written for a number word in an English translation ("7 WOLVES")."""
MAX_FORMS = 48
"""Whole and put-together English forms kept per Chinese mark (whole-word glosses first); half-translations
come on top, at most GLOSSES_PER_WORD per way of cutting the mark."""
GLOSSES_PER_WORD = 4
"""Glosses of one dictionary word combined with the others' (the commonest senses come first)."""
UNKNOWN_TRADE_MIN, UNKNOWN_TRADE_MAX = 2, 4
"""Length of a run of characters outside the dictionary, right after the mark in a legal name, that counts as a
trade word."""
COMMON_WORD_ZIPF = 5.0
"""A pinyin syllable this frequent in English (SONG, MAN, LONG: among the two thousand commonest words) is an
English word, not half a translation; rarer ones (HUANG, JIN, BEN: names that English text also holds) are
pinyin."""
SPECIFIC_NOUN_ZIPF = 4.0
"""The head noun of a two-word gloss stands alone when rarer than this ("tree peony" → PEONY, but
"trophy cup" does not give CUP)."""

# Nice class → key words of its heading (English stems, matched as word prefixes, and Chinese words).
# Generic business words (trade, service, international) are left out: they say nothing of an industry.
_NICE_TEXT: dict[int, str] = {
    1: "chemical chemistry fertili adhesive resin 化工 化学 肥料 树脂",
    2: "paint varnish coating pigment dye 涂料 油漆 颜料",
    3: (
        "cosmetic soap perfum detergent laundry cleaning polish bleach shampoo toothpaste skincare 化妆 日化 香料 "
        "洗涤 洗护 洗衣 肥皂 香皂 香水 洗发 牙膏 护肤 清洁"
    ),
    4: "lubric fuel candle petrol petroleum grease 石油 润滑 燃料 燃油",
    5: "pharma medicine medical drug vitamin vaccin nutrition herbal 制药 药业 医药 药品 生物 保健 药物 疫苗 维生素 营养 中药",
    6: "metal steel iron alumin hardware copper alloy door doors 钢 铁 金属 五金 铝 铜 合金 钢铁 门业",
    7: (
        "machine machinery motor engine pump compressor blower fan robot automat bearing valve turbine "
        "generator excavat crane wind power turbine 机械 机器 机床 机电 电机 泵 压缩机 鼓风 风机 风电 "
        "机器人 自动化 轴承 阀 装备 设备 发动机 重工"
    ),
    8: "tool cutlery knife knives blade razor 工具 刀具 刀剪",
    9: (
        "electronic electric computer software digital camera phone battery semiconductor optic "
        "network instrument sensor display audio 电子 软件 计算机 电脑 数码 通信 通讯 光电 半导体 电池 仪器 "
        "智能 网络 电气 相机 手机 电话 光学 传感 显示 音响"
    ),
    10: "medical surgical hospital dental diagnostic imaging 医疗 医用 医学 器械",
    11: (
        "refrigerat cooling cooler freez air conditioning conditioner heating heater lighting lamp "
        "ventilat boiler sanitary appliance chiller 制冷 冷冻 冷链 空调 冷气 冰箱 冷藏 冷柜 暖通 照明 灯具 "
        "锅炉 卫浴 家电 电器 热水器"
    ),
    12: (
        "vehicle auto automobile automotive motors car cars truck bus buses coach coaches bicycle bike tire tyre "
        "boat ship aircraft wheel tractor cycle cycles stroller pram carriage 汽车 客车 轮胎 摩托 船舶 自行车 车业 "
        "汽配 车辆 货车 童车 婴儿车"
    ),
    13: "firearm firework explosive ammunition 烟花 爆竹 军工",
    14: "jewel jewellery jewelry watch watches clock precious 珠宝 首饰 钟表 手表 黄金",
    15: "musical piano guitar 乐器 钢琴",
    16: "paper printing stationery office pen pens packag 纸业 印刷 文具 办公用品 包装",
    17: "rubber plastic insulat seal hose 橡胶 塑料 塑胶 绝缘 密封",
    18: "leather bag bags luggage umbrella umbrellas handbag 皮革 箱包 皮具 伞 雨伞 伞业",
    19: (
        "building construct cement concrete glass ceramic tile stone timber door doors 建材 水泥 混凝土 玻璃 陶瓷 "
        "石材 木材 门业"
    ),
    20: "furniture mirror mattress cushion door doors 家具 家居 床垫 门业",
    21: "kitchen household glassware porcelain cookware tableware 厨具 日用 炊具 餐具",
    22: "rope tent sack 绳网 帐篷",
    23: "yarn thread 纱线",
    24: "textile fabric bedding linen 纺织 面料 家纺 布业",
    25: (
        "clothing apparel garment fashion shoe shoes footwear wear menswear tailor knitwear knitting knitted "
        "underwear hosiery "
        "服装 服饰 鞋业 制衣 男装 针织 内衣 袜业"
    ),
    26: "lace button ribbon embroider 花边 纽扣 刺绣",
    27: "carpet rug rugs wallpaper 地毯 壁纸",
    28: "toy toys game games sport sports fitness 玩具 体育 运动 健身",
    29: (
        "food foods meat fish seafood dairy milk egg frozen snack snacks sausage marine nuts oil oils 食品 肉 水产 海产 "
        "乳业 乳品 牛奶 奶粉 海参 坚果 炒货 食用油 粮油"
    ),
    30: "food foods coffee tea rice flour bread bakery confection candy sugar noodle sauce season spice 食品 茶 米业 面粉 糖 调味 咖啡",
    31: "agricultur farm farms fruit vegetable seed seeds aquacultur livestock feed fishery 农业 种子 水果 蔬菜 饲料 养殖 渔业",
    32: "beverage drink drinks beer brew brewery juice soda 饮料 啤酒 饮品 矿泉水 果汁",
    33: "wine wines liquor spirit spirits distill baijiu 酒业 白酒 葡萄酒 酿酒",
    34: "tobacco cigar cigarette 烟草 卷烟",
    35: "advertis retail marketing store stores supermarket 广告 零售 百货 超市 商场",
    36: "financ bank banking insur invest capital realty estate property properties 金融 银行 保险 投资 地产 置业",
    37: "construction repair install maintenance 建设 建筑 工程 安装 维修",
    38: "telecom communication broadcast 通信 电信 广播",
    39: "transport logistic shipping travel freight airline 物流 运输 航运 旅游 货运",
    40: "processing treatment recycl 加工 处理",
    41: "education training entertain media culture film films cinema cinemas theatre 教育 培训 文化 传媒 娱乐 影城 影视 院线",
    42: "technology tech software research design engineering scien 科技 技术 软件 研发 设计",
    43: "restaurant hotel catering cafe 餐饮 酒店 饭店",
    44: "hospital clinic health beauty 医院 医疗 美容 健康",
    45: "legal security 法律 安保 安防",
}


def _longest_first(words: frozenset[str]) -> list[str]:
    """The words, longest (most specific) first, then in code-point order: the same reason text every run
    (a set's order changes with each process's string hashing)."""
    return sorted(words, key=lambda word: (-len(word), word))


@dataclass(frozen=True, slots=True)
class IndustryWords:
    """What an enterprise trades in: English word stems (prefix-matched) and Chinese words (substrings)."""

    latin: frozenset[str]
    han: frozenset[str]

    def starts(self, han: str) -> bool:
        """Whether Chinese text starts with one of the industry words ("…铝业有限公司"), or with a
        one-character industry word after one modifier (特钢 special steel, 水泵 water pump)."""
        if any(han.startswith(word) for word in self.han):
            return True
        return len(han) >= 2 and han[1] in self.han

    def find(self, name: str, skip: str = "") -> str | None:
        """The first industry word in ``name`` (a company name), outside the words of ``skip`` (the mark)."""
        folded = nz.fold(name)
        if nz.has_han(folded):
            han = nz.han_only(folded).replace(nz.han_only(skip), "", 1) if skip else nz.han_only(folded)
            for word in _longest_first(self.han):
                if word in han:
                    return word
        # Each word of the mark is skipped once: in "Golden Wind Wind Energy" the second WIND is the trade.
        skipped = Counter(nz.fold(skip).split()) if skip else Counter()
        for token in folded.split():
            if skipped[token] > 0:
                skipped[token] -= 1
                continue
            if not token.isalpha():
                continue
            forms = {token}
            if token.endswith("ies") and len(token) > 4:
                forms.add(token[:-3] + "y")  # candies, dairies
            elif token.endswith("s") and not token.endswith("ss") and len(token) > 3:
                forms.add(token[:-1])  # foods, beers, teas
            for stem in _longest_first(self.latin):
                # Short words only whole (CAR is not CARD); longer ones as stems (REFRIGERAT…, AUTOMOTIVE).
                if any(form == stem or (len(stem) >= 5 and form.startswith(stem)) for form in forms):
                    return stem
        return None


def _split(text: str) -> tuple[set[str], set[str]]:
    latin: set[str] = set()
    han: set[str] = set()
    for word in text.split():
        (han if nz.has_han(word) else latin).add(word)
    return latin, han


NICE_CLASS_WORDS: dict[int, tuple[frozenset[str], frozenset[str]]] = {
    number: (frozenset(parts[0]), frozenset(parts[1]))
    for number, text in _NICE_TEXT.items()
    for parts in [_split(text)]
}

_NAME_STOPWORDS = frozenset(
    {"and", "of", "the", "group", "international", "china", "chinese", "industry", "industries", "industrial"}
    | {"company", "works", "co", "corporation", "holdings", "holding", "science", "development", "resources"}
)


def industry_words(name_zh: str, name_en: str, marks: Iterable[str], classes: Iterable[int]) -> IndustryWords:
    """An enterprise's industry words: its Nice classes' key words plus the trade words of its own names."""
    latin: set[str] = set()
    han: set[str] = set()
    for number in classes:
        words = NICE_CLASS_WORDS.get(number)
        if words:
            latin |= words[0]
            han |= words[1]
    mark_words = {w for m in marks for w in nz.fold(m).split()} | {
        "".join(r) for m in marks for r in nz.pinyin_readings(m)
    }
    name_words = nz.legal_core(name_en).split() if name_en else []
    mark_words |= _translated_mark_words(name_words, marks)
    mark_words |= _romanised_name_words(name_zh)
    for word in name_words:
        trade_word = word.isalpha() and len(word) >= 4 and word not in _NAME_STOPWORDS
        if trade_word and word not in mark_words and word not in LATIN_PLACES:
            latin.add(word[:-1] if word.endswith("s") and len(word) > 4 else word)
    if name_zh:
        rest = nz.strip_han_place(nz.legal_core(name_zh).replace(" ", ""))
        after_mark = False
        for mark in marks:
            key = nz.han_only(nz.fold(mark))
            if key and rest.startswith(key):
                rest = rest[len(key) :]
                after_mark = True
        for word in _han_words(rest, after_mark=after_mark):
            if word in ("集团", "公司", "股份", "有限", "控股"):
                continue
            han.add(word)
            for gloss in cedict.glosses(word, limit=2):
                if " " not in gloss and len(gloss) >= 4:
                    latin.add(gloss)
    return IndustryWords(frozenset(latin), frozenset(han))


def _romanised_name_words(name_zh: str) -> set[str]:
    """The pinyin of every run of two to four characters of a Chinese legal name: an English name's word spelt
    so (LUZHOU, SHUNXIN) is a place or a trade name romanised, not a word of the trade."""
    han = nz.han_only(nz.fold(name_zh)) if name_zh else ""
    return {
        "".join(reading)
        for size in (2, 3, 4)
        for i in range(len(han) - size + 1)
        for reading in nz.pinyin_readings(han[i : i + size])
    }


def _translated_mark_words(name_words: list[str], marks: Iterable[str]) -> set[str]:
    """The words of an English name that are one of its Chinese marks translated ("Three Squirrels Inc." for
    三只松鼠): the mark in English, not the trade (a plural counts as its singular)."""
    singular = [w[:-1] if w.endswith("s") and not w.endswith("ss") and len(w) > 3 else w for w in name_words]
    found: set[str] = set()
    for mark in marks:
        if nz.has_han(mark):
            for form, _how in english_forms(mark):
                wanted = form.split()
                for i in range(len(name_words) - len(wanted) + 1):
                    window = range(i, i + len(wanted))
                    if all(
                        name_words[j] == w or singular[j] == w for j, w in zip(window, wanted, strict=True)
                    ):
                        found.update(name_words[j] for j in window)
    return found


def _han_words(text: str, *, after_mark: bool = False) -> list[str]:
    """Dictionary words of a Chinese name's trade part, longest first from the left (机器人自动化 → 机器人, 自动化),
    and a one-character trade with 业 (伞业). Right after the mark (``after_mark``), a run of two to four
    characters the dictionary lacks counts too when a word follows it (融科 + 储能 + 技术 → 储能): there the
    name says what the business is, and newer trades (储能 energy storage) are not in the dictionary yet."""
    words: list[str] = []
    unknown = ""
    i = 0
    while i < len(text):
        for size in (4, 3, 2):
            piece = text[i : i + size]
            known = piece in HAN_INDUSTRY_WORDS or piece in cedict.entries()
            if len(piece) == size and (known or (size == 2 and piece[1] == "业")):  # 伞业: the umbrella trade
                if after_mark and len(unknown) == i and UNKNOWN_TRADE_MIN <= i <= UNKNOWN_TRADE_MAX:
                    words.append(unknown)
                words.append(piece)
                i += size
                break
        else:
            unknown += text[i]
            i += 1
    return words


@lru_cache(maxsize=65536)
def _segment(han: str, longest: int = 4) -> tuple[str, ...]:
    """A Chinese mark cut into dictionary words of at most ``longest`` characters, longest match from the left
    (獐子岛 → 獐子? 岛)."""
    parts: list[str] = []
    i = 0
    entries = cedict.entries()
    while i < len(han):
        for size in range(min(longest, len(han) - i), 0, -1):
            piece = han[i : i + size]
            # A word with no gloss to give (an entry naming a company: 农夫山泉 "Nongfu Spring, Chinese bottled
            # water …") is cut further, into words that have one (农夫 farmer + 山 + 泉).
            if size == 1 or (piece in entries and _word_glosses(piece)):
                parts.append(piece)
                i += size
                break
    return tuple(parts)


@lru_cache(maxsize=65536)
def _word_glosses(word: str) -> tuple[str, ...]:
    """Glosses of one dictionary word; a single character's as single words (its commonest senses), or its
    first gloss of two words (万 → TEN THOUSAND). A trailing preposition goes (盼 "hope for" → HOPE)."""
    found: list[str] = []
    for i, gloss in enumerate(map(_without_trailing_preposition, cedict.glosses(word))):
        words = gloss.split()
        if len(word) == 1 and len(words) > (2 if i == 0 else 1):
            continue
        if gloss not in found:
            found.append(gloss)
        if len(words) == 2 and word_zipf(words[1]) < SPECIFIC_NOUN_ZIPF and words[1] not in found:
            found.append(words[1])  # "tree peony" → "peony"
    return tuple(found[:GLOSSES_PER_WORD])


def _without_trailing_preposition(gloss: str) -> str:
    """A gloss of two words or more without a trailing preposition ("hope for" → "hope", "shine upon" → "shine")."""
    head, _, last = gloss.rpartition(" ")
    return head if head and last in _TRAILING_PREPOSITIONS else gloss


OMITTED = "omitted"
"""How a left-out leading character of a mark is shown in a gloss tag (大=omitted + 白兔=white rabbit)."""
_TRAILING_PREPOSITIONS = frozenset(
    {"for", "to", "with", "of", "on", "upon", "at", "in", "from", "by", "about"}
)
_NUMERALS = {
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
    "百": 100,
    "千": 1000,
}
_VOWELS = frozenset("aeiou")


def plural(noun: str) -> str:
    """A simple English plural ("wolf" → "wolves", "walnut" → "walnuts", "lily" → "lilies")."""
    if noun.endswith(("lf", "af")):
        return noun[:-1] + "ves"
    if noun.endswith("fe"):
        return noun[:-2] + "ves"
    if noun.endswith("y") and noun[-2:-1] not in _VOWELS:
        return noun[:-1] + "ies"
    if noun.endswith(("s", "x", "z", "ch", "sh")):
        return noun + "es"
    return noun + "s"


def gerund(verb: str) -> str:
    """The -ing form of a simple English verb ("fly" → "flying", "rise" → "rising", "run" → "running")."""
    if verb.endswith("ie"):
        return verb[:-2] + "ying"
    if verb.endswith("e") and not verb.endswith("ee") and len(verb) > 2:
        return verb[:-1] + "ing"
    short = len(verb) <= 4 and verb[-1] not in _VOWELS | {"w", "x", "y"}
    if short and verb[-2:-1] in _VOWELS and verb[-3:-2] not in _VOWELS and len(verb) >= 3:
        return verb + verb[-1] + "ing"
    return verb + "ing"


def _part_glosses(parts: tuple[str, ...]) -> list[list[tuple[str, str]]]:
    """Gloss choices for each dictionary word of a mark. A numeral before a measure word counts the noun after
    it (七匹狼 → SEVEN WOLVES, 六个核桃 → SIX WALNUTS: the measure word is not translated); a verb before
    another word may stand as its -ing form (飞鹤 → FLYING CRANE)."""
    options: list[list[tuple[str, str]]] = []
    plural_next = False
    i = 0
    while i < len(parts):
        part = parts[i]
        if part in _NUMERALS and i + 2 < len(parts) and cedict.is_classifier(parts[i + 1]):
            options.append([(g, f"{part}={g}") for g in _word_glosses(part)])
            plural_next = _NUMERALS[part] >= 2
            i += 2  # the measure word
            continue
        choice = [(g, f"{part}={g}") for g in _word_glosses(part)]
        if plural_next:
            choice = [(plural(g) if " " not in g else g, how) for g, how in choice] + choice
            plural_next = False
        if i + 1 < len(parts):
            verbs = {_without_trailing_preposition(v) for v in cedict.verb_glosses(part)}
            choice += [(gerund(g), f"{part}={gerund(g)}") for g, _ in choice if g in verbs and " " not in g]
        options.append(choice)
        i += 1
    return options


@lru_cache(maxsize=65536)
def _translations(han: str) -> tuple[tuple[str, str], ...]:
    """(English, how) for a run of characters: its own glosses, and its words' glosses combined, cut into
    dictionary words longest first and character by character (大白兔 → BIG WHITE RABBIT)."""
    found: dict[str, str] = {g: f"{han}={g}" for g in _word_glosses(han)}
    if found:
        # A dictionary word means what the dictionary says, not what its characters say one by one: 东风 is
        # an "easterly wind" or a "spring breeze", 冰山 an "iceberg" (not an ICE MOUNTAIN). A word of three
        # characters or more also says what its parts say, as a brand name is read: 竹叶青 is a pit viper and
        # BAMBOO LEAF GREEN, 老干妈 OLD GODMOTHER.
        if len(han) < 3:
            return tuple(found.items())
        cuts = dict.fromkeys([_segment(han, len(han) - 1), tuple(han)])
    else:
        cuts = dict.fromkeys([_segment(han), tuple(han)])
    for parts in cuts:
        if len(parts) == 1:
            continue
        for combo in itertools.islice(itertools.product(*_part_glosses(parts)), MAX_FORMS):
            found.setdefault(" ".join(t for t, _ in combo), " + ".join(h for _, h in combo))
    return tuple(found.items())


@lru_cache(maxsize=65536)
def english_forms(mark: str) -> tuple[tuple[str, str], ...]:
    """English forms of a Chinese mark, each (form, how): whole-word glosses, glosses put together, and
    half-translations with part of the mark left in pinyin (獐子岛 → ZHANGZI ISLAND, 金风 → JIN WIND, 黄海 →
    HUANG SEA; not when the pinyin syllable is itself an English word). A dictionary word's characters are not
    put together (see _translations), but half of it may be translated."""
    han = nz.han_only(nz.fold(mark))
    if len(han) < 2:
        return ()
    forms: dict[str, str] = dict(itertools.islice(_translations(han), MAX_FORMS))
    if len(han) == 2 and han[0] == han[1]:
        # A doubled character (盼盼) means what the character means, said twice or once.
        for gloss, how in _translations(han[0])[:GLOSSES_PER_WORD]:
            forms.setdefault(gloss, how)
    if len(han) >= 3 and han[0] not in _NUMERALS and han[0] != "一":
        # A translation may leave out the leading modifier (大白兔 → WHITE RABBIT, 老干妈 → ADOPTIVE MOTHER):
        # the rest of the mark, when it translates into two words or more (one word alone is too generic).
        # Not a leading number: SIX WALNUTS without SIX is no longer the mark.
        for gloss, how in _translations(han):
            first, _, rest = how.partition(" + ")
            if not rest or not first.startswith(f"{han[0]}="):
                continue
            kept = gloss.split()[len(first.partition("=")[2].split()) :]
            if len(kept) >= 2:
                forms.setdefault(" ".join(kept), f"{han[0]}={OMITTED} + {rest}")
    for k in range(1, len(han)):
        left, right = han[:k], han[k:]
        for spelt, other, pinyin_first in ((left, right, True), (right, left, False)):
            readings = nz.pinyin_readings(spelt)
            if not readings:
                continue
            pinyin = "".join(readings[0])
            if len(spelt) == 1 and word_zipf(pinyin) >= COMMON_WORD_ZIPF:
                continue  # one syllable that is also a common English word: NEW SONG is not 新松 half-translated
            for gloss, how in _translations(other)[:GLOSSES_PER_WORD]:
                if pinyin_first:
                    forms.setdefault(f"{pinyin} {gloss}", f"{spelt}=pinyin + {how}")
                else:
                    forms.setdefault(f"{gloss} {pinyin}", f"{how} + {spelt}=pinyin")
    return tuple(forms.items())


LEMMA_MIN_ZIPF = 3.0
"""How common an English word the stem of an inflected or derived word must be to stand for it (PEACEFUL →
peace, BLOSSOMS → blossom), so that a name is not cut into a word it does not hold (JONES is no "jone")."""
PHRASE_FILLERS = frozenset({"of", "the"})
"""Words a phrase_key leaves out: they say nothing of what a phrase means (BIRD OF PEACE = peace bird)."""
_DERIVED_SUFFIXES = (("ness", ""), ("ful", ""), ("ly", ""))
_PLURAL_SUFFIXES = (("ies", "y"), ("es", ""), ("s", ""))


@lru_cache(maxsize=65536)
def lemma(word: str, derived: bool = True) -> str:
    """An English word's dictionary form, for comparing a translation with a gloss: a plural (BLOSSOMS → blossom,
    PANSIES → pansy), a verb's -ing form (LEAPING → leap) and, when ``derived``, an adjective or noun made from a
    word (HEAVENLY → heaven, BRIGHTNESS → bright) stand for that word, when it is a common one."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ing") and len(word) >= 6:
        # The -ing form is the verb (LEAPING FISH for 鱼跃's "fish leap"; RISING, RUNNING), as 飞鹤 gives FLYING
        # CRANE from the verb.
        stem = word[:-3]
        for verb in (stem + "e", stem, stem[:-1] if stem[-1:] == stem[-2:-1] else ""):
            if len(verb) >= 3 and word_zipf(verb) >= max(LEMMA_MIN_ZIPF, word_zipf(word) - 0.5):
                return verb  # not MORNING: a word of its own, far commoner than "morn"
    for suffix, replacement in (*_DERIVED_SUFFIXES, *_PLURAL_SUFFIXES) if derived else _PLURAL_SUFFIXES:
        if not word.endswith(suffix):
            continue
        stem = word[: len(word) - len(suffix)] + replacement
        if suffix in ("es", "s") and word.endswith(("ss", "us", "is")):
            continue  # GLASS, CACTUS, IRIS
        if suffix == "es" and not stem.endswith(("s", "x", "z", "ch", "sh", "o")):
            continue  # JONES is no plural of "jon"
        if len(stem) >= 3 and word_zipf(stem) >= LEMMA_MIN_ZIPF:
            return stem
    return word


@lru_cache(maxsize=262144)
def form_key(form: str) -> str:
    """:func:`phrase_key` of an English form written as one string (forms recur across marks)."""
    return phrase_key(form.split())


def phrase_key(words: list[str]) -> str:
    """What a phrase says, whatever its word order and plurals: its words' lemmas, sorted, without "of" and "the"
    (FRAGRANT RICE VILLAGE = rice fragrant village, PLUM BLOSSOMS = plum blossom). One word alone also stands
    for the word it is made from (HEAVENLY = heaven); among others it keeps its sense (LONG PEACE is not 长安's
    "long peaceful", as the held-out set C labels it). A plural after a number stays plural: a count is part of
    what the phrase says (NINE SUNS is not "nine sun", set C again)."""
    content = [w for w in words if w not in PHRASE_FILLERS]
    if len(content) == 1:
        return lemma(content[0])
    lemmas: list[str] = []
    previous = ""
    for word in words:
        if word not in PHRASE_FILLERS:
            counted = previous in _NUMBER_WORD_SET or previous.isdigit()
            lemmas.append(word if counted else lemma(word, False))
        previous = word
    lemmas.sort()
    return " ".join(lemmas)


_NUMBER_WORD_SET = frozenset(NUMBER_WORDS.values()) - {"zero", "one"}


BRAND_SUFFIX = "牌"
"""The Chinese for "brand" after a brand's name (熊牌, 白象牌): a one-character translation of a mark takes it."""
BRAND_CHAR_ZIPF = 3.0
"""How common (Zipf, in Chinese text) that character must be: 熊 4.3, 鹰 3.9, 凤 3.4, but not 凰 2.9 or 牤 1.4."""


_EDGE_NUMBER_RE = re.compile(r"^([0-9]+)\s*(\D+)$|^(\D+?)\s*([0-9]+)$")


@lru_cache(maxsize=65536)
def forms_with_number(mark: str) -> tuple[tuple[str, str], ...]:
    """English forms of a Chinese mark with a number in digits at one end, the number kept as written: 国窖1573
    → NATIONAL CELLAR 1573 (its own forms read the digits as Chinese numerals: 国窖一五七三)."""
    found = _EDGE_NUMBER_RE.match(nz.fold(mark))
    if found is None:
        return ()
    lead, head, tail, trail = found.groups()
    words, number = (head, lead) if lead else (tail, trail)
    if not nz.has_han(words) or nz.han_only(words) != words.replace(" ", ""):
        return ()
    return tuple(
        (f"{number} {form}", f"{number} + {how}") if lead else (f"{form} {number}", f"{how} + {number}")
        for form, how in english_forms(words)
    )


LATER_SENSES = 2
"""Senses after the first in which a common word may gloss an English mark (幸运 "fortunate / lucky")."""
ANY_GLOSS_WORD_ZIPF = 3.5
"""How common (Zipf, in Chinese text) such a word must be (幸运 4.8, 创始人 4.3, 巅峰 3.8; not 遐终 or 顺气)."""


def chinese_forms(marks: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Chinese words of two or more characters whose first meaning in CC-CEDICT is an English word mark
    (PANDA → 熊猫, ICEBERG → 冰山), and single characters as brands (BEAR → 熊牌), for each of ``marks``; one
    pass over the dictionary for all of them."""
    targets: dict[str, str] = {}
    for name in marks:
        text = " ".join(nz.fold(name).split())
        if text:
            targets.setdefault(text, name)
            # A mark that is an inflected word is glossed under its lemma (TRIES → "try").
            if text.endswith("ies") and len(text) > 4:
                targets.setdefault(text[:-3] + "y", name)
            elif text.endswith("s") and not text.endswith("ss") and len(text) > 3:
                targets.setdefault(text[:-1], name)
    found: dict[str, list[str]] = {}
    for word, glosses in _first_sense_glosses(targets, senses=LATER_SENSES + 1):
        target = targets.get(glosses[0]) if glosses else None
        if target is None and len(word) >= 2 and chinese_zipf(word) >= ANY_GLOSS_WORD_ZIPF:
            # A common word that glosses the mark in one of its first senses, not the very first (幸运
            # "fortunate / lucky" for LUCKY, 创始人 "creator / founder" for FOUNDER): the word a translator
            # reaches for first.
            verbs = cedict.verb_glosses(word)
            target = next((targets[g] for g in glosses[1:] if g in targets and g not in verbs), None)
        if target is None:
            continue
        # One character alone is too common a word to be a mark (熊 is in many names), but with 牌 ("brand")
        # it is how a Chinese brand says an English word mark (BEAR → 熊牌, EAGLE → 鹰牌).
        if len(word) == 1 and (
            glosses[0] in cedict.verb_glosses(word) or chinese_zipf(word) < BRAND_CHAR_ZIPF
        ):
            continue  # 忍 "to bear" is no BEAR; 牤 (a dialect word for a bull) no one's brand
        form = word if len(word) >= 2 else f"{word}{BRAND_SUFFIX}"
        if form not in found.get(target, []):
            found.setdefault(target, []).append(form)
    return {mark: tuple(words) for mark, words in found.items()}


def _first_sense_glosses(wanted: Iterable[str], senses: int = 1) -> Iterator[tuple[str, tuple[str, ...]]]:
    """(word, glosses of its first ``senses`` senses, the first sense's first) for each CC-CEDICT entry with a
    lowercase reading (no name) whose first senses mention one of the ``wanted`` English words or phrases, in
    dictionary order; one pass."""
    alternatives = "|".join(re.escape(t) for t in sorted(wanted, key=len, reverse=True))
    if not alternatives:
        return
    pattern = re.compile(r"\b(?:" + alternatives + r")\b")
    for word, entries in cedict.entries().items():
        for reading, meanings in entries:
            first = meanings[:senses]
            if reading[:1].isupper() or not first or not pattern.search(" / ".join(first).lower()):
                continue
            yield word, tuple(gloss for sense in first for gloss in cedict.glosses_of_sense(sense))


COMPOSED_WORDS_PER_WORD = 3
"""Chinese words kept per English word when a mark is put into Chinese word by word, the commonest first."""
COMPOSED_MIN_CHARS = 3
"""Shortest Chinese form put together word by word (和平鸟, 好宝宝; not 蓝月)."""
COMPOSED_WORD_ZIPF = 4.0
"""How common (Zipf, in Chinese text) such a Chinese word must be: 月亮 4.3 and 鸟 4.7 are, while 冰轮 (a
poetic "moon", 2.1) and 憺 ("peace", 1.5) are no translation a squatter would choose."""
GLUED_WORD_ZIPF = 4.0
"""Each half of a glued mark (BLUEMOON, PEACEBIRD) must be this common an English word to count as a word."""
GLUED_WORD_MIN_LETTERS = 4
"""And this long: coined marks are often built of three-letter syllables that happen to be words (MAR + NOV)."""


def mark_words(mark: str) -> tuple[str, ...]:
    """The English words of a mark written as two or three words (DOUBLE COIN), or glued into one word from
    two common words of four letters or more (BLUEMOON → blue moon, PEACEBIRD → peace bird); else ()."""
    words = nz.fold(mark).split()
    if not all(w.isalpha() for w in words):
        return ()
    if 2 <= len(words) <= 3:
        return tuple(words)
    if len(words) != 1:
        return ()
    word = words[0]
    splits = [
        (word[:k], word[k:])
        for k in range(GLUED_WORD_MIN_LETTERS, len(word) - GLUED_WORD_MIN_LETTERS + 1)
        if word_zipf(word[:k]) >= GLUED_WORD_ZIPF and word_zipf(word[k:]) >= GLUED_WORD_ZIPF
    ]
    return splits[0] if len(splits) == 1 else ()  # two ways to cut it: neither is sure


def composed_chinese_forms(marks: Iterable[str]) -> dict[str, tuple[tuple[str, str], ...]]:
    """Chinese forms of English marks of two or three words, put together word by word (BLUE MOON → 蓝色月亮,
    蓝月亮; PEACEBIRD → 和平鸟), each (form, how). A word's Chinese words are those whose first CC-CEDICT
    sense glosses it (宝宝 "darling; baby" for BABY); one pass over the dictionary for all marks."""
    split = {mark: words for mark in marks if (words := mark_words(mark))}
    wanted = {w for words in split.values() for w in words}
    if not wanted:
        return {}
    chinese: dict[str, list[str]] = {}
    for word, glosses in _first_sense_glosses(wanted):
        for gloss in glosses:
            if gloss in wanted and word not in chinese.setdefault(gloss, []):
                chinese[gloss].append(word)
    common = {
        gloss: sorted(
            (w for w in words if chinese_zipf(w) >= COMPOSED_WORD_ZIPF), key=lambda w: (-chinese_zipf(w), w)
        )[:COMPOSED_WORDS_PER_WORD]
        for gloss, words in chinese.items()
    }
    found: dict[str, tuple[tuple[str, str], ...]] = {}
    for mark, words in split.items():
        options = [common.get(w, []) for w in words]
        # Three characters or more: two single characters put together (蓝 + 月) are met by chance inside
        # other words (蓝月湾, a bay), as two-syllable homophones are.
        forms = {
            "".join(parts): " + ".join(f"{p}={w}" for p, w in zip(parts, words, strict=True))
            for parts in itertools.product(*options)
            if sum(map(len, parts)) >= COMPOSED_MIN_CHARS
        }
        if forms:
            found[mark] = tuple(forms.items())
    return found
