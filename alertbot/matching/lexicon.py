"""Word lists the normaliser needs: legal forms, place names, and the dictionary-word test.

Legal forms and place names are closed classes (a country's company law and its map), so they are kept as
lists here; whether a mark is an ordinary word is an open question answered by a real word-frequency
resource (``wordfreq``), never by a hand list.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

from cleanco import prepare_default_terms
from wordfreq import get_frequency_dict

# Chinese and Japanese legal forms, longest first so that the longest one is stripped in one step.
HAN_LEGAL_SUFFIXES: tuple[str, ...] = tuple(
    sorted(
        {
            "集团股份有限公司",
            "集团有限责任公司",
            "集团有限公司",
            "控股有限公司",
            "控股股份有限公司",
            "股份有限公司",
            "有限责任公司",
            "有限公司",
            "股份公司",
            "总公司",
            "分公司",
            "公司",
            "集团",
            "控股",
            "株式会社",
            "有限会社",
            "合同会社",
            "合资会社",
            "会社",
            "商行",
            "厂",
        },
        key=len,
        reverse=True,
    )
)
HAN_LEGAL_PREFIXES: tuple[str, ...] = ("株式会社", "有限会社", "合同会社")

# Korean legal forms (with and without the "(주)" abbreviation, after punctuation is folded).
HANGUL_LEGAL_FORMS: frozenset[str] = frozenset(
    {"주식회사", "주", "유한회사", "유한책임회사", "합자회사", "합명회사"}
)

# Latin legal forms as token sequences (after punctuation folding, so "S.A." is "s a"). cleanco's table
# (below) adds the long tail; these cover forms split by folding, group words and Asian romanisations.
LATIN_LEGAL_FORMS: tuple[tuple[str, ...], ...] = tuple(
    sorted(
        {
            tuple(form.split())
            for form in (
                "co",
                "company",
                "corp",
                "corporation",
                "inc",
                "incorporated",
                "ltd",
                "limited",
                "llc",
                "ulc",
                "llp",
                "lp",
                "plc",
                "gmbh",
                "gmbh co kg",
                "co kg",
                "kg",
                "ag",
                "se",
                "sa",
                "s a",
                "sas",
                "s a s",
                "sarl",
                "s a r l",
                "srl",
                "s r l",
                "spa",
                "s p a",
                "sl",
                "s l",
                "bv",
                "b v",
                "nv",
                "n v",
                "oy",
                "oyj",
                "ab",
                "as",
                "a s",
                "asa",
                "aps",
                "kk",
                "k k",
                "kabushiki kaisha",
                "godo kaisha",
                "yugen kaisha",
                "pte",
                "pty",
                "pvt",
                "private",
                "ooo",
                "oao",
                "zao",
                "pao",
                "jsc",
                "pjsc",
                "ojsc",
                "joint stock",
                "joint stock company",
                "jointstock",
                "sdn bhd",
                "bhd",
                "tbk",
                "pt",
                "cv",
                "group",
                "holdings",
                "holding",
                "co ltd",
                "corp ltd",
                # The abbreviations of spelt-out forms below that cleanco's table lacks (an affiliate listed
                # as "… s.r.o." files as "… společnost s ručením omezeným", and the other way round).
                "s r o",
                "spol s r o",
                "d o o",
                "tnhh",
                "s a de c v",
                "sa de cv",
                "ltd sti",
                "ltd şti",
                # The free-zone forms of the United Arab Emirates, a main market of Chinese exporters.
                "fze",
                "fzco",
                "fz llc",
                "fzc",
            )
        },
        key=len,
        reverse=True,
    )
)
# cleanco's international legal-form table, minus the terms that are also region codes or ordinary words
# ("uk", "eu", "sia", "at"): stripping those from the end of a name would turn "NEUSOFT UK LTD." into Neusoft.
_NOT_LEGAL_FORMS = frozenset(
    {"uk", "eu", "us", "usa", "sia", "at", "et", "ok", "ss", "ca", "sc", "ee", "ent"}
)


def _folded_forms(terms: list[str]) -> set[tuple[str, ...]]:
    # Our folding writes "&" as "and" and splits "o.o." into "o o"; fold the table the same way.
    words = " ".join("and" if part == "&" else part for part in terms)
    return {tuple(words.split()), tuple(words.replace("oo", "o o").split())}


CLEANCO_LEGAL_FORMS: frozenset[tuple[str, ...]] = frozenset(
    form
    for _, terms in prepare_default_terms()
    if not any(part in _NOT_LEGAL_FORMS for part in terms) and all(p.isalnum() or p == "&" for p in terms)
    for form in _folded_forms(terms)
)
# Spelt-out forms written in front of the name as often as after it (Indonesian PT, Russian OOO/AO, Japanese
# 株式会社 romanised, Dutch CV): "Perseroan Terbatas Conch Cement Indonesia" is PT Conch Cement Indonesia.
_SPELLED_OUT_EITHER_SIDE = (
    "perseroan terbatas",
    "kabushiki gaisha",
    "kabushiki kaisha",
    "obshchestvo s ogranichennoy otvetstvennostyu",
    "obshchestvo s ogranichennoi otvetstvennostiu",
    "aktsionernoe obshchestvo",
    "zakrytoe aktsionernoe obshchestvo",
    "otkrytoe aktsionernoe obshchestvo",
    "publichnoe aktsionernoe obshchestvo",
    "commanditaire vennootschap",
)
# Legal forms spelt out in full, as affiliates write them in long-form filings ("… Gesellschaft mit
# beschränkter Haftung" for "… GmbH", "Proprietary Limited" for "Pty Ltd"); cleanco's table holds the
# abbreviations only. Compared without accents (see normalize._strip_latin_forms).
SPELLED_OUT_LEGAL_FORMS: tuple[tuple[str, ...], ...] = tuple(
    tuple(form.split())
    for form in (
        *_SPELLED_OUT_EITHER_SIDE,
        "gesellschaft mit beschrankter haftung",
        "gesellschaft mit beschraenkter haftung",
        "gesellschaft mbh",
        "aktiengesellschaft",
        "kommanditgesellschaft",
        "kommanditgesellschaft auf aktien",
        "offene handelsgesellschaft",
        "and co kommanditgesellschaft",
        "unlimited liability company",
        "unlimited company",
        "proprietary limited",
        "proprietary",
        "public limited company",
        "private limited company",
        "private limited",
        "public company limited",
        "limited liability company",
        "limited liability partnership",
        "limited partnership",
        "besloten vennootschap met beperkte aansprakelijkheid",
        "besloten vennootschap",
        "naamloze vennootschap",
        "societe anonyme",
        "societe a responsabilite limitee",
        "societe par actions simplifiee",
        "societe en nom collectif",
        "societa per azioni",
        "societa a responsabilita limitata",
        "sociedad anonima",
        "sociedad limitada",
        "sociedad de responsabilidad limitada",
        "sociedade anonima",
        "sociedade limitada",
        "limitada",
        "ltda",
        "aktiebolag",
        "aktieselskab",
        "anpartsselskab",
        "aksjeselskap",
        "osakeyhtio",
        "spolka z ograniczona odpowiedzialnoscia",
        "spolka akcyjna",
        "społka z ograniczona odpowiedzialnoscia",  # ł has no decomposition: kept by accent stripping
        "społka akcyjna",
        "sendirian berhad",
        "berhad",
        "joint stock company",
        "closed joint stock company",
        "open joint stock company",
        "public joint stock company",
        "yugen gaisha",
        "yugen kaisha",
        "godo kaisha",
        "jusik hoesa",
        "chusik hoesa",
        # The other EU and EEA languages of EUIPO filings, and the forms of the main export markets.
        "korlatolt felelossegu tarsasag",  # Kft. (Hungary)
        "zartkoruen mukodo reszvenytarsasag",  # Zrt.
        "nyilvanosan mukodo reszvenytarsasag",  # Nyrt.
        "reszvenytarsasag",  # Rt.
        "spolecnost s rucenim omezenym",  # s.r.o. (Czechia)
        "spolocnost s rucenim obmedzenym",  # s.r.o. (Slovakia)
        "akciova spolecnost",  # a.s.
        "akciova spolocnost",
        "societate cu raspundere limitata",  # S.R.L. (Romania)
        "societate pe actiuni",  # S.A.
        "druzba z omejeno odgovornostjo",  # d.o.o. (Slovenia)
        "drustvo s ogranicenom odgovornoscu",  # d.o.o. (Croatia)
        "druzhestvo s ogranichena otgovornost",  # OOD (Bulgaria)
        "aktsionerno druzhestvo",  # AD
        "osauhing",  # OÜ (Estonia)
        "aktsiaselts",  # AS
        "sabiedriba ar ierobezotu atbildibu",  # SIA (Latvia)
        "uzdaroji akcine bendrove",  # UAB (Lithuania)
        "akcine bendrove",  # AB
        "julkinen osakeyhtio",  # Oyj (Finland)
        "allmennaksjeselskap",  # ASA (Norway)
        "handelsbolag",  # HB (Sweden)
        "societa in accomandita semplice",  # s.a.s. (Italy)
        "societa in nome collettivo",  # s.n.c.
        "sociedad anonima de capital variable",  # S.A. de C.V. (Mexico)
        "sociedade por quotas",  # Lda. (Portugal)
        "anonim sirketi",  # A.Ş. (Turkey)
        "limited sirketi",  # Ltd. Şti.
        "cong ty trach nhiem huu han",  # TNHH (Vietnam)
        "cong ty co phan",  # CP
        "perseroan terbatas",  # PT (Indonesia), also written after the name
        "free zone establishment",  # FZE (United Arab Emirates)
        "free zone company",  # FZCO
        "free zone limited liability company",  # FZ-LLC
    )
)
_FORM_JURISDICTIONS: tuple[tuple[str, str], ...] = (
    (
        "de at ch li",
        "gmbh gesellschaftmitbeschrankterhaftung gesellschaftmitbeschraenkterhaftung gesellschaftmbh ag"
        " aktiengesellschaft kg kommanditgesellschaft kgaa kommanditgesellschaftaufaktien ohg offenehandelsgesellschaft"
        " gmbhcokg andcokommanditgesellschaft ug",
    ),
    (
        "nl be sr",
        "bv bvba beslotenvennootschap beslotenvennootschapmetbeperkteaansprakelijkheid nv naamlozevennootschap",
    ),
    ("fr be lu ch mc it", "sas sasu societeparactionssimplifiee snc societeennomcollectif"),
    ("fr be lu ch mc ma tn", "sarl eurl societearesponsabilitelimitee"),
    ("fr be lu ch es pt br mx ar cl co pe uy ec pl gr", "sa societeanonyme sociedadanonima sociedadeanonima"),
    (
        "it",
        "spa societaperazioni sapa societainaccomandita societainaccomanditasemplice societainnomecollettivo",
    ),
    ("it ro md ar mx uy cr", "srl societaaresponsabilitalimitata"),
    ("ro md", "societatecuraspunderelimitata societatepeactiuni"),
    ("es", "sl slu sociedadlimitada"),
    ("es mx ar co pe cl uy", "sociedadderesponsabilidadlimitada"),
    ("mx", "sadecv sociedadanonimadecapitalvariable"),
    ("pt br ao mz cl co ec", "ltda limitada sociedadelimitada lda sociedadeporquotas"),
    ("jp", "kk kabushikikaisha kabushikigaisha gk godokaisha godogaisha yk yugenkaisha yugengaisha"),
    ("kr", "jusikhoesa chusikhoesa"),
    ("au za nz", "ptyltd pty proprietarylimited proprietary"),
    ("sg", "pteltd pte"),
    ("in pk lk np bd", "pvtltd pvt"),
    ("in pk lk np bd sg gb", "privatelimited privatelimitedcompany"),
    ("us ca ph ky vg bm", "inc incorporated"),
    ("se fi", "ab aktiebolag"),
    ("fi", "oy osakeyhtio oyj julkinenosakeyhtio"),
    ("dk", "aps anpartsselskab aktieselskab"),
    ("no", "aksjeselskap asa allmennaksjeselskap"),
    (
        "pl",
        "spzoo spolkazograniczonaodpowiedzialnoscia spolkaakcyjna społkazograniczonaodpowiedzialnoscia"
        " społkaakcyjna",
    ),
    (
        "hu",
        "kft korlatoltfelelossegutarsasag zrt zartkoruenmukodoreszvenytarsasag nyrt"
        " nyilvanosanmukodoreszvenytarsasag reszvenytarsasag",
    ),
    (
        "cz sk",
        "sro spolsro spolecnostsrucenimomezenym spolocnostsrucenimobmedzenym akciovaspolecnost"
        " akciovaspolocnost",
    ),
    ("si hr rs ba me mk", "doo druzbazomejenoodgovornostjo drustvosogranicenomodgovornoscu"),
    ("bg", "ood eood druzhestvosogranichenaotgovornost aktsionernodruzhestvo"),
    ("ee", "ou osauhing aktsiaselts"),
    ("lv", "sabiedribaarierobezotuatbildibu"),
    ("lt", "uab uzdarojiakcinebendrove akcinebendrove"),
    ("my", "sdnbhd sendirianberhad bhd berhad"),
    ("id", "pt perseroanterbatas tbk"),
    ("vn", "tnhh congtytrachnhiemhuuhan congtycophan"),
    ("tr", "anonimsirketi ltdsti ltdşti limitedsirketi"),
    ("ae", "fze fzco fzllc fzc freezoneestablishment freezonecompany freezonelimitedliabilitycompany"),
    (
        "ru ua by kz",
        "ooo oao zao pao obshchestvosogranichennoyotvetstvennostyu obshchestvosogranichennoiotvetstvenno"
        "stiu aktsionernoeobshchestvo zakrytoeaktsionernoeobshchestvo otkrytoeaktsionernoeobshchestvo"
        " publichnoeaktsionernoeobshchestvo",
    ),
)
FORM_JURISDICTIONS: dict[str, frozenset[str]] = {
    form: frozenset(countries.split()) for countries, forms in _FORM_JURISDICTIONS for form in forms.split()
}
"""Legal forms that belong to some countries only (written without spaces or accents: "gmbh", "beslotenvennootschap"),
and those countries: a listed affiliate "… SAS" (France) is not the company filing as "… B.V." (the Netherlands),
and a Chinese enterprise is not "… S.p.A.". Forms used everywhere (Ltd, Limited, Co., Ltd., Corp., LLC, PLC, Group,
JSC) are in none, and agree with any."""
CHINESE_JURISDICTIONS = frozenset({"cn", "hk", "mo", "tw"})
"""Where a watched enterprise's own legal name is registered when its form says nothing more (… Co., Ltd.)."""
ALL_LATIN_LEGAL_FORMS: tuple[tuple[str, ...], ...] = tuple(
    sorted(
        set(LATIN_LEGAL_FORMS) | {t for t in CLEANCO_LEGAL_FORMS if t} | set(SPELLED_OUT_LEGAL_FORMS),
        key=len,
        reverse=True,
    )
)
# Forms written in front of the name, abbreviated or spelt out.
LATIN_LEGAL_PREFIXES: tuple[tuple[str, ...], ...] = tuple(
    sorted(
        {("pt",), ("ooo",), ("oao",), ("zao",), ("pao",), ("cv",)}
        | {tuple(form.split()) for form in _SPELLED_OUT_EITHER_SIDE},
        key=len,
        reverse=True,
    )
)

# Provinces, prefecture-level cities and the county-level places of Liaoning: a leading place name is weak
# in a company name ("沈阳新松…" and "新松…" are the same enterprise for the self check).
HAN_PLACES: tuple[str, ...] = tuple(
    sorted(
        {
            # provinces, municipalities, regions
            "中国",
            "北京",
            "天津",
            "上海",
            "重庆",
            "河北",
            "山西",
            "辽宁",
            "吉林",
            "黑龙江",
            "江苏",
            "浙江",
            "安徽",
            "福建",
            "江西",
            "山东",
            "河南",
            "湖北",
            "湖南",
            "广东",
            "海南",
            "四川",
            "贵州",
            "云南",
            "陕西",
            "甘肃",
            "青海",
            "台湾",
            "内蒙古",
            "广西",
            "西藏",
            "宁夏",
            "新疆",
            "香港",
            "澳门",
            # Liaoning
            "沈阳",
            "大连",
            "鞍山",
            "抚顺",
            "本溪",
            "丹东",
            "锦州",
            "营口",
            "阜新",
            "辽阳",
            "盘锦",
            "铁岭",
            "朝阳",
            "葫芦岛",
            "瓦房店",
            "庄河",
            "普兰店",
            "海城",
            "新民",
            "凤城",
            "东港",
            "大石桥",
            "盖州",
            "北票",
            "凌源",
            "开原",
            "调兵山",
            "灯塔",
            "兴城",
            "北镇",
            "凌海",
            # other large cities
            "深圳",
            "广州",
            "东莞",
            "佛山",
            "珠海",
            "中山",
            "惠州",
            "汕头",
            "苏州",
            "无锡",
            "常州",
            "南京",
            "南通",
            "扬州",
            "徐州",
            "杭州",
            "宁波",
            "温州",
            "台州",
            "嘉兴",
            "绍兴",
            "金华",
            "义乌",
            "合肥",
            "芜湖",
            "福州",
            "厦门",
            "泉州",
            "南昌",
            "济南",
            "青岛",
            "烟台",
            "潍坊",
            "威海",
            "淄博",
            "临沂",
            "郑州",
            "洛阳",
            "武汉",
            "宜昌",
            "长沙",
            "株洲",
            "成都",
            "绵阳",
            "贵阳",
            "昆明",
            "西安",
            "兰州",
            "西宁",
            "银川",
            "乌鲁木齐",
            "呼和浩特",
            "包头",
            "太原",
            "石家庄",
            "唐山",
            "保定",
            "秦皇岛",
            "廊坊",
            "长春",
            "吉林市",
            "哈尔滨",
            "大庆",
            "齐齐哈尔",
            "南宁",
            "柳州",
            "桂林",
            "海口",
            "三亚",
            "拉萨",
            "昆山",
            "江阴",
            "常熟",
            "张家港",
            "慈溪",
            "余姚",
            "海宁",
            "诸暨",
            "晋江",
            "顺德",
        },
        key=len,
        reverse=True,
    )
)
HAN_PLACE_SUFFIXES: tuple[str, ...] = ("省", "市", "区", "县")

# What a Chinese company name says after its distinctive word (行业用语): trade, product and activity
# words. A homophone of a mark counts in a name only when followed by one of these (or by nothing, or a
# place): then it is the name's own word, not a piece of a longer word (大东阮工业 holds 东阮, not 东软).
_HAN_INDUSTRY_TEXT = (
    "科技 技术 工业 实业 企业 贸易 商贸 工贸 国际 进出口 电子 电器 电气 电机 "
    "机电 机械 精密 精工 智能 装备 设备 新材料 材料 自动化 制造 制药 医药 "
    "药业 生物 化工 化学 能源 新能源 汽车 汽配 车业 电动 动力 重工 光电 通信 "
    "通讯 网络 信息 软件 数码 数字 食品 乳业 酒业 酿造 饮料 家电 家居 家具 "
    "照明 工程 建设 建材 投资 发展 控股 五金 塑料 塑胶 纺织 服饰 服装 鞋业 "
    "器材 仪器 仪表 医疗 农业 物流 环保 工具 零部件 配件 钢铁 轴承 模具 包装 "
    "印刷 卫浴 陶瓷 玻璃 文化 传媒 健康 用品 日用 百货 电池 半导体 机器人 "
    "船舶 航空 矿业 石油 水泥 纸业 橡胶 管业 阀门 泵业 线缆 电缆 光伏 "
    "品牌 集团 公司 股份 有限 商行 工厂 厂 "
)
HAN_INDUSTRY_WORDS: tuple[str, ...] = tuple(sorted(_HAN_INDUSTRY_TEXT.split(), key=len, reverse=True))

LATIN_PLACES: frozenset[str] = frozenset(
    {
        "china",
        "beijing",
        "tianjin",
        "shanghai",
        "chongqing",
        "hebei",
        "shanxi",
        "liaoning",
        "jilin",
        "heilongjiang",
        "jiangsu",
        "zhejiang",
        "anhui",
        "fujian",
        "jiangxi",
        "shandong",
        "henan",
        "hubei",
        "hunan",
        "guangdong",
        "hainan",
        "sichuan",
        "guizhou",
        "yunnan",
        "shaanxi",
        "gansu",
        "qinghai",
        "shenyang",
        "dalian",
        "anshan",
        "fushun",
        "benxi",
        "dandong",
        "jinzhou",
        "yingkou",
        "fuxin",
        "liaoyang",
        "panjin",
        "tieling",
        "chaoyang",
        "huludao",
        "wafangdian",
        "shenzhen",
        "guangzhou",
        "dongguan",
        "foshan",
        "suzhou",
        "wuxi",
        "nanjing",
        "hangzhou",
        "ningbo",
        "wenzhou",
        "qingdao",
        "jinan",
        "zhengzhou",
        "wuhan",
        "changsha",
        "chengdu",
        "xian",
        "harbin",
        "changchun",
        "xiamen",
        "hong",
        "kong",
    }
)


# English only: the gazettes' ordinary-word marks (SNOW, BRILLIANCE, PANDA) are English, and each further
# language costs about half a second of list loading at start-up for little gain.
_FREQUENCY_LANGUAGES = ("en",)
_CONTROL_LANGUAGE = "ru"


def _frequencies(lang: str, wordlist: str = "best") -> dict[str, float]:
    # wordfreq caches this table itself; looking words up in it directly skips wordfreq's per-call
    # tokenising (~20 µs a call). Not copied: the table is large.
    table: dict[str, float] = get_frequency_dict(lang, wordlist=wordlist)
    return table


SENTENCE_LANGUAGES = ("de", "fr", "es", "it", "nl", "pt", "pl", "sv")
"""Languages of the trademark texts filed in Europe in which a coined mark may be an ordinary word (ANKER is
German for anchor): wordfreq's small lists (about 35,000 words each, a few MB), loaded only when needed."""
SENTENCE_WORD_ZIPF = 3.0
"""How common the mark and every other word must be in that language for the text to be a sentence of it."""
SENTENCE_MIN_OTHER_WORDS = 2


def sentence_language(word: str, others: Sequence[str]) -> str | None:
    """The language (of :data:`SENTENCE_LANGUAGES`) in which ``word`` and every one of ``others`` (two or more
    words of letters, not all of them English words) are ordinary words, if there is one: "MOIN CARD ANKER DER
    REGION" is German, and its ANKER is the German for anchor, not the brand."""
    words = [w for w in others if w.isalpha()]
    if len(words) < SENTENCE_MIN_OTHER_WORDS or len(words) != len(others):
        return None
    if all(_zipf(w, "en", "small") >= SENTENCE_WORD_ZIPF for w in words):
        return None  # POWER BANK is German too, but English first: the brand with English words added
    for lang in SENTENCE_LANGUAGES:
        if _zipf(word, lang, "small") >= SENTENCE_WORD_ZIPF and all(
            _zipf(w, lang, "small") >= SENTENCE_WORD_ZIPF for w in words
        ):
            return lang
    return None


def _zipf(word: str, lang: str, wordlist: str = "best") -> float:
    frequency = _frequencies(lang, wordlist).get(word, 0.0)
    return math.log10(frequency) + 9 if frequency > 0 else 0.0


@lru_cache(maxsize=65536)
def chinese_zipf(word: str) -> float:
    """How common a simplified Chinese word is in Chinese text (Zipf scale, 0.0 when unknown): wordfreq's
    Chinese list, loaded (about 0.4 s) only by a watchlist with English marks to put into Chinese."""
    return _zipf(word, "zh")


@lru_cache(maxsize=65536)
def word_zipf(word: str) -> float:
    """How common ``word`` (casefolded) is as an English word (Zipf scale; 0.0 for anything rarer than
    :data:`DICTIONARY_ZIPF`).

    Word-frequency lists count brand names too (LENOVO is as frequent as BRILLIANCE). A brand is a name, so
    it is about as frequent in Russian text (where it keeps its Latin spelling) as in English; an English
    or German word is not (Russian uses its own word, in Cyrillic). So a language's count only counts when
    it exceeds the Russian one by at least :data:`NAME_MARGIN`. (The loop allows more languages, with a
    0.5 handicap for non-English ones; see ``_FREQUENCY_LANGUAGES``.)
    """
    best = 0.0
    for i, lang in enumerate(_FREQUENCY_LANGUAGES):
        # A foreign word counts only if it is clearly common there (coined marks often look vaguely Romance).
        zipf = _zipf(word, lang) - (0.5 if i else 0.0)
        # The Russian count (a large list to load) is only needed for words common enough to be dictionary
        # words; most marks are not.
        if zipf > best and zipf >= DICTIONARY_ZIPF and zipf - _zipf(word, _CONTROL_LANGUAGE) >= NAME_MARGIN:
            best = zipf
    return best


NAME_MARGIN = 0.5
"""Zipf points by which a word must be more common in a language than in Russian to be that language's word."""

DICTIONARY_ZIPF = 3.0
"""A word this frequent (about once per million words, or more) is an ordinary word, not a coined mark."""

COMMON_AFFIX_ZIPF = 4.5
"""An affix glued to a mark ("MY", "GO", "SMART") counts as an added word only when this common."""


def is_dictionary_word(word: str) -> bool:
    """Whether ``word`` (casefolded letters) is an ordinary word in a real word-frequency list."""
    return word_zipf(word) >= DICTIONARY_ZIPF


def is_common_affix(word: str) -> bool:
    """Whether ``word`` glued to a mark reads as a generic prefix/suffix ("my", "e", "go", "pro").

    English only: marks are glued to English words in filings abroad, while short syllables of coined marks
    ("sia", "bel") are often common function words in some Romance language.
    """
    return len(word) <= 2 or _zipf(word, "en") >= COMMON_AFFIX_ZIPF
