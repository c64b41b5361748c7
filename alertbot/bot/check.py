"""``/check NAME``: one name (Chinese, pinyin, Latin, a booth sign's text) against the whole watchlist at once.

The compiled matcher is cached in ``bot_data`` with a fingerprint of the watchlist (row count and the latest
``updated_at``); an edit through the bot, an import from the CLI or another process changes the fingerprint
and the next /check rebuilds the index (once, under a lock, off the event loop). The fingerprint itself is
read at most once a second under load.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import select
from telegram import Update

from alertbot.bot.auth import Caller, Context, require_role, session_factory_of
from alertbot.bot.replies import BadInput, clean_input, command_text, reply, t
from alertbot.db import SessionFactory
from alertbot.matching import Candidate, Hit
from alertbot.models import Enterprise, Role
from alertbot.notify.render import describe_reason, translate
from alertbot.watchlist import load_enterprises

MAX_HITS_SHOWN = 5
FINGERPRINT_TTL = 1.0
"""Seconds a watchlist fingerprint is trusted: at most this long before an edit made by another process (a CLI
import) reaches /check. Edits through the bot call :func:`forget_matcher` and count at once."""
_RISK_ORDER = {"high": 0, "medium": 1, "low": 2}


@dataclass(frozen=True)
class CheckResult:
    """What /check found: whose own (or affiliate) name this is, and which enterprises it imitates."""

    own_of: tuple[str, ...]
    affiliate_of: tuple[str, ...]
    hits: tuple[Hit, ...]
    names: dict[str, tuple[str, str]]  # enterprise id -> (name_zh, name_en)


def watchlist_fingerprint(factory: SessionFactory) -> tuple[Any, ...]:
    """Changes whenever a watchlist entry is added, edited or removed."""
    with factory() as session:
        count, latest = session.exec(select(func.count(), func.max(Enterprise.updated_at))).one()
    return (count, str(latest))


def _build(factory: SessionFactory) -> tuple[Any, dict[str, tuple[str, str]]]:
    from alertbot.ingest import build_matcher

    with factory() as session:
        enterprises = load_enterprises(session)
        names = {e.id: (e.name_zh, e.name_en) for e in enterprises}
        return build_matcher(enterprises), names


async def cached_matcher(context: Context) -> tuple[Any, dict[str, tuple[str, str]]]:
    """The compiled matcher for the current watchlist (rebuilt when the fingerprint changed)."""
    factory = session_factory_of(context)
    lock: asyncio.Lock = context.bot_data.setdefault("matcher_lock", asyncio.Lock())
    cached = context.bot_data.get("matcher")
    checked = context.bot_data.get("matcher_checked_at", -FINGERPRINT_TTL)
    if cached is not None and time.monotonic() - checked < FINGERPRINT_TTL:
        return cached[1], cached[2]
    fingerprint = await asyncio.to_thread(watchlist_fingerprint, factory)
    context.bot_data["matcher_checked_at"] = time.monotonic()
    if cached is not None and cached[0] == fingerprint:
        return cached[1], cached[2]
    async with lock:
        cached = context.bot_data.get("matcher")
        if cached is not None and cached[0] == fingerprint:
            return cached[1], cached[2]
        matcher, names = await asyncio.to_thread(_build, factory)
        context.bot_data["matcher"] = (fingerprint, matcher, names)
        return matcher, names


def forget_matcher(context: Context) -> None:
    """Make the next /check look at the watchlist again (after an edit through the bot)."""
    context.bot_data.pop("matcher_checked_at", None)


def check_name(matcher: Any, names: dict[str, tuple[str, str]], name: str) -> CheckResult:
    """Match ``name`` as a mark and as a company name; merge per enterprise, strongest first."""
    party = matcher.check_party(name)
    best: dict[str, Hit] = {}
    for kind in ("trademark", "exhibitor"):
        for hit in matcher.match(Candidate(id="check", kind=kind, text=name)):
            current = best.get(hit.watch_id)
            if current is None or (_RISK_ORDER[hit.risk], -hit.score) < (
                _RISK_ORDER[current.risk],
                -current.score,
            ):
                best[hit.watch_id] = hit
    hits = sorted(best.values(), key=lambda h: (_RISK_ORDER[h.risk], -h.score, h.watch_id))
    return CheckResult(tuple(party.own_of), tuple(party.affiliate_of), tuple(hits), names)


def _name(result: CheckResult, enterprise_id: str, lang: str) -> str:
    zh, en = result.names.get(enterprise_id, ("", ""))
    return (zh or en) if lang == "zh" else (en or zh)


def render_check(name: str, result: CheckResult, lang: str) -> str:
    """A few lines for the show floor: whose name it is, which enterprises it imitates, how and how risky."""
    lines = [t("bot.check.title", lang, name=name)]
    for enterprise_id in result.own_of:
        lines.append(
            t("bot.check.own", lang, id=enterprise_id, enterprise=_name(result, enterprise_id, lang))
        )
    for enterprise_id in result.affiliate_of:
        lines.append(
            t("bot.check.affiliate", lang, id=enterprise_id, enterprise=_name(result, enterprise_id, lang))
        )
    for hit in result.hits[:MAX_HITS_SHOWN]:
        reason = describe_reason(f"variant:{hit.variant}", lang)
        lines.append(
            t(
                "bot.check.hit",
                lang,
                risk=translate(f"risk.{hit.risk}", lang),
                enterprise=_name(result, hit.watch_id, lang),
                id=hit.watch_id,
                mark=hit.mark,
                reason=reason,
            )
        )
    if len(result.hits) > MAX_HITS_SHOWN:
        lines.append(t("bot.check.more", lang, n=len(result.hits) - MAX_HITS_SHOWN))
    if not (result.own_of or result.affiliate_of or result.hits):
        lines.append(t("bot.check.none", lang))
    return "\n".join(lines)


@require_role(Role.ENFORCEMENT, Role.STAFF)
async def check_command(update: Update, context: Context, caller: Caller) -> None:
    """``/check NAME``: which watched enterprises a name belongs to or imitates (mark, risk, reason)."""
    lang = caller.language
    raw = command_text(update)
    if not raw:
        await reply(update, t("bot.check.usage", lang))
        return
    try:
        name = clean_input(raw, field="NAME")
    except BadInput as error:
        await reply(update, error.text(lang))
        return
    matcher, names = await cached_matcher(context)
    result = check_name(matcher, names, name)
    await reply(update, render_check(name, result, lang))
