"""Who is pressing: map a Telegram user to a subscriber and check the role, in ONE decorator.

Handlers get their database sessions from the factory the application stores in
``context.bot_data["session_factory"]`` (see :func:`alertbot.bot.app.build_application`), never from a global.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from sqlmodel import select
from telegram import Update
from telegram.ext import ContextTypes

from alertbot.db import SessionFactory
from alertbot.models import Role, Subscriber

Context = ContextTypes.DEFAULT_TYPE
Handler = Callable[[Update, Context], Coroutine[Any, Any, None]]
RoleHandler = Callable[[Update, Context, "Caller"], Coroutine[Any, Any, None]]

REFUSALS: dict[str, str] = {
    "zh": "无权执行此操作。",
    "en": "You are not allowed to do this.",
}
UNKNOWN_USER = (
    "未登记的用户，请联系中心工作人员。 Unknown user: please ask the centre's staff to register you."
)


@dataclass(frozen=True)
class Caller:
    """The subscriber behind a Telegram user, as the handlers need it."""

    subscriber_id: int
    name: str
    role: Role
    enterprise_id: str | None
    language: str
    telegram_user_id: int

    @property
    def actor(self) -> str:
        """How the audit log names this person."""
        return f"telegram:{self.telegram_user_id}:{self.name}"

    def may_act_on(self, enterprise_id: str) -> bool:
        """Staff act on every alert; an enterprise only on its own."""
        return self.role == Role.STAFF or (
            self.role == Role.ENTERPRISE and self.enterprise_id == enterprise_id
        )


def session_factory_of(context: Context) -> SessionFactory:
    """The session factory the application was built with."""
    factory = context.bot_data.get("session_factory")
    if factory is None:
        raise RuntimeError("bot_data['session_factory'] is missing: build the bot with build_application()")
    return factory


def find_caller(factory: SessionFactory, telegram_user_id: int) -> Caller | None:
    """The active subscriber registered with this Telegram user id, if any."""
    with factory() as session:
        subscriber = session.exec(
            select(Subscriber).where(
                Subscriber.telegram_user_id == telegram_user_id,
                Subscriber.active == True,  # noqa: E712
            )
        ).first()
    if subscriber is None or subscriber.id is None:
        return None
    return Caller(
        subscriber_id=subscriber.id,
        name=subscriber.name,
        role=Role(subscriber.role),
        enterprise_id=subscriber.enterprise_id,
        language=subscriber.language if subscriber.language in REFUSALS else "zh",
        telegram_user_id=telegram_user_id,
    )


async def refuse(update: Update, text: str) -> None:
    """Tell the user no: as a pop-up on a button press, as a reply to a message."""
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text)


def require_role(*roles: Role | str) -> Callable[[RoleHandler], Handler]:
    """Let the handler run only for a registered, active subscriber with one of ``roles``; it receives the
    :class:`Caller` as a third argument. Everyone else gets a refusal and nothing happens."""
    allowed = frozenset(Role(role) for role in roles)
    if not allowed:
        raise ValueError("require_role needs at least one role")

    def decorate(handler: RoleHandler) -> Handler:
        @functools.wraps(handler)
        async def guarded(update: Update, context: Context) -> None:
            user = update.effective_user
            caller = find_caller(session_factory_of(context), user.id) if user is not None else None
            if caller is None:
                await refuse(update, UNKNOWN_USER)
                return
            if caller.role not in allowed:
                await refuse(update, REFUSALS[caller.language])
                return
            await handler(update, context, caller)

        return guarded

    return decorate
