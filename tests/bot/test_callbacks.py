"""The alert buttons through the real python-telegram-bot Application talking HTTP to the Bot API stand-in:
role checks (an enterprise may only act on its own alerts), the lifecycle transition with the Telegram user
as the audit actor, and the edited message showing the new status in the subscriber's language."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from pydantic import SecretStr
from sqlmodel import select
from telegram import Update
from telegram.ext import Application

from alertbot import db
from alertbot.bot.app import build_application, handlers
from alertbot.bot.auth import require_role
from alertbot.models import Alert, AuditLog, Delivery, Role
from alertbot.settings import Settings
from tests.notify.botapi_standin import BotApiStandIn
from tests.support.seed import add_alerts, add_enterprise, add_subscriber, make_records
from tests.support.waiting import wait_until

STAFF_USER, ACME_USER, OTHER_USER, STRANGER = 501, 502, 503, 599


@pytest.fixture
def botapi() -> Iterator[BotApiStandIn]:
    with BotApiStandIn() as api:
        yield api


@pytest.fixture
def factory(settings: Settings) -> Iterator[db.SessionFactory]:
    url = settings.resolved_database_url()
    db.upgrade(url)
    factory = db.session_factory(settings)
    add_enterprise(factory)
    add_enterprise(factory, "other", "OTHERCO")
    add_subscriber(
        factory,
        name="centre",
        role=Role.STAFF.value,
        telegram_user_id=STAFF_USER,
        channels={"telegram": "501"},
    )
    add_subscriber(
        factory,
        name="acme-ip",
        role=Role.ENTERPRISE.value,
        enterprise_id="acme",
        language="en",
        telegram_user_id=ACME_USER,
        channels={"telegram": "502"},
    )
    add_subscriber(
        factory,
        name="other-ip",
        role=Role.ENTERPRISE.value,
        enterprise_id="other",
        telegram_user_id=OTHER_USER,
    )
    yield factory
    db.engine_for(url).dispose()


@pytest.fixture
async def application(
    settings: Settings, factory: db.SessionFactory, botapi: BotApiStandIn
) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    bot_settings = settings.model_copy(
        update={"telegram_token": SecretStr(botapi.token), "telegram_base_url": botapi.base_url}
    )
    app = build_application(bot_settings, factory)
    async with app:
        yield app


def button_press(user_id: int, data: str, *, update_id: int = 1, message_id: int = 1001) -> dict[str, Any]:
    """A callback_query update as Telegram sends it when ``user_id`` presses a button."""
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cb-{update_id}",
            "from": {"id": user_id, "is_bot": False, "first_name": f"user{user_id}"},
            "chat_instance": "ci-1",
            "data": data,
            "message": {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": user_id, "type": "private", "first_name": f"user{user_id}"},
                "text": "alert card",
            },
        },
    }


async def press(app: Application, user_id: int, data: str) -> None:  # type: ignore[type-arg]
    await app.process_update(Update.de_json(button_press(user_id, data), app.bot))


def status_of(factory: db.SessionFactory, alert_id: int) -> str:
    with factory() as session:
        alert = session.get(Alert, alert_id)
        assert alert is not None
        return alert.status


def audit(factory: db.SessionFactory) -> list[tuple[str, str, str]]:
    with factory() as session:
        rows = session.exec(
            select(AuditLog).where(AuditLog.entity_type == "alert").order_by(AuditLog.id)
        ).all()  # type: ignore[arg-type]
        return [(row.entity_id, row.actor, row.action) for row in rows]


@pytest.mark.slow
async def test_a_button_pressed_in_telegram_confirms_through_polling(
    factory: db.SessionFactory,
    application: Application,
    botapi: BotApiStandIn,  # type: ignore[type-arg]
) -> None:
    [alert_id] = add_alerts(factory, make_records(1))
    botapi.push_update(button_press(ACME_USER, f"alert:confirm:{alert_id}"))
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(timeout=1, poll_interval=0.0)
    try:
        await wait_until(lambda: bool(botapi.calls("editMessageText")), 10, "the message edit")
    finally:
        await application.updater.stop()
        await application.stop()
    assert status_of(factory, alert_id) == "confirmed"
    assert audit(factory) == [(str(alert_id), f"telegram:{ACME_USER}:acme-ip", "alert.confirm")]
    [answer] = botapi.calls("answerCallbackQuery")
    assert answer.params["text"] == "confirmed"
    [edit] = botapi.calls("editMessageText")
    assert (edit.params["chat_id"], edit.params["message_id"]) == (str(ACME_USER), "1001")
    assert "<b>Status:</b> confirmed" in edit.params["text"]
    assert "ACME Machinery" in edit.params["text"]  # English card for an English subscriber
    buttons = edit.json_param("reply_markup")["inline_keyboard"][0]
    assert [(b["text"], b["callback_data"]) for b in buttons] == [
        ("Dismiss", f"alert:dismiss:{alert_id}"),
        ("Escalate", f"alert:escalate:{alert_id}"),
    ]


async def test_an_enterprise_cannot_act_on_another_enterprises_alert(
    factory: db.SessionFactory,
    application: Application,
    botapi: BotApiStandIn,  # type: ignore[type-arg]
) -> None:
    [alert_id] = add_alerts(factory, make_records(1))
    await press(application, OTHER_USER, f"alert:dismiss:{alert_id}")
    await press(application, STRANGER, f"alert:dismiss:{alert_id}")
    assert status_of(factory, alert_id) == "new"
    assert audit(factory) == []
    refusals = botapi.calls("answerCallbackQuery")
    assert [r.params["show_alert"] for r in refusals] == ["true", "true"]
    assert refusals[0].params["text"] == "该项不存在或您无权查看。"  # the other enterprise reads Chinese
    assert "not registered" in refusals[1].params["text"]
    assert botapi.calls("editMessageText") == []


async def test_staff_escalate_then_dismiss_with_notes_and_chinese_cards(
    factory: db.SessionFactory,
    application: Application,
    botapi: BotApiStandIn,  # type: ignore[type-arg]
) -> None:
    [alert_id] = add_alerts(factory, make_records(1))
    await press(application, STAFF_USER, f"alert:escalate:{alert_id}")
    assert status_of(factory, alert_id) == "escalated"
    with factory() as session:
        notes = session.exec(select(Delivery).where(Delivery.kind == "notice")).all()
    assert [(n.channel, n.target) for n in notes] == [("telegram", "501")]
    assert f"telegram:{STAFF_USER}:centre" in notes[0].payload["body"]
    first_edit = botapi.calls("editMessageText")[0]
    assert "<b>状态：</b> 已上报" in first_edit.params["text"]
    assert [b["text"] for b in first_edit.json_param("reply_markup")["inline_keyboard"][0]] == [
        "确认",
        "忽略",
    ]

    await press(application, STAFF_USER, f"alert:dismiss:{alert_id}")
    assert status_of(factory, alert_id) == "dismissed"
    last_edit = botapi.calls("editMessageText")[-1]
    assert "<b>状态：</b> 已忽略" in last_edit.params["text"]
    assert "reply_markup" not in last_edit.params  # nothing left to do
    # Pressing a stale button afterwards is refused with the reason, and changes nothing.
    await press(application, STAFF_USER, f"alert:confirm:{alert_id}")
    assert status_of(factory, alert_id) == "dismissed"
    assert "已忽略" in botapi.calls("answerCallbackQuery")[-1].params["text"]  # why, in her language
    assert [a[2] for a in audit(factory)] == ["alert.escalate", "alert.dismiss"]


async def test_the_handlers_come_from_one_list_and_the_role_decorator_needs_roles() -> None:
    assert len(handlers()) >= 1
    with pytest.raises(ValueError, match="at least one role"):
        require_role()


def refusals_logged(factory: db.SessionFactory) -> list[tuple[str, str, str]]:
    with factory() as session:
        rows = session.exec(
            select(AuditLog).where(AuditLog.action == "bot.refused").order_by(AuditLog.id)  # type: ignore[arg-type]
        ).all()
        return [(row.actor, row.entity_type, row.entity_id) for row in rows]


@pytest.fixture
def any_factory(any_settings: Settings) -> Iterator[db.SessionFactory]:
    """The seeded database of ``factory``, on SQLite and on PostgreSQL."""
    url = any_settings.resolved_database_url()
    db.upgrade(url)
    factory = db.session_factory(any_settings)
    add_enterprise(factory)
    add_enterprise(factory, "other", "OTHERCO")
    add_subscriber(
        factory, name="acme-ip", role="enterprise", enterprise_id="acme", telegram_user_id=ACME_USER
    )
    add_subscriber(
        factory, name="other-ip", role="enterprise", enterprise_id="other", telegram_user_id=OTHER_USER
    )
    yield factory
    db.engine_for(url).dispose()


@pytest.fixture
async def any_application(
    any_settings: Settings, any_factory: db.SessionFactory, botapi: BotApiStandIn
) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    bot_settings = any_settings.model_copy(
        update={"telegram_token": SecretStr(botapi.token), "telegram_base_url": botapi.base_url}
    )
    app = build_application(bot_settings, any_factory)
    async with app:
        yield app


async def test_missing_and_foreign_alerts_get_the_same_answer_and_every_refusal_is_audited(
    any_factory: db.SessionFactory,
    any_application: Application,  # type: ignore[type-arg]
    botapi: BotApiStandIn,
) -> None:
    """Issue 8 item 14: no id oracle, no OverflowError, no unanswered press; each refusal in the audit log."""
    [alert_id] = add_alerts(any_factory, make_records(1))
    forged = [
        f"alert:confirm:{alert_id}",  # another enterprise's alert
        f"alert:confirm:{alert_id + 1000}",  # no such alert
        "alert:confirm:99999999999999999999",  # too big for a 64-bit id
        "alert:confirm:-1",
        "alert:confirm:0",
        "alert:burn:1",
        "alert:",
    ]
    for data in forged:
        await press(any_application, OTHER_USER, data)
    answers = botapi.calls("answerCallbackQuery")
    assert len(answers) == len(forged), "every press is answered"
    assert {a.params["text"] for a in answers} == {"该项不存在或您无权查看。"}
    assert all(a.params["show_alert"] == "true" for a in answers)
    assert status_of(any_factory, alert_id) == "new"
    assert refusals_logged(any_factory) == [
        (f"telegram:{OTHER_USER}:other-ip", "callback", d) for d in forged
    ]
    # The owner's press of the same button still works.
    await press(any_application, ACME_USER, f"alert:confirm:{alert_id}")
    assert status_of(any_factory, alert_id) == "confirmed"


async def test_any_other_button_is_answered_and_audited(
    any_factory: db.SessionFactory,
    any_application: Application,  # type: ignore[type-arg]
    botapi: BotApiStandIn,
) -> None:
    await press(any_application, ACME_USER, "something:else")
    await press(any_application, STRANGER, "flow:ok:deadbeef")
    answers = botapi.calls("answerCallbackQuery")
    assert len(answers) == 2
    assert answers[0].params["text"] == "该项不存在或您无权查看。"
    assert "not registered" in answers[1].params["text"]
    assert [entry[2] for entry in refusals_logged(any_factory)] == ["something:else", "flow:ok:deadbeef"]
