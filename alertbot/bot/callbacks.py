"""The triage buttons under an alert (``alert:<action>:<id>``), ``/alerts [n]``, and the answer to any other
button press: every press is answered, and a refused one is audit-logged.

A missing alert, another enterprise's alert and malformed data (``alert:confirm:-1``, an id too big for the
database) all get the SAME answer, so the answers tell nobody which alert ids exist.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

from sqlmodel import col, select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from alertbot.bot.auth import ALL_ROLES, Caller, Context, require_role, session_factory_of
from alertbot.bot.replies import BadInput, reply, show_page, t
from alertbot.db import SessionFactory, transaction
from alertbot.lifecycle import (
    AlertNotFound,
    TransitionError,
    alert_view,
    allowed_actions,
    local_today,
    transition,
)
from alertbot.models import Alert, Record, Role
from alertbot.notify.render import render_alert, translate
from alertbot.notify.telegram import MESSAGE_LIMIT, button_label, callback_data, telegram_length
from alertbot.settings import Settings

log = logging.getLogger(__name__)

CALLBACK_PATTERN = r"^alert:"
"""Every ``alert:`` press reaches the handler, malformed ones too, so each is answered and audited."""
_VALID = re.compile(r"^alert:(confirm|dismiss|escalate):([1-9][0-9]{0,17})$")
"""At most 18 digits: every id fits a 64-bit integer (SQLite raises OverflowError beyond)."""
MAX_ALERTS_LISTED = 20


def _parse(data: str | None) -> tuple[str, int] | None:
    found = _VALID.match(data or "")
    return (found.group(1), int(found.group(2))) if found else None


def _alert_owner(factory: SessionFactory, alert_id: int) -> tuple[str, bool] | None:
    with factory() as session:
        alert = session.get(Alert, alert_id)
        if alert is None:
            return None
        record = session.get(Record, alert.record_id)
        return alert.enterprise_id, record is not None and record.kind == "exhibitor"


def owns_pressed_alert(factory: SessionFactory, update: Update, caller: Caller) -> bool:
    """The pressed alert exists and the caller may triage it (malformed data: no)."""
    query = update.callback_query
    parsed = _parse(query.data if query is not None else None)
    if parsed is None:
        return False
    owner = _alert_owner(factory, parsed[1])
    return owner is not None and caller.may_act_on(owner[0], exhibitor=owner[1])


def triage_keyboard(
    alert_id: int, status: str, lang: str, *, on_site: bool = False
) -> InlineKeyboardMarkup | None:
    """Buttons for the actions still possible from ``status`` (none once dismissed); ``on_site`` words them
    for enforcement teams at an expo (action taken / not found / escalate)."""
    actions = allowed_actions(status)
    if not actions:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    button_label(action.value, lang, on_site=on_site),
                    callback_data=callback_data(action.value, alert_id),
                )
                for action in actions
            ]
        ]
    )


def _today(context: Context) -> dt.date:
    settings = context.bot_data.get("settings")
    return local_today(settings.timezone if isinstance(settings, Settings) else "Asia/Shanghai")


@require_role(*ALL_ROLES, owns=owns_pressed_alert)
async def on_alert_button(update: Update, context: Context, caller: Caller) -> None:
    """Apply the pressed action to the alert (audit-logged as this Telegram user) and show the new status."""
    query = update.callback_query
    parsed = _parse(query.data if query is not None else None)
    assert query is not None  # owns_pressed_alert checked the query and its data
    assert parsed is not None
    action, alert_id = parsed
    lang = caller.language
    factory = session_factory_of(context)
    try:
        with transaction(factory) as session:
            result = transition(session, alert_id, action, actor=caller.actor)
            alert = session.get(Alert, alert_id)
            assert alert is not None  # transition() raised AlertNotFound otherwise
            view = alert_view(session, alert, _today(context))
    except AlertNotFound:
        await query.answer(translate("bot.refused.unavailable", lang), show_alert=True)
        return
    except TransitionError:
        status = translate(f"status.{_current_status(factory, alert_id)}", lang)
        await query.answer(t("bot.alert.not_now", lang, status=status, action=action), show_alert=True)
        return
    status_text = translate(f"status.{view.status}", lang)
    await query.answer(status_text if result.changed else f"= {status_text}")
    on_site = caller.role == Role.ENFORCEMENT
    keyboard = triage_keyboard(alert_id, view.status, lang, on_site=on_site)
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


def _current_status(factory: SessionFactory, alert_id: int) -> str:
    with factory() as session:
        alert = session.get(Alert, alert_id)
        return alert.status if alert is not None else "new"


@require_role(*ALL_ROLES)
async def on_page_button(update: Update, context: Context, caller: Caller) -> None:
    """◀ / ▶ under a paged list."""
    try:
        await show_page(update, context, caller.language)
    except BadRequest as error:
        if "not modified" not in error.message.lower():
            raise


def _refuse_everything(factory: SessionFactory, update: Update, caller: Caller) -> bool:
    return False


@require_role(*ALL_ROLES, owns=_refuse_everything)
async def on_unknown_button(update: Update, context: Context, caller: Caller) -> None:
    """Any press no other handler takes: the decorator answers it ("not available") and audit-logs it."""


def _count(argument: str) -> int:
    if not argument:
        return 5
    if not argument.isdigit() or not 1 <= int(argument[:3]) <= MAX_ALERTS_LISTED:
        raise BadInput("bot.err.count", limit=MAX_ALERTS_LISTED)
    return int(argument)


@require_role(Role.STAFF, Role.ENTERPRISE, Role.ENFORCEMENT)
async def alerts_command(update: Update, context: Context, caller: Caller) -> None:
    """``/alerts [n]``: the caller's n most recent alerts (default 5), each with its triage buttons.

    An enterprise sees only its own; enforcement teams see exhibitor alerts; staff see all.
    """
    lang = caller.language
    try:
        count = _count(" ".join(context.args or []).strip())
    except BadInput as error:
        await reply(update, error.text(lang))
        return
    factory = session_factory_of(context)
    with factory() as session:
        query = select(Alert).order_by(col(Alert.created_at).desc(), col(Alert.id).desc())
        if caller.role == Role.ENTERPRISE:
            query = query.where(col(Alert.enterprise_id).in_(sorted(caller.enterprise_ids)))
        if caller.role == Role.ENFORCEMENT:
            query = query.join(Record, col(Record.id) == col(Alert.record_id)).where(
                Record.kind == "exhibitor"
            )
        alerts = session.exec(query.limit(count)).all()
        cards = [
            (alert.id or 0, alert.status, render_alert(alert_view(session, alert, _today(context)), lang))
            for alert in alerts
        ]
    if not cards:
        await reply(update, t("bot.alerts.none", lang))
        return
    await reply(update, t("bot.alerts.header", lang, n=len(cards)))
    on_site = caller.role == Role.ENFORCEMENT
    for alert_id, status, message in cards:
        await reply(update, message.chat_html, triage_keyboard(alert_id, status, lang, on_site=on_site))
