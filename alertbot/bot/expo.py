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
from alertbot.notify.render import translate
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


def _pick(lang: str, zh: str, en: str) -> str:
    return (zh or en) if lang == "zh" else (en or zh)


def flagged_lines(booths: list[Any], lang: str) -> list[str]:
    """Flagged booths grouped by hall (a bold hall line), one line a booth: booth, exhibitor, enterprise."""
    lines: list[str] = []
    hall = None
    for booth in booths:
        if booth.hall != hall:
            hall = booth.hall
            lines.append(f"<b>{esc(t('bot.flagged.hall', lang, hall=hall or '?'))}</b>")
        lines.append(
            t(
                "bot.flagged.line",
                lang,
                booth=booth.booth,
                exhibitor=_pick(lang, booth.name_zh, booth.name_en) or booth.name_raw,
                risk=translate(f"risk.{booth.risk}", lang),
                enterprise=_pick(lang, booth.enterprise, booth.enterprise_en),
                id=booth.watch_id,
                mark=booth.mark,
            )
        )
    return lines


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
    edition = current_edition(expo.load_editions(_settings(context)), _today(context))
    if edition is None:
        await reply(update, t("bot.expo.none", lang))
        return
    with session_factory_of(context)() as session:
        booths = list(expo.flagged_booths(session, edition.id, hall))
    title = t("bot.flagged.title", lang, show=_pick(lang, edition.show.zh, edition.show.en), n=len(booths))
    await reply_paged(update, context, title, flagged_lines(booths, lang) or [t("bot.flagged.none", lang)])


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
    booth = args[0].upper()
    edition = current_edition(expo.load_editions(_settings(context)), _today(context))
    with session_factory_of(context)() as session:
        found = list(expo.exhibitors_at_booth(session, booth, edition.id if edition is not None else None))
    lines: list[str] = []
    for item in found:
        exhibitor = item.exhibitor
        lines.append(
            f"<b>{esc(exhibitor.booth)}</b> {esc(_pick(lang, exhibitor.name_zh, exhibitor.name_en) or exhibitor.name_raw)}"
            + (f" ({esc(exhibitor.country)})" if exhibitor.country else "")
        )
        for alert in item.alerts:
            lines.append(
                t(
                    "bot.booth.alert",
                    lang,
                    risk=translate(f"risk.{alert.risk}", lang),
                    enterprise=_pick(lang, alert.enterprise, alert.enterprise_en),
                    id=alert.watch_id,
                    mark=alert.mark,
                )
            )
        if not item.alerts:
            lines.append(t("bot.booth.clean", lang))
    await reply_paged(
        update, context, t("bot.booth.title", lang, booth=booth), lines or [t("bot.booth.none", lang)]
    )


def status_line(status: Any, lang: str) -> str:
    """One edition: name, dates, venue, last crawl, exhibitors and flagged booths."""
    last = (
        f"{status.last_crawl_at:%m-%d %H:%M} {status.last_crawl_status or ''}".strip()
        if status.last_crawl_at
        else translate("bot.expo.never", lang)
    )
    return t(
        "bot.expo.line",
        lang,
        id=status.id,
        show=_pick(lang, status.show, status.show_en),
        starts=status.starts.isoformat(),
        ends=status.ends.isoformat(),
        venue=status.venue,
        last=last,
        exhibitors=status.exhibitors,
        flagged=status.flagged,
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
    with session_factory_of(context)() as session:
        statuses = list(expo.edition_status(session, _settings(context)))
    lines = [status_line(status, lang) for status in statuses]
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
