"""Pacing outgoing requests within Telegram's limits, in this process.

Telegram allows about 30 messages a second in all, one a second to one private chat and 20
a minute to one group, and answers 429 with `retry_after` past them. It counts a request
when the request reaches it, which the sender cannot see: on a loaded machine a request may
leave long after it was let go, wait in a busy network or server, and arrive together with
requests that left later. What the sender does know is that the server counted each request
at some moment between the instant the limiter let it go and the instant its answer came
back. So the limiter books every request over that whole span: a new request may go only if
the requests still unanswered, plus those answered less than a window ago, leave room for
it. Then, wherever inside its span the server counts each request, no window the server
sees holds more than the limit, however long the event loop, the network or the server
stalls (the tests in tests/unit/test_rate_limit.py check exactly this).

On top of the windows: requests are let go evenly, 1/per_second apart, measured between the
instants they were really let go (after a stall, the tasks that wake together go one by one);
the per-chat windows carry a margin (Telegram's own limits, no headroom in the count); the
overall limit is the configured rate, below Telegram's 30 (headroom for direct replies, which
do not pass through here); and a 429 holds everything for its `retry_after`.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

PRIVATE_WINDOW = 1.0
GROUP_WINDOW = 60.0
GROUP_LIMIT = 20
# The per-chat limits are Telegram's exact ones: keep a little more than their windows apart.
MARGIN = 0.1


@dataclass(eq=False)
class Slot:
    """One request in the limiter's books: let go at `started`, answered at `answered`."""

    chat_id: int
    started: float
    answered: float | None = None  # None while the request is in flight


class _Window:
    """At most `limit` requests in any `seconds` of the server's clock, spans counted whole."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit = limit
        self.seconds = seconds
        self.in_flight: set[Slot] = set()
        self.answered: deque[float] = deque()  # answer instants, in the order they came

    def add(self, slot: Slot) -> None:
        """Count a request let go now."""
        self.in_flight.add(slot)

    def answer(self, slot: Slot, at: float) -> None:
        """The slot's answer came at `at` (no earlier than any before): it counts on for
        `seconds`."""
        self.in_flight.discard(slot)
        self.answered.append(at)

    def _expire(self, now: float) -> None:
        while self.answered and self.answered[0] + self.seconds <= now:
            self.answered.popleft()

    def wait(self, now: float) -> float | None:
        """Seconds until one more request fits; None while only an answer can make room."""
        self._expire(now)
        live = len(self.in_flight) + len(self.answered)
        if live < self.limit:
            return 0.0
        must_expire = live - self.limit + 1
        if must_expire > len(self.answered):
            return None
        return self.answered[must_expire - 1] + self.seconds - now

    def idle(self, now: float) -> bool:
        """True when nothing in this window constrains a request sent now."""
        self._expire(now)
        return not self.in_flight and not self.answered


class RateLimiter:
    """Lets requests go within the limits as the server counts them; see the module doc.

    Each request takes a slot (`acquire`, `try_acquire` or `acquire_if_ready`) right before
    it is made and gives it back with `finish` as soon as its answer (or error) is in.
    """

    def __init__(
        self,
        per_second: float,
        *,
        private_window: float = PRIVATE_WINDOW,
        group_limit: int = GROUP_LIMIT,
        group_window: float = GROUP_WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.spacing = 1.0 / per_second
        self._overall = _Window(max(1, math.floor(per_second)), 1.0)
        self.private_window = private_window + MARGIN
        self.group_limit = group_limit
        self.group_window = group_window + MARGIN
        self._clock = clock
        self._last_start = -math.inf
        self._paused_until = -math.inf
        self._chats: dict[int, _Window] = {}
        self._answer = asyncio.Event()

    def _chat(self, chat_id: int) -> _Window:
        window = self._chats.get(chat_id)
        if window is None:
            if chat_id > 0:
                window = _Window(1, self.private_window)
            else:
                window = _Window(self.group_limit, self.group_window)
            self._chats[chat_id] = window
        return window

    def _wait(self, chat_id: int, now: float) -> float | None:
        """Seconds until a request to `chat_id` may go; None while it waits for an answer."""
        waits = [
            self._paused_until - now,
            self._last_start + self.spacing - now,
            self._overall.wait(now),
            self._chat(chat_id).wait(now),
        ]
        if None in waits:
            return None
        return max(w for w in waits if w is not None)

    def try_acquire(self, chat_id: int) -> Slot | None:
        """A slot for a request to `chat_id` that leaves now, or None if it must wait."""
        now = self._clock()
        wait = self._wait(chat_id, now)
        if wait is None or wait > 0:
            return None
        slot = Slot(chat_id, now)
        self._last_start = now
        self._overall.add(slot)
        self._chat(chat_id).add(slot)
        return slot

    async def acquire(self, chat_id: int) -> Slot:
        """Wait until a request to `chat_id` may go, and book it as leaving at that instant.

        Make the request right after, and `finish` the slot when its answer is in.
        """
        while True:
            slot = self.try_acquire(chat_id)
            if slot is not None:
                return slot
            wait = self._wait(chat_id, self._clock())
            if wait is None:
                await self._answer.wait()
            else:
                await asyncio.sleep(max(wait, 0.0))

    async def acquire_if_ready(self, chat_id: int) -> Slot | None:
        """Like `acquire`, but None at once if the chat itself must wait."""
        if self.chat_wait(chat_id) > 0:
            return None
        return await self.acquire(chat_id)

    def finish(self, slot: Slot) -> None:
        """The answer to the slot's request is in, or it failed, or no request was made:
        its span ends now (the first call counts; later ones change nothing)."""
        if slot.answered is None:
            slot.answered = now = self._clock()
            self._overall.answer(slot, now)
            self._chat(slot.chat_id).answer(slot, now)
            # Wake whoever waits for an answer, and start a fresh event for the next ones.
            self._answer.set()
            self._answer = asyncio.Event()

    def chat_wait(self, chat_id: int) -> float:
        """Seconds until the chat itself may take its next request (0 while one is on its way:
        an answer is due)."""
        return max(self._chat(chat_id).wait(self._clock()) or 0.0, 0.0)

    @property
    def paused(self) -> bool:
        """True during a 429 pause."""
        return self._paused_until > self._clock()

    def pause(self, seconds: float) -> None:
        """Send nothing for `seconds` from now (Telegram answered 429 with this retry_after).

        The server's `retry_after` counts from when it answered, which is before now.
        """
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    def forget_idle(self) -> None:
        """Drop per-chat bookkeeping that no longer constrains anything (bounded memory)."""
        now = self._clock()
        self._chats = {c: w for c, w in self._chats.items() if not w.idle(now)}
