"""The Confirm / Dismiss / Escalate buttons under an alert (``alert:<action>:<id>``)."""

from __future__ import annotations

import datetime as dt
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from alertbot.bot.auth import REFUSALS, Caller, Context, refuse, require_role, session_factory_of
from alertbot.db import transaction
from alertbot.lifecycle import (
    AlertNotFound,
    TransitionError,
    alert_view,
    allowed_actions,
    local_today,
    transition,
)
from alertbot.models import Alert, Role
from alertbot.notify.render import render_alert, translate
from alertbot.notify.telegram import MESSAGE_LIMIT, callback_data, parse_callback_data, telegram_length
from alertbot.settings import Settings

log = logging.getLogger(__name__)

CALLBACK_PATTERN = r"^alert:(confirm|dismiss|escalate):\d+$"


def triage_keyboard(alert_id: int, status: str, lang: str) -> InlineKeyboardMarkup | None:
    """Buttons for the actions still possible from ``status`` (none once dismissed)."""
    actions = allowed_actions(status)
    if not actions:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    translate(f"button.{action.value}", lang),
                    callback_data=callback_data(action.value, alert_id),
                )
                for action in actions
            ]
        ]
    )


def _today(context: Context) -> dt.date:
    settings = context.bot_data.get("settings")
    return local_today(settings.timezone if isinstance(settings, Settings) else "Asia/Shanghai")


@require_role(Role.STAFF, Role.ENTERPRISE)
async def on_alert_button(update: Update, context: Context, caller: Caller) -> None:
    """Apply the pressed action to the alert (audit-logged as this Telegram user) and show the new status."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    parsed = parse_callback_data(query.data)
    if parsed is None:
        await query.answer()
        return
    action, alert_id = parsed
    lang = caller.language
    factory = session_factory_of(context)
    with factory() as session:
        alert = session.get(Alert, alert_id)
        owner = alert.enterprise_id if alert is not None else None
    if owner is not None and not caller.may_act_on(owner):
        log.warning("%s tried to %s alert %s of %s", caller.actor, action, alert_id, owner)
        await refuse(update, REFUSALS[lang])
        return
    try:
        with transaction(factory) as session:
            result = transition(session, alert_id, action, actor=caller.actor)
            alert = session.get(Alert, alert_id)
            assert alert is not None  # transition() raised AlertNotFound otherwise
            view = alert_view(session, alert, _today(context))
    except (AlertNotFound, TransitionError) as error:
        await query.answer(str(error), show_alert=True)
        return
    status_text = translate(f"status.{view.status}", lang)
    await query.answer(status_text if result.changed else f"= {status_text}")
    keyboard = triage_keyboard(alert_id, view.status, lang)
    text = render_alert(view, lang).chat_html
    try:
        if telegram_length(text) <= MESSAGE_LIMIT:
            await query.edit_message_text(
                text,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        else:
            # A split alert has its buttons on the last part; rewriting that part with the whole card would
            # garble it, so only the buttons change (the status is in the pop-up answer).
            await query.edit_message_reply_markup(reply_markup=keyboard)
    except BadRequest as error:
        if "not modified" not in error.message.lower():
            raise
