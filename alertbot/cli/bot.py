"""``alertbot bot``: run the Telegram bot alone, polling, until SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal

import typer

from alertbot.cli._common import err_console

log = logging.getLogger(__name__)


async def run_bot(stop: asyncio.Event | None = None) -> None:
    """Start the bot (the same Application ``alertbot run`` uses), poll until ``stop`` is set or a signal
    arrives, then stop it cleanly."""
    from alertbot import db
    from alertbot.bot.app import build_application, set_menus
    from alertbot.settings import get_settings

    settings = get_settings()
    db.upgrade(settings.resolved_database_url())
    application = build_application(settings, db.session_factory(settings))
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(drop_pending_updates=False)
        menus = await set_menus(application)
        log.info("bot @%s polling; command menus set for %d users", application.bot.username, menus)
        try:
            await stop.wait()
        finally:
            log.info("stopping the bot")
            await application.updater.stop()
            await application.stop()


def bot() -> None:
    """Run the Telegram bot alone (polling) until Ctrl-C or SIGTERM. Only one process may poll a token:
    do not run it next to `alertbot run`, which runs the same bot itself."""
    from alertbot.settings import get_settings

    token = get_settings().telegram_token
    if token is None or not token.get_secret_value():
        err_console.print(
            "[red]ALERTBOT_TELEGRAM_TOKEN is not set[/red]: create a bot with @BotFather and export its token."
        )
        raise typer.Exit(code=2)
    asyncio.run(run_bot())
    err_console.print("bot stopped")
