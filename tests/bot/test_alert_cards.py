"""Alert cards the outbox sends through Telegram: the buttons follow the recipient's role and the record's
kind. An enforcement team gets the on-site words on an exhibitor alert, with the same lifecycle actions the
bot's callbacks apply; everyone else (and every non-exhibitor alert) gets Confirm / Dismiss / Escalate."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from alertbot import db
from alertbot.lifecycle import alert_view, local_today
from alertbot.models import Alert, Role
from alertbot.notify.render import render_alert
from alertbot.notify.telegram import TelegramChannel, parse_callback_data
from alertbot.settings import Settings
from tests.notify.botapi_standin import BotApiStandIn
from tests.support.seed import add_alerts, add_enterprise, add_subscriber, make_records

TEAM, OWNER, STAFF = "7001", "7002", "7003"


@pytest.fixture
def botapi() -> Iterator[BotApiStandIn]:
    with BotApiStandIn() as api:
        yield api


def _seed(settings: Settings) -> tuple[int, int]:
    """acme with one trademark alert and one exhibitor alert; a team, the owner and staff subscribed."""
    db.upgrade(settings.resolved_database_url())
    factory = db.session_factory(settings)
    add_enterprise(factory)
    for target, role, enterprises in (
        (TEAM, Role.ENFORCEMENT, []),
        (OWNER, Role.ENTERPRISE, ["acme"]),
        (STAFF, Role.STAFF, []),
    ):
        add_subscriber(
            factory,
            name=f"{role.value}-{target}",
            role=role.value,
            enterprise_id=enterprises[0] if enterprises else None,
            enterprise_ids=enterprises,
            language="zh",
            telegram_user_id=int(target),
            channels={"telegram": target},
        )
    [trademark] = add_alerts(factory, make_records(1))
    booth = make_records(1, start=1)
    booth[0].kind = "exhibitor"
    [exhibitor] = add_alerts(factory, booth)
    return trademark, exhibitor


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_card_buttons_follow_recipient_role_and_record_kind(
    settings: Settings, botapi: BotApiStandIn, lang: str
) -> None:
    trademark, exhibitor = _seed(settings)
    configured = settings.model_copy(
        update={"telegram_token": SecretStr(botapi.token), "telegram_base_url": botapi.base_url}
    )
    channel = TelegramChannel.from_settings(configured)
    assert channel is not None
    factory = db.session_factory(settings)
    with factory() as session:
        today = local_today(settings.timezone)
        cards = {
            alert_id: render_alert(alert_view(session, session.get(Alert, alert_id), today), lang)  # type: ignore[arg-type]
            for alert_id in (trademark, exhibitor)
        }
    try:
        sends = [(TEAM, exhibitor), (TEAM, trademark), (OWNER, exhibitor), (STAFF, exhibitor)]
        for target, alert_id in sends:
            await channel.send(target, cards[alert_id])
    finally:
        await channel.aclose()

    calls = botapi.calls("sendMessage")
    assert [(call.params["chat_id"], call.params["text"]) for call in calls] == [
        (target, cards[alert_id].chat_html.strip()) for target, alert_id in sends
    ]
    rows = [call.json_param("reply_markup")["inline_keyboard"][0] for call in calls]
    labels = [[button["text"] for button in row] for row in rows]
    on_site = {"zh": ["已现场处置", "未找到", "上报"], "en": ["Action taken", "Not found", "Escalate"]}[lang]
    usual = {"zh": ["确认", "忽略", "上报"], "en": ["Confirm", "Dismiss", "Escalate"]}[lang]
    assert labels == [on_site, usual, usual, usual]
    # The on-site words sit on the same lifecycle actions the bot's callback handler applies.
    actions = [[parse_callback_data(button["callback_data"]) for button in row] for row in rows]
    assert actions[0] == [("confirm", exhibitor), ("dismiss", exhibitor), ("escalate", exhibitor)]
    assert actions[1] == [("confirm", trademark), ("dismiss", trademark), ("escalate", trademark)]
