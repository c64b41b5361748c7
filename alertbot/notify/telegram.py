"""Telegram: python-telegram-bot's ``Bot`` sending HTML messages with Confirm / Dismiss / Escalate buttons.

Messages longer than Telegram's 4,096 characters are split on line boundaries without cutting an HTML tag
or entity (open tags are closed at the end of a part and reopened at the start of the next); the buttons go
on the last part. Every part counts against :class:`~alertbot.notify.ratelimit.TelegramRateLimiter`, holding
its slot from departure until Telegram's response arrives.

If a later part fails, the parts already sent are remembered in this process, so the dispatcher's retry
sends only the rest instead of repeating the first parts.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import logging
import os
import re
import warnings
from collections import OrderedDict
from datetime import timedelta
from typing import TYPE_CHECKING, ClassVar

# PTB 22 reads this flag when a RetryAfter is built; without it every 429 raises a PTBDeprecationWarning
# (an error under the test suite's warnings policy). Opting in gives the future timedelta behaviour.
os.environ.setdefault("PTB_TIMEDELTA", "true")

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col, select
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import MessageLimit, ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from alertbot.models import Alert, Record, Role, Subscriber
from alertbot.notify.base import (
    Channel,
    ConfigurationDeliveryError,
    Message,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from alertbot.notify.ratelimit import RateLimitWait, SendSlot, TelegramRateLimiter
from alertbot.notify.render import translate

if TYPE_CHECKING:
    from alertbot.db import SessionFactory
    from alertbot.settings import Settings

log = logging.getLogger(__name__)

MESSAGE_LIMIT: int = MessageLimit.MAX_TEXT_LENGTH  # 4096
# The longest flood-control wait obeyed: Telegram asks for seconds to tens of minutes; anything longer is a
# broken answer (``retry_after: 1e11``), and the rows come back after this instead of in centuries.
MAX_RETRY_AFTER: float = 3600.0
CALLBACK_PREFIX = "alert"
ALERT_ACTIONS: tuple[str, ...] = ("confirm", "dismiss", "escalate")

_TOKEN_PATTERN = re.compile(r"<[^>]*>|&#?\w+;|\s+|[^<&\s]+|[<&]")
_TAG_PATTERN = re.compile(r"<(/?)([a-zA-Z][\w-]*)[^>]*?(/?)>")


def callback_data(action: str, alert_id: int) -> str:
    """The button payload for ``action`` on ``alert_id``, e.g. ``alert:confirm:42`` (well under 64 bytes)."""
    if action not in ALERT_ACTIONS:
        raise ValueError(f"unknown alert action {action!r}; use one of {', '.join(ALERT_ACTIONS)}")
    return f"{CALLBACK_PREFIX}:{action}:{alert_id}"


def parse_callback_data(data: str) -> tuple[str, int] | None:
    """``(action, alert_id)`` from a button payload made by :func:`callback_data`, or ``None``."""
    parts = data.split(":")
    if len(parts) != 3 or parts[0] != CALLBACK_PREFIX or parts[1] not in ALERT_ACTIONS:
        return None
    try:
        return parts[1], int(parts[2])
    except ValueError:
        return None


def button_label(action: str, lang: str, *, on_site: bool = False) -> str:
    """The word on a triage button; ``on_site`` words it for enforcement teams at an expo (action taken /
    not found / escalate), with the same lifecycle action behind it."""
    return translate(f"bot.button.onsite.{action}" if on_site else f"button.{action}", lang)


def alert_keyboard(alert_id: int, lang: str, *, on_site: bool = False) -> InlineKeyboardMarkup:
    """The Confirm / Dismiss / Escalate row (确认/忽略/上报 in Chinese) for one alert; ``on_site`` shows
    the enforcement team's words for an exhibitor alert (已现场处置/未找到/上报)."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    button_label(action, lang, on_site=on_site), callback_data=callback_data(action, alert_id)
                )
                for action in ALERT_ACTIONS
            ]
        ]
    )


def on_site_card(factory: SessionFactory, target: str, alert_id: int) -> bool:
    """True when the card for ``alert_id`` goes to an enforcement team's chat and is about an exhibitor:
    that card carries the on-site buttons (the bot's callbacks word them the same way)."""
    with factory() as session:
        alert = session.get(Alert, alert_id)
        record = session.get(Record, alert.record_id) if alert is not None else None
        if record is None or record.kind != "exhibitor":
            return False
        teams = session.exec(
            select(Subscriber).where(
                col(Subscriber.role) == Role.ENFORCEMENT.value, col(Subscriber.active).is_(True)
            )
        ).all()
    wanted = target.strip()
    return any(
        (team.channels or {}).get("telegram", "").strip() == wanted or str(team.telegram_user_id) == wanted
        for team in teams
    )


def telegram_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji outside the BMP counts twice)."""
    return len(text.encode("utf-16-le")) // 2


def _apply_tags(stack: list[tuple[str, str]], fragment: str) -> list[tuple[str, str]]:
    updated = list(stack)
    for match in _TAG_PATTERN.finditer(fragment):
        closing, name, self_closing = match.group(1), match.group(2).lower(), match.group(3)
        if self_closing:
            continue
        if closing:
            for index in range(len(updated) - 1, -1, -1):
                if updated[index][0] == name:
                    del updated[index]
                    break
        else:
            updated.append((name, match.group(0)))
    return updated


def _closers(stack: list[tuple[str, str]]) -> str:
    return "".join(f"</{name}>" for name, _ in reversed(stack))


def _openers(stack: list[tuple[str, str]]) -> str:
    return "".join(tag for _, tag in stack)


def _has_text(chunk: str) -> bool:
    return bool(re.sub(r"<[^>]*>", "", chunk).strip())


def split_html(source: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split Telegram HTML into parts of at most ``limit`` UTF-16 units, preferring line boundaries.

    Tags and entities are never cut; tags open at a split are closed and reopened, so every part is valid
    HTML on its own. The raw HTML length is measured, which is never less than what Telegram counts.
    """
    source = source.strip()
    if telegram_length(source) <= limit:
        return [source] if source else []
    chunks: list[str] = []
    current = ""
    stack: list[tuple[str, str]] = []

    def flush() -> None:
        nonlocal current
        if _has_text(current):
            chunks.append((current + _closers(stack)).strip())
        current = _openers(stack)

    def fits(candidate: str, candidate_stack: list[tuple[str, str]]) -> bool:
        return telegram_length(current + candidate + _closers(candidate_stack)) <= limit

    def add_piece(piece: str) -> None:
        nonlocal current, stack
        piece_stack = _apply_tags(stack, piece)
        if fits(piece, piece_stack):
            current += piece
            stack = piece_stack
            return
        flush()
        if fits(piece, piece_stack):
            current += piece
            stack = piece_stack
            return
        if piece.startswith(("<", "&")):
            raise ValueError(
                f"an HTML tag or entity longer than {limit} characters cannot be split: {piece[:60]}"
            )
        # A single word longer than a whole message: cut it by characters.
        for character in piece:
            if not fits(character, stack):
                flush()
            current += character

    for line in source.splitlines(keepends=True):
        line_stack = _apply_tags(stack, line)
        if fits(line, line_stack):
            current += line
            stack = line_stack
            continue
        flush()
        if fits(line, line_stack):
            current += line
            stack = line_stack
            continue
        for token in _TOKEN_PATTERN.findall(line):
            add_piece(token)
    flush()
    return chunks


def _retry_after_seconds(error: RetryAfter) -> float:
    # PTB 22 warns when reading retry_after as an int (it will become a timedelta); accept both forms.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _chat_id(target: str) -> int | str:
    text = target.strip()
    if not text:
        raise PermanentDeliveryError(
            "a Telegram target needs a chat id or @channel name, got an empty string"
        )
    if text.lstrip("-").isdigit():
        return int(text)
    if text.startswith("@"):
        return text
    raise PermanentDeliveryError(f"not a Telegram chat id or @channel name: {target!r}")


class TelegramChannel(Channel):
    """Telegram via a bot: HTML messages split at 4,096 characters, inline buttons, flood limits kept."""

    name: ClassVar[str] = "telegram"
    description: ClassVar[str] = "Telegram bot (ALERTBOT_TELEGRAM_TOKEN); target = chat id or @channel"

    def __init__(
        self,
        token: str,
        *,
        base_url: str = "https://api.telegram.org/bot",
        limiter: TelegramRateLimiter | None = None,
        max_limiter_wait: float = 60.0,
        timeout: float = 20.0,
        connection_pool_size: int = 64,
        session_factory: SessionFactory | None = None,
    ) -> None:
        # With a database, an alert card's buttons follow the recipient's role (see :func:`on_site_card`).
        self.session_factory = session_factory
        self.limiter = limiter or TelegramRateLimiter()
        self.max_limiter_wait = max_limiter_wait
        request = HTTPXRequest(
            connection_pool_size=connection_pool_size,
            connect_timeout=timeout,
            read_timeout=timeout,
            write_timeout=timeout,
            pool_timeout=timeout,
        )
        self.base_url = base_url
        self.bot = Bot(token, base_url=base_url, request=request)
        self._initialize_lock = asyncio.Lock()
        self._initialized = False
        # Parts already delivered for a (target, message) whose later part failed; bounded, in-process.
        self._partial: OrderedDict[tuple[str, str], list[str]] = OrderedDict()

    @classmethod
    def from_settings(cls, settings: Settings) -> TelegramChannel | None:
        """Off until ``ALERTBOT_TELEGRAM_TOKEN`` is set; ``ALERTBOT_TELEGRAM_BASE_URL`` picks the server."""
        if settings.telegram_token is None or not settings.telegram_token.get_secret_value():
            return None
        from alertbot.db import session_factory

        return cls(
            settings.telegram_token.get_secret_value(),
            base_url=settings.telegram_base_url,
            session_factory=session_factory(settings),
        )

    def config_identity(self) -> tuple[object, ...]:
        """The token and the Bot API server."""
        return (self.name, self.bot.token, self.base_url)

    async def _ensure_initialized(self) -> None:
        async with self._initialize_lock:
            if not self._initialized:
                await self.bot.initialize()
                self._initialized = True

    def parts(self, message: Message) -> list[str]:
        """The HTML parts ``message`` is sent as."""
        source = message.chat_html or html.escape(message.text)
        return split_html(source)

    async def send(self, target: str, message: Message) -> str:
        """Send every part (and attachments as documents); return the Telegram message ids, comma-separated."""
        chat_id = _chat_id(target)
        parts = self.parts(message)
        if not parts and not message.attachments:
            raise PermanentDeliveryError("the message is empty; Telegram refuses empty messages")
        keyboard = None
        if message.buttons and len(message.alert_ids) == 1:
            on_site = False
            if self.session_factory is not None:
                try:
                    on_site = await asyncio.to_thread(
                        on_site_card, self.session_factory, target, message.alert_ids[0]
                    )
                except SQLAlchemyError:
                    # No database here (`alertbot notify test` on a fresh machine): the usual buttons.
                    log.warning(
                        "could not look up the recipient's role; sending the usual buttons", exc_info=True
                    )
            keyboard = alert_keyboard(message.alert_ids[0], message.lang, on_site=on_site)
        progress_key = (str(chat_id), hashlib.sha256(repr((parts, message.attachments)).encode()).hexdigest())
        sent = self._partial.pop(progress_key, [])
        steps = len(parts) + len(message.attachments)
        try:
            await self._ensure_initialized()
            for step in range(len(sent), steps):
                # The slot stays held until the response (or error) arrives, so the send is counted
                # no earlier than Telegram received it, whatever the in-flight delay.
                with await self._hold_slot(chat_id):
                    if step < len(parts):
                        result = await self.bot.send_message(
                            chat_id,
                            parts[step],
                            parse_mode=ParseMode.HTML,
                            reply_markup=keyboard if step == len(parts) - 1 else None,
                            link_preview_options=LinkPreviewOptions(is_disabled=True),
                        )
                    else:
                        attachment = message.attachments[step - len(parts)]
                        result = await self.bot.send_document(
                            chat_id, document=attachment.content, filename=attachment.filename
                        )
                sent.append(str(result.message_id))
        except TelegramError as error:
            if sent:
                self._remember_partial(progress_key, sent)
            raise self._translate(error, chat_id) from error
        except TransientDeliveryError:
            if sent:
                self._remember_partial(progress_key, sent)
            raise
        return ",".join(sent)

    async def _hold_slot(self, chat_id: int | str) -> SendSlot:
        try:
            return await self.limiter.hold(chat_id, max_wait=self.max_limiter_wait)
        except RateLimitWait as wait:
            raise TransientDeliveryError(str(wait), retry_after=wait.wait, flood=True) from wait

    def _remember_partial(self, key: tuple[str, str], sent: list[str]) -> None:
        self._partial[key] = sent
        while len(self._partial) > 10_000:
            self._partial.popitem(last=False)

    def _translate(self, error: TelegramError, chat_id: int | str) -> Exception:
        if isinstance(error, RetryAfter):
            asked = _retry_after_seconds(error)
            seconds = min(max(asked, 0.0), MAX_RETRY_AFTER)
            self.limiter.pause(seconds)
            capped = f" (asked {asked:g} s, capped)" if seconds < asked else ""
            return TransientDeliveryError(
                f"Telegram flood control: retry after {seconds:g} s{capped}", retry_after=seconds, flood=True
            )
        if isinstance(error, Forbidden):
            return PermanentDeliveryError(
                f"Telegram refused chat {chat_id}: {error.message} (blocked by the user or removed from the group)",
                deactivate_target=True,
            )
        if isinstance(error, ChatMigrated):
            return PermanentDeliveryError(
                f"Telegram group {chat_id} became supergroup {error.new_chat_id}; update the subscriber's chat id"
            )
        if isinstance(error, InvalidToken | EndPointNotFound):
            # 401/404 from the Bot API: the token or ALERTBOT_TELEGRAM_BASE_URL is wrong, not the message.
            return ConfigurationDeliveryError(
                "Telegram rejected the bot token or the Bot API URL was wrong "
                f"(check ALERTBOT_TELEGRAM_TOKEN and ALERTBOT_TELEGRAM_BASE_URL): {error.message}"
            )
        if isinstance(error, BadRequest):
            return PermanentDeliveryError(f"Telegram refused the message to chat {chat_id}: {error.message}")
        if isinstance(error, TimedOut):
            return TransientDeliveryError(
                f"Telegram timed out (the message may have been delivered): {error.message}"
            )
        return TransientDeliveryError(f"Telegram unavailable: {error.message}")

    async def aclose(self) -> None:
        """Close the bot's HTTP connections."""
        if self._initialized:
            await self.bot.shutdown()
            self._initialized = False
        else:
            await self.bot.request.shutdown()
