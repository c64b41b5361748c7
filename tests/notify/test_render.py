"""The zh and en messages show every field of an alert, in every format, and digests carry an XLSX list."""

from __future__ import annotations

import html
import io
import re
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

import alertbot.matching
from alertbot.notify.render import (
    XLSX_MIMETYPE,
    describe_reason,
    markdown_text,
    render_alert,
    render_digest,
    render_notice,
)
from tests.notify.conftest import make_view

EXPECTED = {
    "zh": {
        "risk": "高风险",
        "kind": "商标",
        "deadline": "2026-12-03 (剩余 6 天)",
        "hall_booth": "N3 馆 N3-117 展位",
        "reasons": [alertbot.matching.REASON_CODES[code][0] for code in ("variant:pinyin", "class-overlap")],
        "labels": [
            "novel:code",
            "申请人",
            "国家/地区",
            "受理局",
            "尼斯分类",
            "申请日",
            "公告日",
            "异议截止日",
            "官方记录",
        ],
    },
    "en": {
        "risk": "HIGH risk",
        "kind": "Trademark",
        "deadline": "2026-12-03 (6 days left)",
        "hall_booth": "Hall N3, booth N3-117",
        "reasons": [alertbot.matching.REASON_CODES[code][1] for code in ("variant:pinyin", "class-overlap")],
        "labels": [
            "novel:code",
            "Applicant",
            "Country",
            "Office",
            "Nice classes",
            "Filing date",
            "Publication date",
        ],
    },
}


def _field_values(lang: str) -> list[str]:
    view = make_view()
    expected = EXPECTED[lang]
    return [
        expected["risk"],
        expected["kind"],
        view.enterprise_name_zh,
        view.enterprise_name_en,
        view.enterprise_id,
        view.mark,
        view.variant,
        "91%",
        view.record_text or "",
        view.applicant or "",
        view.applicant_country or "",
        view.office or "",
        view.source,
        "7, 11",
        "2026-09-14",
        "2026-11-03",
        expected["deadline"],
        expected["hall_booth"],
        view.url or "",
        "#4711",
        *expected["reasons"],
        *expected["labels"],
    ]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_alert_shows_every_field_in_every_format(lang: str) -> None:
    message = render_alert(make_view(), lang)
    for value in _field_values(lang):
        assert value in message.text, f"{value!r} missing from the {lang} text"
        # Markup escaping is checked separately; here: is the value shown at all.
        shown = value if value == make_view().url else markdown_text(value)  # the link target stays a URL
        assert shown in message.markdown, f"{value!r} missing from the {lang} markdown"
        assert value in html.unescape(message.html), f"{value!r} missing from the {lang} email HTML"
        assert value in html.unescape(message.chat_html), f"{value!r} missing from the {lang} Telegram HTML"
    assert message.alert_ids == (4711,)
    assert message.buttons is True
    assert message.lang == lang


def test_markup_in_record_text_is_escaped_in_html_formats() -> None:
    message = render_alert(make_view(record_text="<script>x</script> & co"), "en")
    for markup in (message.html, message.chat_html):
        assert "<script>" not in markup
        assert "&lt;script&gt;x&lt;/script&gt; &amp; co" in markup


def test_telegram_html_uses_only_tags_telegram_accepts() -> None:
    message = render_alert(make_view(), "zh")
    tags = {match.lower() for match in re.findall(r"</?([a-zA-Z]+)", message.chat_html)}
    assert tags <= {"b", "i", "u", "s", "a", "code", "pre", "blockquote"}, tags


@pytest.mark.parametrize(("lang", "subject"), [("zh", "[高风险] 商标预警：SHENGU — 沈阳鼓风机集团股份有限公司"),
                                               ("en", "[HIGH risk] Trademark alert: SHENGU — Shenyang Blower Works Group Corp.")])  # fmt: skip
def test_subject_names_risk_kind_mark_and_enterprise(lang: str, subject: str) -> None:
    assert render_alert(make_view(), lang).subject == subject


def test_exhibitor_alert_shows_the_show_hall_and_booth() -> None:
    view = make_view(kind="exhibitor", office=None, show="CIEME 2026 沈阳国际装备制造业博览会", classes=())
    for lang, kind_word, show_label in (("zh", "展商", "展会"), ("en", "Exhibitor", "Show")):
        message = render_alert(view, lang)
        assert "CIEME 2026 沈阳国际装备制造业博览会" in message.text
        assert kind_word in message.text
        assert f"{show_label}{'：' if lang == 'zh' else ': '}CIEME" in message.text
        assert "N3-117" in message.text


def test_followup_says_what_happened() -> None:
    view = make_view(followup_event="published")
    zh, en = render_alert(view, "zh"), render_alert(view, "en")
    assert zh.subject.startswith("[高风险] 跟进（已公告（进入异议期））")
    assert "跟进：已公告" in zh.text
    assert "Follow-up (published for opposition)" in en.subject
    assert "unknown-event" in render_alert(make_view(followup_event="unknown-event"), "en").subject


@pytest.mark.parametrize(
    ("days_left", "zh_text", "en_text"),
    [(0, "今天截止", "due today"), (-3, "已过期 3 天", "3 days overdue"), (1, "剩余 1 天", "1 days left")],
)
def test_days_left_wording(days_left: int, zh_text: str, en_text: str) -> None:
    assert zh_text in render_alert(make_view(days_left=days_left), "zh").text
    assert en_text in render_alert(make_view(days_left=days_left), "en").text


def test_missing_fields_are_left_out_not_printed_as_none() -> None:
    view = make_view(
        record_text=None, applicant=None, applicant_country=None, office=None, filing_date=None,
        publication_date=None, opposition_deadline=None, days_left=None, hall=None, booth=None, url=None,
    )  # fmt: skip
    message = render_alert(view, "en")
    assert "None" not in message.text
    assert "Applicant" not in message.text
    assert "Opposition deadline" not in message.text


def test_reason_codes_are_worded_by_the_matchers_table() -> None:
    zh, en = alertbot.matching.REASON_CODES["variant:pinyin"]
    assert describe_reason("variant:pinyin", "zh") == zh
    assert describe_reason("variant:pinyin", "en") == en
    assert en in render_alert(make_view(reasons=["variant:pinyin"]), "en").text
    assert describe_reason("brand-new", "zh") == "brand-new"


def test_unsupported_language_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported language 'fr'"):
        render_alert(make_view(), "fr")


def test_digest_lists_alerts_highest_risk_first_with_an_xlsx_attachment() -> None:
    views = [
        make_view(alert_id=1, risk="low", mark="LOWMARK"),
        make_view(alert_id=2, risk="high", mark="HIGHMARK", days_left=20),
        make_view(alert_id=3, risk="medium", mark="MIDMARK"),
        make_view(alert_id=4, risk="high", mark="URGENT", days_left=2),
    ]
    message = render_digest(views, "zh")
    assert message.alert_ids == (4, 2, 3, 1)
    assert message.buttons is False
    assert message.subject == "预警摘要：4 条（高风险 2 条）"
    order = [message.text.index(mark) for mark in ("URGENT", "HIGHMARK", "MIDMARK", "LOWMARK")]
    assert order == sorted(order)
    (attachment,) = message.attachments
    assert attachment.mimetype == XLSX_MIMETYPE
    assert attachment.filename.endswith(".xlsx")
    assert attachment.filename in message.text
    sheet = load_workbook(io.BytesIO(attachment.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[:5] == ("预警编号", "风险等级", "相似度", "关注企业", "匹配标识")
    assert [row[0] for row in rows[1:]] == [4, 2, 3, 1]
    first = dict(zip(header, rows[1], strict=True))
    assert first["匹配标识"] == "URGENT"
    assert first["申请人"] == "Gulf Trading FZE"
    assert first["尼斯分类"] == "7, 11"
    assert first["异议截止日"].date() == date(2026, 12, 3)
    assert first["剩余天数"] == 2
    assert first["官方记录"] == make_view().url
    zh_reasons = [describe_reason(code, "zh") for code in ("variant:pinyin", "class-overlap")]
    assert first["匹配原因"] == "; ".join([*zh_reasons, "novel:code"])
    assert "variant:pinyin" not in first["匹配原因"]
    assert sheet.cell(row=2, column=header.index("官方记录") + 1).hyperlink.target == make_view().url


def test_digest_title_override_and_empty_digest() -> None:
    assert render_digest([make_view()], "en", title="CIEME day 2").subject == "CIEME day 2"
    empty = render_digest([], "en")
    assert empty.attachments == ()
    assert "No new alerts" in empty.text
    assert empty.alert_ids == ()


def test_notice_is_escaped_and_has_no_buttons() -> None:
    message = render_notice("投递失败 <3>", "Delivery 17 failed 8 times: 550 <no such user>", "zh")
    assert message.buttons is False
    assert message.alert_ids == ()
    assert "&lt;no such user&gt;" in message.html
    assert "&lt;no such user&gt;" in message.chat_html
    assert "550 <no such user>" in message.text
    assert message.subject == "投递失败 <3>"


_free_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60)


@settings(max_examples=80, deadline=None)
@given(
    mark=_free_text.filter(str.strip),
    record_text=st.none() | _free_text,
    applicant=st.none() | _free_text,
    reasons=st.lists(st.text(min_size=1, max_size=20), max_size=4),
    lang=st.sampled_from(["zh", "en"]),
    risk=st.sampled_from(["high", "medium", "low"]),
    days_left=st.none() | st.integers(min_value=-400, max_value=400),
)
def test_any_text_renders_and_never_injects_markup(
    mark: str,
    record_text: str | None,
    applicant: str | None,
    reasons: list[str],
    lang: str,
    risk: str,
    days_left: int | None,
) -> None:
    view = make_view(
        mark=mark, record_text=record_text, applicant=applicant, reasons=tuple(reasons), risk=risk,
        days_left=days_left,
    )  # fmt: skip
    message = render_alert(view, lang)
    assert mark in message.text
    assert html.escape(mark, quote=False) in html.escape(html.unescape(message.chat_html), quote=False)
    # Whatever the text holds, the only tags are the templates' own.
    assert set(re.findall(r"</?([a-zA-Z]+)", message.chat_html)) <= {"b", "a"}
    email_tags = {"html", "head", "meta", "title", "body", "h2", "h3", "p", "strong", "table", "tr", "th", "td", "a",
                  "ul", "li", "hr"}  # fmt: skip
    assert set(re.findall(r"</?([a-zA-Z][a-zA-Z0-9]*)", message.html)) <= email_tags


def test_detail_reason_codes_are_worded_with_their_detail() -> None:
    from alertbot.notify.render import describe_reason

    assert describe_reason("class-overlap:9,42", "zh") == "与本企业类别重合（9,42）"
    assert describe_reason("class-overlap:9,42", "en").endswith("(9,42)")
    assert describe_reason("class-overlap:9,42", "en").startswith("Nice classes overlap")
    assert describe_reason("no-such-code:1", "en") == "no-such-code:1"
