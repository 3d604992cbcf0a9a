"""The bot as real processes: killed in the middle of a broadcast, and two at once."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.db import Database
from bot.migrations import PROJECT_ROOT
from bot.models import OutboxMessage, OutboxState
from bot.services import broadcasts, users
from tests.delivery.conftest import received, seed_clients
from tests.delivery.test_dispatcher import states
from tests.harness import TEST_TOKEN, eventually

ADMIN = 900001
CONCURRENCY = 8


@dataclass
class BotProcess:
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text()

    async def ready(self) -> None:
        await eventually(
            lambda: "ready" in self.log() or self.process.poll() is not None, timeout=60
        )
        assert self.process.poll() is None, f"the bot exited:\n{self.log()}"

    def sent(self) -> int:
        return sum(int(n) for n in re.findall(r"dispatcher \S+ sent (\d+) messages", self.log()))


@pytest.fixture
def start_bot(telegram_server, tmp_path):
    started: list[BotProcess] = []

    def start(name: str, database_url: str) -> BotProcess:
        log_path = tmp_path / f"{name}.log"
        env = {
            **os.environ,
            "BOT_TOKEN": TEST_TOKEN,
            "TELEGRAM_API_BASE_URL": f"{telegram_server.base_url}/bot",
            "DATABASE_URL": database_url,
            "ADMIN_IDS": str(ADMIN),
            "LOG_LEVEL": "INFO",
            "DELIVERY_TICK_SECONDS": "0.2",
            "DELIVERY_LEASE_SECONDS": "2",
            "DELIVERY_MAX_PER_SECOND": "100",
            "DELIVERY_CONCURRENCY": str(CONCURRENCY),
            "PYTHONPATH": str(PROJECT_ROOT),
        }
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot", "run"],
                cwd=tmp_path,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        bot = BotProcess(process, log_path)
        started.append(bot)
        return bot

    yield start
    for bot in started:
        if bot.process.poll() is None:
            bot.process.kill()
            bot.process.wait()


async def queue_broadcast(db: Database, text: str) -> None:
    moment = dt.datetime.now(dt.UTC)
    async with db.transaction() as session:
        admin = (
            await users.register_user(
                session, users.Profile(id=ADMIN, first_name="Ada"), now=moment, admin_ids={ADMIN}
            )
        ).user
        draft = await broadcasts.draft(
            session,
            admin,
            broadcasts.ALL_CLIENTS,
            html=text,
            body=text,
            length=len(text),
            now=moment,
        )
        await broadcasts.queue(session, admin, draft.id, now=moment)


async def test_killed_mid_broadcast_then_restarted_everyone_gets_it(
    start_bot, fresh_database_url, tg
):
    url = fresh_database_url()
    await tg.faults(limits={"overall_per_second": 120})
    first = start_bot("first", url)
    await first.ready()
    db = Database(url)
    try:
        # The bot runs on the wall clock: news would wait for quiet hours in the evening.
        recipients = await seed_clients(db, tg, 500, quiet_hours=False)
        await queue_broadcast(db, "Crash test broadcast")

        async def delivered_some() -> bool:
            return (await tg.counters()).get("delivered", 0) >= 150

        await eventually(delivered_some, timeout=30, interval=0.02)
        first.process.send_signal(signal.SIGKILL)
        first.process.wait()
        before = (await tg.counters())["delivered"]
        assert before < 500, "the broadcast finished before the kill"
        recorded = await _sent_chats(db)

        second = start_bot("second", url)
        await second.ready()

        async def everyone() -> bool:
            return len(await received(tg, recipients, "Crash test broadcast")) == 500

        await eventually(everyone, timeout=60, interval=0.5)
        await eventually(lambda: _only_sent(db, 500), timeout=10)
    finally:
        await db.dispose()

    counts = await received(tg, recipients, "Crash test broadcast")
    twice = {chat for chat, count in counts.items() if count > 1}
    # Only a request in flight at the kill (let go, its success not yet recorded) can arrive
    # twice: nothing recorded as sent is sent again, and at most DELIVERY_CONCURRENCY were
    # in flight.
    assert set(counts.values()) <= {1, 2}
    assert not twice & recorded, sorted(twice & recorded)
    assert len(twice) <= CONCURRENCY
    # The second process logs what it sent after it sent it: wait for the line.
    await eventually(lambda: second.sent() >= 500 - before, timeout=30)


async def _sent_chats(db) -> set[int]:
    async with db.reading() as session:
        found = await session.scalars(
            select(OutboxMessage.chat_id).where(OutboxMessage.state == OutboxState.SENT)
        )
        return set(found)


async def _only_sent(db, count: int) -> bool:
    return await states(db) == {OutboxState.SENT: count}


async def test_two_processes_share_one_broadcast(start_bot, fresh_database_url, tg):
    url = fresh_database_url()
    await tg.faults(limits={"overall_per_second": 250})
    first = start_bot("first", url)
    await first.ready()
    second = start_bot("second", url)
    await second.ready()
    db = Database(url)
    try:
        recipients = await seed_clients(db, tg, 300, quiet_hours=False)
        await queue_broadcast(db, "Shared broadcast")

        async def everyone() -> bool:
            return len(await received(tg, recipients, "Shared broadcast")) == 300

        await eventually(everyone, timeout=60, interval=0.5)
        await eventually(lambda: _only_sent(db, 300), timeout=10)
        is_sqlite = db.is_sqlite
    finally:
        await db.dispose()
    assert await received(tg, recipients, "Shared broadcast") == dict.fromkeys(recipients, 1)

    await eventually(lambda: first.sent() + second.sent() == 300, timeout=10)
    if is_sqlite:
        # One process per SQLite file dispatches; the other says why it does not.
        assert "Another bot process" in second.log()
        assert "Run one bot process per SQLite file" in second.log()
        assert (first.sent(), second.sent()) == (300, 0)
    else:
        # On PostgreSQL both dispatch, and never the same message.
        assert first.sent() > 0
        assert second.sent() > 0
