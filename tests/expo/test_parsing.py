"""Parsing published rows without a crawl: names, booths, product lists, identity, and mapping errors that
name the key (the real crawls are in test_formats.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alertbot.expo import parse_edition
from alertbot.expo.editions import DEFAULT_HALL_PATTERN
from alertbot.expo.names import (
    exhibitor_native_id,
    hall_from_booth,
    match_terms,
    normalise_booth,
    normalise_name,
    split_bilingual,
    split_terms,
)
from spiders.base.expo import MappingError, TableRow, csv_rows, html_rows, json_values, table_records
from spiders.items import QuarantineItem, RecordIn
from tests.expo.conftest import FIXTURES

CSV_EDITION = (FIXTURES / "editions" / "test-csv.yaml").read_text(encoding="utf-8")
HTML_EDITION = (FIXTURES / "editions" / "test-html.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("published", "zh", "en"),
    [
        (
            "沈阳新松机器人自动化股份有限公司 SIASUN Robot & Automation Co., Ltd.",
            "沈阳新松机器人自动化股份有限公司",
            "SIASUN Robot & Automation Co., Ltd.",
        ),
        ("瀋陽新鬆機器人（沈陽）有限公司", "瀋陽新鬆機器人（沈陽）有限公司", ""),
        ("ABB（中国）有限公司", "ABB（中国）有限公司", ""),
        ("Hexagon Manufacturing Intelligence GmbH", "", "Hexagon Manufacturing Intelligence GmbH"),
        ("大连\n恒远轴承贸易\n有限公司", "大连恒远轴承贸易有限公司", ""),
        ("", "", ""),
    ],
)
def test_published_names_split_into_chinese_and_english(published: str, zh: str, en: str) -> None:
    assert split_bilingual(published) == (zh, en)


@pytest.mark.parametrize(
    ("raw", "booth", "hall"),
    [("E2-A320", "E2-A320", "E2"), ("Ｅ２－Ａ３２０", "E2-A320", "E2"), ("e2 - a320", "E2-A320", "E2"),
     ("7.2H-A320", "7.2H-A320", "7.2H"), ("N1—B08", "N1-B08", "N1"), ("A320", "A320", "")],
)  # fmt: skip
def test_booths_are_normalised_and_name_their_hall(raw: str, booth: str, hall: str) -> None:
    assert normalise_booth(raw) == booth
    assert hall_from_booth(normalise_booth(raw), DEFAULT_HALL_PATTERN) == hall


def test_names_wrap_and_full_width_forms_fold_but_keep_traditional_characters() -> None:
    assert normalise_name("瀋陽新鬆機器人\n自動化（沈陽）有限公司") == "瀋陽新鬆機器人自動化(沈陽)有限公司"
    assert normalise_name("ＳＩＡＳＵＮ  Robot\nCo., Ltd.") == "SIASUN Robot Co., Ltd."


def test_product_and_brand_cells_split_into_terms_and_bracketed_parts() -> None:
    assert split_terms("深沟球轴承（瓦房店轴承）、ZWZ；调心滚子\n轴承|ZWZ", "、,，;；|") == [
        "深沟球轴承（瓦房店轴承）",
        "ZWZ",
        "调心滚子轴承",
    ]
    assert split_terms(["A", None, "B、A"], "、") == ["A", "B"]
    assert match_terms("深沟球轴承（瓦房店轴承）") == ["深沟球轴承（瓦房店轴承）", "瓦房店轴承", "深沟球轴承"]


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (
            ("沈阳新松机器人自动化股份有限公司", "E2-A320"),
            ("瀋陽新鬆機器人自動化股份有限公司", "e2-a320"),
            True,
        ),
        (("新松机器人（香港）有限公司", "E1-A002"), ("新松机器人(香港)有限公司", "Ｅ１－Ａ００２"), True),
        (("SIASUN Robot Co., Ltd.", "W2-D018"), ("Siasun Robot Company Limited", "W2-D018"), True),
        (
            ("沈阳新松机器人自动化股份有限公司", "E2-A320"),
            ("沈阳新松机器人自动化股份有限公司", "E2-A321"),
            False,
        ),
        (("大连恒远轴承贸易有限公司", "E3-B105"), ("大连恒远轴承有限公司", "E3-B105"), False),
    ],
)
def test_identity_is_edition_normalised_name_and_booth(
    a: tuple[str, str], b: tuple[str, str], same: bool
) -> None:
    assert (exhibitor_native_id(*a) == exhibitor_native_id(*b)) is same


def test_a_very_long_name_still_gets_a_bounded_stable_id() -> None:
    name = "沈阳" + "精密" * 100 + "有限公司"
    first, second = exhibitor_native_id(name, "E1-A001"), exhibitor_native_id(name, "E1-A001")
    assert first == second
    assert len(first) <= 128
    assert first != exhibitor_native_id(name + "二", "E1-A001")


def _csv_records(edition_text: str, data: bytes) -> list[RecordIn | QuarantineItem]:
    edition = parse_edition(edition_text, "test-csv.yaml")
    return list(table_records(edition, csv_rows(edition, data, "list.csv"), "list.csv"))


def test_a_missing_column_names_the_field_and_shows_the_header() -> None:
    data = "展商名称,展位,展品\n沈阳某某有限公司,E1-A001,机床\n".encode("gb18030")
    with pytest.raises(MappingError) as raised:
        _csv_records(CSV_EDITION, data)
    message = str(raised.value)
    assert (
        "no header row with every mapped column; not found: fields.name_en = '英文名称', fields.booth = '展位号'"
        in message
    )
    assert "first row: 展商名称 | 展位 | 展品" in message


def test_a_fixed_header_row_without_the_column_names_the_field() -> None:
    text = CSV_EDITION.replace("  encoding: gb18030", "  encoding: gb18030\n  header_row: 1")
    data = "展商名称,英文名称,展位,国家/地区,展品,品牌,网址\n".encode("gb18030")
    with pytest.raises(
        MappingError, match=r"fields\.booth: column '展位号' is not in the header of list\.csv"
    ):
        _csv_records(text, data)


def test_a_wrong_encoding_is_a_mapping_error_naming_the_key() -> None:
    with pytest.raises(MappingError, match=r"cannot decode list.csv as gb18030; set table.encoding"):
        _csv_records(CSV_EDITION, b"\xff\xfe\x00\xd8 not gb18030 \x81\x30")
    with pytest.raises(MappingError, match=r"table.encoding: unknown encoding 'klingon'"):
        _csv_records(CSV_EDITION.replace("encoding: gb18030", "encoding: klingon"), b"x")


def test_a_row_without_a_name_is_quarantined_with_its_row_and_the_rest_go_on() -> None:
    header = "序号,展商名称,英文名称,展位号,国家/地区,展品,品牌,网址\n"
    data = (
        header
        + "1,沈阳甲有限公司,,E1-A001,中国,机床,,\n2,,,E1-A002,中国,机床,,\n3,沈阳乙有限公司,,E1-A003,,,,\n"
    ).encode("gb18030")
    items = _csv_records(CSV_EDITION, data)
    assert [type(i).__name__ for i in items] == ["RecordIn", "QuarantineItem", "RecordIn"]
    assert isinstance(items[1], QuarantineItem)
    assert items[1].reason == "list.csv row 3: no exhibitor name (name_zh, name_en and name_raw are empty)"


def test_pdf_style_continuation_rows_join_the_row_above_and_repeated_headers_are_skipped() -> None:
    edition = parse_edition(CSV_EDITION, "test-csv.yaml")
    header = ["序号", "展商名称", "英文名称", "展位号", "国家/地区", "展品", "品牌", "网址"]
    rows = [
        TableRow(header, "p1 r1"),
        TableRow(["1", "瀋陽新鬆機器人自動化", "", "E2-A320", "中國", "机器人", "", ""], "p1 r2"),
        TableRow(["", "（沈陽）有限公司", "", "", "", "焊接", "", ""], "p1 r3"),
        TableRow(header, "p2 r1"),
        TableRow(["2", "大连恒远轴承贸易有限公司", "", "E3-B105", "中国", "轴承", "", ""], "p2 r2"),
    ]
    items = [i for i in table_records(edition, iter(rows), "cat.pdf") if isinstance(i, RecordIn)]
    assert [(i.text, i.booth, i.raw["products"]) for i in items] == [
        ("瀋陽新鬆機器人自動化(沈陽)有限公司", "E2-A320", ["机器人", "焊接"]),
        ("大连恒远轴承贸易有限公司", "E3-B105", ["轴承"]),
    ]
    assert items[0].raw["name_raw"] == "瀋陽新鬆機器人自動化（沈陽）有限公司"


def test_html_selector_errors_name_the_key() -> None:
    edition = parse_edition(
        HTML_EDITION.replace('booth: ".booth em::text"', 'booth: ".booth em:::text"'), "h.yaml"
    )
    body = (FIXTURES / "html" / "list-1.html").read_text(encoding="utf-8")
    with pytest.raises(MappingError, match=r"fields\.booth: '\.booth em:::text' is not a valid selector"):
        list(html_rows(edition, body, "http://x/list-1.html", 1))
    rows = list(html_rows(parse_edition(HTML_EDITION, "h.yaml"), body, "http://x/list-1.html", 1))
    assert len(rows) == 25
    assert all(isinstance(r, RecordIn) for r in rows)


def test_json_paths_fill_fields_and_a_bad_path_names_the_key() -> None:
    detail = json.loads((FIXTURES / "api" / "detail-S00002.json").read_text(encoding="utf-8"))["data"]
    values = json_values(
        detail, {"products": "udfs.mainProducts", "country": "address.country.name", "brands": "udfs.brands"}
    )
    assert values["country"] == "中国"
    assert "深沟球轴承（瓦房店轴承）" in values["products"]
    with pytest.raises(MappingError, match=r"fields\.website: 'udfs\.\[' is not a valid JMESPath"):
        json_values(detail, {"website": "udfs.["})


def test_check_mode_warns_about_a_field_empty_on_most_rows(tmp_path: Path) -> None:
    from alertbot.expo.runner import fill_counts, mapping_warnings

    edition = parse_edition(CSV_EDITION, "test-csv.yaml")
    data = (FIXTURES / "exhibitors-gb18030.csv").read_bytes()
    records = [
        i.model_dump(mode="json") for i in table_records(edition, csv_rows(edition, data, "l.csv"), "l.csv")
    ]
    filled = fill_counts(records)
    assert filled["name_zh"] + filled["name_en"] >= 60
    warnings = mapping_warnings(edition, records, filled)
    assert [w.split(" (")[0] for w in warnings] == ["fields.name_en", "fields.brands", "fields.website"]
    assert "is empty on" in warnings[0]


def test_a_workbook_is_checked_like_any_zip_before_openpyxl_reads_it(tmp_path: Path) -> None:
    import io
    import zipfile

    from spiders.base.archive import ZipBombError
    from spiders.base.expo import xlsx_rows

    edition = parse_edition((FIXTURES / "editions" / "test-xlsx.yaml").read_text(encoding="utf-8"), "x.yaml")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * 50_000_000)
    with pytest.raises(ZipBombError, match="beyond the ratio limit"):
        list(xlsx_rows(edition, buffer.getvalue(), "bomb.xlsx"))
    with pytest.raises(MappingError, match=r"not-a-workbook\.xlsx is not an XLSX workbook"):
        list(xlsx_rows(edition, b"name,booth\n", "not-a-workbook.xlsx"))
    rows = list(xlsx_rows(edition, (FIXTURES / "exhibitors.xlsx").read_bytes(), "ok.xlsx"))
    assert rows[1].cells[:3] == ["展商名称", "英文名称", "展位号"]
