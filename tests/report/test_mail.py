"""The monthly report e-mail through the real outbox and a real SMTP server (aiosmtpd on loopback): XLSX
attached, charts inline, one per staff mailbox, retried when the server is down, never sent twice."""

from __future__ import annotations

import io
import random
from email.message import EmailMessage

from openpyxl import load_workbook
from sqlmodel import col, select, update

from alertbot import db
from alertbot.models import Delivery, Role, Subscriber, utcnow
from alertbot.notify.email import EmailChannel
from alertbot.outbox import Dispatcher, DispatchStats, RetryPolicy
from alertbot.report import queue_monthly_report
from alertbot.settings import Settings
from tests.support.smtp import SmtpRecorder, free_port

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _subscribers(settings: Settings) -> None:
    with db.transaction(db.session_factory(settings)) as session:
        session.add_all(
            [
                Subscriber(
                    name="中心 staff",
                    role=Role.STAFF.value,
                    channels={"email": "staff@centre.example", "telegram": "1001"},
                ),
                Subscriber(
                    name="English staff",
                    role=Role.STAFF.value,
                    language="en",
                    channels={"email": "en@centre.example"},
                ),
                Subscriber(
                    name="gone",
                    role=Role.STAFF.value,
                    active=False,
                    channels={"email": "gone@centre.example"},
                ),
                Subscriber(
                    name="acme",
                    role=Role.ENTERPRISE.value,
                    enterprise_id="acme",
                    channels={"email": "ip@acme.example"},
                ),
            ]
        )


async def _drain(settings: Settings, port: int, *, once: bool = False) -> DispatchStats:
    channel = EmailChannel("127.0.0.1", port=port, tls="none", sender="alertbot@centre.example", timeout=5)
    dispatcher = Dispatcher(
        settings,
        channels={"email": channel},
        policy=RetryPolicy(base=0.01, cap=0.05),
        rng=random.Random(3),
    )
    try:
        return await (dispatcher.dispatch_once(100) if once else dispatcher.drain(100))
    finally:
        await channel.aclose()


def _inline_images(message: EmailMessage) -> dict[str, EmailMessage]:
    return {
        str(part["Content-ID"]).strip("<>"): part
        for part in message.walk()
        if isinstance(part, EmailMessage) and part["Content-ID"]
    }


async def test_monthly_report_mail_has_the_xlsx_attached_and_the_charts_inline(
    settings: Settings, seeded
) -> None:
    _subscribers(settings)
    assert queue_monthly_report(settings, "2026-10") == 2  # active staff e-mail addresses only
    assert queue_monthly_report(settings, "2026-10") == 0, "queuing the same period again adds nothing"
    with SmtpRecorder() as smtp:
        stats = await _drain(settings, smtp.port)
        assert stats.sent == 2
        again = await _drain(settings, smtp.port)
        assert again.claimed == 0
        messages = list(smtp.messages)
        envelopes = list(smtp.envelopes)
    assert sorted(rcpts[0] for _, rcpts in envelopes) == ["en@centre.example", "staff@centre.example"]
    by_to = {str(m["To"]): m for m in messages}
    zh, en = by_to["staff@centre.example"], by_to["en@centre.example"]
    assert zh["Subject"] == "alertbot 月度报告 2026-10"
    assert en["Subject"] == "alertbot monthly report 2026-10"
    for message, sheet, raised in [(zh, "汇总", "新增预警"), (en, "Summary", "Alerts raised")]:
        attachments = list(message.iter_attachments())
        assert [(a.get_filename(), a.get_content_type()) for a in attachments] == [
            ("alertbot-report-2026-10.xlsx", XLSX)
        ]
        payload = attachments[0].get_content()
        workbook = load_workbook(io.BytesIO(payload))
        figures = {
            row[0]: row[1]
            for row in workbook[sheet].iter_rows(min_row=4, max_col=2, values_only=True)
            if row[0]
        }
        assert figures[raised] == 11
        html = message.get_body(preferencelist=("html",))
        assert html is not None
        images = _inline_images(message)
        assert len(images) == 4
        html_text = html.get_content()
        for cid, part in images.items():
            assert part.get_content_type() == "image/png"
            assert part.get_content_disposition() == "inline"
            assert part.get_content()[:8] == b"\x89PNG\r\n\x1a\n"
            assert f'src="cid:{cid}"' in html_text
        text = message.get_body(preferencelist=("plain",))
        assert text is not None
        assert f"{raised}: 11" in text.get_content()
    with db.session_factory(settings)() as session:
        rows = session.exec(select(Delivery).where(Delivery.kind == "report")).all()
    assert {row.status for row in rows} == {"sent"}


async def test_a_report_mail_is_retried_when_smtp_is_down_and_sent_once(settings: Settings, seeded) -> None:
    _subscribers(settings)
    assert queue_monthly_report(settings, "2026-10") == 2
    port = free_port()
    down = await _drain(settings, port, once=True)  # nothing listens: a transient failure
    assert down.sent == 0
    assert down.retried == 2
    factory = db.session_factory(settings)
    with db.transaction(factory) as session:
        session.exec(update(Delivery).where(col(Delivery.kind) == "report").values(next_attempt_at=utcnow()))
    with SmtpRecorder(port) as smtp:
        up = await _drain(settings, port)
        assert up.sent == 2
        assert (await _drain(settings, port)).claimed == 0
        assert len(smtp.messages) == 2
    with factory() as session:
        rows = session.exec(select(Delivery).where(Delivery.kind == "report")).all()
    assert [(row.status, row.attempts) for row in rows] == [("sent", 2), ("sent", 2)]


def test_two_schedulers_queuing_the_same_month_at_once_queue_it_once(any_settings: Settings) -> None:
    import threading

    db.upgrade(any_settings.resolved_database_url())
    _staff = [
        Subscriber(name=f"staff {i}", role=Role.STAFF.value, channels={"email": f"s{i}@centre.example"})
        for i in range(5)
    ]
    with db.transaction(db.session_factory(any_settings)) as session:
        session.add_all(_staff)
    barrier = threading.Barrier(3)
    added: list[int] = []
    errors: list[BaseException] = []

    def queue() -> None:
        barrier.wait()
        try:
            added.append(queue_monthly_report(any_settings, "2026-10"))
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=queue) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with db.session_factory(any_settings)() as session:
        keys = session.exec(select(Delivery.dedupe_key).where(Delivery.kind == "report")).all()
    assert len(keys) == len(set(keys)) == 5
    assert sum(added) == 5
