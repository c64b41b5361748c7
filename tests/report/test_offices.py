"""Offices are named, not coded, in both languages: in the report's tables and on its charts."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from alertbot import db
from alertbot.report import generate
from alertbot.report.charts import render_charts
from alertbot.report.data import collect
from alertbot.report.labels import office_label
from alertbot.report.period import period_of
from alertbot.settings import Settings
from tests.report.seed import AS_OF, SHOW

# (office code, Chinese label, English label)
OFFICES = [
    ("EM", "欧盟知识产权局（EUIPO）", "EUIPO"),
    ("US", "美国专利商标局（USPTO）", "USPTO"),
    ("KR", "韩国知识产权局（KIPO）", "KIPO"),
    ("EP", "欧洲专利局（EPO）", "EPO"),
    ("WO", "世界知识产权组织（WIPO）", "WIPO"),
    ("JP", "日本特许厅（JPO）", "JPO"),
    ("CN", "中国国家知识产权局（CNIPA）", "CNIPA"),
    ("GB", "英国知识产权局（UKIPO）", "UKIPO"),
]


@pytest.mark.parametrize(("code", "zh", "en"), OFFICES)
def test_office_codes_are_named_in_both_languages(code: str, zh: str, en: str) -> None:
    assert office_label(code, "zh") == zh
    assert office_label(code, "en") == en
    assert office_label(code.lower(), "zh") == zh, "codes are matched whatever their case"


def test_unknown_offices_and_show_names_are_shown_as_they_are() -> None:
    assert office_label("XQ", "zh") == "XQ"
    assert office_label(SHOW, "zh") == SHOW
    assert office_label(SHOW, "en") == SHOW
    assert office_label("", "zh") == "未知"
    assert office_label("", "en") == "unknown"


def _column(path: Path, sheet: str, header: str) -> list[object]:
    rows = list(load_workbook(path)[sheet].iter_rows(values_only=True))
    index = list(rows[0]).index(header)
    return [row[index] for row in rows[1:]]


@pytest.mark.parametrize(
    ("lang", "by_office", "office_header", "alerts"),
    [
        ("zh", "按局或展会", "商标局/展会", "预警明细"),
        ("en", "By office or show", "Office or show", "Alerts"),
    ],
)
def test_report_tables_and_charts_name_the_offices(
    settings: Settings, seeded, tmp_path: Path, lang: str, by_office: str, office_header: str, alerts: str
) -> None:
    expected = {office_label(code, lang) for code in ("US", "EM", "KR", "JP")} | {SHOW}
    files = generate(settings, period="2026-10", lang=lang, out_dir=tmp_path, today=AS_OF)
    assert files.xlsx is not None
    assert set(_column(files.xlsx, by_office, office_header)) == expected
    assert set(_column(files.xlsx, alerts, office_header)) == expected
    # The alert list names applicant countries the way the by-country table does.
    country_header = "申请人国家" if lang == "zh" else "Applicant country"
    by_country = _column(
        files.xlsx, "按申请人国家" if lang == "zh" else "By applicant country", country_header
    )
    assert set(_column(files.xlsx, alerts, country_header)) == set(by_country)
    assert ("中国（CN）" if lang == "zh" else "CN") in by_country
    with db.session_factory(settings)() as session:
        data = collect(session, period_of("2026-10"), enterprise_id=None, as_of=AS_OF, tz=settings.timezone)
    chart = next(c for c in render_charts(data, lang, tmp_path / "charts", "r") if c.key == "by_office")
    drawn = set(chart.texts)
    assert {office_label(code, lang) for code in ("US", "EM", "KR", "JP")} <= drawn
    assert not {"US", "EM", "KR", "JP"} & drawn, "no bare office code on the chart"
