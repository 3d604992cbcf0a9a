"""Pacing outgoing messages within Telegram's limits, in this process.

Telegram allows about 30 messages a second in all, one a second to one private chat and 20
a minute to one group, and answers 429 with `retry_after` past them. The limiter paces sends
evenly under a configured overall rate, keeps per-chat spacing with a small safety margin
(the server measures arrival, not departure), and holds everything during a 429 pause.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable

PRIVATE_INTERVAL = 1.0
GROUP_WINDOW = 60.0
GROUP_LIMIT = 20
# Network jitter can bring two sends closer together on arrival than on departure.
MARGIN = 0.1


class RateLimiter:
    """Hands out send slots: evenly paced overall, spaced per chat, paused after a 429."""

    def __init__(
        self,
        per_second: float,
        *,
        private_interval: float = PRIVATE_INTERVAL,
        group_limit: int = GROUP_LIMIT,
        group_window: float = GROUP_WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.spacing = 1.0 / per_second
        self.private_interval = private_interval + MARGIN
        self.group_limit = group_limit
        self.group_window = group_window + MARGIN
        self._clock = clock
        self._next_slot = 0.0
        self._paused_until = 0.0
        self._private_next: dict[int, float] = {}
        self._group_sent: dict[int, deque[float]] = {}

    def chat_ready_at(self, chat_id: int) -> float:
        """The earliest monotonic time the chat may receive its next message."""
        if chat_id > 0:
            return self._private_next.get(chat_id, 0.0)
        sent = self._group_sent.get(chat_id)
        if sent is None or len(sent) < self.group_limit:
            return 0.0
        return sent[0] + self.group_window

    @property
    def paused(self) -> bool:
        """True during a 429 pause."""
        return self._paused_until > self._clock()

    def pause(self, seconds: float) -> None:
        """Send nothing for `seconds` (Telegram said 429 with this retry_after)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    def _reserve(self, chat_id: int) -> float | None:
        """Book the next slot for `chat_id` if the chat itself is ready; else return None."""
        now = self._clock()
        if self.chat_ready_at(chat_id) > now:
            return None
        slot = max(now, self._next_slot, self._paused_until)
        self._next_slot = slot + self.spacing
        if chat_id > 0:
            self._private_next[chat_id] = slot + self.private_interval
        else:
            sent = self._group_sent.setdefault(chat_id, deque(maxlen=self.group_limit))
            sent.append(slot)
        return slot

    async def acquire(self, chat_id: int) -> None:
        """Wait until a message may go to `chat_id`, and count it as sent."""
        while True:
            slot = self._reserve(chat_id)
            if slot is None:
                await asyncio.sleep(max(0.0, self.chat_ready_at(chat_id) - self._clock()))
                continue
            delay = slot - self._clock()
            if delay > 0:
                await asyncio.sleep(delay)
            if self._paused_until <= self._clock():
                return
            # A 429 pause began while this send waited: queue up again behind the pause,
            # evenly paced, rather than firing together when it ends.

    def mark_sent(self, chat_id: int) -> None:
        """The request to `chat_id` leaves now: space its chat's next one from this moment.

        The slot was booked earlier; under load the request may leave later than its slot,
        and the chat's spacing must hold from when it really goes.
        """
        now = self._clock()
        if chat_id > 0:
            self._private_next[chat_id] = max(
                self._private_next.get(chat_id, 0.0), now + self.private_interval
            )
        else:
            sent = self._group_sent.get(chat_id)
            if sent:
                sent[-1] = max(sent[-1], now)

    async def acquire_if_ready(self, chat_id: int) -> bool:
        """Like `acquire`, but give up at once (False) if the chat itself must wait."""
        if self.chat_ready_at(chat_id) > self._clock():
            return False
        await self.acquire(chat_id)
        return True

    def forget_idle(self) -> None:
        """Drop per-chat bookkeeping that no longer constrains anything (bounded memory)."""
        now = self._clock()
        self._private_next = {c: t for c, t in self._private_next.items() if t > now}
        self._group_sent = {
            chat: sent
            for chat, sent in self._group_sent.items()
            if sent and sent[-1] + self.group_window > now
        }
