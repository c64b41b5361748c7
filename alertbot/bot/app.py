"""Build the python-telegram-bot ``Application`` with every handler registered from ONE list."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from alertbot.bot import basic, callbacks, check, enterprise, expo, flows, staff, watch
from alertbot.bot.auth import ALL_ROLES, Caller, Context, require_role
from alertbot.bot.menus import set_command_menus
from alertbot.bot.replies import reply, t
from alertbot.db import SessionFactory
from alertbot.settings import Settings

log = logging.getLogger(__name__)

CONCURRENT_UPDATES = 64
"""Updates handled at once: fifty people on the show floor must not queue behind each other's /check."""


@require_role(*ALL_ROLES)
async def unknown_command(update: Update, context: Context, caller: Caller) -> None:
    """A command the bot does not have: say so, and point at /help."""
    await reply(update, t("bot.unknown_command", caller.language))


def handlers() -> list[BaseHandler[Update, Context, None]]:
    """Every handler the bot has, in the order they are tried."""
    commands = {
        # everyone
        "start": basic.start_command,
        "help": basic.help_command,
        "lang": basic.lang_command,
        "whoami": basic.whoami_command,
        "cancel": basic.cancel_command,
        # enterprise
        "mywatch": enterprise.mywatch_command,
        "alerts": callbacks.alerts_command,
        "settings": enterprise.settings_command,
        "report": staff.report_command,
        # enforcement
        "check": check.check_command,
        "flagged": expo.flagged_command,
        "booth": expo.booth_command,
        "expo": expo.expo_command,
        # staff
        "watch": watch.watch_command,
        "mark": watch.mark_command,
        "affiliate": watch.affiliate_command,
        "import": watch.import_command,
        "export": watch.export_command,
        "users": staff.users_command,
        "invite": staff.invite_command,
        "role": staff.role_command,
        "revoke": staff.revoke_command,
        "sources": staff.sources_command,
        "crawl": staff.crawl_command,
        "schedule": staff.schedule_command,
        "stats": staff.stats_command,
        "audit": staff.audit_command,
    }
    # Commands and messages count in private chats only: a reply in a group would show an enterprise's data
    # to everyone in it. Buttons work wherever an alert card was delivered (the decorator checks the presser).
    private = filters.ChatType.PRIVATE
    return [
        *(CommandHandler(name, handler, filters=private) for name, handler in commands.items()),
        CallbackQueryHandler(callbacks.on_alert_button, pattern=callbacks.CALLBACK_PATTERN),
        CallbackQueryHandler(flows.on_decision, pattern=r"^flow:"),
        CallbackQueryHandler(callbacks.on_page_button, pattern=r"^page:"),
        CallbackQueryHandler(enterprise.on_settings_button, pattern=r"^set:"),
        CallbackQueryHandler(callbacks.on_unknown_button),
        MessageHandler(private & filters.Document.ALL, watch.document_received),
        MessageHandler(private & filters.COMMAND, unknown_command),
        MessageHandler(private, flows.on_text),
    ]


async def _log_error(update: object, context: Context) -> None:
    log.error("bot handler failed for update %r", update, exc_info=context.error)
    if (
        isinstance(update, Update)
        and update.effective_message is not None
        and update.effective_user is not None
    ):
        try:
            await update.effective_message.reply_text(t("bot.failed", "zh") + "\n" + t("bot.failed", "en"))
        except Exception:
            log.debug("could not tell the user about the failure", exc_info=True)


def build_application(settings: Settings, session_factory: SessionFactory) -> Application:  # type: ignore[type-arg, unused-ignore]
    """The bot application, talking to ``settings.telegram_base_url``; handlers open sessions from
    ``session_factory`` (kept in ``bot_data``). Start it with ``async with app: await app.start()`` and
    ``app.updater.start_polling()`` inside a larger asyncio program (notes/libraries.md §3), then
    :func:`set_menus` to show each user their role's commands."""
    if settings.telegram_token is None or not settings.telegram_token.get_secret_value():
        raise ValueError("ALERTBOT_TELEGRAM_TOKEN is not set: the Telegram bot needs a token")
    base_url = settings.telegram_base_url
    file_url = base_url[: -len("/bot")] + "/file/bot" if base_url.endswith("/bot") else base_url
    application = (
        ApplicationBuilder()
        .token(settings.telegram_token.get_secret_value())
        .base_url(base_url)
        .base_file_url(file_url)
        .concurrent_updates(CONCURRENT_UPDATES)
        .build()
    )
    application.bot_data["session_factory"] = session_factory
    application.bot_data["settings"] = settings
    for handler in handlers():
        application.add_handler(handler)
    application.add_error_handler(_log_error)
    return application


async def set_menus(application: Application) -> int:  # type: ignore[type-arg, unused-ignore]
    """Per-role command menus for every registered user (call after ``application.initialize()``)."""
    return await set_command_menus(application.bot, application.bot_data["session_factory"])
