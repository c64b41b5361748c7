"""The sliding-window limiter: exact window arithmetic on a fake clock, and waiting on the real one."""

from __future__ import annotations

import asyncio
import time

import pytest

from alertbot.notify.ratelimit import RateLimiter, RateLimitWait, SlidingWindow, TelegramRateLimiter


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
    await limiter.acquire(123)
    assert time.monotonic() - started >= 0.19


async def test_telegram_limiter_reaches_the_overall_ceiling_across_chats() -> None:
    limiter = TelegramRateLimiter(overall_limit=20, overall_period=0.2, margin=0.0)
    started = time.monotonic()
    await asyncio.gather(*(limiter.acquire(chat) for chat in range(60)))
    elapsed = time.monotonic() - started
    # 60 sends at 20 per 0.2 s, spread evenly (one per 0.01 s): 0.59 s, and late wake-ups do not add up.
    assert 0.58 <= elapsed < 0.7
    assert limiter.ceiling_per_second == pytest.approx(100.0)


def test_groups_are_negative_ids_and_channel_names() -> None:
    assert TelegramRateLimiter.is_group(-100123)
    assert TelegramRateLimiter.is_group("@alerts_channel")
    assert not TelegramRateLimiter.is_group(123)
