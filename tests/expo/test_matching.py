"""Exhibitor matching: names, products and brands; a watched enterprise's own and affiliates' booths are
not flagged (the bundled watchlist of Liaoning export enterprises)."""

from __future__ import annotations

import pytest

from alertbot.expo.matching import BRAND_REASON, PRODUCT_REASON, TRADE_NAME_REASON, exhibitor_hits
from alertbot.matching import Matcher
from alertbot.watchlist import read_watchlist
from tests.expo.conftest import WATCHLIST

EQUIPMENT = (7, 9, 12, 42)


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher([row.to_watch() for row in read_watchlist(WATCHLIST)])


# (name_zh, name_en, products, brands) -> {watch id: risk}; a missing id must not be flagged.
CASES = [
    # Counterfeit bearings: the brand sits in the product list or the brand column, not in the name.
    (
        ("大连恒远轴承贸易有限公司", "", ["深沟球轴承（瓦房店轴承）"], []),
        {"zwz": "high"},
        [PRODUCT_REASON, TRADE_NAME_REASON],
    ),
    (("营口宏达机电设备有限公司", "", ["圆锥滚子轴承"], ["ZWZ"]), {"zwz": "high"}, [BRAND_REASON]),
    (("营口宏达机电设备有限公司", "", ["ZWZ 圆锥滚子轴承"], []), {"zwz": "medium"}, [PRODUCT_REASON]),
    (("营口宏达机电设备有限公司", "", ["瓦轴轴承"], []), {"zwz": "medium"}, [PRODUCT_REASON]),
    (
        ("丹东轴承贸易有限公司", "", ["Wafangdian Bearing 6204"], []),
        {"zwz": "high"},
        [PRODUCT_REASON, TRADE_NAME_REASON],
    ),
    # Look-alike names: homophone, traditional characters, English.
    (("新淞智能装备有限公司", "", [], []), {"siasun": "medium"}, ["party:exhibitor"]),
    (("瀋陽東軟智能裝備有限公司", "", [], []), {"neusoft": "medium"}, ["party:exhibitor"]),
    (("", "Siasun Intelligent Equipment Co., Ltd.", [], []), {"siasun": "medium"}, ["party:exhibitor"]),
    # The watched enterprise itself, under its own name (any script) or a listed affiliate's: nothing.
    (("瓦房店轴承集团有限责任公司", "", ["ZWZ 轴承", "瓦房店轴承"], ["ZWZ", "瓦轴"]), {}, []),
    (("瓦房店轴承股份有限公司", "", ["瓦房店轴承"], ["ZWZ"]), {}, []),
    (("", "ZWZ Bearing (Europe) GmbH", [], ["ZWZ"]), {}, []),
    (
        (
            "瀋陽新鬆機器人自動化股份有限公司",
            "SIASUN Robot & Automation Co., Ltd.",
            ["工业机器人"],
            ["新松", "SIASUN"],
        ),
        {},
        [],
    ),
    (("新松機器人(香港)有限公司", "", ["协作机器人"], ["SIASUN"]), {}, []),
    # Ordinary exhibitors: nothing.
    (("沈阳精诚数控机床有限公司", "", ["立式加工中心", "数控车床"], ["SKF"]), {}, []),
    (("", "Hexagon Manufacturing Intelligence GmbH", ["三坐标测量机"], ["HEXAGON"]), {}, []),
]


@pytest.mark.parametrize(("exhibitor", "expected", "reason_prefixes"), CASES)
def test_exhibitor_names_products_and_brands(
    matcher: Matcher,
    exhibitor: tuple[str, str, list[str], list[str]],
    expected: dict[str, str],
    reason_prefixes: list[str],
) -> None:
    name_zh, name_en, products, brands = exhibitor
    hits = exhibitor_hits(
        matcher, "1", name_zh=name_zh, name_en=name_en, products=products, brands=brands, classes=EQUIPMENT
    )
    assert {h.watch_id: h.risk for h in hits} == expected
    for prefix in reason_prefixes:
        assert any(r == prefix or r.startswith(prefix + ":") for h in hits for r in h.reasons), prefix


def test_product_evidence_merges_into_one_hit_per_enterprise_with_every_reason(matcher: Matcher) -> None:
    hits = exhibitor_hits(
        matcher,
        "7",
        name_zh="大连瓦轴贸易有限公司",
        name_en="",
        products=["瓦房店轴承"],
        brands=["ZWZ"],
        classes=EQUIPMENT,
    )
    assert [h.watch_id for h in hits] == ["zwz"]
    reasons = hits[0].reasons
    assert "expo-brand:ZWZ" in reasons
    assert "expo-product:瓦房店轴承" in reasons
    assert "party:exhibitor" in reasons
    assert hits[0].risk == "high"


def test_a_colon_in_a_product_does_not_split_the_reason_code(matcher: Matcher) -> None:
    hits = exhibitor_hits(
        matcher, "8", name_zh="某贸易公司", name_en="", products=["型号:ZWZ"], brands=[], classes=EQUIPMENT
    )
    assert any(r == "expo-product:型号：ZWZ" for h in hits for r in h.reasons)
