"""The rate limiter on a fake clock: no window the server sees holds more than the limit.

The server counts a request at some moment between the instant the limiter let it go and the
instant its answer came back; the sender cannot know which. `server_worst` gives the most
requests any one server window can hold, whatever those moments are. The simulations below
let requests go from several workers through stalls of the event loop, slow answers and 429
pauses, and check that number against the limits.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import random

import pytest

from jobs import rate_limit
from jobs.rate_limit import MARGIN, RateLimiter, Slot


class VirtualTime:
    """A monotonic clock that moves only when told (or when asyncio.sleep is patched)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def virtual(monkeypatch):
    """A virtual clock that `asyncio.sleep` in jobs.rate_limit advances instead of waiting."""
    clock = VirtualTime()
    real_sleep = asyncio.sleep

    async def sleep(seconds: float) -> None:
        clock.now += max(0.0, seconds)
        await real_sleep(0)

    monkeypatch.setattr(rate_limit.asyncio, "sleep", sleep)
    return clock


def server_worst(slots: list[Slot], seconds: float) -> int:
    """The most requests one server window of `seconds`, (a, a + seconds], can count.

    Each request may be counted anywhere in [started, answered]. A set of spans fits in one
    window exactly when every span starts before the earliest answer among them + seconds.
    """
    worst = 0
    for slot in slots:
        assert slot.answered is not None
        worst = max(
            worst,
            sum(
                1
                for other in slots
                if other.answered >= slot.answered and other.started < slot.answered + seconds
            ),
        )
    return worst


def test_server_worst_counts_what_a_server_could_see():
    # Let go 0.9 s apart, but the first answered late: the server may count both in 1 s.
    assert server_worst([Slot(1, 0.0, 0.5), Slot(2, 0.9, 0.95)], 1.0) == 2
    assert server_worst([Slot(1, 0.0, 0.05), Slot(2, 1.05, 1.1)], 1.0) == 1
    assert server_worst([Slot(1, 0.0, 0.05), Slot(2, 1.0, 1.1)], 1.0) == 2


async def send_times(limiter: RateLimiter, clock: VirtualTime, chats: list[int]) -> list[float]:
    """Acquire for each chat in turn, each request answered at once; the instants let go."""
    times = []
    for chat in chats:
        slot = await limiter.acquire(chat)
        times.append(clock.now)
        limiter.finish(slot)
    return times


async def test_overall_rate_is_evenly_paced(virtual):
    limiter = RateLimiter(25, clock=virtual)
    times = await send_times(limiter, virtual, list(range(1, 101)))
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) == pytest.approx(0.04)
    assert max(sum(1 for t in times if start - 1 < t <= start) for start in times) == 25


async def test_one_private_chat_gets_one_message_per_second_plus_margin(virtual):
    limiter = RateLimiter(1000, clock=virtual)
    times = await send_times(limiter, virtual, [7, 7, 7])
    assert [round(b - a, 3) for a, b in itertools.pairwise(times)] == [1.1, 1.1]


async def test_a_chat_is_spaced_from_the_answer_not_from_the_request(virtual):
    limiter = RateLimiter(1000, clock=virtual)
    first = await limiter.acquire(7)
    waiting = asyncio.ensure_future(limiter.acquire(7))
    await asyncio.sleep(0)
    virtual.now += 3.0  # the answer takes 3 s: the server may have counted it at any moment
    await asyncio.sleep(0)
    assert not waiting.done()
    limiter.finish(first)
    second = await waiting
    assert second.started == pytest.approx(first.answered + 1.0 + MARGIN)


async def test_a_group_gets_twenty_a_minute(virtual):
    limiter = RateLimiter(1000, clock=virtual)
    times = await send_times(limiter, virtual, [-5] * 25)
    first_minute = [t for t in times if t < times[0] + 60]
    assert len(first_minute) == 20
    assert times[20] - times[0] == pytest.approx(60.0 + MARGIN)


async def test_a_pause_holds_everything_then_resumes_evenly(virtual):
    limiter = RateLimiter(10, clock=virtual)
    limiter.finish(await limiter.acquire(1))
    limiter.pause(3)
    assert limiter.paused
    times = await send_times(limiter, virtual, [2, 3, 4])
    assert times[0] >= 1003.0
    assert [round(b - a, 3) for a, b in itertools.pairwise(times)] == [0.1, 0.1]
    assert not limiter.paused


async def test_acquire_if_ready_does_not_wait_for_a_busy_chat(virtual):
    limiter = RateLimiter(100, clock=virtual)
    slot = await limiter.acquire_if_ready(9)
    assert slot is not None
    limiter.finish(slot)
    assert await limiter.acquire_if_ready(9) is None
    virtual.now += 1.2
    assert await limiter.acquire_if_ready(9) is not None


async def test_idle_chats_are_forgotten(virtual):
    limiter = RateLimiter(100, clock=virtual)
    await send_times(limiter, virtual, [1, 2, -3])
    virtual.now += 120
    limiter.forget_idle()
    assert limiter._chats == {}


def test_tasks_that_wake_together_after_a_stall_go_one_by_one():
    clock = VirtualTime()
    limiter = RateLimiter(25, clock=clock)
    assert limiter.try_acquire(1) is not None
    # Eight tasks were due to send during a half-second stall; they all run at its end.
    clock.now += 0.5
    granted = [limiter.try_acquire(chat) for chat in range(2, 10)]
    assert sum(slot is not None for slot in granted) == 1
    clock.now += 0.04
    assert sum(limiter.try_acquire(chat) is not None for chat in range(3, 10)) == 1


def test_unanswered_requests_hold_their_place_in_the_window():
    clock = VirtualTime()
    limiter = RateLimiter(5, clock=clock)
    slots = []
    for chat in range(1, 6):
        slots.append(limiter.try_acquire(chat))
        clock.now += 0.2
    assert all(slots)
    # A second later, none of the five has been answered: the server may not have counted
    # them yet, so a sixth would risk six in one of its windows.
    clock.now += 5.0
    assert limiter.try_acquire(6) is None
    limiter.finish(slots[0])
    assert limiter.try_acquire(6) is None  # answered just now: may have been counted now
    clock.now += 1.0
    assert limiter.try_acquire(6) is not None


class Simulation:
    """Workers sending through one limiter on a fake clock, with stalls and slow answers.

    Like the dispatcher: `workers` requests in flight at most, each worker sending the next
    message of a shared queue. A worker that must wait looks again after a random moment. In
    a stall, nothing runs: every wake-up and answer due meanwhile is handled at its end, in
    order, all at the same clock reading.
    """

    def __init__(
        self, limiter: RateLimiter, seed: int, *, workers: int = 8, book_instants: bool = False
    ) -> None:
        self.limiter = limiter
        self.book_instants = book_instants
        self.clock: VirtualTime = limiter._clock  # type: ignore[assignment]
        self.random = random.Random(seed)
        self.workers = workers
        self.slots: list[Slot] = []
        self.stalls: list[tuple[float, float]] = []
        self.together = 0  # wake-ups handled at the very instant of another one

    def stall_often(self, start: float, end: float) -> None:
        """Stalls of up to 0.8 s (most short) at random moments between start and end."""
        moment = start
        while moment < end:
            moment += self.random.expovariate(2.0)
            length = min(0.8, self.random.expovariate(8.0))
            self.stalls.append((moment, moment + length))

    def stalled(self, until: float) -> float:
        """Seconds the loop stood still before `until`."""
        return sum(min(end, until) - begin for begin, end in self.stalls if begin < until)

    def _handled_at(self, due: float) -> float:
        for begin, end in self.stalls:
            if begin <= due < end:
                return end
        return due

    def _latency(self) -> float:
        roll = self.random.random()
        if roll < 0.8:
            return self.random.uniform(0.001, 0.05)
        if roll < 0.97:
            return self.random.uniform(0.05, 0.5)
        return self.random.uniform(0.5, 3.0)

    def run(self, chats: list[int], *, pause_on: set[int] = frozenset()) -> float:
        """Send one request per entry of `chats`; the request at an index in `pause_on` is
        answered 429 with retry_after 1. Returns the clock when the last answer came."""
        queue = list(chats)
        events: list[tuple[float, int, str, int, Slot | None]] = []
        order = itertools.count()
        start = self.clock.now
        for worker in range(self.workers):
            heapq.heappush(events, (start, next(order), "try", worker, None))
        last_handled = -1.0
        sent = 0
        pending: dict[int, int] = {}  # worker -> chat it is trying to send to
        index_of: dict[int, int] = {}  # id(slot) -> index in `chats`
        while events:
            due, _, kind, worker, slot = heapq.heappop(events)
            handled = max(self.clock.now, self._handled_at(due))
            self.clock.now = handled
            if kind == "answer":
                assert slot is not None
                if self.book_instants:
                    slot.answered = handled  # the limiter's copy was finished when let go
                else:
                    self.limiter.finish(slot)
                if index_of[id(slot)] in pause_on:
                    self.limiter.pause(1.0)
                heapq.heappush(events, (handled, next(order), "try", worker, None))
                continue
            if handled == last_handled:
                self.together += 1
            last_handled = handled
            if worker not in pending:
                if not queue:
                    continue
                pending[worker] = queue.pop(0)
            chat = pending[worker]
            granted = self.limiter.try_acquire(chat)
            if granted is None:
                retry = handled + self.random.uniform(0.0, 0.08)
                heapq.heappush(events, (retry, next(order), "try", worker, None))
                continue
            del pending[worker]
            if self.book_instants:
                self.limiter.finish(granted)
                granted = Slot(granted.chat_id, granted.started)
            index_of[id(granted)] = sent
            sent += 1
            self.slots.append(granted)
            answer = handled + self._latency()
            heapq.heappush(events, (answer, next(order), "answer", worker, granted))
        assert sent == len(chats)
        return self.clock.now

    def worst(self, seconds: float, chats: set[int] | None = None) -> int:
        """The most requests (to `chats`, or to any chat) one server window can count."""
        chosen = [s for s in self.slots if chats is None or s.chat_id in chats]
        return server_worst(chosen, seconds)


@pytest.mark.parametrize("seed", range(6))
def test_no_server_window_holds_more_than_the_rate_through_stalls(seed):
    limiter = RateLimiter(25, clock=VirtualTime())
    simulation = Simulation(limiter, seed)
    simulation.stall_often(1000.0, 1060.0)
    # 600 people, and 40 of them a second message (as a broadcast plus reminders).
    chats = list(range(1, 601)) + list(range(1, 41))
    finished = simulation.run(chats)
    assert simulation.together > 20  # the stalls did make tasks wake together
    assert simulation.worst(1.0) <= 25
    for chat in range(1, 41):
        assert simulation.worst(1.0, {chat}) == 1
    # Not safe by being slow: outside the stalls, close to the rate (640 at 25/s: 25.6 s;
    # the slow answers cost the rest).
    assert finished - 1000.0 - simulation.stalled(finished) < 640 / 25 * 1.3


@pytest.mark.parametrize("seed", range(3))
def test_groups_and_pauses_hold_through_stalls(seed):
    limiter = RateLimiter(25, clock=VirtualTime())
    simulation = Simulation(limiter, seed, workers=8)
    simulation.stall_often(1000.0, 1200.0)
    groups = [-1, -2, -3]
    chats = list(range(1, 101)) + groups * 30
    simulation.random.shuffle(chats)
    finished = simulation.run(chats, pause_on={10, 50, 150})
    assert simulation.worst(1.0) <= 25
    for group in groups:
        assert simulation.worst(60.0, {group}) <= 20
    # 30 messages to each group at 20 a minute: the last ten wait for the second minute.
    assert finished - 1000.0 > 60.0
    # Nothing was let go during a pause, which began when the 429 came back.
    starts = [slot.started for slot in simulation.slots]
    for index in (10, 50, 150):
        refused = simulation.slots[index].answered
        assert refused is not None
        assert [t for t in starts if refused < t < refused + 1.0] == []


def test_counting_requests_only_when_let_go_would_break_the_limit():
    """The check has teeth: book each request as answered the instant it is let go (what a
    limiter that paces by departure alone sees) and the same stalls and slow answers let a
    server count more than the limit in a second."""
    limiter = RateLimiter(25, clock=VirtualTime())
    simulation = Simulation(limiter, 0, book_instants=True)
    simulation.stall_often(1000.0, 1060.0)
    simulation.run(list(range(1, 601)))
    assert simulation.worst(1.0) > 25
