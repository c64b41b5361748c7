"""The sliding-window limiter: exact window arithmetic on a fake clock, and waiting on the real one.

A held send (``hold``) keeps its place in the windows while in flight and is counted at its completion, so the
server, which received it somewhere in between, can never see two sends closer together than a window allows.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from alertbot.notify.ratelimit import (
    RateLimiter,
    RateLimitWait,
    SendSlot,
    SlidingWindow,
    TelegramRateLimiter,
)


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_window_allows_limit_events_then_says_how_long_to_wait() -> None:
    window = SlidingWindow(3, 10.0)
    for moment in (0.0, 1.0, 2.0):
        assert window.wait_time("k", moment) == 0
        window.record("k", moment)
    assert window.wait_time("k", 2.5) == pytest.approx(7.5)
    assert window.wait_time("other", 2.5) == 0
    assert window.wait_time("k", 10.0) == 0  # the first event left the window


def test_records_stay_ordered_even_if_stamped_early() -> None:
    window = SlidingWindow(2, 1.0)
    window.record("k", 5.0)
    window.record("k", 4.99)
    assert window.wait_time("k", 5.5) == pytest.approx(0.5)


def test_margin_widens_the_window() -> None:
    window = SlidingWindow(1, 1.0, margin=0.05)
    window.record("k", 0.0)
    assert window.wait_time("k", 1.0) == pytest.approx(0.05)


def test_invalid_limits_are_refused() -> None:
    with pytest.raises(ValueError, match="limit >= 1"):
        SlidingWindow(0, 1.0)


async def test_acquire_waits_for_every_window() -> None:
    limiter = RateLimiter()
    fast, slow = SlidingWindow(10, 0.1), SlidingWindow(1, 0.3)
    started = time.monotonic()
    await limiter.acquire([(fast, "a"), (slow, "a")])
    waited = await limiter.acquire([(fast, "a"), (slow, "a")])
    assert waited >= 0.29
    assert time.monotonic() - started >= 0.29


async def test_acquire_refuses_a_long_wait_without_counting() -> None:
    limiter = RateLimiter()
    window = SlidingWindow(1, 5.0)
    await limiter.acquire([(window, "a")])
    with pytest.raises(RateLimitWait) as caught:
        await limiter.acquire([(window, "a")], max_wait=0.05)
    assert 4.9 < caught.value.wait <= 5.0
    assert window.wait_time("a", time.monotonic()) > 4.8  # still one event, not two


async def test_pause_holds_every_key() -> None:
    limiter = TelegramRateLimiter()
    limiter.pause(0.2)
    started = time.monotonic()
    with await limiter.hold(123) as slot:
        assert slot.waited >= 0.19
    assert time.monotonic() - started >= 0.19


async def _send_now(limiter: TelegramRateLimiter, chat: int) -> None:
    with await limiter.hold(chat):
        pass


async def test_telegram_limiter_reaches_the_overall_ceiling_across_chats() -> None:
    limiter = TelegramRateLimiter(overall_limit=20, overall_period=0.2, margin=0.0)
    started = time.monotonic()
    await asyncio.gather(*(_send_now(limiter, chat) for chat in range(60)))
    elapsed = time.monotonic() - started
    # 60 sends at 20 per 0.2 s, spread evenly (one per 0.01 s): 0.59 s, and late wake-ups do not add up.
    assert 0.58 <= elapsed < 0.7
    assert limiter.ceiling_per_second == pytest.approx(100.0)


def test_groups_are_negative_ids_and_channel_names() -> None:
    assert TelegramRateLimiter.is_group(-100123)
    assert TelegramRateLimiter.is_group("@alerts_channel")
    assert not TelegramRateLimiter.is_group(123)


def test_a_held_event_fills_its_place_and_never_expires_until_completed() -> None:
    window = SlidingWindow(2, 1.0)
    window.record("k", 0.0)
    window.hold("k")
    assert window.in_flight("k") == 1
    # Full: the finished event leaves at 1.0, the held one stays however long it is in flight.
    assert window.wait_time("k", 0.5) == pytest.approx(0.5)
    assert window.wait_time("k", 1.0) == 0
    window.hold("k")
    assert window.wait_time("k", 50.0) == pytest.approx(1.0)  # only a lower bound: completion unknown
    window.complete("k", 50.0)
    assert window.in_flight("k") == 1
    assert window.wait_time("k", 50.2) == pytest.approx(0.8)  # counted at its completion, not at 0.0
    assert window.wait_time("k", 51.0) == 0


def test_completing_a_send_that_was_never_held_is_refused() -> None:
    window = SlidingWindow(1, 1.0)
    with pytest.raises(RuntimeError, match="no send in flight"):
        window.complete("k", 1.0)


async def test_a_slot_is_held_in_flight_and_restamped_at_completion() -> None:
    clock = FakeClock(100.0)
    limiter = TelegramRateLimiter(
        overall_limit=2, overall_period=1.0, per_chat_interval=1.0, margin=0.0, clock=clock
    )
    slot = await limiter.hold(7)
    assert isinstance(slot, SendSlot)
    assert slot.waited == 0
    assert not slot.released
    assert limiter.overall.in_flight("*") == 1
    assert limiter.per_chat.in_flight("7") == 1
    clock.now = 130.0  # half a minute in flight: the slot is still taken
    assert limiter.per_chat.wait_time("7", clock.now) == pytest.approx(1.0)
    slot.release()
    assert slot.released
    assert limiter.overall.in_flight("*") == 0
    assert limiter.per_chat.in_flight("7") == 0
    # Counted at 130.0 (the response), so the chat's next send waits a full interval from then.
    assert limiter.per_chat.wait_time("7", 130.4) == pytest.approx(0.6)
    assert limiter.per_chat.wait_time("7", 131.0) == 0
    slot.release()  # a second release counts nothing more
    assert limiter.overall.wait_time("*", 130.4) == 0


async def test_the_pacing_window_counts_at_departure_so_sends_overlap_in_flight() -> None:
    clock = FakeClock(0.0)
    limiter = TelegramRateLimiter(overall_limit=30, overall_period=1.0, margin=0.0, clock=clock)
    first = await limiter.hold(1)
    assert limiter.overall_spacing.in_flight("*") == 0
    clock.now = 1 / 30
    second = await limiter.hold(2)  # the first is still in flight; only the 30-per-second window holds it
    assert limiter.overall.in_flight("*") == 2
    first.release()
    second.release()


async def test_a_slot_is_released_when_the_send_fails() -> None:
    clock = FakeClock(10.0)
    limiter = TelegramRateLimiter(margin=0.0, clock=clock)
    slot = await limiter.hold(5)

    def send_failing_in_flight() -> None:
        with slot:
            clock.now = 12.0
            raise ConnectionError("the request failed in flight")

    with pytest.raises(ConnectionError):
        send_failing_in_flight()
    assert slot.released
    assert limiter.per_chat.in_flight("5") == 0
    assert limiter.per_chat.wait_time("5", 12.5) == pytest.approx(0.5)  # counted when it failed


async def test_a_send_waits_one_period_after_the_in_flight_send_completes() -> None:
    limiter = TelegramRateLimiter(overall_limit=1, overall_period=0.1, per_chat_interval=0.01, margin=0.0)
    slot = await limiter.hold(1)
    follower = asyncio.create_task(limiter.hold(2))
    await asyncio.sleep(0.25)  # far longer than the window: the in-flight send still blocks the next
    assert not follower.done()
    slot.release()
    released_at = time.monotonic()
    with await follower:
        assert time.monotonic() - released_at >= 0.099


async def test_a_window_full_of_in_flight_sends_refuses_a_long_wait_without_counting() -> None:
    limiter = TelegramRateLimiter(overall_limit=1, overall_period=5.0, margin=0.0)
    slot = await limiter.hold(1)
    with pytest.raises(RateLimitWait) as caught:
        await limiter.hold(2, max_wait=1.0)
    assert caught.value.wait == pytest.approx(5.0)
    assert limiter.overall.in_flight("*") == 1
    assert limiter.per_chat.in_flight("2") == 0
    slot.release()


async def test_acquire_counts_at_departure_for_the_robots() -> None:
    clock = FakeClock(0.0)
    limiter = RateLimiter(clock)
    window = SlidingWindow(1, 60.0, margin=0.05)
    await limiter.acquire([(window, "robot")])
    assert window.in_flight("robot") == 0
    assert window.wait_time("robot", 30.0) == pytest.approx(30.05)
