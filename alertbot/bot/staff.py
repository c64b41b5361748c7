"""Staff commands: /users, /invite, /role, /revoke, /sources, /crawl, /schedule, /stats, /audit, /report.

/crawl and /schedule act through the running service (``bot_data["service"]``, a
:class:`alertbot.service.control.ServiceControl`); under plain ``alertbot bot`` they say what they would do.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import tempfile
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import col, select
from telegram import Update

from alertbot.bot.auth import Caller, Context, require_role, session_factory_of
from alertbot.bot.members import (
    MembershipError,
    create_invite,
    describe_user,
    list_users,
    parse_role,
    revoke,
    set_role,
    split_ids,
)
from alertbot.bot.menus import set_user_menu
from alertbot.bot.replies import BadInput, clean_input, esc, reply, reply_paged, t
from alertbot.db import transaction
from alertbot.models import Alert, AuditLog, Delivery, Enterprise, Record, Role, Subscriber, utcnow
from alertbot.notify.render import translate
from alertbot.settings import Settings

SOURCE_KEY = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
MAX_AUDIT = 50


def _settings(context: Context) -> Settings:
    settings = context.bot_data.get("settings")
    return settings if isinstance(settings, Settings) else Settings()


def _user_id(value: str) -> int:
    if not value.isdigit() or len(value) > 18:
        raise BadInput("bot.err.user_id", value=value[:40])
    return int(value)


@require_role(Role.STAFF)
async def users_command(update: Update, context: Context, caller: Caller) -> None:
    """``/users``: every active user (Telegram id, name, role, enterprises), paged."""
    with session_factory_of(context)() as session:
        lines = [esc(describe_user(s)) for s in list_users(session)]
    await reply_paged(update, context, t("bot.users.title", caller.language, n=len(lines)), lines)


@require_role(Role.STAFF)
async def invite_command(update: Update, context: Context, caller: Caller) -> None:
    """``/invite ROLE [ENTERPRISE_ID ...]``: a one-time code that expires (ALERTBOT_INVITE_TTL_HOURS)."""
    lang = caller.language
    args = list(context.args or [])
    if not args:
        await reply(update, t("bot.invite.usage", lang))
        return
    settings = _settings(context)
    try:
        ids = [clean_input(i, limit=64, field="ENTERPRISE_ID") for i in split_ids(args[1:])]
        with transaction(session_factory_of(context)) as session:
            code, invite = create_invite(
                session, args[0], ids, actor=caller.actor, ttl=dt.timedelta(hours=settings.invite_ttl_hours)
            )
            expires = invite.expires_at
            role = invite.role
    except (MembershipError, BadInput) as error:
        await reply(update, esc(error.text(lang)) if isinstance(error, MembershipError) else error.text(lang))
        return
    username = context.bot.username if context.bot else ""
    await reply(
        update,
        t(
            "bot.invite.made",
            lang,
            role=translate(f"bot.role.{role}", lang),
            enterprises=", ".join(ids) or "-",
            expires=expires.strftime("%Y-%m-%d %H:%M UTC"),
            link=f"https://t.me/{username}?start={code}",
        )
        + f"\n<code>/start {esc(code)}</code>",
    )


@require_role(Role.STAFF)
async def role_command(update: Update, context: Context, caller: Caller) -> None:
    """``/role TELEGRAM_USER_ID ROLE [ENTERPRISE_ID ...]``."""
    lang = caller.language
    args = list(context.args or [])
    if len(args) < 2:
        await reply(update, t("bot.role.usage", lang))
        return
    try:
        user_id = _user_id(args[0])
        role = parse_role(args[1])
        ids = [clean_input(i, limit=64, field="ENTERPRISE_ID") for i in split_ids(args[2:])]
        with transaction(session_factory_of(context)) as session:
            subscriber = set_role(session, user_id, role, ids, actor=caller.actor)
            line, user_lang = describe_user(subscriber), subscriber.language
    except BadInput as error:
        await reply(update, error.text(lang))
        return
    except MembershipError as error:
        await reply(update, esc(error.text(lang)))
        return
    await set_user_menu(context.bot, user_id, role, user_lang)
    await reply(update, t("bot.role.done", lang, user=line))


@require_role(Role.STAFF)
async def revoke_command(update: Update, context: Context, caller: Caller) -> None:
    """``/revoke TELEGRAM_USER_ID``: no more alerts or commands for that user."""
    lang = caller.language
    args = list(context.args or [])
    if len(args) != 1:
        await reply(update, t("bot.revoke.usage", lang))
        return
    try:
        user_id = _user_id(args[0])
        with transaction(session_factory_of(context)) as session:
            line = describe_user(revoke(session, user_id, actor=caller.actor))
    except BadInput as error:
        await reply(update, error.text(lang))
        return
    except MembershipError as error:
        await reply(update, esc(error.text(lang)))
        return
    await set_user_menu(context.bot, user_id, None, lang)
    await reply(update, t("bot.revoke.done", lang, user=line))


@require_role(Role.STAFF)
async def sources_command(update: Update, context: Context, caller: Caller) -> None:
    """``/sources``: each source's last run, counts and errors (from :mod:`alertbot.sources`)."""
    lang = caller.language
    try:
        from alertbot.sources import list_sources
    except ImportError:
        await reply(update, t("bot.sources.unavailable", lang))
        return
    with session_factory_of(context)() as session:
        sources = list_sources(session, utcnow(), tz=_settings(context).timezone)
    lines = [esc(source.summary_line()) for source in sources]
    await reply_paged(
        update, context, t("bot.sources.title", lang, n=len(lines)), lines or [t("bot.none", lang)]
    )


def _service(context: Context) -> Any:
    return context.bot_data.get("service")


def _source_key(value: str) -> str:
    key = clean_input(value, limit=64, field="SOURCE")
    if not SOURCE_KEY.match(key):
        raise BadInput("bot.err.source", value=key)
    return key


@require_role(Role.STAFF)
async def crawl_command(update: Update, context: Context, caller: Caller) -> None:
    """``/crawl SOURCE``: start a crawl now through the service."""
    lang = caller.language
    args = list(context.args or [])
    if len(args) != 1:
        await reply(update, t("bot.crawl.usage", lang))
        return
    try:
        source = _source_key(args[0])
    except BadInput as error:
        await reply(update, error.text(lang))
        return
    service = _service(context)
    if service is None:
        await reply(update, t("bot.crawl.would", lang, source=source))
        return
    try:
        outcome = await service.crawl_now(source, actor=caller.actor)
    except (ValueError, KeyError, LookupError) as error:
        await reply(update, t("bot.service.refused", lang, reason=str(error)[:300]))
        return
    await reply(update, t("bot.service.done", lang, result=outcome))


def _next_run(context: Context, cron: str, lang: str) -> str:
    """When ``cron`` fires next, in the centre's time zone with the weekday, checked by the service's own
    validator (crontab weekdays: 0 and 7 are Sunday), so the bot accepts exactly what the service will."""
    from alertbot.sources import SourceError, next_cron_time

    settings = context.bot_data.get("settings")
    tz = settings.timezone if isinstance(settings, Settings) else "Asia/Shanghai"
    try:
        fire = next_cron_time(cron, utcnow(), tz)
    except SourceError as error:
        reason = str(error).split(": ", 1)[-1] if ": " in str(error) else str(error)
        raise BadInput("bot.err.cron", cron=cron, reason=reason[:200]) from error
    if fire is None:
        return "—"
    local = fire.astimezone(ZoneInfo(tz))
    weekday = translate("bot.weekdays", lang).split(",")[local.weekday()]
    return f"{local:%Y-%m-%d %H:%M} ({weekday})"


@require_role(Role.STAFF)
async def schedule_command(update: Update, context: Context, caller: Caller) -> None:
    """``/schedule SOURCE CRON`` (five fields, e.g. ``0 6 * * *``): change a source's schedule."""
    lang = caller.language
    args = list(context.args or [])
    if len(args) != 6:
        await reply(update, t("bot.schedule.usage", lang))
        return
    try:
        source = _source_key(args[0])
        cron = clean_input(" ".join(args[1:]), limit=100, field="CRON")
        next_run = _next_run(context, cron, lang)
    except BadInput as error:
        await reply(update, error.text(lang))
        return
    service = _service(context)
    if service is None:
        await reply(update, t("bot.schedule.would", lang, source=source, cron=cron, next=next_run))
        return
    try:
        outcome = await service.set_schedule(source, cron, actor=caller.actor)
    except (ValueError, KeyError, LookupError) as error:
        await reply(update, t("bot.service.refused", lang, reason=str(error)[:300]))
        return
    await reply(update, t("bot.service.done", lang, result=outcome))


@require_role(Role.STAFF)
async def stats_command(update: Update, context: Context, caller: Caller) -> None:
    """``/stats``: watchlist, records, alerts by status and risk, outbox, users."""
    lang = caller.language
    with session_factory_of(context)() as session:

        def count(model: Any, *where: Any) -> int:
            return int(session.exec(select(func.count()).select_from(model).where(*where)).one())

        week = utcnow() - dt.timedelta(days=7)
        by_status = dict(session.exec(select(Alert.status, func.count()).group_by(Alert.status)).all())
        by_risk = dict(
            session.exec(
                select(Alert.risk, func.count()).where(col(Alert.created_at) >= week).group_by(Alert.risk)
            ).all()
        )
        by_role = dict(
            session.exec(
                select(Subscriber.role, func.count())
                .where(Subscriber.active == True)  # noqa: E712
                .group_by(Subscriber.role)
            ).all()
        )
        lines = [
            t("bot.stats.title", lang),
            t("bot.stats.watchlist", lang, n=count(Enterprise, Enterprise.active == True)),  # noqa: E712
            t("bot.stats.records", lang, n=count(Record)),
            t(
                "bot.stats.alerts",
                lang,
                statuses=", ".join(
                    f"{translate(f'status.{k}', lang)} {v}" for k, v in sorted(by_status.items())
                )
                or "0",
            ),
            t(
                "bot.stats.week",
                lang,
                risks=", ".join(f"{translate(f'risk.{k}', lang)} {v}" for k, v in sorted(by_risk.items()))
                or "0",
            ),
            t(
                "bot.stats.outbox",
                lang,
                pending=count(Delivery, Delivery.status == "pending"),
                failed=count(Delivery, Delivery.status == "failed"),
            ),
            t(
                "bot.stats.users",
                lang,
                roles=", ".join(f"{translate(f'bot.role.{k}', lang)} {v}" for k, v in sorted(by_role.items()))
                or "0",
            ),
        ]
    await reply(update, "\n".join(lines))


@require_role(Role.STAFF)
async def audit_command(update: Update, context: Context, caller: Caller) -> None:
    """``/audit [n]``: the n latest audit-log entries (default 10, at most 50), paged."""
    lang = caller.language
    argument = (context.args or [""])[0] if context.args else ""
    if argument and (not argument.isdigit() or not 1 <= int(argument[:3]) <= MAX_AUDIT):
        await reply(update, t("bot.err.count", lang, limit=MAX_AUDIT))
        return
    count = int(argument) if argument else 10
    with session_factory_of(context)() as session:
        rows = session.exec(select(AuditLog).order_by(col(AuditLog.id).desc()).limit(count)).all()
        lines = [
            esc(f"{row.at:%m-%d %H:%M} {row.actor} {row.action} {row.entity_type}:{row.entity_id}")
            + (f" — {esc(row.note)}" if row.note else "")
            for row in rows
        ]
    await reply_paged(
        update, context, t("bot.audit.title", lang, n=len(lines)), lines or [t("bot.none", lang)]
    )


@require_role(Role.STAFF, Role.ENTERPRISE)
async def report_command(update: Update, context: Context, caller: Caller) -> None:
    """``/report [period]`` (``2026-10``, ``2026-Q3``, ``2026``; default last month): the report XLSX and its
    charts. Staff get the whole centre's report; an enterprise user one report per own enterprise, holding
    only that enterprise's data."""
    from alertbot.lifecycle import local_today
    from alertbot.report import generate
    from alertbot.report.period import previous_month

    lang = caller.language
    settings = _settings(context)
    try:
        raw = clean_input(context.args[0], limit=20, field="period") if context.args else None
    except BadInput as error:
        await reply(update, error.text(lang))
        return
    period = raw or previous_month(local_today(settings.timezone)).label
    scopes: list[str | None] = [None]
    if caller.role != Role.STAFF:
        scopes = [*sorted(caller.enterprise_ids)]  # one report per own enterprise, never the centre's
    message = update.effective_message
    assert message is not None
    await reply(update, t("bot.report.working", lang, period=period))
    with tempfile.TemporaryDirectory() as folder:
        for scope in scopes:
            try:
                files = await asyncio.to_thread(
                    generate,
                    settings,
                    period=period,
                    enterprise_id=scope,
                    lang=lang,
                    out_dir=Path(folder),
                    factory=session_factory_of(context),
                )
            except (ValueError, LookupError) as error:
                await reply(update, t("bot.report.failed", lang, reason=str(error)[:300]))
                return
            for path in [p for p in (files.xlsx, *files.charts) if p is not None]:
                await message.reply_document(document=path.read_bytes(), filename=path.name)
