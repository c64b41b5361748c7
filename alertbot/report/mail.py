"""The monthly report e-mail: queued as ``report`` rows in the outbox, rendered by the dispatcher when due.

The dispatcher (``alertbot.outbox``) calls :func:`report_message` for a ``report`` row: the report is built
then, in the subscriber's language, with the XLSX attached and the charts inline (``cid:`` images in the
HTML part). Rendering at send time keeps the outbox row small and a retried send identical in shape.
"""

from __future__ import annotations

import html
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from alertbot.db import SessionFactory, transaction
from alertbot.models import Delivery, Role, Subscriber
from alertbot.notify.base import Attachment, Message
from alertbot.report.labels import label
from alertbot.report.period import Period, period_of
from alertbot.settings import Settings

REPORT_KIND = "report"
# Channels that carry e-mail: SMTP, and the file channel that writes the same MIME message as .eml.
REPORT_CHANNELS = ("email", "file")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class InlineImage(Attachment):
    """An image shown inside the HTML body (``<img src="cid:…">``) rather than attached;
    :func:`alertbot.notify.email.build_email` puts it in a ``multipart/related`` part with this Content-ID."""

    content_id: str = ""


def dedupe_key(period: Period) -> str:
    """The outbox key prefix of a period's report e-mail (``|<subscriber>|<channel>`` follows)."""
    return f"report:{period.label}"


def queue_report_mail(settings: Settings, period: Period, *, factory: SessionFactory) -> int:
    """One ``report`` delivery per active staff subscriber and e-mail channel; returns the rows added."""
    prefix = dedupe_key(period)
    added = 0
    with transaction(factory) as session:
        staff = session.exec(
            select(Subscriber)
            .where(Subscriber.active == True, col(Subscriber.role) == Role.STAFF.value)  # noqa: E712
            .order_by(col(Subscriber.id))
        ).all()
        existing = set(
            session.exec(select(Delivery.dedupe_key).where(col(Delivery.dedupe_key).startswith(prefix + "|")))
        )
        for subscriber in staff:
            for channel, target in sorted(subscriber.channels.items()):
                key = f"{prefix}|{subscriber.id}|{channel}"
                if channel not in REPORT_CHANNELS or key in existing:
                    continue
                try:
                    # A scheduler on another host may queue the same period at the same moment: the unique
                    # dedupe key lets exactly one row in, and this one steps aside.
                    with session.begin_nested():
                        session.add(
                            Delivery(
                                dedupe_key=key,
                                subscriber_id=subscriber.id,
                                channel=channel,
                                target=target,
                                kind=REPORT_KIND,
                                payload={"period": period.label},
                            )
                        )
                except IntegrityError:
                    continue
                added += 1
    return added


def _html(
    title: str, summary: tuple[tuple[str, str], ...], intro: str, cids: list[tuple[str, str]], lang: str
) -> str:
    rows = "".join(
        f'<tr><td style="padding:2px 12px 2px 0">{html.escape(name)}</td>'
        f'<td style="text-align:right"><b>{html.escape(value)}</b></td></tr>'
        for name, value in summary
    )
    images = "".join(
        f'<p><img src="cid:{html.escape(cid)}" alt="{html.escape(alt)}" style="max-width:100%"></p>'
        for cid, alt in cids
    )
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"</head><body><h2>{html.escape(title)}</h2><table>{rows}</table><p>{html.escape(intro)}</p>{images}"
        f'<hr><p style="color:#888;font-size:smaller">{html.escape(label("mail.footer", lang))}</p>'
        "</body></html>"
    )


def report_message(session: Session, settings: Settings, payload: Mapping[str, Any], lang: str) -> Message:
    """The report e-mail of the period in ``payload``: summary in the body, XLSX attached, charts inline."""
    from alertbot.report import build_report

    period = period_of(str(payload.get("period") or ""))
    enterprise_id = payload.get("enterprise_id")
    with tempfile.TemporaryDirectory(prefix="alertbot-report-") as tmp:
        files, _ = build_report(
            session,
            settings,
            period=period,
            enterprise_id=str(enterprise_id) if enterprise_id else None,
            lang=lang,
            formats=("xlsx",),
            out_dir=Path(tmp),
        )
        assert files.xlsx is not None
        workbook = Attachment(files.xlsx.name, files.xlsx.read_bytes(), XLSX_MIMETYPE)
        images = [
            InlineImage(chart.name, chart.read_bytes(), "image/png", content_id=f"{chart.stem}@alertbot")
            for chart in files.charts
        ]
    subject = label("mail.subject", lang, period=period.label)
    intro = label("mail.intro", lang, period=period.label, filename=workbook.filename)
    text_lines = [files.title, "", *(f"{name}: {value}" for name, value in files.summary), "", intro]
    text = "\n".join(text_lines) + f"\n\n-- \n{label('mail.footer', lang)}\n"
    cids = [(image.content_id, image.filename) for image in images]
    return Message(
        subject=subject,
        text=text,
        html=_html(files.title, files.summary, intro, cids, lang),
        alert_ids=(),
        buttons=False,
        attachments=(workbook, *images),
        lang=lang,
        chat_html=f"<b>{html.escape(subject)}</b>\n\n{html.escape(intro)}\n",
        markdown=f"**{subject}**\n\n{intro}\n",
    )
