"""Replies that fit a phone: translated, HTML-escaped, paged with buttons, never over Telegram's limit; and
the checks every piece of typed input passes before it reaches the database."""

from __future__ import annotations

import html
import secrets
import unicodedata
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Message, Update
from telegram.constants import ParseMode

from alertbot.bot.auth import Context
from alertbot.notify.render import translate
from alertbot.notify.telegram import MESSAGE_LIMIT, telegram_length

PAGE_CHARS = 3000
"""A page stays well under the 4,096-character limit and fits a phone screen or two."""
PAGE_LINES = 15
MAX_INPUT = 200
"""The longest name, mark or argument the bot accepts (the longest legal names are about 120 characters)."""
MAX_PAGES_KEPT = 20
"""Paged lists kept per user for the page buttons (older ones answer "expired")."""


class BadInput(ValueError):
    """Typed input the bot will not act on; ``key`` names the wording in strings.json."""

    def __init__(self, key: str, **values: object) -> None:
        self.key = key
        self.values = values
        super().__init__(key)

    def text(self, lang: str) -> str:
        """The message in ``lang``."""
        return t(self.key, lang, **self.values)


def t(key: str, lang: str, **values: object) -> str:
    """The ``lang`` wording for ``key`` with every value HTML-escaped (replies are sent as HTML)."""
    escaped = {name: html.escape(str(value), quote=False) for name, value in values.items()}
    return translate(key, lang, **escaped)


def esc(value: object) -> str:
    """HTML-escape a value for a reply."""
    return html.escape(str(value), quote=False)


def clean_input(text: str | None, *, limit: int = MAX_INPUT, field: str = "") -> str:
    """``text`` stripped, NFC-normalised, or :class:`BadInput` when it is empty, too long, or carries control,
    format (zero-width, bidi override), private-use or unassigned characters."""
    value = unicodedata.normalize("NFC", (text or "").strip())
    if not value:
        raise BadInput("bot.err.empty", field=field)
    if len(value) > limit:
        raise BadInput("bot.err.too_long", field=field, n=len(value), limit=limit)
    for char in value:
        if unicodedata.category(char) in {"Cc", "Cf", "Co", "Cs", "Cn"} and char not in "\n":
            raise BadInput("bot.err.bad_char", field=field, code=f"U+{ord(char):04X}")
    return value


def command_text(update: Update) -> str:
    """Everything after the command word (``/check 新松 机器人`` → ``新松 机器人``)."""
    message = update.effective_message
    if message is None or not message.text:
        return ""
    parts = message.text.split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


def fit(text: str) -> str:
    """Cut a reply to Telegram's limit (a last resort: lists are paged before they get here)."""
    if telegram_length(text) <= MESSAGE_LIMIT:
        return text
    while telegram_length(text) > MESSAGE_LIMIT - 2:
        text = text[: int(len(text) * 0.9)]
    # A cut may split an HTML tag or entity: drop the markup rather than send broken HTML.
    return html.escape(html.unescape(_strip_tags(text)), quote=False) + " …"


def _strip_tags(text: str) -> str:
    out: list[str] = []
    inside = False
    for char in text:
        if char == "<":
            inside = True
        elif char == ">" and inside:
            inside = False
        elif not inside:
            out.append(char)
    return "".join(out)


async def reply(update: Update, text: str, keyboard: InlineKeyboardMarkup | None = None) -> Message | None:
    """Answer the message (or the chat of a pressed button) with HTML ``text``."""
    message = update.effective_message
    if message is None:
        return None
    return await message.reply_text(
        fit(text),
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
        do_quote=False,
    )


def paginate(lines: Sequence[str], *, per_page: int = PAGE_LINES, chars: int = PAGE_CHARS) -> list[list[str]]:
    """Split lines into pages of at most ``per_page`` lines and ``chars`` characters."""
    pages: list[list[str]] = [[]]
    size = 0
    for line in lines:
        line = line if len(line) <= chars else line[: chars - 1] + "…"
        if pages[-1] and (len(pages[-1]) >= per_page or size + len(line) + 1 > chars):
            pages.append([])
            size = 0
        pages[-1].append(line)
        size += len(line) + 1
    return pages


def _page_keyboard(token: str, index: int, count: int) -> InlineKeyboardMarkup | None:
    if count <= 1:
        return None
    row = []
    if index > 0:
        row.append(InlineKeyboardButton("◀", callback_data=f"page:{token}:{index - 1}"))
    row.append(InlineKeyboardButton(f"{index + 1}/{count}", callback_data=f"page:{token}:{index}"))
    if index < count - 1:
        row.append(InlineKeyboardButton("▶", callback_data=f"page:{token}:{index + 1}"))
    return InlineKeyboardMarkup([row])


def _page_text(header: str, page: list[str]) -> str:
    return header + "\n" + "\n".join(page) if header else "\n".join(page)


async def reply_paged(update: Update, context: Context, header: str, lines: Sequence[str]) -> None:
    """Reply with ``header`` and the first page of ``lines``; ◀ ▶ buttons page through the rest."""
    pages = paginate(lines)
    token = secrets.token_hex(4)
    if len(pages) > 1 and context.user_data is not None:
        kept: dict[str, tuple[str, list[list[str]]]] = context.user_data.setdefault("pages", {})
        while len(kept) >= MAX_PAGES_KEPT:
            kept.pop(next(iter(kept)))
        kept[token] = (header, pages)
    await reply(update, _page_text(header, pages[0]), _page_keyboard(token, 0, len(pages)))


async def show_page(update: Update, context: Context, lang: str) -> None:
    """Answer a ◀ / ▶ press: edit the message to show the requested page of this user's list."""
    query = update.callback_query
    assert query is not None
    _, token, raw_index = (query.data or "::").split(":", 2)
    kept = (context.user_data or {}).get("pages", {})
    if token not in kept or not raw_index.isdigit():
        await query.answer(translate("bot.page.expired", lang), show_alert=True)
        return
    header, pages = kept[token]
    index = min(int(raw_index[:4]), len(pages) - 1)
    await query.answer()
    await query.edit_message_text(
        fit(_page_text(header, pages[index])),
        parse_mode=ParseMode.HTML,
        reply_markup=_page_keyboard(token, index, len(pages)),
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )
