"""``alertbot run``: the always-on service (scheduler, crawls, dispatcher and Telegram bot). docs/service.md."""

from __future__ import annotations

import typer

from alertbot.settings import get_settings


def run() -> None:
    """Run until SIGTERM/SIGINT: scheduled crawls (separate processes, timeout and concurrency limit), source
    health alerts, the outbox dispatcher and, when ALERTBOT_TELEGRAM_TOKEN is set, the Telegram bot.

    On PostgreSQL several `alertbot run` processes elect one leader (scheduler and bot); the others dispatch
    and stand by to take over. Stops cleanly within 30 s.
    """
    from alertbot.service.logs import configure_logging
    from alertbot.service.runner import run_service

    settings = get_settings()
    configure_logging(settings.log_format)
    raise typer.Exit(code=run_service(settings))
