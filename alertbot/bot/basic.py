"""Commands for everyone: /start [CODE], /help, /lang zh|en, /whoami, /cancel."""

from __future__ import annotations

import logging

from sqlmodel import col, select
from telegram import Update

from alertbot.bot.auth import (
    ALL_ROLES,
    UNKNOWN_USER,
    Caller,
    Context,
    audit_refusal,
    require_role,
    session_factory_of,
    unknown_actor,
)
from alertbot.bot.flows import cancel_all
from alertbot.bot.members import MembershipError, redeem_invite, update_subscriber
from alertbot.bot.menus import commands_for, set_user_menu
from alertbot.bot.replies import esc, reply, t
from alertbot.db import SessionFactory, transaction
from alertbot.models import AuditLog, Enterprise, Role
from alertbot.notify.render import translate

log = logging.getLogger(__name__)


def help_text(role: Role | None, lang: str) -> str:
    """The caller's commands, one a line, with what each does."""
    lines = [t("bot.help.title", lang, role=translate(f"bot.role.{role.value}", lang) if role else "-")]
    lines += [f"/{name} — {esc(translate(f'bot.cmd.{name}', lang))}" for name in commands_for(role)]
    return "\n".join(lines)


def _language_of(update: Update) -> str:
    code = update.effective_user.language_code if update.effective_user else None
    return "en" if code and not code.lower().startswith("zh") else "zh"


WELCOMED = ("user.join", "user.welcome")
"""Audit actions after which a member has been greeted by the bot: joining with a code, or a first /start."""


def _first_greeting(factory: SessionFactory, caller: Caller) -> bool:
    """True (and remembered, audit-logged) the first time the bot greets a member who did not join through
    it; a member who joined with ``/start CODE`` was greeted then."""
    with transaction(factory) as session:
        greeted = session.exec(
            select(AuditLog.id)
            .where(
                col(AuditLog.entity_type) == "subscriber",
                col(AuditLog.entity_id) == str(caller.subscriber_id),
                col(AuditLog.action).in_(WELCOMED),
            )
            .limit(1)
        ).first()
        if greeted is not None:
            return False
        session.add(
            AuditLog(
                actor=caller.actor,
                action="user.welcome",
                entity_type="subscriber",
                entity_id=str(caller.subscriber_id),
                note="first /start",
            )
        )
    return True


@require_role(*ALL_ROLES, unregistered=True)
async def start_command(update: Update, context: Context, caller: Caller | None) -> None:
    """``/start``: a member gets the welcome and their commands; ``/start CODE`` joins with an invite; anyone
    else a polite refusal in both languages."""
    code = (context.args or [""])[0] if context.args else ""
    if caller is not None:
        if code:
            await reply(update, t("bot.start.already", caller.language))
            return
        lang = caller.language
        if _first_greeting(session_factory_of(context), caller):
            # Added from the CLI (`alertbot users add-staff`): this is their first word with the bot.
            greeting = t("bot.start.joined", lang, role=translate(f"bot.role.{caller.role.value}", lang))
        else:
            greeting = t("bot.start.welcome", lang)
        await reply(update, greeting + "\n\n" + help_text(caller.role, lang))
        return
    user = update.effective_user
    chat = update.effective_chat
    if not code or user is None or chat is None:
        await reply(update, esc(UNKNOWN_USER))
        return
    lang = _language_of(update)
    factory = session_factory_of(context)
    try:
        with transaction(factory) as session:
            subscriber = redeem_invite(
                session,
                code,
                telegram_user_id=user.id,
                chat_id=chat.id,
                name=user.full_name or user.username or "",
                language=lang,
            )
            role = Role(subscriber.role)
    except MembershipError as error:
        audit_refusal(factory, update, unknown_actor(update), "invite refused")
        await reply(update, esc(error.text("zh")) + "\n" + esc(error.text("en")))
        return
    await set_user_menu(context.bot, chat.id, role, lang)
    await reply(
        update,
        t("bot.start.joined", lang, role=translate(f"bot.role.{role.value}", lang))
        + "\n\n"
        + help_text(role, lang),
    )


@require_role(*ALL_ROLES)
async def help_command(update: Update, context: Context, caller: Caller) -> None:
    """``/help``: the caller's commands."""
    await reply(update, help_text(caller.role, caller.language))


@require_role(*ALL_ROLES)
async def lang_command(update: Update, context: Context, caller: Caller) -> None:
    """``/lang zh|en``: the language of replies, alerts and the command menu for this user."""
    wanted = (context.args or [""])[0].lower() if context.args else ""
    if wanted not in ("zh", "en"):
        await reply(update, t("bot.lang.usage", caller.language))
        return
    with transaction(session_factory_of(context)) as session:
        update_subscriber(
            session, caller.subscriber_id, {"language": wanted}, actor=caller.actor, action="user.language"
        )
    if update.effective_chat is not None:
        await set_user_menu(context.bot, update.effective_chat.id, caller.role, wanted)
    await reply(update, t("bot.lang.set", wanted))


@require_role(*ALL_ROLES)
async def whoami_command(update: Update, context: Context, caller: Caller) -> None:
    """``/whoami``: role, and for an enterprise user its enterprise ids and names."""
    lang = caller.language
    lines = [
        t("bot.whoami.name", lang, name=caller.name, id=caller.telegram_user_id),
        t("bot.whoami.role", lang, role=translate(f"bot.role.{caller.role.value}", lang)),
    ]
    if caller.enterprise_ids:
        with session_factory_of(context)() as session:
            rows = session.exec(
                select(Enterprise).where(col(Enterprise.id).in_(sorted(caller.enterprise_ids)))
            ).all()
        for enterprise in sorted(rows, key=lambda e: e.id):
            name = (
                (enterprise.name_zh or enterprise.name_en)
                if lang == "zh"
                else (enterprise.name_en or enterprise.name_zh)
            )
            lines.append(t("bot.whoami.enterprise", lang, id=enterprise.id, name=name))
    await reply(update, "\n".join(lines))


@require_role(*ALL_ROLES)
async def cancel_command(update: Update, context: Context, caller: Caller) -> None:
    """``/cancel``: drop the conversation in progress (nothing it prepared is applied)."""
    key = "bot.flow.cancelled" if cancel_all(context) else "bot.flow.nothing"
    await reply(update, t(key, caller.language))
