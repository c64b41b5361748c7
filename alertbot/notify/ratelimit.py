"""Sliding-window rate limits for chat platforms, with the per-chat limit PTB's AIORateLimiter lacks.

python-telegram-bot's ``AIORateLimiter`` throttles only the overall rate and groups, and does no retries by
default (notes/libraries.md §3). :class:`TelegramRateLimiter` enforces all three Telegram limits at once
(30 messages/s overall, 1 message/s per chat, 20 messages/min per group) and honours a flood-control pause
after a 429. Group robots (WeCom, DingTalk, Feishu) use one :class:`SlidingWindow` of 20 messages/min each.

Limits hold within one process: two dispatcher processes sharing a bot token each get the full budget, so run
one Telegram sender per token or lower the limits.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Hashable, Sequence

# The most a send may be counted earlier than it left; far below the 0.05 s safety margin of the windows.
LATE_WAKE_CREDIT = 0.01


class RateLimitWait(Exception):
    """Raised instead of waiting when the wait would exceed the caller's ``max_wait``."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"rate limit: the next send is allowed in {wait:.1f} s")
        self.wait = wait


class SlidingWindow:
    """At most ``limit`` events in any ``period`` seconds, per key.

    ``margin`` widens the window a little, so that network jitter between our clock and the provider's never
    makes two sends look closer together than the limit allows.
    """

    def __init__(self, limit: int, period: float, *, margin: float = 0.0) -> None:
        if limit < 1 or period <= 0:
            raise ValueError(f"a rate limit needs limit >= 1 and period > 0, got {limit} per {period} s")
        self.limit = limit
        self.period = period + margin
        self._events: dict[Hashable, deque[float]] = {}

    def wait_time(self, key: Hashable, now: float) -> float:
        """Seconds until one more event for ``key`` fits in the window (0 when it fits now)."""
        events = self._events.get(key)
        if events is None:
            return 0.0
        while events and now - events[0] >= self.period:
            events.popleft()
        if not events:
            del self._events[key]
            return 0.0
        if len(events) < self.limit:
            return 0.0
        return events[0] + self.period - now

    def record(self, key: Hashable, now: float) -> None:
        """Count one event for ``key`` at ``now`` (never before the last one, so the log stays ordered)."""
        events = self._events.setdefault(key, deque())
        events.append(max(now, events[-1]) if events else now)


class RateLimiter:
    """Waits until every given window has room, then counts the send in all of them at once."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._paused_until = 0.0

    def pause(self, seconds: float) -> None:
        """Hold every send for ``seconds`` (the provider asked us to back off)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    async def acquire(
        self, checks: Sequence[tuple[SlidingWindow, Hashable]], *, max_wait: float | None = None
    ) -> float:
        """Wait for room in every ``(window, key)`` pair and count the send; return the seconds waited.

        Raises :class:`RateLimitWait` without counting anything if the wait would exceed ``max_wait``.
        """
        started = self._clock()
        intended: float | None = None
        while True:
            now = self._clock()
            wait = max([self._paused_until - now, *(window.wait_time(key, now) for window, key in checks)])
            if wait <= 0:
                # Count the send at the moment the slot opened, not when the event loop got round to waking us
                # (up to LATE_WAKE_CREDIT later); otherwise every late wake-up pushes all later sends back.
                stamp = now if intended is None else max(intended, now - LATE_WAKE_CREDIT)
                for window, key in checks:
                    window.record(key, stamp)
                return now - started
            if max_wait is not None and now - started + wait > max_wait:
                raise RateLimitWait(wait)
            intended = now + wait
            await asyncio.sleep(wait)


class TelegramRateLimiter:
    """Telegram's flood limits: overall, per chat, and per group (negative chat ids and @channels)."""

    def __init__(
        self,
        *,
        overall_limit: int = 30,
        overall_period: float = 1.0,
        per_chat_interval: float = 1.0,
        group_limit: int = 20,
        group_period: float = 60.0,
        margin: float = 0.05,
    ) -> None:
        """Defaults are Telegram's (``telegram.constants.FloodLimit``); tests pass shorter periods.

        ``margin`` (seconds added to every window) absorbs the jitter between leaving the limiter and reaching
        Telegram; 0.05 s keeps 95 % of the ceiling (30 per 1.05 s).
        """
        self.overall = SlidingWindow(overall_limit, overall_period, margin=margin)
        # Spread the overall budget evenly instead of in bursts of 30: a burst reaches the server spread out
        # by queueing, and the next burst would then look too close to its tail.
        self.overall_spacing = SlidingWindow(1, overall_period / overall_limit)
        self.per_chat = SlidingWindow(1, per_chat_interval, margin=margin)
        self.per_group = SlidingWindow(group_limit, group_period, margin=margin)
        self._limiter = RateLimiter()

    @property
    def ceiling_per_second(self) -> float:
        """The most messages per second the overall limit allows (the benchmark's reference)."""
        return self.overall.limit / (self.overall.period)

    @staticmethod
    def is_group(chat_id: int | str) -> bool:
        """Groups, supergroups and channels have negative ids; channels may also be addressed as @name."""
        text = str(chat_id)
        return text.startswith(("-", "@"))

    def pause(self, seconds: float) -> None:
        """Stop all sends for ``seconds`` after Telegram answered 429 (as AIORateLimiter does)."""
        self._limiter.pause(seconds)

    async def acquire(self, chat_id: int | str, *, max_wait: float | None = None) -> float:
        """Wait until a message to ``chat_id`` keeps within every limit; return the seconds waited."""
        key = str(chat_id)
        checks: list[tuple[SlidingWindow, Hashable]] = [
            (self.overall, "*"),
            (self.overall_spacing, "*"),
            (self.per_chat, key),
        ]
        if self.is_group(chat_id):
            checks.append((self.per_group, key))
        return await self._limiter.acquire(checks, max_wait=max_wait)
