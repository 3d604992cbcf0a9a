"""Group commit: many small database writes that arrive together share one transaction."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Batcher(Generic[T, R]):
    """Gathers items submitted within `delay` seconds (or `size` of them) and hands them to
    `handle` in one call; each submitter gets its own result once the batch is done.

    A submitter waits at most `delay` longer than it would alone, and gets the batch's
    exception if `handle` fails, so nothing is taken as done before it is committed.
    """

    def __init__(
        self,
        handle: Callable[[list[T]], Awaitable[list[R]]],
        *,
        delay: float = 0.005,
        size: int = 100,
    ) -> None:
        self._handle = handle
        self._delay = delay
        self._size = size
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._flushes: set[asyncio.Task[None]] = set()

    async def submit(self, item: T) -> R:
        """Add `item` to the next batch and wait for its result."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        self._pending.append((item, future))
        if len(self._pending) >= self._size:
            self._start_flush()
        elif self._timer is None:
            self._timer = loop.call_later(self._delay, self._start_flush)
        return await future

    def _start_flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._pending = self._pending, []
        if batch:
            task = asyncio.get_running_loop().create_task(self._flush(batch))
            self._flushes.add(task)
            task.add_done_callback(self._flushes.discard)

    async def _flush(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            results = await self._handle([item for item, _ in batch])
        except Exception as error:
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)
