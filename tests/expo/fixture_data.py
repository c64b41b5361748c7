"""Deterministic exhibitor lists for the expo tests, the benchmark and the bundled samples.

One seeded dataset of exhibitors (Chinese-only names, traditional characters, full-width brackets, long
names that wrap, bilingual and foreign names, planted look-alikes and counterfeit-brand product lists) is
written in every form a show publishes: paged HTML, a paged JSON API with detail answers, XLSX, CSV in
GB18030, and a PDF catalogue (reportlab with its built-in STSong-Light CJK font: nothing to download).
``expected.json`` holds the dataset itself, the truth the tests compare the crawls with.

    .venv/bin/python -m tests.expo.fixture_data        # rewrites tests/fixtures/expo and alertbot/expo/samples
"""

from __future__ import annotations

import csv
import io
import json
import math
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import zhconv

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "expo"
SAMPLES = REPO / "alertbot" / "expo" / "samples"

PLACES = [
    "沈阳",
    "大连",
    "鞍山",
    "营口",
    "抚顺",
    "丹东",
    "锦州",
    "上海",
    "天津",
    "青岛",
    "宁波",
    "苏州",
    "长春",
    "哈尔滨",
]
CORES = [
    "恒信",
    "华锐",
    "金鼎",
    "宏达",
    "博远",
    "精诚",
    "瑞丰",
    "天成",
    "长城",
    "北方",
    "远航",
    "鑫源",
    "泰和",
    "振华",
    "嘉德",
    "东方",
    "众力",
    "蓝海",
    "正泰",
    "德力",
    "汇通",
    "卓越",
    "科隆",
    "同创",
    "海川",
    "利民",
    "华晨",
    "永固",
]
TRADES = [
    ("数控机床", ["立式加工中心", "数控车床", "龙门铣床"]),
    ("精密机械", ["滚珠丝杠", "直线导轨", "精密齿轮"]),
    ("工业机器人", ["六轴机器人", "协作机器人", "AGV 小车"]),
    ("智能装备", ["自动化生产线", "视觉检测系统", "智能仓储"]),
    ("液压设备", ["液压泵", "液压缸", "多路阀"]),
    ("电气自动化", ["变频器", "伺服电机", "PLC 控制柜"]),
    ("工业软件", ["MES 系统", "工业互联网平台", "数字孪生"]),
    ("模具制造", ["注塑模具", "冲压模具", "压铸模具"]),
]
FORMS = ["有限公司", "股份有限公司", "集团有限公司", "科技有限公司"]
FOREIGN = [
    ("Hexagon Manufacturing Intelligence GmbH", "DE", ["三坐标测量机"]),
    ("Carl Zeiss Industrial Quality Solutions", "DE", ["工业 CT", "测量软件"]),
    ("Mitsubishi Electric Automation", "JP", ["伺服系统", "数控系统"]),
    ("Bystronic Laser AG", "CH", ["激光切割机"]),
    ("Siemens Digital Industries", "DE", ["PLC", "工业软件"]),
    ("Doosan Machine Tools Co., Ltd.", "KR", ["卧式加工中心"]),
]
WATCHLIST = REPO / "watchlists" / "liaoning-export-enterprises.csv"
CLASSES = (7, 9, 12, 42)
HALLS = ["E1", "E2", "E3", "E4", "E5", "E6", "W1", "W2"]


@dataclass
class Row:
    """One published exhibitor, as the show prints it, plus what a correct reader must make of it."""

    name_raw: str
    name_zh: str
    name_en: str
    booth: str
    hall: str
    country: str
    products: list[str] = field(default_factory=list)
    brands: list[str] = field(default_factory=list)
    website: str = ""
    flag: str = ""  # the watch id this row must flag, if any
    continuation: bool = False  # PDF: the name runs over onto a second table row

    def to_json(self) -> dict[str, object]:
        return asdict(self)


# Planted rows: what the tests and the demo must flag (or, for the watched enterprises' own booths, not).
PLANTED = [
    Row(
        "新淞智能装备有限公司",
        "新淞智能装备有限公司",
        "",
        "E2-A320",
        "E2",
        "中国",
        ["焊接机器人"],
        [],
        "",
        "siasun",
    ),
    Row(
        "大连恒远轴承贸易有限公司",
        "大连恒远轴承贸易有限公司",
        "",
        "E3-B105",
        "E3",
        "中国",
        ["深沟球轴承（瓦房店轴承）", "调心滚子轴承"],
        [],
        "",
        "zwz",
    ),
    Row(
        "营口宏达机电设备有限公司",
        "营口宏达机电设备有限公司",
        "",
        "E3-B118",
        "E3",
        "中国",
        ["圆锥滚子轴承"],
        ["ZWZ"],
        "",
        "zwz",
    ),
    Row(
        "瓦房店轴承集团有限责任公司",
        "瓦房店轴承集团有限责任公司",
        "",
        "E3-A001",
        "E3",
        "中国",
        ["ZWZ 轴承", "瓦房店轴承"],
        ["ZWZ", "瓦轴"],
        "http://www.zwz-bearing.example.cn",
        "",
    ),
    Row(
        "沈阳新松机器人自动化股份有限公司 SIASUN Robot & Automation Co., Ltd.",
        "沈阳新松机器人自动化股份有限公司",
        "SIASUN Robot & Automation Co., Ltd.",
        "E1-A001",
        "E1",
        "中国",
        ["工业机器人", "移动机器人"],
        ["新松", "SIASUN"],
        "",
        "",
    ),
    Row(
        "新松機器人（香港）有限公司",
        "新松機器人(香港)有限公司",
        "",
        "E1-A002",
        "E1",
        "中國香港",
        ["协作机器人"],
        ["SIASUN"],
        "",
        "",
    ),
    Row(
        "瀋陽東軟智能裝備有限公司",
        "瀋陽東軟智能裝備有限公司",
        "",
        "W1-C210",
        "W1",
        "中國",
        ["工业软件"],
        [],
        "",
        "neusoft",
    ),
    Row(
        "Siasun Intelligent Equipment Co., Ltd.",
        "",
        "Siasun Intelligent Equipment Co., Ltd.",
        "W2-D018",
        "W2",
        "SG",
        ["robot arms"],
        [],
        "",
        "siasun",
    ),
]


def _booth(rng: random.Random, used: set[str]) -> tuple[str, str]:
    while True:
        hall = rng.choice(HALLS)
        booth = f"{hall}-{rng.choice('ABCD')}{rng.randint(1, 9)}{rng.randint(0, 9)}{rng.randint(0, 9)}"
        if booth not in used:
            used.add(booth)
            return booth, hall


def _clean_checker() -> Callable[[str, list[str], list[str]], bool]:
    """True for a generated exhibitor that raises nothing against the bundled watchlist: background rows
    must be clean, so that exactly the planted rows are flagged."""
    from alertbot.expo.matching import exhibitor_hits
    from alertbot.matching import Matcher
    from alertbot.watchlist import read_watchlist

    matcher = Matcher([r.to_watch() for r in read_watchlist(WATCHLIST)])

    def clean(name: str, products: list[str], brands: list[str]) -> bool:
        hits = exhibitor_hits(
            matcher, "0", name_zh=name, name_en=None, products=products, brands=brands, classes=CLASSES
        )
        return not hits

    return clean


def dataset(rows: int, seed: int = 2026, planted: bool = True) -> list[Row]:
    """``rows`` exhibitors (the planted ones first when ``planted``), deterministic for a seed."""
    rng = random.Random(seed)
    is_clean = _clean_checker()
    used: set[str] = {r.booth for r in PLANTED} if planted else set()
    names: set[str] = set()
    out: list[Row] = [Row(**asdict(r)) for r in PLANTED] if planted else []
    while len(out) < rows:
        number = len(out)
        booth, hall = _booth(rng, used)
        if number % 23 == 5:
            name_en, country, products = FOREIGN[rng.randrange(len(FOREIGN))]
            name_en = (
                f"{name_en} ({rng.choice(['Shenyang', 'Dalian', 'Shanghai', 'Beijing'])} Branch {number})"
            )
            brands = [name_en.split()[0].upper()]
            if is_clean(name_en, list(products), brands):
                out.append(Row(name_en, "", name_en, booth, hall, country, list(products), brands))
            continue
        place, core = rng.choice(PLACES), rng.choice(CORES) + rng.choice(CORES)
        trade, goods = rng.choice(TRADES)
        form = rng.choice(FORMS)
        branch = f"（{rng.choice(PLACES)}）" if number % 7 == 3 else ""
        name = f"{place}{core}{trade}{branch}{form}"
        if number % 11 == 4:  # long names wrap inside the catalogue's name cell
            name = f"{place}{core}{trade}装备技术研究院{rng.choice(PLACES)}分院产业化{branch}{form}"
        if name in names:
            name = f"{place}{core}{trade}{number}号{form}"
        names.add(name)
        published = zhconv.convert(name, "zh-hant") if number % 5 == 2 else name
        products = rng.sample(goods, k=rng.randint(1, len(goods)))
        brands = [core[:2].upper()] if number % 3 == 0 else []
        if not is_clean(published, products, brands):
            continue
        country = "中國" if published != name else "中国"
        website = (
            f"https://www.{rng.choice(['hx', 'hr', 'jd', 'by', 'zc'])}{number}.example.cn"
            if number % 4 == 0
            else ""
        )
        out.append(
            Row(
                published,
                published.replace("（", "(").replace("）", ")"),
                "",
                booth,
                hall,
                country,
                products,
                brands,
                website,
                continuation=number % 37 == 9,
            )
        )
    return out


# ---- the GIIC sample: an industrial-internet conference, halls A–C, its own exhibitors ------------------

GIIC_HALLS = ["A", "B", "C"]
GIIC_TRADES = [
    ("工业互联网", ["工业互联网平台", "设备联网网关", "标识解析节点"]),
    ("数据科技", ["工业大数据平台", "数据中台", "能耗管理系统"]),
    ("网络技术", ["5G 工业专网", "TSN 交换机", "工业无线 AP"]),
    ("信息安全", ["工控防火墙", "安全审计系统", "态势感知平台"]),
    ("软件", ["MES 系统", "低代码平台", "数字孪生工厂"]),
    ("物联科技", ["边缘计算盒", "无线传感器", "智能电表"]),
]
GIIC_FOREIGN = [
    ("PTC Parametric Technology", "US", ["ThingWorx 物联网平台"]),
    ("Rockwell Automation", "US", ["工业控制器", "FactoryTalk 软件"]),
    ("Schneider Electric Industries", "FR", ["EcoStruxure 平台"]),
    ("Advantech Co., Ltd.", "TW", ["工业电脑", "边缘网关"]),
]
# Planted rows: look-alikes of the bundled watchlist that the demo must flag, and two watched enterprises'
# own booths that must not be flagged.
GIIC_PLANTED = [
    Row("东软集团股份有限公司", "东软集团股份有限公司", "Neusoft Corporation", "A-101", "A", "中国",
        ["工业互联网平台", "医疗影像云"], ["东软", "NEUSOFT"], "https://www.neusoft.example.cn", ""),
    Row("沈阳东软云智工业互联网有限公司", "沈阳东软云智工业互联网有限公司", "", "A-118", "A", "中国",
        ["工业互联网平台"], [], "", "neusoft"),
    Row("大连新淞智联科技有限公司", "大连新淞智联科技有限公司", "Dalian Xinsong Smart Link Technology Co., Ltd.",
        "B-206", "B", "中国", ["机器人远程运维平台"], [], "", "siasun"),
    Row("沈阳新松机器人自动化股份有限公司", "沈阳新松机器人自动化股份有限公司", "SIASUN Robot & Automation Co., Ltd.",
        "B-201", "B", "中国", ["工业机器人", "5G 智慧工厂"], ["新松", "SIASUN"], "", ""),
    Row("Neusoft Industrial Cloud Ltd.", "", "Neusoft Industrial Cloud Ltd.", "C-312", "C", "SG",
        ["industrial IoT platform"], [], "", "neusoft"),
    Row("鞍山智联物联科技有限公司", "鞍山智联物联科技有限公司", "", "C-305", "C", "中国",
        ["机器人控制器"], ["SIASUN"], "", "siasun"),
]  # fmt: skip


def giic_dataset(rows: int = 40, seed: int = 11) -> list[Row]:
    """The GIIC sample: the planted rows first, then clean industrial-internet exhibitors in halls A–C with
    booths like ``B-214`` and a hall column (展区), as the organiser's workbook has."""
    rng = random.Random(seed)
    is_clean = _clean_checker()
    used = {r.booth for r in GIIC_PLANTED}
    names: set[str] = set()
    out = [Row(**asdict(r)) for r in GIIC_PLANTED]
    while len(out) < rows:
        number = len(out)
        hall = rng.choice(GIIC_HALLS)
        booth = f"{hall}-{rng.randint(1, 4)}{rng.randint(0, 3)}{rng.randint(0, 9)}"
        if booth in used:
            continue
        if number % 9 == 4:
            name_en, country, products = GIIC_FOREIGN[rng.randrange(len(GIIC_FOREIGN))]
            name_en = f"{name_en} (China) {number}"
            if is_clean(name_en, list(products), []):
                used.add(booth)
                out.append(Row(name_en, "", name_en, booth, hall, country, list(products), []))
            continue
        trade, goods = rng.choice(GIIC_TRADES)
        name = f"{rng.choice(PLACES)}{rng.choice(CORES)}{rng.choice(CORES)}{trade}{rng.choice(FORMS)}"
        products = rng.sample(goods, k=rng.randint(1, 2))
        if name in names or not is_clean(name, products, []):
            continue
        used.add(booth)
        names.add(name)
        website = f"https://www.giic{number}.example.cn" if number % 3 == 0 else ""
        out.append(Row(name, name, "", booth, hall, "中国", products, [], website))
    return out


# ---- writers --------------------------------------------------------------------------------------------

CSV_HEADER = ["序号", "展商名称", "英文名称", "展位号", "国家/地区", "展品", "品牌", "网址"]


def write_csv(rows: list[Row], path: Path, encoding: str = "gb18030") -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for number, row in enumerate(rows, start=1):
        zh = row.name_raw if row.name_zh else ""
        writer.writerow(
            [
                number,
                zh if not row.name_en else row.name_zh,
                row.name_en,
                row.booth,
                row.country,
                "、".join(row.products),
                "、".join(row.brands),
                row.website,
            ]
        )
    path.write_bytes(buffer.getvalue().encode(encoding))


XLSX_HEADER = ["展商名称", "英文名称", "展位号", "展区", "国家/地区", "展品", "品牌", "网址"]


def write_xlsx(rows: list[Row], path: Path, sheet: str = "展商名录") -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    cover = workbook.active
    assert cover is not None
    cover.title = "说明"
    cover.append(["全球工业互联网大会 展商名录（组委会提供）"])
    data = workbook.create_sheet(sheet)
    data.append(["展商名录"])  # a title row above the header, as organisers' sheets have
    data.append(XLSX_HEADER)
    for row in rows:
        data.append(
            [
                row.name_raw if row.name_zh else "",
                row.name_en,
                row.booth,
                row.hall,
                row.country,
                "，".join(row.products),
                "，".join(row.brands),
                row.website,
            ]
        )
    # Fixed timestamps: the fixture bytes stay the same from run to run.
    import datetime as dt

    workbook.properties.created = workbook.properties.modified = dt.datetime(2026, 8, 1)
    workbook.save(path)


def write_html(rows: list[Row], folder: Path, per_page: int = 25) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    pages = math.ceil(len(rows) / per_page)
    written = []
    for page in range(1, pages + 1):
        chunk = rows[(page - 1) * per_page : page * per_page]
        items = []
        for row in chunk:
            zh = (
                f'<span class="zh">{row.name_raw if row.name_zh and not row.name_en else row.name_zh}</span>'
                if row.name_zh
                else ""
            )
            en = f'<span class="en">{row.name_en}</span>' if row.name_en else ""
            products = "".join(f"<li>{p}</li>" for p in row.products)
            brands = "".join(f"<b class='brand'>{b}</b>" for b in row.brands)
            site = f'<a class="site" href="{row.website}">官网</a>' if row.website else ""
            items.append(
                f'<li class="exhibitor"><h3>{zh}{en}</h3><p class="booth">展位：<em>{row.booth}</em></p>'
                f'<p class="country">{row.country}</p><ul class="products">{products}</ul>'
                f'<div class="brands">{brands}</div>{site}</li>'
            )
        nav = f'<a class="next" href="list-{page + 1}.html">下一页 &raquo;</a>' if page < pages else ""
        html = (
            '<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8"><title>展商名录</title></head><body>'
            f'<ul id="exhibitors">{"".join(items)}</ul><div class="pager">{nav}</div></body></html>'
        )
        path = folder / f"list-{page}.html"
        path.write_text(html, encoding="utf-8")
        written.append(path)
    return written


def write_json_api(rows: list[Row], folder: Path, per_page: int = 20) -> None:
    """``list-N.json`` (Canton-Fair-like envelope) and ``detail-CODE.json`` per exhibitor."""
    folder.mkdir(parents=True, exist_ok=True)
    pages = math.ceil(len(rows) / per_page)
    for page in range(1, pages + 1):
        chunk = rows[(page - 1) * per_page : page * per_page]
        shops = [
            {
                "code": f"S{(page - 1) * per_page + i + 1:05d}",
                "name": row.name_raw if not row.name_en else row.name_zh or row.name_en,
                "nameEn": row.name_en,
                "booth": {"no": row.booth},
            }
            for i, row in enumerate(chunk)
        ]
        envelope = {
            "arrayData": {
                "0": {
                    "_embedded": {"b2b:shops": shops},
                    "page": {"number": page, "totalPages": pages, "totalElements": len(rows)},
                }
            }
        }
        (folder / f"list-{page}.json").write_text(
            json.dumps(envelope, ensure_ascii=False, indent=1), encoding="utf-8"
        )
        for shop, row in zip(shops, chunk, strict=True):
            detail = {
                "data": {
                    "code": shop["code"],
                    "address": {"country": {"name": row.country}},
                    "udfs": {
                        "mainProducts": "；".join(row.products),
                        "brands": row.brands,
                        "website": row.website,
                    },
                }
            }
            (folder / f"detail-{shop['code']}.json").write_text(
                json.dumps(detail, ensure_ascii=False), encoding="utf-8"
            )


PDF_HEADER = ["序号", "展位号", "展商名称", "国家/地区", "主要展品", "品牌"]


def write_pdf(
    rows: list[Row], path: Path, title: str = "2026 中国国际装备制造业博览会 会刊 展商名录"
) -> None:
    """A catalogue: a ruled table over many pages, header repeated on each, long names wrapping inside their
    cell, and some names running over onto a second table row with an empty booth cell."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    cell = ParagraphStyle("cell", fontName="STSong-Light", fontSize=7.5, leading=9.5, wordWrap="CJK")
    head = ParagraphStyle("head", parent=cell, fontSize=12, leading=16)
    data: list[list[object]] = [PDF_HEADER]
    for number, row in enumerate(rows, start=1):
        products, brands = "、".join(row.products), "、".join(row.brands)
        if row.continuation and len(row.name_raw) > 6:
            cut = len(row.name_raw) // 2
            data.append(
                [
                    str(number),
                    row.booth,
                    Paragraph(row.name_raw[:cut], cell),
                    row.country,
                    Paragraph(products, cell),
                    brands,
                ]
            )
            data.append(["", "", Paragraph(row.name_raw[cut:], cell), "", "", ""])
        else:
            data.append(
                [
                    str(number),
                    row.booth,
                    Paragraph(row.name_raw, cell),
                    row.country,
                    Paragraph(products, cell),
                    brands,
                ]
            )
    table = Table(data, colWidths=[28, 52, 190, 48, 150, 55], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
                ("FONTNAME", (0, 0), (-1, -1), "STSong-Light"),
                ("FONTSIZE", (0, 0), (-1, -1), 7.5),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    document = SimpleDocTemplate(
        str(path),
        pagesize=A4,
        title="catalogue",
        author="alertbot tests",
        creator="alertbot tests",
        producer="reportlab",
        invariant=1,
    )
    document.build([Paragraph(title, head), Spacer(1, 6), table])


def write_all() -> None:
    FIXTURES.mkdir(parents=True, exist_ok=True)
    rows = dataset(320)
    (FIXTURES / "expected.json").write_text(
        json.dumps([r.to_json() for r in rows], ensure_ascii=False, indent=1), encoding="utf-8"
    )
    write_pdf(rows, FIXTURES / "catalogue.pdf")
    small = rows[:60]
    write_csv(small, FIXTURES / "exhibitors-gb18030.csv")
    write_xlsx(small, FIXTURES / "exhibitors.xlsx")
    write_html(small, FIXTURES / "html")
    write_json_api(small, FIXTURES / "api")
    SAMPLES.mkdir(parents=True, exist_ok=True)
    write_pdf(dataset(120, seed=7), SAMPLES / "cieme-2026.pdf")
    write_xlsx(giic_dataset(), SAMPLES / "giic-2026.xlsx")


if __name__ == "__main__":
    write_all()
