"""``alertbot bot``: run the Telegram bot alone, polling, until SIGINT or SIGTERM.

A stop is heard from the first moment of the command on, during the slow start-up too (imports, migrations,
the first call to the Bot API): the bot then skips what is left of the start-up and exits 0.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from types import FrameType
from typing import TYPE_CHECKING

import typer

from alertbot.cli._common import err_console

if TYPE_CHECKING:
    from telegram.error import TelegramError

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
MAX_CAUSE = 160
"""Characters of the Bot API's error kept in the one-line start-up failure."""


class BotApiUnreachable(Exception):
    """The Bot API at ALERTBOT_TELEGRAM_BASE_URL did not answer like a Bot API (one line, token masked)."""


class _EarlyStop:
    """Remembers a SIGINT/SIGTERM that arrives before the event loop listens for it."""

    def __init__(self) -> None:
        self.requested = False

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.requested = True


def _reason(error: BaseException) -> str:
    # PTB appends the whole response body ("... Parsing the server response b'<!DOCTYPE ...' failed"):
    # the status and reason before it say enough, on one line.
    reason = " ".join(str(error).split(". Parsing the server response")[0].split())
    return reason if len(reason) <= MAX_CAUSE else reason[: MAX_CAUSE - 1] + "…"


def _unreachable(settings_url: str, token: str, error: TelegramError) -> BotApiUnreachable:
    from telegram.error import TelegramError

    from alertbot.redact import redact

    url = redact(f"{settings_url}{token}/getMe")
    # PTB's "token rejected" hides the server's answer (a plain 404 page) in __cause__: show both.
    inner = error.__cause__ if isinstance(error.__cause__, TelegramError) else None
    reasons = [_reason(error)] + ([_reason(inner)] if inner is not None else [])
    cause = redact(f"{type(error).__name__}: " + " ← ".join(reasons))
    return BotApiUnreachable(
        f"无法使用 Bot API {url}（{cause}），请检查 ALERTBOT_TELEGRAM_BASE_URL 与 ALERTBOT_TELEGRAM_TOKEN。"
        f" The Bot API at {url} did not answer ({cause}); check ALERTBOT_TELEGRAM_BASE_URL and"
        " ALERTBOT_TELEGRAM_TOKEN."
    )


async def run_bot(stop: asyncio.Event | None = None, *, early_stop: _EarlyStop | None = None) -> None:
    """Start the bot (the same Application ``alertbot run`` uses), poll until ``stop`` is set or a signal
    arrives, then stop it cleanly. A signal during start-up skips the rest of it."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, stop.set)
    if early_stop is not None and early_stop.requested:
        stop.set()
    if stop.is_set():
        return

    from telegram.error import TelegramError

    from alertbot import db
    from alertbot.bot.app import build_application, set_menus
    from alertbot.settings import get_settings

    settings = get_settings()
    # Migrations run in a thread so the loop keeps hearing signals; a stop meanwhile waits only for them.
    await asyncio.to_thread(db.upgrade, settings.resolved_database_url())
    if stop.is_set():
        return
    application = build_application(settings, db.session_factory(settings))
    # PTB logs a failed first call with a full traceback; the one line below says it all, so its request
    # logger is quiet until the Bot API has answered once (later errors are logged as usual).
    request_log = logging.getLogger("telegram.request")
    level = request_log.level
    request_log.setLevel(logging.CRITICAL)
    try:
        await application.initialize()
    except TelegramError as error:
        await application.shutdown()
        assert settings.telegram_token is not None  # build_application refused a missing token
        raise _unreachable(
            settings.telegram_base_url, settings.telegram_token.get_secret_value(), error
        ) from None
    finally:
        request_log.setLevel(level)
    try:
        if stop.is_set():
            return
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(drop_pending_updates=False)
        try:
            if not stop.is_set():
                menus = await set_menus(application)
                log.info("bot @%s polling; command menus set for %d users", application.bot.username, menus)
                await stop.wait()
        finally:
            log.info("stopping the bot")
            await application.updater.stop()
            await application.stop()
    finally:
        await application.shutdown()


def bot() -> None:
    """Run the Telegram bot alone (polling) until Ctrl-C or SIGTERM. Only one process may poll a token:
    do not run it next to `alertbot run`, which runs the same bot itself."""
    # First thing: a stop during the slow start-up below must end the command cleanly (exit 0), not kill it.
    early_stop = _EarlyStop()
    previous = {signum: signal.signal(signum, early_stop) for signum in STOP_SIGNALS}
    try:
        from alertbot.settings import get_settings

        token = get_settings().telegram_token
        if token is None or not token.get_secret_value():
            err_console.print(
                "[red]ALERTBOT_TELEGRAM_TOKEN is not set[/red]: create a bot with @BotFather and export its token."
            )
            raise typer.Exit(code=2)
        try:
            asyncio.run(run_bot(early_stop=early_stop))
        except BotApiUnreachable as error:
            err_console.print(str(error), markup=False, highlight=False)
            raise typer.Exit(code=1) from None
        err_console.print("bot stopped")
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
