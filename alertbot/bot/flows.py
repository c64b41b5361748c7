"""Conversation state: a step waiting for the user's next message, and proposals waiting for Confirm.

A flow (``/watch add``, ``/mark add``, ``/import`` …) asks for input with :func:`expect`, then shows what it
would do with :func:`propose`: a summary and Confirm / Cancel buttons. Nothing changes before Confirm.
Both kinds of state live in the user's own ``user_data``, so a forged ``flow:ok:<token>`` from someone
else finds nothing. The step and the action are role-checked handlers themselves (the one decorator), so the
role is checked again when the user answers or confirms. ``/cancel`` or the Cancel button drops both.
State is in memory: a restart of the bot forgets unfinished flows (the user starts again).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from alertbot.bot.auth import ALL_ROLES, Caller, Context, Handler, require_role
from alertbot.bot.replies import reply, t

MAX_PROPOSALS = 10


@dataclass(frozen=True)
class Proposal:
    """A change shown to the user, applied by ``action(update, context, payload)`` on Confirm."""

    action: Handler
    payload: Any


@dataclass(frozen=True)
class Step:
    """A handler waiting for the user's next text message: ``handler(update, context, payload)``."""

    handler: Handler
    payload: Any


def _data(context: Context) -> dict[Any, Any]:
    if context.user_data is None:
        raise RuntimeError("flows need per-user data (a private chat with a user)")
    return context.user_data


def expect(context: Context, handler: Handler, payload: Any = None) -> None:
    """Route the user's next plain text message to ``handler``."""
    _data(context)["step"] = Step(handler, payload)


async def propose(
    update: Update, context: Context, caller: Caller, summary: str, action: Handler, payload: Any
) -> None:
    """Show ``summary`` with Confirm / Cancel; ``action`` runs only on Confirm."""
    proposals: dict[str, Proposal] = _data(context).setdefault("proposals", {})
    while len(proposals) >= MAX_PROPOSALS:
        proposals.pop(next(iter(proposals)))
    token = secrets.token_hex(6)
    proposals[token] = Proposal(action, payload)
    lang = caller.language
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t("bot.button.confirm", lang), callback_data=f"flow:ok:{token}"),
                InlineKeyboardButton(t("bot.button.cancel", lang), callback_data=f"flow:no:{token}"),
            ]
        ]
    )
    await reply(update, summary, keyboard)


def cancel_all(context: Context) -> bool:
    """Drop the waiting step and every open proposal; True when there was something to cancel."""
    data = _data(context)
    had = bool(data.pop("step", None)) | bool(data.pop("proposals", None))
    return had


async def _drop_buttons(update: Update) -> None:
    query = update.callback_query
    if query is None:
        return
    try:
        await query.edit_message_reply_markup(reply_markup=None)
    except BadRequest as error:
        if "not modified" not in error.message.lower():
            raise


@require_role(*ALL_ROLES)
async def on_decision(update: Update, context: Context, caller: Caller) -> None:
    """Confirm or Cancel under a proposal (``flow:ok:<token>`` / ``flow:no:<token>``)."""
    query = update.callback_query
    assert query is not None
    parts = (query.data or "").split(":")
    token = parts[2] if len(parts) == 3 else ""
    proposal = _data(context).get("proposals", {}).pop(token, None)
    lang = caller.language
    if proposal is None:
        await query.answer(t("bot.flow.expired", lang), show_alert=True)
        return
    await _drop_buttons(update)
    if parts[1] != "ok":
        _data(context).pop("step", None)
        await query.answer(t("bot.flow.cancelled", lang))
        await reply(update, t("bot.flow.cancelled", lang))
        return
    await query.answer(t("bot.flow.working", lang))
    await proposal.action(update, context, proposal.payload)


@require_role(*ALL_ROLES)
async def on_text(update: Update, context: Context, caller: Caller) -> None:
    """A plain message: the answer to a waiting step, or a hint to use the commands."""
    step = _data(context).pop("step", None)
    if not isinstance(step, Step):
        await reply(update, t("bot.hint", caller.language))
        return
    await step.handler(update, context, step.payload)
