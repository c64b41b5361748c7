"""What the bot may ask of the running service, as a Protocol both sides code against.

``alertbot run`` puts an implementation in ``application.bot_data["service"]``; ``alertbot bot`` alone leaves it
out, and the staff commands that need the service (``/crawl``, ``/schedule``, ``/expo set-url``) then say what
they would do instead of doing it.
"""

from __future__ import annotations

from typing import Protocol


class ServiceControl(Protocol):
    """Actions staff trigger from the bot that the scheduler process must carry out itself (one scheduler per
    job store: notes/libraries.md §4)."""

    async def crawl_now(self, source_key: str, *, actor: str) -> str:
        """Start a crawl of ``source_key`` now (not waiting for it); return a short description of the run."""
        ...

    async def set_schedule(self, source_key: str, cron: str, *, actor: str) -> str:
        """Change a source's cron schedule (validated, persisted, audit-logged); return the next run time."""
        ...

    async def set_url(self, source_key: str, url: str, *, actor: str) -> str:
        """Pin a source or expo edition to ``url`` (audit-logged); return a short confirmation."""
        ...
