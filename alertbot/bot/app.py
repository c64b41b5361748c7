"""Build the python-telegram-bot ``Application`` with every handler registered from ONE list."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import Application, ApplicationBuilder, BaseHandler, CallbackQueryHandler

from alertbot.bot.auth import Context
from alertbot.bot.callbacks import CALLBACK_PATTERN, on_alert_button
from alertbot.db import SessionFactory
from alertbot.settings import Settings

log = logging.getLogger(__name__)


def handlers() -> list[BaseHandler[Update, Context, None]]:
    """Every handler the bot has, in the order they are tried."""
    return [
        CallbackQueryHandler(on_alert_button, pattern=CALLBACK_PATTERN),
    ]


async def _log_error(update: object, context: Context) -> None:
    log.error("bot handler failed for update %r", update, exc_info=context.error)


def build_application(settings: Settings, session_factory: SessionFactory) -> Application:
    """The bot application, talking to ``settings.telegram_base_url``; handlers open sessions from
    ``session_factory`` (kept in ``bot_data``). Start it with ``async with app: await app.start()`` and
    ``app.updater.start_polling()`` inside a larger asyncio program (notes/libraries.md §3)."""
    if settings.telegram_token is None or not settings.telegram_token.get_secret_value():
        raise ValueError("ALERTBOT_TELEGRAM_TOKEN is not set: the Telegram bot needs a token")
    base_url = settings.telegram_base_url
    file_url = base_url[: -len("/bot")] + "/file/bot" if base_url.endswith("/bot") else base_url
    application = (
        ApplicationBuilder()
        .token(settings.telegram_token.get_secret_value())
        .base_url(base_url)
        .base_file_url(file_url)
        .build()
    )
    application.bot_data["session_factory"] = session_factory
    application.bot_data["settings"] = settings
    for handler in handlers():
        application.add_handler(handler)
    application.add_error_handler(_log_error)
    return application
