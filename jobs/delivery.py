"""The dispatcher: sends what the outbox holds, within Telegram's limits, losing nothing.

A repeating JobQueue job (the tick) and every commit that queued messages wake it. Each
wake-up drains: claim a batch of due messages with a lease, send them (paced by the rate
limiter, each chat's messages in order), record each outcome at once, repeat until nothing
is due. What Telegram answers decides what happens to a message:

- accepted: sent.
- 429: pause all sending for `retry_after`, then send again (not counted as an attempt).
- 5xx, time-outs, network errors: retry with exponential backoff and jitter, up to
  DELIVERY_MAX_ATTEMPTS, then failed with the last error.
- 403 (blocked, deactivated, kicked): the user or group is marked unreachable and every
  message still queued for it is dropped.
- 400 (chat not found, bad markup, ...): failed at once.
- a group upgraded to a supergroup: the group and its queue move to the new id; resent.

Crash safety: a claimed message belongs to this dispatcher until its lease ends; if the
process dies, another dispatcher (or this one restarted) claims it after the lease. Right
before its request, each message confirms the lease (so a cancelled one is skipped), and its
success is committed right after (group commit: writes arriving within 5 ms share one
transaction). Telegram has no idempotency key, so a message whose request was in flight when
the process died may arrive twice: at most DELIVERY_CONCURRENCY messages, one request each.

Several processes on PostgreSQL claim with FOR UPDATE SKIP LOCKED and never share a row. On
SQLite only one process per database file dispatches: the others log why and leave it be.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import random
import secrets
import socket
import time
from collections import OrderedDict
from collections.abc import Awaitable
from dataclasses import replace
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot, InlineKeyboardMarkup
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    RetryAfter,
    TelegramError,
)
from telegram.ext import Application

from bot import metrics
from bot.context import BotContext, Deps
from bot.models import BroadcastState
from bot.process_lock import ProcessLock
from bot.services import broadcasts, outbox
from bot.views import notices
from bot.views.broadcasts import render_status
from jobs.batching import Batcher
from jobs.rate_limit import RateLimiter, Slot

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_BACKOFF = 15 * 60.0
# A chat that cannot take a message for longer than this gives its messages back to the
# queue instead of holding them (and their lease) while it waits.
LONG_WAIT = 5.0
STATUS_INTERVAL = 2.0
# A message that waited longer than this for its slot confirms its lease once more.
RECONFIRM_AFTER = 1.0
# How long a finished broadcast's end waits to be shown (its status message may be attached
# late, or the author's chat busy) before the dispatcher gives up on it.
END_PATIENCE = 600.0


def _seconds(value: Any) -> float:
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


class Dispatcher:
    """Drains the outbox for one process. Create one per Application; see the module doc."""

    def __init__(self, bot: Bot, deps: Deps, *, limiter: RateLimiter | None = None) -> None:
        settings = deps.settings
        self.bot = bot
        self.deps = deps
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.limiter = limiter or RateLimiter(settings.delivery_max_per_second)
        self.lease = dt.timedelta(seconds=settings.delivery_lease_seconds)
        self.batch_size = max(20, min(1000, int(settings.delivery_max_per_second * 4)))
        self.max_attempts = settings.delivery_max_attempts
        self.retry_base = settings.delivery_retry_base_seconds
        self.enabled = False
        self._in_flight = asyncio.Semaphore(settings.delivery_concurrency)
        self._task: asyncio.Task[None] | None = None
        self._again = False
        self._stopping = False
        self._stop_event = asyncio.Event()
        self._sent = 0
        # Group commit: confirming leases and recording sends share transactions, adding at
        # most a few milliseconds to each message's single request.
        self._confirms: Batcher[int, bool] = Batcher(self._confirm)
        self._sent_marks: Batcher[tuple[int, int], None] = Batcher(self._mark_sent)
        self._lock: ProcessLock | None = None
        self._status_shown: dict[int, str] = {}
        self._status_at: dict[int, float] = {}
        self._ends_due: dict[int, float] = {}  # finished broadcasts -> since, until shown

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> bool:
        """Begin dispatching; on SQLite only if no other process dispatches from the file."""
        path = self.deps.db.sqlite_path
        if path is not None:
            self._lock = ProcessLock(path.with_name(path.name + ".dispatcher.lock"))
            if not self._lock.acquire():
                log.error(
                    "Another bot process (pid %s) already sends queued messages from %s. This "
                    "process will not dispatch, so nothing is sent twice. Run one bot process "
                    "per SQLite file, or use PostgreSQL for several.",
                    self._lock.holder(),
                    path,
                )
                self._lock = None
                return False
        self.enabled = True
        self._stopping = False
        self._stop_event.clear()
        self.deps.db.outbox_listeners.append(self.kick)
        log.info("dispatcher %s started", self.owner)
        return True

    async def stop(self, timeout: float = 10.0) -> None:
        """Finish the requests in flight, give unsent claims back, release the SQLite lock."""
        self._stopping = True
        self._stop_event.set()
        with contextlib.suppress(ValueError):
            self.deps.db.outbox_listeners.remove(self.kick)
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout)
            except TimeoutError:
                log.warning("dispatcher did not finish within %ss; leases will expire", timeout)
                self._task.cancel()
        if self._lock is not None:
            self._lock.release()
            self._lock = None
        self.enabled = False

    def kick(self) -> None:
        """Drain now: start a drain unless one is running (which then looks once more)."""
        if not self.enabled or self._stopping:
            return
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = asyncio.get_running_loop().create_task(self._drain(), name="outbox-drain")

    @property
    def busy(self) -> bool:
        """True while a drain is running."""
        return self._task is not None and not self._task.done()

    # ------------------------------------------------------------------ draining

    async def _drain(self) -> None:
        self._sent = 0
        try:
            while not self._stopping:
                self._again = False
                async with self.deps.db.transaction() as session:
                    await outbox.expire(session, now=self.deps.clock.now())
                    claimed = await outbox.claim_due(
                        session,
                        owner=self.owner,
                        now=self.deps.clock.now(),
                        lease=self.lease,
                        limit=self.batch_size,
                    )
                    claimed = await self._render(session, claimed)
                if not claimed:
                    if self._again:
                        continue
                    break
                await self._send_batch(claimed)
                await self.refresh_statuses()
            await self.refresh_statuses()
            self.limiter.forget_idle()
            if self._sent:
                log.info("dispatcher %s sent %d messages", self.owner, self._sent)
        except Exception:
            # The next tick tries again; what this drain claimed comes back after its lease.
            log.exception("dispatcher drain failed")

    async def _render(
        self, session: AsyncSession, claimed: list[outbox.Claimed]
    ) -> list[outbox.Claimed]:
        """Render templated messages in each recipient's language and zone, now; a message
        that cannot be rendered is marked failed (logged), never sent half-made."""
        templated = {message.chat_id for message in claimed if message.template}
        if not templated:
            return claimed
        people = await outbox.recipients(session, templated)
        now, default_zone = self.deps.clock.now(), self.deps.settings.default_timezone
        ready = []
        for message in claimed:
            if not message.template:
                ready.append(message)
                continue
            who = people.get(message.chat_id) or outbox.Recipient(None, None, None)
            reader = notices.reader_for(
                who.language, who.app_language, who.timezone, default_zone=default_zone, now=now
            )
            try:
                out = notices.render(message.template, message.params, reader)
            except notices.RenderError as error:
                log.error("message %s not sent: %s", message.id, error)
                await outbox.mark_failed(session, message.id, error=str(error))
                continue
            ready.append(replace(message, text=out.text, reply_markup=out.reply_markup))
        return ready

    async def _send_batch(self, claimed: list[outbox.Claimed]) -> None:
        by_chat: OrderedDict[int, list[outbox.Claimed]] = OrderedDict()
        for message in claimed:
            by_chat.setdefault(message.chat_id, []).append(message)
        started = time.monotonic()
        await asyncio.gather(*(self._send_chat(rows, started) for rows in by_chat.values()))

    async def _send_chat(self, rows: list[outbox.Claimed], claimed_at: float) -> None:
        """Send one chat's messages in order; give back what cannot go out in time."""
        lease_budget = self.lease.total_seconds() * 0.8
        for index, message in enumerate(rows):
            wait = self.limiter.chat_wait(message.chat_id)
            out_of_time = time.monotonic() - claimed_at + wait > lease_budget
            if self._stopping or wait > LONG_WAIT or out_of_time:
                later = self.deps.clock.now() + dt.timedelta(seconds=wait)
                await self._release(rows[index:], not_before=later)
                return
            async with self._in_flight:
                if not await self._confirms.submit(message.id):
                    continue  # cancelled (a stopped broadcast) or taken over meanwhile
                confirmed_at = time.monotonic()
                slot = await self._slot(message.chat_id)
                if slot is None:
                    await self._release(rows[index:], not_before=self.deps.clock.now())
                    return
                try:
                    # A long wait for the slot (a 429 pause): the message may have been
                    # stopped meanwhile, or its lease run short. Ask again.
                    if time.monotonic() - confirmed_at > RECONFIRM_AFTER and not (
                        await self._confirms.submit(message.id)
                    ):
                        continue
                    keep_going = await self._deliver(message, slot)
                finally:
                    self.limiter.finish(slot)  # if no request was made in it
            if not keep_going:
                remaining = rows[index + 1 :]
                if remaining:
                    await self._release(remaining, not_before=self.deps.clock.now())
                return

    async def _slot(self, chat_id: int) -> Slot | None:
        """Wait for the rate limiter's slot; None if the dispatcher is stopping meanwhile."""
        acquire = asyncio.ensure_future(self.limiter.acquire(chat_id))
        stopping = asyncio.ensure_future(self._stop_event.wait())
        try:
            await asyncio.wait((acquire, stopping), return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
            if not acquire.done():
                acquire.cancel()  # before it takes a slot that no request would end
        if acquire.done() and not acquire.cancelled():
            return acquire.result()
        return None

    async def _request(self, slot: Slot, request: Awaitable[T]) -> T:
        """Await the request that took `slot`; its span ends with the answer, whatever it is."""
        try:
            return await request
        finally:
            self.limiter.finish(slot)

    async def _release(self, rows: list[outbox.Claimed], *, not_before: dt.datetime) -> None:
        async with self.deps.db.transaction() as session:
            for message in rows:
                await outbox.release(
                    session,
                    message.id,
                    owner=self.owner,
                    not_before=not_before,
                    count_attempt=False,
                )

    async def _deliver(self, message: outbox.Claimed, slot: Slot) -> bool:
        """Send one message in its `slot`, record the outcome; False when its chat takes no more."""
        markup = (
            InlineKeyboardMarkup.de_json(message.reply_markup, self.bot)
            if message.reply_markup
            else None
        )
        db, clock = self.deps.db, self.deps.clock
        try:
            sent = await self._request(
                slot, self.bot.send_message(message.chat_id, message.text, reply_markup=markup)
            )
        except RetryAfter as error:
            seconds = _seconds(error.retry_after)
            metrics.OUTBOX_RATE_LIMITED.inc()
            log.warning("Telegram asked to slow down: pausing %.0fs", seconds)
            self.limiter.pause(seconds)
            async with db.transaction() as session:
                await outbox.release(
                    session,
                    message.id,
                    owner=self.owner,
                    not_before=clock.now(),
                    error=str(error),
                    count_attempt=False,
                )
            return True
        except ChatMigrated as error:
            log.info("chat %s moved to %s; resending there", message.chat_id, error.new_chat_id)
            async with db.transaction() as session:
                await outbox.migrate_chat(
                    session, message.chat_id, error.new_chat_id, now=clock.now()
                )
                await outbox.release(
                    session,
                    message.id,
                    owner=self.owner,
                    not_before=clock.now(),
                    count_attempt=False,
                )
            return False
        except Forbidden as error:
            async with db.transaction() as session:
                dropped = await outbox.mark_unreachable(
                    session, message.chat_id, error=str(error), now=clock.now()
                )
            log.info(
                "chat %s is unreachable (%s); dropped %d queued messages",
                message.chat_id,
                error,
                dropped,
            )
            return False
        except BadRequest as error:
            log.warning(
                "message %s to chat %s failed for good: %s", message.id, message.chat_id, error
            )
            async with db.transaction() as session:
                await outbox.mark_failed(session, message.id, error=str(error))
            return True
        except Exception as error:  # network, 5xx, time-outs, and anything unexpected
            await self._retry_or_fail(message, error)
            return True
        await self._sent_marks.submit((message.id, sent.message_id))
        self._sent += 1
        return True

    async def _confirm(self, ids: list[int]) -> list[bool]:
        async with self.deps.db.transaction() as session:
            mine = await outbox.confirm_leases(
                session, ids, owner=self.owner, lease_until=self.deps.clock.now() + self.lease
            )
        return [message_id in mine for message_id in ids]

    async def _mark_sent(self, sent: list[tuple[int, int]]) -> list[None]:
        async with self.deps.db.transaction() as session:
            await outbox.mark_sent(session, sent, now=self.deps.clock.now())
        return [None] * len(sent)

    async def _retry_or_fail(self, message: outbox.Claimed, error: Exception) -> None:
        reason = f"{type(error).__name__}: {error}"
        if not isinstance(error, TelegramError):
            log.error("unexpected error sending message %s", message.id, exc_info=error)
        async with self.deps.db.transaction() as session:
            if message.attempts >= self.max_attempts:
                log.warning(
                    "message %s to chat %s failed after %d attempts: %s",
                    message.id,
                    message.chat_id,
                    message.attempts,
                    reason,
                )
                await outbox.mark_failed(session, message.id, error=reason)
                return
            delay = min(MAX_BACKOFF, self.retry_base * 2 ** (message.attempts - 1))
            delay *= random.uniform(0.5, 1.5)  # jitter: retries of a burst spread out
            await outbox.release(
                session,
                message.id,
                owner=self.owner,
                not_before=self.deps.clock.now() + dt.timedelta(seconds=delay),
                error=reason,
            )

    # ------------------------------------------------------------------ broadcast status

    async def refresh_statuses(self, *, force: bool = False) -> None:
        """Edit the status message of each running broadcast (at most every 2 s each), and
        show each broadcast's end once it is over, however late its status message appears.
        Each is worded in its author's language as it is now.

        Called by the drain between batches and when it ends, so never concurrently.
        """
        if not self.enabled or self.limiter.paused:
            return
        now = time.monotonic()
        self._ends_due = {b: t for b, t in self._ends_due.items() if now - t < END_PATIENCE}
        async with self.deps.db.transaction() as session:
            found = await broadcasts.statuses(session, now=self.deps.clock.now())
            # A finished broadcast is listed once (or for a while, if stopped): its end is
            # looked up by id until shown (its status message may not be attached yet).
            listed = {status.broadcast_id for status in found}
            late = [b for b in self._ends_due if b not in listed]
            if late:
                found += await broadcasts.statuses(
                    session, now=self.deps.clock.now(), broadcast_ids=late
                )
            authors = await outbox.recipients(
                session, {s.status_chat_id for s in found if s.status_chat_id is not None}
            )
        for status in found:
            finished = status.state != BroadcastState.QUEUED
            if finished:
                self._ends_due.setdefault(status.broadcast_id, now)
            if status.status_chat_id is None or status.status_message_id is None:
                continue
            author = authors.get(status.status_chat_id) or outbox.Recipient(None, None, None)
            reader = notices.reader_for(
                author.language,
                author.app_language,
                author.timezone,
                default_zone=self.deps.settings.default_timezone,
                now=self.deps.clock.now(),
            )
            text, markup = render_status(reader.t, status)
            if self._status_shown.get(status.broadcast_id) == text:
                self._ends_due.pop(status.broadcast_id, None)
                continue
            last = self._status_at.get(status.broadcast_id, 0.0)
            if not (force or finished or time.monotonic() - last >= STATUS_INTERVAL):
                continue
            # An edit counts against Telegram's limits like a message.
            slot = await self.limiter.acquire_if_ready(status.status_chat_id)
            if slot is None:
                continue  # the author's chat had a message a moment ago: next time
            self._status_shown[status.broadcast_id] = text
            self._status_at[status.broadcast_id] = time.monotonic()
            self._ends_due.pop(status.broadcast_id, None)
            try:
                await self._request(
                    slot,
                    self.bot.edit_message_text(
                        text,
                        chat_id=status.status_chat_id,
                        message_id=status.status_message_id,
                        reply_markup=markup,
                    ),
                )
            except TelegramError as error:
                if "not modified" not in str(error).lower():
                    log.warning(
                        "could not update broadcast %s status: %s", status.broadcast_id, error
                    )
        # What was shown is remembered while the broadcast is listed (a stopped one is, for
        # a while, and is edited again only if its count changes).
        keep = {status.broadcast_id for status in found} | set(self._ends_due)
        self._status_shown = {b: t for b, t in self._status_shown.items() if b in keep}
        self._status_at = {b: t for b, t in self._status_at.items() if b in keep}


async def tick(context: BotContext) -> None:
    """The repeating job: drain whatever became due and refresh broadcast statuses.

    It returns at once; the drain runs as its own task, so a long broadcast never makes
    the scheduler skip ticks.
    """
    context.bot_data["dispatcher"].kick()


def register(application: Application, dispatcher: Dispatcher) -> None:
    """Schedule the tick on PTB's JobQueue."""
    application.bot_data["dispatcher"] = dispatcher
    interval = dispatcher.deps.settings.delivery_tick_seconds
    application.job_queue.run_repeating(
        tick, interval=interval, first=0.0, name="delivery-tick", job_kwargs={"max_instances": 1}
    )
