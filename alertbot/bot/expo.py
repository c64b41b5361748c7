"""On-site commands: /flagged [HALL], /booth CODE, /expo (and staff's /expo set-url EDITION URL).

They read the expo data through :mod:`alertbot.expo` (``load_editions``, ``flagged_booths``,
``exhibitors_at_booth``, ``edition_status``). "The current show" is the edition whose dates are nearest:
running, else the next one, else the latest past one.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from telegram import Update

from alertbot.bot.auth import Caller, Context, require_role, session_factory_of
from alertbot.bot.replies import BadInput, clean_input, esc, reply, reply_paged, t
from alertbot.models import Role
from alertbot.settings import Settings

BOOTH = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,31}$")
URL = re.compile(r"^https?://[^\s<>\"']{3,500}$")


def _settings(context: Context) -> Settings:
    settings = context.bot_data.get("settings")
    return settings if isinstance(settings, Settings) else Settings()


def _today(context: Context) -> dt.date:
    from alertbot.lifecycle import local_today

    return local_today(_settings(context).timezone)


def _expo() -> Any:
    try:
        import alertbot.expo as expo
    except ImportError:
        return None
    needed = ("load_editions", "flagged_booths", "exhibitors_at_booth", "edition_status")
    return expo if all(hasattr(expo, name) for name in needed) else None


def _date(value: Any) -> dt.date | None:
    return value if isinstance(value, dt.date) else None


def current_edition(editions: dict[str, Any], today: dt.date) -> Any:
    """The running edition, else the next, else the latest past one (``None`` when there is none)."""

    def distance(edition: Any) -> tuple[int, int]:
        start = _date(getattr(edition, "start", None) or getattr(edition, "starts", None)) or today
        end = _date(getattr(edition, "end", None) or getattr(edition, "ends", None)) or start
        if start <= today <= end:
            return (0, 0)
        if start > today:
            return (1, (start - today).days)
        return (2, (today - end).days)

    return min(editions.values(), key=distance) if editions else None


def _line(item: Any) -> str:
    if isinstance(item, str):
        return item
    if hasattr(item, "summary_line"):
        return str(item.summary_line())
    fields = item if isinstance(item, dict) else getattr(item, "__dict__", {})
    return " · ".join(
        f"{v}" for k, v in fields.items() if not str(k).startswith("_") and v not in (None, "", ())
    )


@require_role(Role.ENFORCEMENT, Role.STAFF)
async def flagged_command(update: Update, context: Context, caller: Caller) -> None:
    """``/flagged [HALL]``: the current show's flagged booths, grouped by hall, sorted by booth."""
    lang = caller.language
    expo = _expo()
    if expo is None:
        await reply(update, t("bot.expo.unavailable", lang))
        return
    hall = None
    if context.args:
        try:
            hall = clean_input(context.args[0], limit=16, field="HALL").upper()
        except BadInput as error:
            await reply(update, error.text(lang))
            return
    settings = _settings(context)
    edition = current_edition(expo.load_editions(settings), _today(context))
    if edition is None:
        await reply(update, t("bot.expo.none", lang))
        return
    with session_factory_of(context)() as session:
        booths = list(expo.flagged_booths(session, edition, hall=hall))
    lines = [esc(_line(b)) for b in booths]
    title = t("bot.flagged.title", lang, show=getattr(edition, "id", ""), n=len(lines))
    await reply_paged(update, context, title, lines or [t("bot.flagged.none", lang)])


@require_role(Role.ENFORCEMENT, Role.STAFF)
async def booth_command(update: Update, context: Context, caller: Caller) -> None:
    """``/booth E2-A320``: who is at that booth of the current show, and what they matched."""
    lang = caller.language
    args = list(context.args or [])
    if len(args) != 1 or not BOOTH.match(args[0]):
        await reply(update, t("bot.booth.usage", lang))
        return
    expo = _expo()
    if expo is None:
        await reply(update, t("bot.expo.unavailable", lang))
        return
    edition = current_edition(expo.load_editions(_settings(context)), _today(context))
    if edition is None:
        await reply(update, t("bot.expo.none", lang))
        return
    with session_factory_of(context)() as session:
        found = list(expo.exhibitors_at_booth(session, edition, args[0].upper()))
    lines = [esc(_line(item)) for item in found]
    await reply_paged(
        update,
        context,
        t("bot.booth.title", lang, booth=args[0].upper()),
        lines or [t("bot.booth.none", lang)],
    )


@require_role(Role.ENFORCEMENT, Role.STAFF, sub_roles={"set-url": [Role.STAFF]})
async def expo_command(update: Update, context: Context, caller: Caller) -> None:
    """``/expo``: the current editions and their crawl status; ``/expo set-url EDITION URL`` (staff)."""
    lang = caller.language
    args = list(context.args or [])
    if args and args[0].lower() == "set-url":
        await _set_url(update, context, caller, args[1:])
        return
    expo = _expo()
    if expo is None:
        await reply(update, t("bot.expo.unavailable", lang))
        return
    editions = expo.load_editions(_settings(context))
    with session_factory_of(context)() as session:
        lines = [esc(_line(expo.edition_status(session, edition))) for edition in editions.values()]
    await reply_paged(
        update, context, t("bot.expo.title", lang, n=len(lines)), lines or [t("bot.expo.none", lang)]
    )


async def _set_url(update: Update, context: Context, caller: Caller, args: list[str]) -> None:
    lang = caller.language
    if len(args) != 2:
        await reply(update, t("bot.expo.set_url_usage", lang))
        return
    try:
        edition = clean_input(args[0], limit=64, field="EDITION")
        url = clean_input(args[1], limit=500, field="URL")
        if not URL.match(url):
            raise BadInput("bot.err.url", url=url)
    except BadInput as error:
        await reply(update, error.text(lang))
        return
    service = context.bot_data.get("service")
    if service is None:
        await reply(update, t("bot.expo.would", lang, edition=edition, url=url))
        return
    try:
        outcome = await service.set_url(edition, url, actor=caller.actor)
    except (ValueError, KeyError, LookupError) as error:
        await reply(update, t("bot.service.refused", lang, reason=str(error)[:300]))
        return
    await reply(update, t("bot.service.done", lang, result=outcome))
