"""Sliding-window rate limits for chat platforms, with the per-chat limit PTB's AIORateLimiter lacks.

python-telegram-bot's ``AIORateLimiter`` throttles only the overall rate and groups, and does no retries by
default (notes/libraries.md §3). :class:`TelegramRateLimiter` enforces all three Telegram limits at once
(30 messages/s overall, 1 message/s per chat, 20 messages/min per group) and honours a flood-control pause
after a 429. Group robots (WeCom, DingTalk, Feishu) use one :class:`SlidingWindow` of 20 messages/min each.

A Telegram send holds its place in the limit windows from when it leaves until its response arrives, and is
then counted at the response time (:meth:`RateLimiter.hold`, :class:`SendSlot`). The server received it at
some moment in between, so however the requests are delayed in flight, no two arrivals at the server can be
closer together than the windows allow: counting departure times instead let in-flight jitter squeeze two
sends that left a full window apart into less than one at the server.

Limits hold within one process: two dispatcher processes sharing a bot token each get the full budget, so run
one Telegram sender per token or lower the limits.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Hashable, Sequence

# The most a send may be counted earlier than it left; far below the 0.05 s margin of the robots' windows and
# used only for departure-stamped windows (a held send is counted at its response, never early).
LATE_WAKE_CREDIT = 0.01


class RateLimitWait(Exception):
    """Raised instead of waiting when the wait would exceed the caller's ``max_wait``."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"rate limit: the next send is allowed in {wait:.1f} s")
        self.wait = wait


class SlidingWindow:
    """At most ``limit`` events in any ``period`` seconds, per key.

    ``margin`` widens the window a little, so that the provider's own timing slack never makes two sends look
    closer together than the limit allows. An event may be *held* (:meth:`hold`) while its send is in flight:
    it fills a place in the window and never expires until :meth:`complete` counts it at the completion time.
    ``holds_in_flight=False`` makes :meth:`RateLimiter.hold` count the event at departure instead (for
    windows that only pace our own sends and are not a provider's limit).
    """

    def __init__(
        self, limit: int, period: float, *, margin: float = 0.0, holds_in_flight: bool = True
    ) -> None:
        if limit < 1 or period <= 0:
            raise ValueError(f"a rate limit needs limit >= 1 and period > 0, got {limit} per {period} s")
        self.limit = limit
        self.period = period + margin
        self.holds_in_flight = holds_in_flight
        self._events: dict[Hashable, deque[float]] = {}
        self._in_flight: dict[Hashable, int] = {}

    def wait_time(self, key: Hashable, now: float) -> float:
        """Seconds until one more event for ``key`` fits in the window (0 when it fits now).

        When the window is full of sends still in flight, the answer is a lower bound (one period: the
        earliest a send finishing right now would leave the window); the caller checks again after waiting.
        """
        in_flight = self._in_flight.get(key, 0)
        events = self._events.get(key)
        if events is not None:
            while events and now - events[0] >= self.period:
                events.popleft()
            if not events:
                del self._events[key]
                events = None
        done = len(events) if events is not None else 0
        must_expire = done + in_flight - self.limit + 1
        if must_expire <= 0:
            return 0.0
        if events is None or must_expire > done:
            return self.period
        return events[must_expire - 1] + self.period - now

    def in_flight(self, key: Hashable) -> int:
        """How many held events for ``key`` have not completed yet."""
        return self._in_flight.get(key, 0)

    def record(self, key: Hashable, now: float) -> None:
        """Count one event for ``key`` at ``now`` (never before the last one, so the log stays ordered)."""
        events = self._events.setdefault(key, deque())
        events.append(max(now, events[-1]) if events else now)

    def hold(self, key: Hashable) -> None:
        """Count one in-flight event for ``key``: it occupies a place and does not expire until completed."""
        self._in_flight[key] = self._in_flight.get(key, 0) + 1

    def complete(self, key: Hashable, now: float) -> None:
        """Turn one held event for ``key`` into an ordinary event stamped ``now`` (its completion time)."""
        remaining = self._in_flight.get(key, 0) - 1
        if remaining < 0:
            raise RuntimeError(f"no send in flight for {key!r} to complete")
        if remaining:
            self._in_flight[key] = remaining
        else:
            del self._in_flight[key]
        self.record(key, now)


class SendSlot:
    """A send's place in its rate-limit windows, held from departure until :meth:`release`.

    Use it as a context manager around the request (``with await limiter.hold(...): await send()``) so that
    it is released on success, error and cancellation alike; a slot never released keeps its place forever.
    """

    def __init__(
        self, held: Sequence[tuple[SlidingWindow, Hashable]], clock: Callable[[], float], waited: float
    ) -> None:
        self._held = list(held)
        self._clock = clock
        self._released = False
        self.waited = waited
        """Seconds the limiter made this send wait before it could leave."""

    @property
    def released(self) -> bool:
        """Whether the send has completed and been counted at its completion time."""
        return self._released

    def release(self) -> None:
        """Count the send at the current time (its response arrived or it failed); later calls do nothing."""
        if self._released:
            return
        self._released = True
        now = self._clock()
        for window, key in self._held:
            window.complete(key, now)

    def __enter__(self) -> SendSlot:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()


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
        """Wait for room in every ``(window, key)`` pair and count the send now; return the seconds waited.

        The send is counted at departure; prefer :meth:`hold` when the request's completion can be reported.
        Raises :class:`RateLimitWait` without counting anything if the wait would exceed ``max_wait``.
        """
        waited, stamp = await self._wait_for_room(checks, max_wait)
        for window, key in checks:
            window.record(key, stamp)
        return waited

    async def hold(
        self, checks: Sequence[tuple[SlidingWindow, Hashable]], *, max_wait: float | None = None
    ) -> SendSlot:
        """Wait for room in every ``(window, key)`` pair and hold a place in each until the slot is released.

        Windows with ``holds_in_flight=False`` count the send at departure instead. Raises
        :class:`RateLimitWait` without counting anything if the wait would exceed ``max_wait``.
        """
        waited, stamp = await self._wait_for_room(checks, max_wait)
        held: list[tuple[SlidingWindow, Hashable]] = []
        for window, key in checks:
            if window.holds_in_flight:
                window.hold(key)
                held.append((window, key))
            else:
                window.record(key, stamp)
        return SendSlot(held, self._clock, waited)

    async def _wait_for_room(
        self, checks: Sequence[tuple[SlidingWindow, Hashable]], max_wait: float | None
    ) -> tuple[float, float]:
        started = self._clock()
        intended: float | None = None
        while True:
            now = self._clock()
            wait = max([self._paused_until - now, *(window.wait_time(key, now) for window, key in checks)])
            if wait <= 0:
                # Count the send at the moment the slot opened, not when the event loop got round to waking us
                # (up to LATE_WAKE_CREDIT later); otherwise every late wake-up pushes all later sends back.
                stamp = now if intended is None else max(intended, now - LATE_WAKE_CREDIT)
                return now - started, stamp
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
        margin: float = 0.01,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Defaults are Telegram's (``telegram.constants.FloodLimit``); tests pass shorter periods.

        Every send holds its place in the windows until its response arrives (:meth:`hold`), so in-flight
        jitter is already covered; ``margin`` (seconds added to every window) only absorbs the server's own
        timing slack. The in-flight time itself (a few ms on loopback) also lengthens each window.
        """
        self.overall = SlidingWindow(overall_limit, overall_period, margin=margin)
        # Spread the overall budget evenly instead of in bursts of 30: a burst reaches the server spread out
        # by queueing, and the next burst would then have to wait for its tail. This paces departures only.
        self.overall_spacing = SlidingWindow(1, overall_period / overall_limit, holds_in_flight=False)
        self.per_chat = SlidingWindow(1, per_chat_interval, margin=margin)
        self.per_group = SlidingWindow(group_limit, group_period, margin=margin)
        self._limiter = RateLimiter(clock)

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

    async def hold(self, chat_id: int | str, *, max_wait: float | None = None) -> SendSlot:
        """Wait until a message to ``chat_id`` keeps within every limit; return its slot.

        Release the slot when the response arrives (or the request fails): ``with await limiter.hold(chat):
        await bot.send_message(chat, ...)``. Raises :class:`RateLimitWait` if the wait would exceed
        ``max_wait``.
        """
        key = str(chat_id)
        checks: list[tuple[SlidingWindow, Hashable]] = [
            (self.overall, "*"),
            (self.overall_spacing, "*"),
            (self.per_chat, key),
        ]
        if self.is_group(chat_id):
            checks.append((self.per_group, key))
        return await self._limiter.hold(checks, max_wait=max_wait)
