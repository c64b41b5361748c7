"""Which commands each role has, as Telegram command menus (``set_my_commands`` per user's chat) and /help."""

from __future__ import annotations

import logging

from sqlmodel import select
from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError

from alertbot.db import SessionFactory
from alertbot.models import Role, Subscriber
from alertbot.notify.render import translate

log = logging.getLogger(__name__)

EVERYONE = ("start", "help", "lang", "whoami", "cancel")
ENTERPRISE = ("mywatch", "alerts", "settings", "report")
ENFORCEMENT = ("check", "flagged", "booth", "expo", "alerts", "settings")
STAFF = (
    "watch",
    "mark",
    "affiliate",
    "import",
    "export",
    "users",
    "invite",
    "role",
    "revoke",
    "sources",
    "crawl",
    "schedule",
    "expo",
    "stats",
    "audit",
    "report",
    "alerts",
    "check",
    "flagged",
    "booth",
    "settings",
)
ROLE_COMMANDS: dict[Role, tuple[str, ...]] = {
    Role.ENTERPRISE: ENTERPRISE,
    Role.ENFORCEMENT: ENFORCEMENT,
    Role.STAFF: STAFF,
}


def commands_for(role: Role | None) -> list[str]:
    """The commands a role has, in menu order (``None``: a user who is not registered: /start only)."""
    if role is None:
        return ["start"]
    return list(dict.fromkeys((*ROLE_COMMANDS[role], *EVERYONE)))


def menu(role: Role | None, lang: str) -> list[BotCommand]:
    """The command menu of a role in ``lang``."""
    return [BotCommand(name, translate(f"bot.cmd.{name}", lang)[:256]) for name in commands_for(role)]


async def set_user_menu(bot: Bot, chat_id: int, role: Role | None, lang: str) -> None:
    """Show this user's role menu in their chat (``None``: the default, /start only)."""
    scope = BotCommandScopeChat(chat_id)
    if role is None:
        await bot.delete_my_commands(scope=scope)
        return
    await bot.set_my_commands(menu(role, lang), scope=scope)


async def set_command_menus(bot: Bot, session_factory: SessionFactory) -> int:
    """Set the default menu (/start only, both languages) and each active user's role menu in their chat.

    ``alertbot bot`` and ``alertbot run`` call this at start; returns how many user menus were set.
    """
    await bot.set_my_commands(menu(None, "zh"), scope=BotCommandScopeDefault())
    await bot.set_my_commands(menu(None, "en"), scope=BotCommandScopeDefault(), language_code="en")
    with session_factory() as session:
        users = session.exec(
            select(Subscriber).where(
                Subscriber.active == True,  # noqa: E712
                Subscriber.telegram_user_id != None,  # noqa: E711
            )
        ).all()
        wanted = [(int(u.telegram_user_id or 0), Role(u.role), u.language) for u in users]
    done = 0
    for chat_id, role, lang in wanted:
        try:
            await set_user_menu(bot, chat_id, role, lang if lang in ("zh", "en") else "zh")
            done += 1
        except TelegramError as error:
            # A user who never opened the chat (or blocked the bot) has no chat to scope a menu to.
            log.warning("could not set the command menu of chat %s: %s", chat_id, error)
    return done
