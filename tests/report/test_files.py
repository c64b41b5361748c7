"""The written report: XLSX sheets and totals, crawled text inert in XLSX, markdown and CSV, and an
enterprise's files free of any other enterprise's data."""

from __future__ import annotations

import csv
import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from alertbot.report import ReportFiles, ReportScopeError, generate
from alertbot.settings import Settings
from tests.report.seed import AS_OF, BETA_ONLY_STRINGS, EVIL_APPLICANT, EVIL_MARK, MARKUP_MARK

ZH_SHEETS = [
    "汇总",
    "按企业",
    "按局或展会",
    "按申请人国家",
    "按风险",
    "处理时长",
    "连续申请人",
    "即将到期的异议期",
    "展会可疑展位",
    "数据源运行情况",
    "预警明细",
    "图表",
]


def _generate(settings: Settings, out: Path, **options: object) -> ReportFiles:
    return generate(
        settings, period="2026-10", formats=("xlsx", "md", "csv"), out_dir=out, today=AS_OF, **options
    )  # type: ignore[arg-type]


def _summary(sheet: Worksheet) -> dict[str, object]:
    return {str(row[0]): row[1] for row in sheet.iter_rows(min_row=4, max_col=2, values_only=True) if row[0]}


def _column(sheet: Worksheet, header: str) -> list[object]:
    headers = [cell.value for cell in sheet[1]]
    index = headers.index(header)
    return [row[index] for row in sheet.iter_rows(min_row=2, values_only=True)]


def test_xlsx_has_the_summary_one_sheet_per_table_and_the_charts(
    settings: Settings, seeded, tmp_path: Path
) -> None:
    files = _generate(settings, tmp_path)
    assert files.xlsx is not None
    assert files.xlsx.name == "alertbot-report-2026-10.xlsx"
    workbook = load_workbook(files.xlsx)
    assert workbook.sheetnames == ZH_SHEETS
    summary = _summary(workbook["汇总"])
    assert summary["新增预警"] == 11
    assert (summary["已确认"], summary["已驳回"], summary["已上报"], summary["未处理"]) == (3, 2, 1, 5)
    assert (summary["处理时长中位数（小时）"], summary["处理时长 P90（小时）"]) == (7, 20)
    assert summary["30 天内到期且无人处理的异议期"] == 3
    assert (summary["采集运行次数"], summary["采集失败次数"], summary["采集记录数"]) == (4, 1, 170)
    # Every table's totals agree with the summary.
    for sheet_name, header in [
        ("按企业", "新增预警"),
        ("按局或展会", "新增预警"),
        ("按申请人国家", "新增预警"),
    ]:
        assert sum(_column(workbook[sheet_name], header)) == 11  # type: ignore[arg-type]
    assert len(_column(workbook["预警明细"], "预警编号")) == 11
    assert _column(workbook["按风险"], "风险") == ["高", "中", "低"]
    assert _column(workbook["连续申请人"], "申请人名称变体") == [
        "COPYCAT TRADING LIMITED | Copycat Trading Co., Ltd. | Copycat Trading Ltd"
    ]
    for name in ZH_SHEETS[1:-1]:
        sheet = workbook[name]
        assert sheet.freeze_panes == "A2", name
        assert str(sheet.auto_filter.ref).startswith("A1:"), name
    alerts = workbook["预警明细"]
    record_column = [cell.value for cell in alerts[1]].index("记录内容") + 1
    letter = alerts.cell(row=1, column=record_column).column_letter
    widest = max(len(str(v)) for v in _column(alerts, "记录内容"))
    assert alerts.column_dimensions[letter].width >= min(widest, 60), "columns are fitted to their text"
    assert len(workbook["图表"]._images) == 4  # type: ignore[attr-defined]


def test_a_crawled_mark_starting_with_equals_stays_text(settings: Settings, seeded, tmp_path: Path) -> None:
    files = _generate(settings, tmp_path)
    assert files.xlsx is not None
    sheet = load_workbook(files.xlsx)["预警明细"]
    cells = {cell.value: cell for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str)}
    assert cells[EVIL_MARK].data_type == "s"
    assert cells[EVIL_APPLICANT].data_type == "s"
    with zipfile.ZipFile(files.xlsx) as archive:
        sheets = [name for name in archive.namelist() if name.startswith("xl/worksheets/sheet")]
        assert sheets
        for name in sheets:
            assert "<f>" not in archive.read(name).decode(), f"{name} holds a formula"
    # CSV: the same cells get the quote that spreadsheets read as "text".
    alerts_csv = next(path for path in files.csv if path.name.endswith("-alerts.csv"))
    with alerts_csv.open(encoding="utf-8-sig", newline="") as handle:
        values = [value for row in csv.reader(handle) for value in row]
    assert "'" + EVIL_MARK in values
    assert "'" + EVIL_APPLICANT in values
    assert EVIL_MARK not in values


def test_markdown_keeps_crawled_text_inert(settings: Settings, seeded, tmp_path: Path) -> None:
    files = _generate(settings, tmp_path)
    assert files.md is not None
    text = files.md.read_text(encoding="utf-8")
    assert "<script" not in text
    assert "&lt;script&gt;" in text
    assert not re.search(r"(?<!\\)\]\(javascript", text), "a crawled [text](link) keeps its ] escaped"
    assert "**x**" not in text
    assert "http://evil.example" not in text, "no crawled URL becomes a link"
    assert "http\\://evil.example" in text
    # Every table row has its header's number of cells: a crawled | does not add a column.
    for block in re.findall(r"(?:^\|.*\|$\n?)+", text, flags=re.MULTILINE):
        rows = block.strip().splitlines()
        widths = {len(re.findall(r"(?<!\\)\|", row)) for row in rows}
        assert len(widths) == 1, rows
    assert "- 新增预警: **11**" in text
    for chart in files.charts:
        assert f"]({chart.name})" in text


def test_english_report(settings: Settings, seeded, tmp_path: Path) -> None:
    files = generate(settings, period="2026-10", lang="en", out_dir=tmp_path, today=AS_OF)
    assert files.xlsx is not None
    assert files.md is None
    assert not files.csv
    workbook = load_workbook(files.xlsx)
    assert workbook.sheetnames[:2] == ["Summary", "By enterprise"]
    assert _summary(workbook["Summary"])["Alerts raised"] == 11
    assert _column(workbook["By risk"], "Risk") == ["high", "medium", "low"]
    assert "ACME Machinery" in _column(workbook["By enterprise"], "Enterprise")


def _all_text(files: ReportFiles) -> str:
    parts: list[str] = []
    assert files.xlsx is not None
    assert files.md is not None
    workbook = load_workbook(files.xlsx)
    for sheet in workbook.worksheets:
        parts += [str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value is not None]
    parts.append(files.md.read_text(encoding="utf-8"))
    parts += [path.read_text(encoding="utf-8-sig") for path in files.csv]
    return "\n".join(parts)


def test_an_enterprise_s_report_holds_no_other_enterprise_s_data(
    settings: Settings, seeded, tmp_path: Path
) -> None:
    staff = _all_text(_generate(settings, tmp_path / "staff"))
    for needle in BETA_ONLY_STRINGS:
        assert needle in staff, f"the staff report should show {needle!r} (else this test proves nothing)"
    acme = _generate(settings, tmp_path / "acme", enterprise_id="acme")
    assert acme.xlsx is not None
    assert acme.xlsx.name == "alertbot-report-2026-10-acme.xlsx"
    text = _all_text(acme)
    for needle in BETA_ONLY_STRINGS:
        assert needle not in text, f"acme's report shows {needle!r}"
    assert "ACME机械" in text
    assert MARKUP_MARK in text
    assert "数据源运行情况" not in load_workbook(acme.xlsx).sheetnames
    assert _summary(load_workbook(acme.xlsx)["汇总"])["新增预警"] == 7


def test_unknown_enterprise_and_bad_options_are_refused(settings: Settings, seeded, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(ReportScopeError, match="'nobody' is not on the watchlist"):
        generate(settings, period="2026-10", enterprise_id="nobody", out_dir=out)
    with pytest.raises(ValueError, match="format pdf is not one of xlsx, md, csv"):
        generate(settings, period="2026-10", formats=("pdf",), out_dir=out)
    with pytest.raises(ValueError, match="language 'fr'"):
        generate(settings, period="2026-10", lang="fr", out_dir=out)
    assert not out.exists(), "nothing is written for a refused request"
