"""``alertbot worker``: an extra outbox dispatcher process (no scheduler, no bot). docs/service.md."""

from __future__ import annotations

import typer

from alertbot.settings import get_settings


def worker() -> None:
    """Deliver the outbox until SIGTERM/SIGINT, next to `alertbot run` (PostgreSQL: rows are claimed with
    FOR UPDATE SKIP LOCKED, so workers never send the same row). Stops cleanly within 30 s."""
    from alertbot.service.logs import configure_logging
    from alertbot.service.runner import run_service

    settings = get_settings()
    configure_logging(settings.log_format)
    raise typer.Exit(code=run_service(settings, worker=True))
