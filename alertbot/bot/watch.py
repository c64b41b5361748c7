"""Staff watchlist commands: /watch add|edit|remove|show|list, /mark add|remove, /affiliate add|remove,
/import (a CSV or XLSX document: dry-run summary, then Confirm) and /export (XLSX).

Every change goes through :func:`alertbot.watchlist.apply_watchlist` (validated like a file import,
audit-logged with the Telegram user) after the user pressed Confirm, then runs the same retro-match as
``alertbot watchlist import``. Nothing changes before Confirm; /cancel drops the flow.
"""

from __future__ import annotations

import asyncio
import csv
import logging
import tempfile
from pathlib import Path

from telegram import Update

from alertbot.bot.auth import Caller, Context, require_role, session_factory_of
from alertbot.bot.check import forget_matcher
from alertbot.bot.enterprise import enterprise_lines
from alertbot.bot.flows import expect, propose
from alertbot.bot.replies import BadInput, clean_input, esc, reply, reply_paged, t
from alertbot.db import SessionFactory, transaction
from alertbot.models import AuditLog, Enterprise, Role, utcnow
from alertbot.settings import Settings
from alertbot.watchlist import (
    COLUMNS,
    LIST_SEPARATOR,
    WatchlistError,
    WatchlistRow,
    apply_watchlist,
    load_enterprises,
    read_watchlist,
    write_watchlist,
)

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
"""The largest watchlist file accepted (a 10,000-entry directory is well under 2 MB)."""
MAX_ENTRY_CHARS = 2000
MAX_ERRORS_SHOWN = 10
FIELDS = ("id", "name_zh", "name_en", "marks", "classes", "affiliates", "markets", "contact")


def _settings(context: Context) -> Settings:
    settings = context.bot_data.get("settings")
    return settings if isinstance(settings, Settings) else Settings()


def _rows_from_file(path: Path) -> list[WatchlistRow]:
    """Rows of a watchlist file, or :class:`BadInput` listing (at most 10 of) its problems."""
    try:
        return read_watchlist(path)
    except WatchlistError as error:
        shown = [esc(problem) for problem in error.problems[:MAX_ERRORS_SHOWN]]
        more = len(error.problems) - len(shown)
        raise BadInput(
            "bot.import.bad",
            n=len(error.problems),
            problems="\n".join(shown) + (f"\n… +{more}" if more else ""),
        ) from error


def row_from_fields(fields: dict[str, str]) -> WatchlistRow:
    """One entry validated exactly as a file row is (classes 1-45, id without spaces, a name or a mark)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "entry.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            writer.writerow([fields.get(column, "") for column in COLUMNS])
        try:
            [row] = read_watchlist(path)
        except WatchlistError as error:
            problems = "\n".join(esc(p.replace("row 2, ", "")) for p in error.problems)
            raise BadInput("bot.watch.bad", problems=problems) from error
    return row


def _parse_fields(text: str) -> dict[str, str]:
    """``field: value`` lines (``marks: A | B``) into a dict, or :class:`BadInput`."""
    value = clean_input(text, limit=MAX_ENTRY_CHARS, field="entry")
    fields: dict[str, str] = {}
    for line in value.splitlines():
        if not line.strip():
            continue
        name, sep, content = line.partition(":")
        name = name.strip().lower()
        if not sep or name not in FIELDS:
            raise BadInput("bot.watch.bad_line", line=line[:80], fields=", ".join(FIELDS))
        fields[name] = content.strip()
    if not fields:
        raise BadInput("bot.err.empty", field="entry")
    return fields


def _row_fields(row: WatchlistRow) -> dict[str, str]:
    return {
        "id": row.id,
        "name_zh": row.name_zh,
        "name_en": row.name_en,
        "marks": LIST_SEPARATOR.join(row.marks),
        "classes": LIST_SEPARATOR.join(map(str, row.classes)),
        "affiliates": LIST_SEPARATOR.join(row.affiliates),
        "markets": LIST_SEPARATOR.join(row.markets),
        "contact": LIST_SEPARATOR.join(row.contact),
    }


def _current_row(factory: SessionFactory, entry_id: str) -> WatchlistRow | None:
    with factory() as session:
        enterprise = session.get(Enterprise, entry_id)
        if enterprise is None or not enterprise.active:
            return None
        return WatchlistRow.from_enterprise(enterprise)


def _row_text(row: WatchlistRow, lang: str) -> str:
    enterprise = Enterprise(id=row.id, **row.enterprise_fields())
    return "\n".join(enterprise_lines(enterprise, lang))


async def _apply_rows(update: Update, context: Context, caller: Caller, rows: list[WatchlistRow]) -> None:
    """Apply rows (audit-logged), then the retro-match of new or changed entries; report both."""
    lang = caller.language
    factory = session_factory_of(context)
    with transaction(factory) as session:
        result = apply_watchlist(session, rows, actor=caller.actor)
    forget_matcher(context)
    await reply(
        update,
        t(
            "bot.import.done",
            lang,
            added=len(result.added),
            updated=len(result.updated),
            unchanged=len(result.unchanged),
        ),
    )
    if result.changed_ids:
        from alertbot.ingest import retro_match

        settings = _settings(context)
        found = await asyncio.to_thread(retro_match, result.changed_ids, settings)
        total = sum(len(ids) for ids in found.values())
        await reply(update, t("bot.watch.retro", lang, n=total, days=settings.retro_match_days))


# -- /watch ---------------------------------------------------------------------------------------------------
@require_role(Role.STAFF)
async def watch_command(update: Update, context: Context, caller: Caller) -> None:
    """``/watch add|edit ID|remove ID|show ID|list``."""
    lang = caller.language
    args = list(context.args or [])
    action = args[0].lower() if args else ""
    factory = session_factory_of(context)
    try:
        if action == "list":
            with factory() as session:
                entries = load_enterprises(session)
                lines = [
                    f"<b>{esc(e.id)}</b> {esc(e.name_zh or e.name_en)} · {esc(' | '.join(e.marks))}"
                    for e in entries
                ]
            await reply_paged(
                update, context, t("bot.watch.list", lang, n=len(lines)), lines or [t("bot.none", lang)]
            )
            return
        if action == "add" and len(args) == 1:
            expect(context, watch_add_entered)
            await reply(update, t("bot.watch.ask_add", lang))
            return
        if action in ("edit", "remove", "show") and len(args) == 2:
            entry_id = clean_input(args[1], limit=64, field="ID")
            row = _current_row(factory, entry_id)
            if row is None:
                raise BadInput("bot.err.enterprise_unknown", id=entry_id)
            if action == "show":
                await reply(update, _row_text(row, lang))
            elif action == "edit":
                expect(context, watch_edit_entered, row)
                await reply(update, _row_text(row, lang) + "\n\n" + t("bot.watch.ask_edit", lang))
            else:
                await propose(
                    update,
                    context,
                    caller,
                    t("bot.watch.confirm_remove", lang, id=row.id),
                    watch_remove_confirmed,
                    row.id,
                )
            return
    except BadInput as error:
        await reply(update, error.text(lang))
        return
    await reply(update, t("bot.watch.usage", lang))


@require_role(Role.STAFF)
async def watch_add_entered(update: Update, context: Context, caller: Caller, _payload: object) -> None:
    """The new entry, as ``field: value`` lines: validate, then show it with Confirm / Cancel."""
    lang = caller.language
    message = update.effective_message
    try:
        fields = _parse_fields((message.text if message else "") or "")
        row = row_from_fields(fields)
        if _current_row(session_factory_of(context), row.id) is not None:
            raise BadInput("bot.watch.exists", id=row.id)
    except BadInput as error:
        expect(context, watch_add_entered)
        await reply(update, error.text(lang) + "\n" + t("bot.watch.again", lang))
        return
    summary = t("bot.watch.confirm_add", lang) + "\n" + _row_text(row, lang)
    await propose(update, context, caller, summary, rows_confirmed, [row])


@require_role(Role.STAFF)
async def watch_edit_entered(update: Update, context: Context, caller: Caller, before: WatchlistRow) -> None:
    """The changed fields of an entry: merge, validate, show with Confirm / Cancel."""
    lang = caller.language
    message = update.effective_message
    try:
        changes = _parse_fields((message.text if message else "") or "")
        if changes.get("id", before.id) != before.id:
            raise BadInput("bot.watch.id_fixed")
        row = row_from_fields({**_row_fields(before), **changes})
    except BadInput as error:
        expect(context, watch_edit_entered, before)
        await reply(update, error.text(lang) + "\n" + t("bot.watch.again", lang))
        return
    summary = t("bot.watch.confirm_edit", lang, id=row.id) + "\n" + _row_text(row, lang)
    await propose(update, context, caller, summary, rows_confirmed, [row])


@require_role(Role.STAFF)
async def rows_confirmed(update: Update, context: Context, caller: Caller, rows: list[WatchlistRow]) -> None:
    """Confirm pressed on an add, edit, mark, affiliate or import: apply and retro-match."""
    await _apply_rows(update, context, caller, rows)


@require_role(Role.STAFF)
async def watch_remove_confirmed(update: Update, context: Context, caller: Caller, entry_id: str) -> None:
    """Confirm pressed on a removal: the entry is deactivated (kept for its alerts), audit-logged."""
    lang = caller.language
    with transaction(session_factory_of(context)) as session:
        enterprise = session.get(Enterprise, entry_id)
        if enterprise is None or not enterprise.active:
            await reply(update, t("bot.err.enterprise_unknown", lang, id=entry_id))
            return
        enterprise.active = False
        enterprise.updated_at = utcnow()
        session.add(enterprise)
        session.add(
            AuditLog(
                actor=caller.actor,
                action="watchlist.remove",
                entity_type="enterprise",
                entity_id=entry_id,
                before={"active": True},
                after={"active": False},
            )
        )
    forget_matcher(context)
    await reply(update, t("bot.watch.removed", lang, id=entry_id))


# -- /mark and /affiliate -------------------------------------------------------------------------------------
async def _list_item_flow(update: Update, context: Context, caller: Caller, field: str) -> None:
    lang = caller.language
    args = list(context.args or [])
    if len(args) < 3 or args[0].lower() not in ("add", "remove"):
        await reply(update, t(f"bot.{field}.usage", lang))
        return
    action = args[0].lower()
    try:
        entry_id = clean_input(args[1], limit=64, field="ID")
        value = clean_input(" ".join(args[2:]), field=field.upper())
        if LIST_SEPARATOR in value:
            raise BadInput("bot.err.separator", sep=LIST_SEPARATOR)
        before = _current_row(session_factory_of(context), entry_id)
        if before is None:
            raise BadInput("bot.err.enterprise_unknown", id=entry_id)
        items = list(before.marks if field == "mark" else before.affiliates)
        if action == "add":
            if value in items:
                raise BadInput(f"bot.{field}.exists", value=value, id=entry_id)
            items.append(value)
        else:
            if value not in items:
                raise BadInput(f"bot.{field}.missing", value=value, id=entry_id)
            items.remove(value)
        fields = _row_fields(before)
        fields["marks" if field == "mark" else "affiliates"] = LIST_SEPARATOR.join(items)
        row = row_from_fields(fields)
    except BadInput as error:
        await reply(update, error.text(lang))
        return
    summary = t(f"bot.{field}.confirm_{action}", lang, value=value, id=entry_id) + "\n" + _row_text(row, lang)
    await propose(update, context, caller, summary, rows_confirmed, [row])


@require_role(Role.STAFF)
async def mark_command(update: Update, context: Context, caller: Caller) -> None:
    """``/mark add|remove ID MARK``: shows the changed entry with Confirm / Cancel."""
    await _list_item_flow(update, context, caller, "mark")


@require_role(Role.STAFF)
async def affiliate_command(update: Update, context: Context, caller: Caller) -> None:
    """``/affiliate add|remove ID NAME``: shows the changed entry with Confirm / Cancel."""
    await _list_item_flow(update, context, caller, "affiliate")


# -- /import and /export --------------------------------------------------------------------------------------
@require_role(Role.STAFF)
async def import_command(update: Update, context: Context, caller: Caller) -> None:
    """``/import``: asks for the watchlist file (the document handler takes it from there)."""
    await reply(update, t("bot.import.ask", caller.language, mb=MAX_UPLOAD_BYTES // (1024 * 1024)))


@require_role(Role.STAFF)
async def document_received(update: Update, context: Context, caller: Caller) -> None:
    """A CSV or XLSX document: validate it, reply with the dry-run summary (or the row errors), then Confirm."""
    lang = caller.language
    message = update.effective_message
    document = message.document if message is not None else None
    if document is None:
        return
    suffix = Path(document.file_name or "").suffix.lower()
    try:
        if suffix not in (".csv", ".xlsx"):
            raise BadInput("bot.import.type", name=(document.file_name or "")[:80])
        if document.file_size is None or document.file_size > MAX_UPLOAD_BYTES:
            raise BadInput(
                "bot.import.too_big",
                mb=MAX_UPLOAD_BYTES // (1024 * 1024),
                size=round((document.file_size or 0) / 1e6, 1),
            )
        telegram_file = await document.get_file()
        data = await telegram_file.download_as_bytearray()
        if len(data) > MAX_UPLOAD_BYTES:
            raise BadInput(
                "bot.import.too_big", mb=MAX_UPLOAD_BYTES // (1024 * 1024), size=round(len(data) / 1e6, 1)
            )
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"upload{suffix}"
            path.write_bytes(bytes(data))
            rows = await asyncio.to_thread(_rows_from_file, path)
    except BadInput as error:
        await reply(update, error.text(lang) + "\n" + t("bot.import.nothing", lang))
        return
    factory = session_factory_of(context)
    with factory() as session:
        result = apply_watchlist(session, rows, actor=caller.actor, dry_run=True)
        session.rollback()
    summary = t(
        "bot.import.summary",
        lang,
        rows=len(rows),
        added=len(result.added),
        updated=len(result.updated),
        unchanged=len(result.unchanged),
    )
    if result.updated:
        summary += "\n" + t("bot.import.updated", lang, ids=", ".join(result.updated[:20]))
    if not result.changed_ids:
        await reply(update, summary + "\n" + t("bot.import.nothing", lang))
        return
    await propose(update, context, caller, summary, rows_confirmed, rows)


@require_role(Role.STAFF)
async def export_command(update: Update, context: Context, caller: Caller) -> None:
    """``/export``: the active watchlist as an XLSX document in the import format."""
    message = update.effective_message
    if message is None:
        return
    with session_factory_of(context)() as session:
        rows = [WatchlistRow.from_enterprise(e) for e in load_enterprises(session)]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "watchlist.xlsx"
        await asyncio.to_thread(write_watchlist, rows, path)
        data = path.read_bytes()
    await message.reply_document(
        document=data,
        filename="watchlist.xlsx",
        caption=t("bot.export.caption", caller.language, n=len(rows)),
    )
