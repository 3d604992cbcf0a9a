"""Long polling through the inbox, by exactly one replica at a time.

Telegram allows one getUpdates caller per bot. The replica that holds the poller lock polls;
the others handle updates from the inbox all the same and try for the lock every
TAKEOVER_SECONDS, so when the poller stops or dies another one polls within that time.

The lock: on PostgreSQL a session-level advisory lock, held by one connection kept open for
it. The server releases it when that connection ends: at once when the process exits or is
killed (the kernel closes its socket), and within about 25 s when the machine or network
vanishes (the lock connection sets TCP keepalives). On SQLite (one process per file) a file
lock next to the database does the same job.

Each getUpdates batch is committed to the inbox in one INSERT before the next call's offset
moves past it: an update Telegram handed out is acknowledged only once it is durable.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection
from telegram import Bot, Update
from telegram.error import Conflict, InvalidToken, NetworkError, TelegramError

from bot import metrics
from bot.db import Database
from bot.intake import Intake
from bot.process_lock import ProcessLock
from bot.services import inbox

log = logging.getLogger(__name__)

TAKEOVER_SECONDS = 5.0
# A replica that holds the lock checks now and then that its lock connection is still there.
CHECK_SECONDS = 5.0
# Any 64-bit number, the same for every replica of this bot: "exercise-therapy-bot poller".
_LOCK_KEY = 0x6578_7468_706F_6C6C
MAX_BACKOFF = 30.0


class PollerLock:
    """Who may poll: an advisory lock on PostgreSQL, a file lock on SQLite (module doc)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._connection: AsyncConnection | None = None
        self._file: ProcessLock | None = None

    async def acquire(self) -> bool:
        """Take the lock if nobody holds it; True when this process now holds it."""
        if self.db.is_sqlite:
            path = self.db.sqlite_path
            if path is None:
                return True
            self._file = ProcessLock(path.with_name(path.name + ".poller.lock"))
            if self._file.acquire():
                return True
            self._file = None
            return False
        connection = await self.db.engine.connect()
        try:
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            # The server notices a vanished host in ~25 s and then frees the lock.
            for setting, value in (
                ("tcp_keepalives_idle", 10),
                ("tcp_keepalives_interval", 5),
                ("tcp_keepalives_count", 3),
            ):
                await connection.execute(text(f"SET {setting} = {value}"))
            taken = await connection.scalar(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": _LOCK_KEY}
            )
        except BaseException:
            await _close(connection)
            raise
        if not taken:
            await _close(connection)
            return False
        self._connection = connection
        return True

    async def held(self) -> bool:
        """True while the lock is still ours (its connection is alive)."""
        if self.db.is_sqlite:
            return True
        if self._connection is None:
            return False
        try:
            await asyncio.wait_for(self._connection.execute(text("SELECT 1")), 5)
        except Exception:
            return False
        return True

    async def release(self) -> None:
        """Let go of the lock (closing its connection also frees it on the server)."""
        if self._file is not None:
            self._file.release()
            self._file = None
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _LOCK_KEY}),
                    5,
                )
            await _close(connection)


async def _close(connection: AsyncConnection) -> None:
    with contextlib.suppress(Exception):
        # Invalidate: a pooled connection would keep the session (and any lock) alive.
        await connection.invalidate()
    with contextlib.suppress(Exception):
        await connection.close()


class Poller:
    """Polls Telegram while this replica holds the poller lock; stores every batch first."""

    def __init__(self, bot: Bot, intake: Intake, db: Database, *, timeout: int = 25) -> None:
        self.bot = bot
        self.intake = intake
        self.lock = PollerLock(db)
        self.timeout = timeout
        self.polling = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start trying for the lock and polling in the background."""
        self._task = asyncio.get_running_loop().create_task(self._run(), name="poller")

    async def stop(self) -> None:
        """Stop polling at once (a fetched batch not yet stored is fetched again later)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    @property
    def running(self) -> bool:
        """True while the poller task runs (polling, or waiting for its turn)."""
        return self._task is not None and not self._task.done()

    async def _run(self) -> None:
        waiting_said = False
        while True:
            try:
                mine = await self.lock.acquire()
            except Exception as error:
                log.warning("could not ask the database who polls (%s); trying again", error)
                mine = False
            if not mine:
                if not waiting_said:
                    log.info(
                        "another replica receives updates by long polling; this one handles "
                        "updates and takes over if it stops"
                    )
                    waiting_said = True
                await asyncio.sleep(TAKEOVER_SECONDS * random.uniform(0.8, 1.0))
                continue
            waiting_said = False
            self.polling = True
            metrics.POLLING.set(1)
            log.info("this replica now receives updates by long polling")
            try:
                await self._poll()
            finally:
                self.polling = False
                metrics.POLLING.set(0)
                await self.lock.release()

    async def _poll(self) -> None:
        """Poll while the lock is ours; return when it is lost."""
        await self._delete_webhook()
        offset: int | None = None
        checked = time.monotonic()
        failures = 0
        while True:
            if time.monotonic() - checked > CHECK_SECONDS:
                if not await self.lock.held():
                    log.warning("lost the poller lock (database connection gone); stepping back")
                    return
                checked = time.monotonic()
            try:
                batch = await self._get_updates(offset)
                if batch:
                    await self.intake.store(_readable(batch))
                    offset = batch[-1]["update_id"] + 1
                failures = 0
            except InvalidToken:
                raise
            except Conflict as error:
                failures += 1
                log.warning(
                    "Telegram refused getUpdates (%s): a webhook is set or another process "
                    "polls with this token; trying again",
                    error,
                )
                await asyncio.sleep(min(MAX_BACKOFF, 2.0 * failures))
            except (NetworkError, TelegramError) as error:
                failures += 1
                log.warning("getUpdates failed (%s); trying again", error)
                await asyncio.sleep(min(MAX_BACKOFF, 0.5 * 2**failures))
            except Exception as error:  # the database refused the batch: fetch it again
                failures += 1
                log.warning("could not store updates (%s); fetching them again", error)
                await asyncio.sleep(min(MAX_BACKOFF, 0.5 * 2**failures))

    async def _get_updates(self, offset: int | None) -> list[dict[str, Any]]:
        """getUpdates as Telegram's JSON: the inbox keeps it as it came."""
        data: dict[str, Any] = {
            "timeout": self.timeout,
            "offset": offset,
            "limit": 100,
            "allowed_updates": Update.ALL_TYPES,
        }
        # Bot.get_updates would build Update objects only for us to turn them back into
        # JSON; _post is what it calls, without that round trip.
        result = await self.bot._post("getUpdates", data, read_timeout=self.timeout + 10.0)
        return list(result or [])

    async def _delete_webhook(self) -> None:
        """A webhook left over (the bot ran in webhook mode) blocks getUpdates: remove it."""
        for attempt in range(5):
            try:
                await self.bot.delete_webhook(drop_pending_updates=False)
                return
            except InvalidToken:
                raise
            except TelegramError as error:
                log.warning("could not remove a webhook (%s); trying again", error)
                await asyncio.sleep(min(MAX_BACKOFF, 2.0**attempt))


def _readable(batch: list[dict[str, Any]]) -> list[inbox.Received]:
    """The batch's updates for the inbox; anything that is not an update is logged and
    skipped (the offset moves past it, as PTB's updater does)."""
    items = []
    for update in batch:
        try:
            items.append(inbox.received(update))
        except inbox.NotAnUpdate as error:
            log.warning("skipping something getUpdates returned that is not an update (%s)", error)
    return items
