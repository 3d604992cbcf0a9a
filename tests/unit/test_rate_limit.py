"""The rate limiter on a virtual clock: overall pacing, per-chat spacing, groups, 429 pauses."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from jobs import rate_limit
from jobs.rate_limit import RateLimiter


class VirtualTime:
    """A monotonic clock that asyncio.sleep advances instead of waiting."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def virtual(monkeypatch):
    clock = VirtualTime()
    real_sleep = asyncio.sleep

    async def sleep(seconds: float) -> None:
        clock.now += max(0.0, seconds)
        await real_sleep(0)

    monkeypatch.setattr(rate_limit.asyncio, "sleep", sleep)
    return clock


async def send_times(limiter: RateLimiter, clock: VirtualTime, chats: list[int]) -> list[float]:
    times = []
    for chat in chats:
        await limiter.acquire(chat)
        times.append(clock.now)
    return times


async def test_overall_rate_is_evenly_paced(virtual):
    limiter = RateLimiter(25, clock=virtual)
    times = await send_times(limiter, virtual, list(range(1, 101)))
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) == pytest.approx(0.04)
    # Any one-second window holds at most 25 (+1 at the edge) sends.
    assert max(sum(1 for t in times if start <= t < start + 1) for start in times) <= 26


async def test_one_private_chat_gets_one_message_per_second_plus_margin(virtual):
    limiter = RateLimiter(1000, clock=virtual)
    times = await send_times(limiter, virtual, [7, 7, 7])
    assert [round(b - a, 3) for a, b in itertools.pairwise(times)] == [1.1, 1.1]


async def test_a_group_gets_twenty_a_minute(virtual):
    limiter = RateLimiter(1000, clock=virtual)
    times = await send_times(limiter, virtual, [-5] * 25)
    first_minute = [t for t in times if t < times[0] + 60]
    assert len(first_minute) == 20
    assert times[20] - times[0] == pytest.approx(60.1)


async def test_a_pause_holds_everything_then_resumes_evenly(virtual):
    limiter = RateLimiter(10, clock=virtual)
    await limiter.acquire(1)
    limiter.pause(3)
    assert limiter.paused
    times = await send_times(limiter, virtual, [2, 3, 4])
    assert times[0] >= 1003.0
    assert [round(b - a, 3) for a, b in itertools.pairwise(times)] == [0.1, 0.1]
    assert not limiter.paused


async def test_acquire_if_ready_does_not_wait_for_a_busy_chat(virtual):
    limiter = RateLimiter(100, clock=virtual)
    assert await limiter.acquire_if_ready(9)
    assert not await limiter.acquire_if_ready(9)
    virtual.now += 1.2
    assert await limiter.acquire_if_ready(9)


async def test_idle_chats_are_forgotten(virtual):
    limiter = RateLimiter(100, clock=virtual)
    await send_times(limiter, virtual, [1, 2, -3])
    virtual.now += 120
    limiter.forget_idle()
    assert limiter._private_next == {}
    assert limiter._group_sent == {}
