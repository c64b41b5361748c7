"""Leader election: exactly one process schedules and polls the bot.

On PostgreSQL the leader holds a session-level ``pg_try_advisory_lock`` on a dedicated connection (not one
from the pool, so no other statement can release or share it). The lock dies with the connection, so when
the leader's process or host dies PostgreSQL frees it and a standby, retrying every
``ALERTBOT_LEADER_RETRY`` seconds, takes over. The leader checks its connection on the same period; when
it breaks, it has lost the lock and steps down at once (a standby may already lead).

The lock key is derived from the database and schema, so separate deployments (or test schemas) on one
server elect separately. On SQLite there is one process by construction: it is the leader.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from typing import Any

log = logging.getLogger(__name__)


def _psycopg_url(url: str) -> str:
    """A libpq URL from a SQLAlchemy one (``postgresql+psycopg://`` → ``postgresql://``)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


class Leadership:
    """``await acquire()`` tries once; ``held`` says whether we lead; ``check()`` verifies we still do."""

    def __init__(self, database_url: str) -> None:
        self.url = database_url
        self.postgres = database_url.startswith("postgresql")
        self.held = False
        self.key: int | None = None
        self._conn: Any = None

    async def acquire(self) -> bool:
        """Try to become the leader (non-blocking); True when we are."""
        if self.held:
            return True
        if not self.postgres:
            self.held = True
            return True
        import psycopg

        try:
            if self._conn is None or self._conn.closed:
                self._conn = await psycopg.AsyncConnection.connect(_psycopg_url(self.url), autocommit=True)
            async with self._conn.cursor() as cursor:
                await cursor.execute("select current_database() || ':' || current_schema()")
                row = await cursor.fetchone()
                scope = str(row[0]) if row else "alertbot"
                # A signed 64-bit key; CRC32 of the scope keeps it stable across processes and versions.
                self.key = zlib.crc32(f"alertbot-leader:{scope}".encode())
                await cursor.execute("select pg_try_advisory_lock(%s)", (self.key,))
                got = await cursor.fetchone()
        except psycopg.Error as error:
            log.warning("leader election: database unreachable (%s); retrying", error)
            await self._close()
            return False
        self.held = bool(got and got[0])
        return self.held

    async def check(self) -> bool:
        """True while we still hold the lock (the dedicated connection answers)."""
        if not self.held or not self.postgres:
            return self.held
        import psycopg

        try:
            async with self._conn.cursor() as cursor:
                await asyncio.wait_for(cursor.execute("select 1"), 10)
        except (psycopg.Error, TimeoutError, AttributeError) as error:
            log.error("leader election: lost the leader connection (%s); stepping down", error)
            self.held = False
            await self._close()
        return self.held

    async def release(self) -> None:
        """Give up leadership (unlock and close the dedicated connection)."""
        if self.postgres and self._conn is not None and self.held and self.key is not None:
            with contextlib.suppress(Exception):
                async with self._conn.cursor() as cursor:
                    await cursor.execute("select pg_advisory_unlock(%s)", (self.key,))
        self.held = False
        await self._close()

    async def _close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close()
        self._conn = None
