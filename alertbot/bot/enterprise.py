"""Enterprise commands: /mywatch (its own entries only) and /settings (risk, instant or daily digest, channels)."""

from __future__ import annotations

import re

from sqlmodel import col, select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from alertbot.bot.auth import ALL_ROLES, Caller, Context, require_role, session_factory_of
from alertbot.bot.members import update_subscriber
from alertbot.bot.replies import BadInput, clean_input, esc, reply, reply_paged, t
from alertbot.db import transaction
from alertbot.models import Enterprise, Risk, Role, Subscriber
from alertbot.notify.render import translate

_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


def enterprise_lines(enterprise: Enterprise, lang: str) -> list[str]:
    """An entry as a few lines: names, marks, classes, affiliates."""
    none = translate("bot.none", lang)
    return [
        f"<b>{esc(enterprise.id)}</b> {esc(enterprise.name_zh)} {esc(enterprise.name_en)}".rstrip(),
        t("bot.watch.marks", lang, marks=" | ".join(enterprise.marks) or none),
        t("bot.watch.classes", lang, classes=",".join(map(str, enterprise.classes)) or none),
        t("bot.watch.affiliates", lang, affiliates=" | ".join(enterprise.affiliates) or none),
    ]


@require_role(Role.ENTERPRISE)
async def mywatch_command(update: Update, context: Context, caller: Caller) -> None:
    """``/mywatch``: the caller's own watchlist entries, marks, classes and affiliates."""
    with session_factory_of(context)() as session:
        rows = session.exec(
            select(Enterprise)
            .where(col(Enterprise.id).in_(sorted(caller.enterprise_ids)))
            .order_by(col(Enterprise.id))
        ).all()
    lines: list[str] = []
    for enterprise in rows:
        lines += [*enterprise_lines(enterprise, caller.language), ""]
    if not lines:
        await reply(update, t("bot.mywatch.none", caller.language))
        return
    await reply_paged(update, context, t("bot.mywatch.title", caller.language), lines)


def _settings_text(subscriber: Subscriber, lang: str) -> str:
    channels = ", ".join(f"{esc(k)}: {esc(v)}" for k, v in sorted(subscriber.channels.items())) or translate(
        "bot.none", lang
    )
    mode = translate(f"bot.settings.mode.{subscriber.digest}", lang)
    return "\n".join(
        [
            t("bot.settings.title", lang),
            t("bot.settings.risk", lang, risk=translate(f"risk.{subscriber.min_risk}", lang)),
            t("bot.settings.mode", lang, mode=mode, time=subscriber.digest_time),
            t("bot.settings.channels", lang) + " " + channels,
            t("bot.settings.usage", lang),
        ]
    )


def _settings_keyboard(lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    translate(f"risk.{risk.value}", lang), callback_data=f"set:risk:{risk.value}"
                )
                for risk in Risk
            ],
            [
                InlineKeyboardButton(
                    translate("bot.settings.mode.instant", lang), callback_data="set:digest:instant"
                ),
                InlineKeyboardButton(
                    translate("bot.settings.mode.daily", lang), callback_data="set:digest:daily"
                ),
            ],
        ]
    )


def parse_setting(args: list[str], subscriber: Subscriber) -> dict[str, object]:
    """``time HH:MM``, ``email ADDRESS|off``, ``telegram on|off``, ``risk low|medium|high``,
    ``mode instant|daily`` as column changes, or :class:`BadInput`."""
    if len(args) != 2:
        raise BadInput("bot.settings.usage")
    key, value = args[0].lower(), clean_input(args[1], field=args[0][:20])
    channels = dict(subscriber.channels)
    if key == "time":
        if not _TIME.match(value):
            raise BadInput("bot.err.time", value=value)
        hours, minutes = value.split(":")
        return {"digest_time": f"{int(hours):02d}:{minutes}"}
    if key == "risk" and value in {r.value for r in Risk}:
        return {"min_risk": value}
    if key == "mode" and value in ("instant", "daily"):
        return {"digest": value}
    if key == "email":
        if value == "off":
            channels.pop("email", None)
        elif _EMAIL.match(value):
            channels["email"] = value
        else:
            raise BadInput("bot.err.email", value=value)
        return {"channels": channels}
    if key == "telegram" and value in ("on", "off"):
        if value == "off":
            channels.pop("telegram", None)
        elif subscriber.telegram_user_id is not None:
            channels["telegram"] = str(subscriber.telegram_user_id)
        return {"channels": channels}
    raise BadInput("bot.settings.usage")


@require_role(*ALL_ROLES)
async def settings_command(update: Update, context: Context, caller: Caller) -> None:
    """``/settings``: show the caller's alert preferences with buttons; ``/settings KEY VALUE`` changes one."""
    lang = caller.language
    factory = session_factory_of(context)
    args = list(context.args or [])
    if args:
        try:
            with transaction(factory) as session:
                subscriber = session.get(Subscriber, caller.subscriber_id)
                assert subscriber is not None
                changes = parse_setting(args, subscriber)
                update_subscriber(
                    session, caller.subscriber_id, changes, actor=caller.actor, action="user.settings"
                )
        except BadInput as error:
            await reply(update, error.text(lang))
            return
    with factory() as session:
        subscriber = session.get(Subscriber, caller.subscriber_id)
        assert subscriber is not None
        text = _settings_text(subscriber, lang)
    await reply(update, text, _settings_keyboard(lang))


@require_role(*ALL_ROLES)
async def on_settings_button(update: Update, context: Context, caller: Caller) -> None:
    """``set:risk:high`` / ``set:digest:daily``: change the caller's own preference (audit-logged)."""
    query = update.callback_query
    assert query is not None
    parts = (query.data or "").split(":")
    lang = caller.language
    allowed = {"risk": {r.value for r in Risk}, "digest": {"instant", "daily"}}
    if len(parts) != 3 or parts[2] not in allowed.get(parts[1], set()):
        await query.answer(translate("bot.refused.unavailable", lang), show_alert=True)
        return
    column = "min_risk" if parts[1] == "risk" else "digest"
    factory = session_factory_of(context)
    with transaction(factory) as session:
        update_subscriber(
            session, caller.subscriber_id, {column: parts[2]}, actor=caller.actor, action="user.settings"
        )
        subscriber = session.get(Subscriber, caller.subscriber_id)
        assert subscriber is not None
        text = _settings_text(subscriber, lang)
    await query.answer(translate("bot.settings.saved", lang))
    try:
        await query.edit_message_text(text, parse_mode="HTML", reply_markup=_settings_keyboard(lang))
    except Exception as error:  # an unchanged message ("not modified") is not a failure
        if "not modified" not in str(error).lower():
            raise
