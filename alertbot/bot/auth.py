"""Who is calling, and may they: role AND ownership checks for every handler and callback, in ONE decorator.

Handlers get their database sessions from the factory the application stores in
``context.bot_data["session_factory"]`` (see :func:`alertbot.bot.app.build_application`), never from a global.
Every refusal is answered (a pop-up for a button, a reply for a message) and audit-logged with the caller.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import ContextTypes

from alertbot.db import SessionFactory, transaction
from alertbot.models import AuditLog, Role
from alertbot.notify.render import translate

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE
Handler = Callable[..., Coroutine[Any, Any, None]]
RoleHandler = Callable[..., Coroutine[Any, Any, None]]
OwnershipCheck = Callable[[SessionFactory, Update, "Caller"], bool]
"""True when the caller may act on what the update names (an alert id in callback data, ...). A missing
resource and another enterprise's resource must both answer False: the refusal is the same, so ids leak
nothing."""

LANGUAGES = ("zh", "en")
ALL_ROLES = (Role.STAFF, Role.ENFORCEMENT, Role.ENTERPRISE)
REFUSALS: dict[str, str] = {lang: translate("bot.refused.role", lang) for lang in LANGUAGES}
UNKNOWN_USER = translate("bot.refused.unknown", "zh") + "\n" + translate("bot.refused.unknown", "en")


@dataclass(frozen=True)
class Caller:
    """The subscriber behind a Telegram user, as the handlers need it."""

    subscriber_id: int
    name: str
    role: Role
    enterprise_ids: frozenset[str]
    language: str
    telegram_user_id: int

    @property
    def actor(self) -> str:
        """How the audit log names this person."""
        return f"telegram:{self.telegram_user_id}:{self.name}"

    @property
    def enterprise_id(self) -> str | None:
        """The first enterprise (for one-enterprise users, the enterprise)."""
        return min(self.enterprise_ids) if self.enterprise_ids else None

    def may_act_on(self, enterprise_id: str, *, exhibitor: bool = False) -> bool:
        """Staff act on every alert; an enterprise only on its own; enforcement on exhibitor alerts."""
        if self.role == Role.STAFF:
            return True
        if self.role == Role.ENFORCEMENT:
            return exhibitor
        return enterprise_id in self.enterprise_ids


def session_factory_of(context: Context) -> SessionFactory:
    """The session factory the application was built with."""
    factory = context.bot_data.get("session_factory")
    if factory is None:
        raise RuntimeError("bot_data['session_factory'] is missing: build the bot with build_application()")
    return factory


def find_caller(factory: SessionFactory, telegram_user_id: int) -> Caller | None:
    """The active subscriber registered with this Telegram user id, if any."""
    from alertbot.bot.members import by_telegram_id

    with factory() as session:
        subscriber = by_telegram_id(session, telegram_user_id)
        if subscriber is None or subscriber.id is None:
            return None
        return Caller(
            subscriber_id=subscriber.id,
            name=subscriber.name,
            role=Role(subscriber.role),
            enterprise_ids=subscriber.linked_enterprises(),
            language=subscriber.language if subscriber.language in LANGUAGES else "zh",
            telegram_user_id=telegram_user_id,
        )


def what_was_asked(update: Update) -> tuple[str, str]:
    """``("callback", data)`` or ``("command", "/name")`` or ``("message", kind)``, cut for the audit log."""
    if update.callback_query is not None:
        return "callback", (update.callback_query.data or "")[:64]
    message = update.effective_message
    if message is not None and message.text and message.text.startswith("/"):
        return "command", message.text.split()[0][:64]
    if message is not None and message.document is not None:
        return "message", "document"
    return "message", "text"


def audit_refusal(factory: SessionFactory, update: Update, actor: str, reason: str) -> None:
    """Record a refused command or button press (who, what, why)."""
    kind, target = what_was_asked(update)
    try:
        with transaction(factory) as session:
            session.add(
                AuditLog(
                    actor=actor, action="bot.refused", entity_type=kind, entity_id=target, note=reason[:200]
                )
            )
    except Exception:
        log.exception("could not audit-log a refusal of %s %s by %s", kind, target, actor)


async def refuse(update: Update, text: str) -> None:
    """Tell the user no: as a pop-up on a button press, as a reply to a message."""
    if update.callback_query is not None:
        await update.callback_query.answer(text[:200], show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text)


def unknown_actor(update: Update) -> str:
    """How the audit log names a Telegram user who is not registered."""
    user = update.effective_user
    return f"telegram:{user.id}:unregistered" if user is not None else "telegram:unknown"


def _first_argument(update: Update) -> str:
    message = update.effective_message
    if message is None or not message.text:
        return ""
    parts = message.text.split(maxsplit=2)
    return parts[1].lower() if len(parts) > 1 else ""


def require_role(
    *roles: Role | str,
    sub_roles: Mapping[str, Iterable[Role | str]] | None = None,
    owns: OwnershipCheck | None = None,
    unregistered: bool = False,
) -> Callable[[RoleHandler], Handler]:
    """Let the handler run only for a registered, active subscriber with one of ``roles``; it receives the
    :class:`Caller` as a third argument (further arguments are passed through).

    ``sub_roles`` narrows a sub-command (``{"set-url": [Role.STAFF]}`` for ``/expo set-url``); ``owns`` checks
    that the caller may act on what the update names. ``unregistered=True`` (``/start`` only) lets a Telegram
    user who is not registered through with ``None`` as the caller. Everyone else gets a refusal, audit-logged, and nothing
    happens.
    """
    allowed = frozenset(Role(role) for role in roles)
    if not allowed:
        raise ValueError("require_role needs at least one role")
    narrowed = {name: frozenset(Role(r) for r in rs) for name, rs in (sub_roles or {}).items()}

    def decorate(handler: RoleHandler) -> Handler:
        @functools.wraps(handler)
        async def guarded(update: Update, context: Context, *args: Any) -> None:
            factory = session_factory_of(context)
            user = update.effective_user
            caller = find_caller(factory, user.id) if user is not None else None
            if caller is None and unregistered:
                await handler(update, context, None, *args)
                return
            if caller is None:
                audit_refusal(factory, update, unknown_actor(update), "unregistered user")
                await refuse(update, UNKNOWN_USER)
                return
            needed = narrowed.get(_first_argument(update), allowed)
            if caller.role not in needed:
                audit_refusal(factory, update, caller.actor, f"role {caller.role.value}")
                await refuse(update, REFUSALS[caller.language])
                return
            if owns is not None and not owns(factory, update, caller):
                audit_refusal(factory, update, caller.actor, "missing or not the caller's")
                await refuse(update, translate("bot.refused.unavailable", caller.language))
                return
            await handler(update, context, caller, *args)

        return guarded

    return decorate
