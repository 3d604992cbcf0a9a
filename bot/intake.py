"""This process's side of the inbox: store what arrives, handle what it claims.

Both ways updates arrive (long polling in bot/polling.py, the webhook in web/webhook.py) end
in `Intake.store`: the update is committed to the inbox before Telegram is told it arrived.
Workers then claim chat heads (bot/services/inbox.py explains the ordering) and run each
through `Application.process_update`, PTB's handler machinery with the error handler that
sends the apology.

One loop does all the writing, so that updates share transactions instead of paying
several each: the updates that arrived, the outcomes of those that finished (they wait up
to OUTCOME_DELAY for company), lease renewals and the next claims go in one transaction
per turn (group commit: a getUpdates batch or concurrent webhook requests share one INSERT).
On PostgreSQL the turn is one call of a PL/pgSQL function (one round trip) on an asyncpg
connection the worker keeps for it (and for LISTEN): SQLAlchemy's layers, and a round trip
per statement, cost more than the statements on this path, which runs for every update
(bench/inbox.py).

Crash safety: a claimed update carries a lease (INBOX_LEASE_SECONDS, renewed while its
handler runs). If the process dies, the update is claimed again once the lease ends, and
handled again from the start. Telegram has no idempotency key: an update whose reply had
been sent but whose outcome was not yet committed when the process died is answered twice.
That window is at most UPDATE_CONCURRENCY updates per replica, one handler run each.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import datetime as dt
import json
import logging
import os
import secrets
import socket
import time
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url
from telegram import Update
from telegram.ext import Application

from bot import metrics
from bot.clock import SystemClock
from bot.db import Database
from bot.logs import log_context, redact
from bot.services import inbox
from bot.services.errors import DomainError

log = logging.getLogger(__name__)

# Outcomes wait this long for other outcomes or a store to share their transaction (a busy
# bot stores every few milliseconds: outcomes then cost no transaction of their own).
OUTCOME_DELAY = 0.05
# How often the loop looks for work nobody announced: a lease that ran out, or (on
# PostgreSQL, should a notification be missed) updates another replica stored.
TICK_SECONDS = 1.0
# Inbox leases and times are real time whatever clock the services use: they are about
# processes, not about the domain (tests move the domain clock by days).
_WALL = SystemClock()


@dataclass
class _Failure:
    error: BaseException | None = None


# Set for each update being handled; the error hook records the handler's exception there.
_current: contextvars.ContextVar[_Failure | None] = contextvars.ContextVar(
    "inbox_failure", default=None
)


def describe_error(error: BaseException) -> str:
    """The error as stored with a failed update: its type and message, redacted."""
    return redact(f"{type(error).__name__}: {error}")[: inbox.ERROR_LENGTH]


class Intake:
    """Stores incoming updates and runs this replica's workers. See the module doc."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        db: Database,
        *,
        concurrency: int,
        lease_seconds: float,
        retention: dt.timedelta,
    ) -> None:
        self.application = application
        self.db = db
        self.concurrency = concurrency
        self.lease = dt.timedelta(seconds=lease_seconds)
        self.retention = retention
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.accepting = True
        self._running: dict[int, asyncio.Task[None]] = {}
        self._outcomes: list[inbox.Outcome] = []
        self._given_back: list[int] = []
        self._wake = asyncio.Event()
        self._wake_soon: asyncio.TimerHandle | None = None
        self._stopping = False
        self._loop_task: asyncio.Task[None] | None = None
        self._listener: Any = None
        self._renewed_at = 0.0
        self._pruned_at = time.monotonic() - 3000  # first prune a few minutes after start
        self._asked = 0
        self._stores: list[tuple[list[inbox.Received], asyncio.Future[None]]] = []
        application.add_error_handler(_note_failure)

    # ------------------------------------------------------------------ storing

    async def store(self, updates: list[inbox.Received]) -> None:
        """Commit `updates` to the inbox; return once they are durable.

        They join the workers' next transaction (with the outcomes and claims of that turn),
        so updates arriving together, from a getUpdates batch or concurrent webhook requests,
        share one INSERT. Raises if the database refused them: nothing is then acknowledged,
        and Telegram sends them again.
        """
        if not self.running or self._stopping:
            raise RuntimeError("the inbox is not taking updates (stopping)")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._stores.append((updates, future))
        self.wake()
        await future

    # ------------------------------------------------------------------ the loop

    def wake(self) -> None:
        """Look for work now (updates were stored, the process is stopping)."""
        self._wake.set()

    def _wake_shortly(self) -> None:
        """A handler finished: record it within OUTCOME_DELAY, together with whatever else
        finishes or arrives meanwhile (group commit)."""
        if self._wake_soon is None:
            self._wake_soon = asyncio.get_running_loop().call_later(OUTCOME_DELAY, self._woken)

    def _woken(self) -> None:
        self._wake_soon = None
        self._wake.set()

    async def start(self) -> None:
        """Start the workers' loop (and, on PostgreSQL, listen for other replicas' stores)."""
        self._stopping = False
        await self._listen()
        self._loop_task = asyncio.get_running_loop().create_task(self._loop(), name="inbox")

    @property
    def running(self) -> bool:
        """True while the workers' loop runs."""
        return self._loop_task is not None and not self._loop_task.done()

    @property
    def in_flight(self) -> int:
        """Updates being handled right now."""
        return len(self._running)

    async def _loop(self) -> None:
        failures = 0
        while True:
            self._wake.clear()
            try:
                claimed = await self._turn()
                failures = 0
            except Exception as error:
                failures += 1
                # The database is away: what was claimed comes back after its lease, outcomes
                # wait for the next turn.
                log.warning("inbox: could not reach the database (%s); trying again", error)
                await asyncio.sleep(min(30.0, 0.5 * 2**failures))
                continue
            if self._stopping and not (self._running or self._outcomes or self._given_back):
                for _, future in self._stores:
                    if not future.done():
                        future.set_exception(RuntimeError("stopped before storing"))
                self._stores = []
                return
            for row in claimed:
                self._running[row.update_id] = asyncio.get_running_loop().create_task(
                    self._handle(row), name=f"update-{row.update_id}"
                )
            if claimed and len(self._running) < self.concurrency and len(claimed) == self._asked:
                continue  # took all it asked for: there may be more
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), TICK_SECONDS)

    async def _turn(self) -> list[inbox.Claimed]:
        """One transaction: store what arrived, record outcomes, renew leases now and then,
        claim what fits (bot/services/inbox.py's run_turn)."""
        free = 0 if self._stopping else self.concurrency - len(self._running)
        renew = time.monotonic() - self._renewed_at > self.lease.total_seconds() / 3
        if not (
            self._stores
            or self._outcomes
            or self._given_back
            or free > 0
            or (renew and self._running)
        ):
            return []
        stores, self._stores = self._stores, []
        outcomes, self._outcomes = self._outcomes, []
        given_back, self._given_back = self._given_back, []
        self._asked = free
        turn = inbox.Turn(
            owner=self.owner,
            now=_WALL.now(),
            lease=self.lease,
            stores=[item for batch, _ in stores for item in batch],
            outcomes=outcomes,
            given_back=given_back,
            renew=list(self._running) if renew else [],
            claim=free,
        )
        try:
            if self.db.is_sqlite:
                async with self.db.transaction() as session:
                    result = await inbox.run_turn(session, turn)
            else:
                result = await inbox.run_turn_pg(await self._connection(), turn)
        except BaseException as error:
            # Nothing of this turn was written: the stores fail (the updates come again), the
            # outcomes wait for the next turn.
            for _, future in stores:
                if not future.done():
                    future.set_exception(
                        error if isinstance(error, Exception) else RuntimeError("stopped")
                    )
            self._outcomes = outcomes + self._outcomes
            self._given_back = given_back + self._given_back
            await self._drop_connection()
            raise
        for _, future in stores:
            if not future.done():
                future.set_result(None)
        for item in result.new:
            metrics.UPDATES_RECEIVED.labels(item.kind).inc()
        if renew:
            self._renewed_at = time.monotonic()
        for row in result.spent:
            log.error("update %s: %s", row.update_id, inbox.GAVE_UP)
            metrics.UPDATES_FAILED.labels(row.kind).inc()
        if time.monotonic() - self._pruned_at > 3600:
            await self._prune()
        return result.claimed

    async def _prune(self) -> None:
        """Delete what was handled longer ago than the retention (hourly)."""
        self._pruned_at = time.monotonic()
        async with self.db.transaction() as session:
            pruned = await inbox.prune(session, handled_before=_WALL.now() - self.retention)
        if pruned:
            log.info("inbox: deleted %d updates handled over %s ago", pruned, self.retention)

    async def _handle(self, row: inbox.Claimed) -> None:
        failure = _Failure()
        _current.set(failure)
        started = time.perf_counter()
        with log_context(update_id=row.update_id, chat_id=row.chat_id):
            try:
                update = Update.de_json(json.loads(row.payload), self.application.bot)
                await self.application.process_update(update)
            except asyncio.CancelledError:
                # Shutting down past the grace period: give it back for another worker.
                self._given_back.append(row.update_id)
                self._running.pop(row.update_id, None)
                self.wake()
                raise
            except Exception as error:  # the JSON or PTB's parsing of it
                log.exception("could not handle update %s", row.update_id)
                failure.error = error
        elapsed = time.perf_counter() - started
        error = failure.error
        if error is not None and not isinstance(error, DomainError):
            self._outcomes.append(inbox.Outcome(row.update_id, describe_error(error)))
            metrics.UPDATES_FAILED.labels(row.kind).inc()
        else:
            self._outcomes.append(inbox.Outcome(row.update_id))
            metrics.UPDATES_HANDLED.labels(row.kind).inc()
        metrics.UPDATE_SECONDS.labels(row.kind).observe(elapsed)
        self._running.pop(row.update_id, None)
        self._wake_shortly()

    # ------------------------------------------------------------------ stopping

    async def stop(self, grace: float) -> None:
        """Take no new work; let updates in flight finish within `grace` seconds, then give
        back what is still running; record every outcome."""
        self.accepting = False
        self._stopping = True
        self.wake()
        if self._loop_task is None:
            return
        running = list(self._running.values())
        if running:
            log.info("waiting up to %.0fs for %d updates in flight", grace, len(running))
            _, late = await asyncio.wait(running, timeout=grace)
            if late:
                log.warning(
                    "%d updates did not finish within %.0fs; giving them back", len(late), grace
                )
                for task in late:
                    task.cancel()
                await asyncio.gather(*late, return_exceptions=True)
        self.wake()
        try:
            await asyncio.wait_for(asyncio.shield(self._loop_task), 10)
        except TimeoutError:
            log.warning("could not record the last outcomes; their leases will run out")
            self._loop_task.cancel()
        self._loop_task = None
        await self._drop_connection()

    # ------------------------------------------------------------------ PostgreSQL

    async def _listen(self) -> None:
        """On PostgreSQL, open the worker's connection now (it also LISTENs)."""
        if self.db.is_sqlite:
            return
        try:
            await self._connection()
        except Exception as error:
            log.warning("inbox: cannot reach the database yet (%s); trying again", error)

    async def _connection(self) -> Any:
        """The asyncpg connection this worker's turns run on, LISTENing for other replicas'
        stores; opened again after a failure."""
        if self._listener is None or self._listener.is_closed():
            url = make_url(self.db.url).set(drivername="postgresql")
            connection = await asyncpg.connect(
                url.render_as_string(hide_password=False), timeout=10
            )
            await connection.add_listener(inbox.NOTIFY_CHANNEL, self._notified)
            self._listener = connection
            self.wake()  # anything announced while it was away
        return self._listener

    async def _drop_connection(self) -> None:
        connection, self._listener = self._listener, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), 5)

    def _notified(self, _connection: object, _pid: int, _channel: str, by: str) -> None:
        if by != self.owner:  # this worker's own stores woke it already
            self.wake()


def record_failure(error: BaseException) -> None:
    """Mark the update being handled as failed with `error`: for a failure its handler's own
    guard answered (in the reader's language) instead of PTB's error handler."""
    failure = _current.get()
    if failure is not None:
        failure.error = error


async def _note_failure(update: object, context: Any) -> None:
    """Error handler: remember the handler's exception for the update being handled."""
    failure = _current.get()
    if failure is not None and context.error is not None:
        failure.error = context.error
