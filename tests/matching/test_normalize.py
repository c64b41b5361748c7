"""Normalisation: folding, homoglyph skeleton, legal names, pinyin, phonetic keys."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alertbot.matching import normalize as nz
from alertbot.matching.engine import Matcher
from alertbot.matching.model import Candidate, Watch

SKELETONS = [
    ("NEUSOFT", "neusoft"),
    ("Neu-Soft", "neusoft"),
    ("ΝEUSOFT", "neusoft"),  # Greek capital nu
    ("KINGЅEMI", "kingsemi"),  # Cyrillic dze
    ("ＰＩＯＴＥＣＨ", "piotech"),  # full width
    ("SlASUN", "siasun"),  # lowercase l for I in capitals
    ("S1ASUN", "siasun"),
    ("WeIlhope", "wellhope"),  # capital I for l in lowercase
    ("ZH0NGWANG", "zhongwang"),
    ("HUI5HAN", "huishan"),
    ("LIU6ONG", "liugong"),
    ("N.H.I.", "nhi"),
    ("Iberia", "iberia"),  # a title-case I is a real I
    ("NHL", "nhl"),  # L is not I
    ("NEÜSOFT", "neusoft"),  # accents and tone marks
    ("Xīn Sōng", "xinsong"),
]


@pytest.mark.parametrize(("text", "expected"), SKELETONS)
def test_skeleton_maps_look_alikes_to_one_form(text: str, expected: str) -> None:
    assert nz.skeleton_compact(text) == expected


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Shenyang Jinbei Automotive Co., Ltd.", "shenyangjinbeiautomotive"),
        ("SHENYANG JINBEI AUTOMOTIVE COMPANY LIMITED", "shenyangjinbeiautomotive"),
        ("Neusoft Corporation", "neusoft"),
        ("NEUSOFT CORP.", "neusoft"),
        ("NEUSOFT TECHNOLOGIES INC.", "neusofttechnologies"),
        ("NEUSOFT UK LTD.", "neusoftuk"),
        ("SIASUN Robot & Automation Co., Ltd.", "siasunrobotandautomation"),
        ("ZWZ Bearing (Europe) GmbH", "zwzbearingeurope"),
        ("ACME GmbH & Co. KG", "acme"),
        ("Volga Prom OOO", "volgaprom"),
        ("PT Sinar Jaya Abadi", "sinarjayaabadi"),
        ("주식회사 삼성전자", "삼성전자"),
        ("沈阳新松机器人自动化股份有限公司", "沈阳新松机器人自动化"),
        ("東軟集團股份有限公司", "东软"),
        ("株式会社ソニー", "ソニー"),
    ],
)
def test_name_key_strips_legal_forms_in_many_languages(name: str, key: str) -> None:
    assert nz.name_key(name) == key


def test_place_prefix_is_weak_in_names() -> None:
    assert nz.name_key_without_place("辽宁省沈阳市新松机器人有限公司") == "新松机器人"
    assert nz.name_key_without_place("Shenyang Jinbei Automotive Co., Ltd.") == "jinbeiautomotive"


@pytest.mark.parametrize(
    ("mark", "reading"),
    [
        ("新松", ("xin", "song")),
        ("北方重工", ("bei", "fang", "zhong", "gong")),
        ("東北製藥", ("dong", "bei", "zhi", "yao")),
    ],
)
def test_pinyin_first_reading_is_the_phrase_reading(mark: str, reading: tuple[str, ...]) -> None:
    assert nz.pinyin_readings(mark)[0] == reading


def test_pinyin_offers_the_common_reading_of_polyphones_and_u_umlaut_spellings() -> None:
    assert ("zhong", "qing") in nz.pinyin_readings("重庆")
    assert {("lu", "ye"), ("lyu", "ye"), ("lv", "ye")} <= set(nz.pinyin_readings("绿叶"))


def test_homophones_share_syllables() -> None:
    assert nz.han_syllables("新淞") == nz.han_syllables("新松") == ("xin", "song")


@pytest.mark.parametrize(
    ("respelling", "mark"),
    [
        ("NEWSOFT", "NEUSOFT"),
        ("JINBAY", "JINBEI"),
        ("BINGSCHAN", "BINGSHAN"),
        ("KSINGQI", "XINGQI"),
        ("ZONEKO", "ZONECO"),
        ("VELLHOPE", "WELLHOPE"),
        ("ANSTIL", "ANSTEEL"),
        ("KINNGSEMI", "KINGSEMI"),
    ],
)
def test_phonetic_key_meets_sound_alike_respellings(respelling: str, mark: str) -> None:
    assert nz.phonetic(respelling) == nz.phonetic(mark)


@pytest.mark.parametrize(
    ("respelling", "mark"),
    [
        ("SHIANGCHU", "XIANGQU"),  # pinyin x → sh, q → ch
        ("HSIANGQU", "XIANGQU"),  # Wade-Giles hs
        ("Ch'ing-hsia", "QINGXIA"),
        ("JONGWANG", "ZHONGWANG"),  # zh → j
        ("HWAWEN", "HUAWEN"),  # u before a vowel is the glide w
        ("LAOLONGKOH", "LAOLONGKOU"),  # a silent h after o: "oh" sounds like pinyin "ou"
        ("TSAIHONG", "CAIHONG"),  # pinyin c is "ts"
    ],
)
def test_phonetic_key_meets_pinyin_respellings(respelling: str, mark: str) -> None:
    assert nz.phonetic(respelling) == nz.phonetic(mark)


def test_consonant_y_at_a_syllable_end_is_also_read_ai() -> None:
    assert nz.phonetic_keys("HANBY") == ("hanbi", "hanbei")
    assert nz.phonetic("HANBEI") in nz.phonetic_keys("HANBY")
    assert nz.phonetic_keys("MAYO") == (nz.phonetic("MAYO"),)  # y before a vowel is a consonant


def test_ow_at_a_syllable_end_is_also_read_as_pinyin_ao() -> None:
    assert nz.phonetic_keys("LOWSON") == ("luson", "laoson")
    assert nz.phonetic("LAOSON") in nz.phonetic_keys("LOWSON")


@pytest.mark.parametrize(
    ("a", "b", "apart"),
    [
        ("iadi", "iadia", True),  # a vowel added beside a vowel
        ("ski", "skei", True),
        ("heier", "heior", True),  # a vowel swapped inside a vowel group
        ("konka", "konk", False),  # a final vowel after a consonant dropped
        ("konka", "konika", False),  # a vowel added between consonants
        ("hvalu", "hvali", False),  # a vowel swapped between consonants
        ("epiao", "apiao", False),  # the first sound changed
        ("epiao", "epiao", True),
    ],
)
def test_one_vowel_apart_keeps_the_syllables(a: str, b: str, apart: bool) -> None:
    assert nz.one_vowel_apart(a, b) is apart
    assert nz.one_vowel_apart(b, a) is apart
    if apart and a != b:
        assert nz.consonant_frame(a) == nz.consonant_frame(b)  # the index finds every such pair


@pytest.mark.parametrize(
    ("text", "simplified"),
    [("老鼎豊", "老鼎丰"), ("亜細亜", "亚细亚"), ("芸香", "芸香"), ("国窖", "国窖"), ("東軟", "东软")],
)
def test_variant_characters_are_read_as_standard_ones(text: str, simplified: str) -> None:
    """Japanese and Taiwan/Hong Kong variant forms (豊 for 豐/丰) fold to the standard simplified character; a
    variant that is a standard Chinese character of its own (芸) stays."""
    assert nz.to_simplified(text) == simplified


@pytest.mark.parametrize(
    ("text", "simplified"),
    [
        ("青岛双乾轮胎有限公司", "青岛双乾轮胎有限公司"),  # simplified already: 乾 qián stays (not 干)
        ("乾隆", "乾隆"),
        ("青島雙乾輪胎", "青岛双干轮胎"),  # traditional text: converted, 乾 with it
        ("東風", "东风"),
    ],
)
def test_a_simplified_text_is_left_as_written(text: str, simplified: str) -> None:
    """A text all of whose characters are in GB 2312 is simplified Chinese already: character-level conversion
    would read its 乾 (qián) as the traditional form of 干."""
    assert nz.to_simplified(text) == simplified


def test_a_homophone_with_a_character_conversion_would_change() -> None:
    """青岛双乾轮胎 is 双钱 (shuāng qián) swapped for a homophone beside the trade (轮胎): not 双干."""
    watch = Watch("doublecoin", "双钱集团股份有限公司", "", ("双钱",), frozenset({12}))
    hits = Matcher([watch]).match(
        Candidate("r1", "exhibitor", "青岛双乾轮胎有限公司", None, "CN", frozenset())
    )
    assert [(h.watch_id, h.variant) for h in hits] == [("doublecoin", "company-name")], [
        h.to_json() for h in hits
    ]
    assert "variant:homophone" in hits[0].reasons


@pytest.mark.parametrize(
    ("name", "countries"),
    [
        ("Chenming Papier SAS", {"fr"}),
        ("Chenming Papier Besloten Vennootschap", {"nl"}),
        ("X Gesellschaft mit beschränkter Haftung", {"de"}),
        ("X GmbH", {"de"}),
        ("Kabushiki Kaisha X", {"jp"}),
        ("X Spółka z ograniczoną odpowiedzialnością", {"pl"}),
        ("X Pte. Ltd.", {"sg"}),
        ("X Free Zone Establishment", {"ae"}),
        ("X FZE", {"ae"}),
        ("X Co., Ltd.", None),  # a form used everywhere
        ("X LLC", None),
        ("沈阳新松机器人自动化股份有限公司", None),
    ],
)
def test_legal_form_jurisdictions(name: str, countries: set[str] | None) -> None:
    found = nz.legal_form_jurisdictions(name)
    if countries is None:
        assert found is None
    else:
        assert found is not None
        assert countries <= found


@pytest.mark.parametrize(
    ("applicant", "alerted"),
    [
        ("Yuheng Pharmaceutical Società per Azioni", True),  # an Italian company, not the Chinese enterprise
        ("Yuheng Pharmaceuticals Co., Ltd.", False),  # the enterprise's own name without its place
        ("Yuheng Pharma Gesellschaft mit beschränkter Haftung", False),  # the listed affiliate, long form
        ("Yuheng Pharma B.V.", True),  # the affiliate's name under another country's form
        (
            "Yuheng Gulf Free Zone Establishment",
            False,
        ),  # the listed "… FZE" (United Arab Emirates), spelt out
    ],
)
def test_a_party_under_a_legal_form_of_other_countries_is_another_company(
    applicant: str, alerted: bool
) -> None:
    watch = Watch(
        "yuheng",
        "哈尔滨誉衡药业股份有限公司",
        "Harbin Yuheng Pharmaceuticals Co., Ltd.",
        ("YUHENG",),
        frozenset({5}),
        affiliates=("Yuheng Pharma GmbH", "Yuheng Gulf FZE"),
    )
    hits = Matcher([watch]).match(
        Candidate("r1", "patent", "Injectable composition", applicant, None, frozenset())
    )
    assert bool(hits) is alerted, [h.to_json() for h in hits]


def test_traditional_is_folded_to_simplified() -> None:
    assert nz.fold("華晨 金盃") == "华晨 金杯"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_normalisation_is_idempotent(text: str) -> None:
    for form in (nz.fold, nz.skeleton, nz.legal_core, nz.name_key, nz.to_simplified):
        once = form(text)
        assert form(once) == once, form.__name__


def test_wade_giles_spellings_of_a_pinyin_reading() -> None:
    """The index side of joined Wade-Giles: unaspirated stops written p, t, k, ch (CHENKUANG = chen guang)."""
    assert "chenkuang" in nz.wade_giles_spellings(("chen", "guang"))
    assert "laopan" in nz.wade_giles_spellings(("lao", "ban"))
    assert "paihsiang" in nz.wade_giles_spellings(("bai", "xiang"))
    assert nz.wade_giles_spellings(("qxz", "guang")) == ()
