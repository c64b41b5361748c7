"""Render alerts, digests and staff notices into :class:`~alertbot.notify.base.Message` objects.

One set of Jinja2 templates per format lives in ``alertbot/templates`` (plain text, email HTML, Telegram's
HTML subset, robot markdown); the Chinese and English wording lives in ``alertbot/templates/strings.json``.
Every format is built from the same list of labelled rows, so the formats cannot drift apart.
"""

from __future__ import annotations

import functools
import html
import io
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from importlib.resources import files
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from alertbot.matching.model import REASON_CODES
from alertbot.notify.base import AlertView, Attachment, Message
from alertbot.redact import redact
from alertbot.sheets import append_row

LANGUAGES: tuple[str, ...] = ("zh", "en")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RISK_ORDER: Mapping[str, int] = {"high": 0, "medium": 1, "low": 2}
# The centre works on Beijing time; a digest is named after its local date.
LOCAL_TIMEZONE = ZoneInfo("Asia/Shanghai")
RISK_ICONS: Mapping[str, str] = {"high": "🔴", "medium": "🟠", "low": "🟡"}


@dataclass(frozen=True)
class Row:
    """One labelled line of an alert card; ``href`` makes the value a link."""

    key: str
    label: str
    value: str
    href: str | None = None


@functools.lru_cache(maxsize=1)
def _strings() -> dict[str, dict[str, str]]:
    text = files("alertbot").joinpath("templates", "strings.json").read_text(encoding="utf-8")
    loaded: dict[str, dict[str, str]] = json.loads(text)
    return loaded


@functools.lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("alertbot", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2", "chat.j2"), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


# Robot markdown (WeCom, DingTalk, Feishu): crawled and watchlist text must never become markup there. The three
# dialects share markdown links/images/emphasis/code/headings/quotes, and each adds tags (<font>, <at>, <@id>,
# plus whatever HTML a client passes through). Every character that opens one of those constructs is replaced
# by its full-width twin, which reads the same to a person and is plain text to every one of the parsers;
# "(" ")" "!" "|" stay, as nothing can open a link, an image or a table without the characters replaced.
_MARKDOWN_TWINS = str.maketrans(
    {
        "\\": "＼",
        "`": "｀",
        "*": "＊",
        "_": "＿",
        "~": "～",
        "[": "［",
        "]": "］",
        "<": "＜",
        ">": "＞",
    }
)
_LINE_BREAKS = re.compile(r"[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+")
# Bare links are clickable in every robot client; a link inside crawled text is shown but cannot be followed.
_BARE_LINK = re.compile(r"(?i)(?<=[a-z0-9+.-])://|\bwww\.")


_LEADING_HASH = re.compile(r"^(?=\s*#)\s*#")


class TrustedMarkdown(str):
    """Markdown the renderer built itself (a sanitised link target), passed through unescaped."""


def markdown_text(value: object) -> str:
    """``value`` as inert robot-markdown text: one line, no markup, bare links defanged (``http：//``)."""
    if isinstance(value, TrustedMarkdown):
        return value
    text = _LINE_BREAKS.sub(" ", "" if value is None else str(value)).translate(_MARKDOWN_TWINS)
    return _BARE_LINK.sub(lambda match: "：//" if match.group(0) == "://" else "www．", text)


def markdown_block(text: str) -> str:
    """Multi-line text (a staff notice body) as inert robot markdown, line by line."""
    # A "#" opening a line would make it a heading; inside a line it is plain text.
    return "\n".join(_LEADING_HASH.sub("＃", markdown_text(line)) for line in text.splitlines())


def markdown_url(url: object) -> TrustedMarkdown:
    """An http(s) URL made safe inside ``[text](url)``: characters that could end the link are escaped; any
    other scheme (``javascript:``, ``data:``) becomes an empty target."""
    text = str(url or "").strip()
    try:
        scheme = urlsplit(text).scheme.lower()
    except ValueError:
        scheme = ""
    if scheme not in ("http", "https"):
        return TrustedMarkdown("")
    return TrustedMarkdown(quote(text, safe="/:?=&%#+,;@!$'*-._~"))


def check_language(lang: str) -> str:
    """Return ``lang`` if supported, else raise ``ValueError`` naming the supported ones."""
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}; use one of {', '.join(LANGUAGES)}")
    return lang


def translate(key: str, lang: str, **values: object) -> str:
    """The ``lang`` wording for ``key`` (falls back to the key itself), with ``{name}`` fields filled in."""
    template = _strings()[check_language(lang)].get(key, key)
    return template.format(**values) if values else template


def describe_reason(code: str, lang: str) -> str:
    """The wording of a matching reason code from ``alertbot.matching.REASON_CODES``; unknown codes as-is.

    Detail codes (``class-overlap:9,42``) are keyed by their prefix and keep the detail after the wording.
    """
    check_language(lang)
    known = REASON_CODES.get(code)
    detail = ""
    if known is None and ":" in code:
        prefix, detail = code.rsplit(":", 1)
        known = REASON_CODES.get(prefix)
    if known is None:
        # Codes of other stages (the expo's product and brand evidence) are worded in strings.json.
        key = f"reason.{code.rsplit(':', 1)[0] if detail else code}"
        if key not in _strings()[lang]:
            return code
        known = (translate(key, "zh"), translate(key, "en"))
    zh_text, en_text = known
    text = zh_text if lang == "zh" else en_text
    return f"{text}（{detail}）" if detail and lang == "zh" else f"{text} ({detail})" if detail else text


def _label(key: str, lang: str) -> str:
    return translate(f"label.{key}", lang)


def _days_left_text(days_left: int, lang: str) -> str:
    if days_left > 0:
        return translate("days_left", lang, n=days_left)
    if days_left == 0:
        return translate("deadline_today", lang)
    return translate("days_overdue", lang, n=-days_left)


def _enterprise_text(view: AlertView, lang: str) -> str:
    first, second = (
        (view.enterprise_name_zh, view.enterprise_name_en)
        if lang == "zh"
        else (view.enterprise_name_en, view.enterprise_name_zh)
    )
    names = first if not second or second == first else f"{first} ({second})"
    return f"{names} [{view.enterprise_id}]"


def _followup_text(view: AlertView, lang: str) -> str | None:
    if not view.followup_event:
        return None
    return translate(f"followup.{view.followup_event}", lang).removeprefix("followup.")


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def alert_rows(view: AlertView, lang: str) -> list[Row]:
    """The labelled rows of an alert card, in display order; empty fields are left out."""
    label = functools.partial(_label, lang=lang)
    rows: list[Row] = [
        Row("risk", label("risk"), translate(f"risk.{view.risk}", lang)),
        Row("enterprise", label("enterprise"), _enterprise_text(view, lang)),
        Row("mark", label("mark"), view.mark),
    ]
    if view.variant and view.variant != view.mark:
        rows.append(Row("variant", label("variant"), view.variant))
    rows.append(Row("score", label("score"), f"{view.score:.0%}" if view.score <= 1 else f"{view.score:g}"))
    rows.append(Row("kind", label("kind"), translate(f"kind.{view.kind}", lang)))
    if view.record_text:
        rows.append(Row("record", label("record"), view.record_text))
    if view.applicant:
        rows.append(Row("applicant", label("applicant"), view.applicant))
    if view.applicant_country:
        rows.append(Row("country", label("country"), view.applicant_country))
    if view.office:
        rows.append(Row("office", label("office"), view.office))
    if view.show:
        rows.append(Row("show", label("show"), view.show))
    rows.append(Row("source", label("source"), view.source))
    if view.classes:
        rows.append(Row("classes", label("classes"), ", ".join(str(number) for number in view.classes)))
    if view.filing_date:
        rows.append(Row("filing_date", label("filing_date"), view.filing_date.isoformat()))
    if view.publication_date:
        rows.append(Row("publication_date", label("publication_date"), view.publication_date.isoformat()))
    if view.opposition_deadline:
        deadline = view.opposition_deadline.isoformat()
        if view.days_left is not None:
            deadline = f"{deadline} ({_days_left_text(view.days_left, lang)})"
        rows.append(Row("deadline", label("deadline"), deadline))
    elif view.days_left is not None:
        rows.append(Row("days_left", label("days_left"), _days_left_text(view.days_left, lang)))
    if view.hall or view.booth:
        rows.append(
            Row("hall_booth", f"{label('hall')}/{label('booth')}", _hall_booth(view.hall, view.booth, lang))
        )
    if view.url:
        rows.append(Row("link", label("link"), view.url, href=view.url))
    rows.append(Row("status", label("status"), translate(f"status.{view.status}", lang)))
    rows.append(Row("alert", label("alert"), f"#{view.alert_id}"))
    return rows


def _hall_booth(hall: str | None, booth: str | None, lang: str) -> str:
    if hall and booth:
        return translate("hall_booth", lang, hall=hall, booth=booth)
    return hall or booth or ""


def _risk_label(risk: str, lang: str) -> str:
    return translate(f"risk.{risk}", lang)


def _subject(view: AlertView, lang: str) -> str:
    enterprise = (
        view.enterprise_name_zh if lang == "zh" else view.enterprise_name_en or view.enterprise_name_zh
    )
    values: dict[str, Any] = {
        "risk": _risk_label(view.risk, lang),
        "kind": translate(f"kind.{view.kind}", lang),
        "mark": view.mark,
        "enterprise": enterprise,
    }
    event = _followup_text(view, lang)
    if event:
        return translate("subject.followup", lang, event=event, **values)
    return translate("subject", lang, **values)


@functools.lru_cache(maxsize=1)
def _markdown_environment() -> Environment:
    # Every {{ value }} in a robot-markdown template is escaped on output (finalize), so no template can forget.
    environment = Environment(
        loader=PackageLoader("alertbot", "templates"),
        autoescape=False,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        finalize=markdown_text,
    )
    environment.filters["md_url"] = markdown_url
    return environment


def _render(template: str, **context: Any) -> str:
    environment = _markdown_environment() if template.endswith(".md.j2") else _environment()
    return environment.get_template(template).render(**context).strip() + "\n"


def _alert_context(view: AlertView, lang: str) -> dict[str, Any]:
    event = _followup_text(view, lang)
    return {
        "icon": RISK_ICONS.get(view.risk, ""),
        "risk": view.risk,
        "headline": translate(
            "headline", lang, risk=_risk_label(view.risk, lang), kind=translate(f"kind.{view.kind}", lang)
        ),
        "followup": translate("headline.followup", lang, event=event) if event else None,
        "rows": alert_rows(view, lang),
        "reasons_label": translate("label.reasons", lang),
        "reasons": [describe_reason(code, lang) for code in view.reasons],
        "footer": translate("footer", lang),
        "lang": lang,
        "sep": "：" if lang == "zh" else ": ",
    }


def render_alert(view: AlertView, lang: str = "zh") -> Message:
    """Render one alert (or a follow-up on it) with Confirm / Dismiss / Escalate buttons."""
    check_language(lang)
    context = _alert_context(view, lang)
    subject = _subject(view, lang)
    return Message(
        subject=subject,
        text=_render("alert.txt.j2", subject=subject, **context),
        html=_render("alert.html.j2", subject=subject, **context),
        alert_ids=(view.alert_id,),
        buttons=True,
        lang=lang,
        chat_html=_render("alert.chat.j2", **context),
        markdown=_render("alert.md.j2", **context),
    )


def _digest_line(view: AlertView, lang: str) -> dict[str, Any]:
    details = [view.applicant or "", view.applicant_country or "", view.office or view.show or view.source]
    if view.opposition_deadline:
        deadline = view.opposition_deadline.isoformat()
        if view.days_left is not None:
            deadline += f" ({_days_left_text(view.days_left, lang)})"
        details.append(f"{translate('label.deadline', lang)} {deadline}")
    if view.hall or view.booth:
        details.append(_hall_booth(view.hall, view.booth, lang))
    return {
        "icon": RISK_ICONS.get(view.risk, ""),
        "risk": _risk_label(view.risk, lang),
        "alert_id": view.alert_id,
        "mark": view.mark,
        "enterprise": view.enterprise_name_zh if lang == "zh" else view.enterprise_name_en,
        "details": " · ".join(part for part in details if part),
        "url": view.url,
    }


def _sorted_views(views: Sequence[AlertView]) -> list[AlertView]:
    return sorted(
        views,
        key=lambda view: (
            RISK_ORDER.get(view.risk, len(RISK_ORDER)),
            view.days_left if view.days_left is not None else 10**6,
            view.alert_id,
        ),
    )


def digest_workbook(views: Sequence[AlertView], lang: str = "zh") -> bytes:
    """An XLSX workbook with one row per alert and a column for every field a message shows."""
    check_language(lang)
    label = functools.partial(_label, lang=lang)
    headers = [
        label("alert"), label("risk"), label("score"), label("enterprise"), label("mark"), label("variant"),
        label("kind"), label("record"), label("applicant"), label("country"), label("office"), label("show"),
        label("source"), label("classes"), label("filing_date"), label("publication_date"), label("deadline"),
        label("days_left"), label("hall"), label("booth"), label("link"), label("reasons"), label("status"),
    ]  # fmt: skip
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a fresh Workbook always has one sheet
    sheet.title = "alerts" if lang == "en" else "预警"
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for view in _sorted_views(views):
        append_row(  # text cells stay text, never formulas (issue 8)
            sheet,
            [
                view.alert_id, _risk_label(view.risk, lang), round(view.score, 4), _enterprise_text(view, lang),
                view.mark, view.variant, translate(f"kind.{view.kind}", lang), view.record_text, view.applicant,
                view.applicant_country, view.office, view.show, view.source,
                ", ".join(str(number) for number in view.classes), view.filing_date, view.publication_date,
                view.opposition_deadline, view.days_left, view.hall, view.booth, view.url,
                "; ".join(describe_reason(code, lang) for code in view.reasons),
                translate(f"status.{view.status}", lang),
            ]
        )  # fmt: skip
        if view.url:
            link_cell = sheet.cell(row=sheet.max_row, column=headers.index(label("link")) + 1)
            link_cell.hyperlink = view.url
    for index, column_cells in enumerate(sheet.columns, start=1):
        width = max(len(str(cell.value)) if cell.value is not None else 0 for cell in column_cells)
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 60)
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def render_digest(views: Sequence[AlertView], lang: str = "zh", *, title: str | None = None) -> Message:
    """Render several alerts as one digest, highest risk first, with the full list as an XLSX attachment."""
    check_language(lang)
    ordered = _sorted_views(views)
    high = sum(1 for view in ordered if view.risk == "high")
    subject = title or translate("digest.title", lang, n=len(ordered), high=high)
    filename = f"alertbot-digest-{datetime.now(tz=LOCAL_TIMEZONE).date().isoformat()}.xlsx"
    attachments = (Attachment(filename, digest_workbook(ordered, lang), XLSX_MIMETYPE),) if ordered else ()
    context: dict[str, Any] = {
        "subject": subject,
        "lines": [_digest_line(view, lang) for view in ordered],
        "empty": translate("digest.empty", lang),
        "attachment_note": translate("digest.attachment", lang, filename=filename) if attachments else None,
        "footer": translate("footer", lang),
        "lang": lang,
    }
    return Message(
        subject=subject,
        text=_render("digest.txt.j2", **context),
        html=_render("digest.html.j2", **context),
        alert_ids=tuple(view.alert_id for view in ordered),
        buttons=False,
        attachments=attachments,
        lang=lang,
        chat_html=_render("digest.chat.j2", **context),
        markdown=_render("digest.md.j2", **context),
    )


def render_notice(subject: str, body: str, lang: str = "zh") -> Message:
    """A plain note for staff (a delivery failed, an alert was escalated, a serial filer appeared).

    Notices quote errors, so they pass through the redaction layer: no configured secret is ever sent."""
    check_language(lang)
    subject, body = redact(subject), redact(body)
    escaped_body = html.escape(body)
    footer = translate("footer", lang)
    return Message(
        subject=subject,
        text=f"{subject}\n\n{body}\n\n-- \n{footer}\n",
        html=(
            f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{html.escape(subject)}'
            f'</title></head><body><h2>{html.escape(subject)}</h2><p style="white-space:pre-wrap">'
            f'{escaped_body}</p><hr><p style="color:#888;font-size:smaller">{html.escape(footer)}</p>'
            "</body></html>\n"
        ),
        alert_ids=(),
        buttons=False,
        lang=lang,
        chat_html=f"<b>{html.escape(subject)}</b>\n\n{escaped_body}\n",
        markdown=f"### {markdown_text(subject)}\n\n{markdown_block(body)}\n\n> {markdown_text(footer)}\n",
    )
