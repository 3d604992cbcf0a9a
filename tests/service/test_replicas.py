"""Three replicas as real processes on one PostgreSQL database: webhook and long polling.

2,000 updates from 200 chats (each an unknown command, answered "I don't know /c<chat>n<k>",
so every reply names its update). One replica is killed (SIGKILL) in the middle. Every
update must be answered, a chat's answers must come in the order its updates were sent,
and an answer may come twice only for updates the killed replica had in hand (at most
UPDATE_CONCURRENCY of them: the window the README documents). In polling mode the killed
replica is the one polling, and another must take over within 30 s.

Expensive (three bots, minutes of CPU on a small machine): one run of each mode, on the
PostgreSQL pass only.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from bot.db import Database
from bot.migrations import PROJECT_ROOT
from bot.models import InboxState, InboxUpdate
from tests.harness import TEST_TOKEN, eventually
from tests.service.conftest import HOOK_PATH, ON_POSTGRES, SECRET, free_port

pytestmark = pytest.mark.skipif(
    not ON_POSTGRES,
    reason="replicas share a PostgreSQL database (on SQLite the bot is one process); "
    "these run on the PostgreSQL pass",
)

CHATS = 200
PER_CHAT = 10
CONCURRENCY = 16
FIRST_CHAT = 700000
REPLY = re.compile(r"I don't know /c(\d+)n(\d+)\.")


@dataclass
class Replica:
    name: str
    process: subprocess.Popen
    log_path: Path
    port: int | None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def polls(self) -> bool:
        return "this replica now receives updates by long polling" in self.log()


@pytest.fixture
def start_replica(telegram_server, tmp_path):
    started: list[Replica] = []

    def start(name: str, database_url: str, **env: str) -> Replica:
        log_path = tmp_path / f"{name}.log"
        port = int(env["WEB_PORT"]) if "WEB_PORT" in env else None
        variables = {
            **os.environ,
            "BOT_TOKEN": TEST_TOKEN,
            "TELEGRAM_API_BASE_URL": f"{telegram_server.base_url}/bot",
            "DATABASE_URL": database_url,
            "LOG_LEVEL": "INFO",
            "UPDATE_CONCURRENCY": str(CONCURRENCY),
            "INBOX_LEASE_SECONDS": "4",
            "TIP_TICK_SECONDS": "3600",
            "PYTHONPATH": str(PROJECT_ROOT),
            **env,
        }
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot", "run"],
                cwd=tmp_path,
                env=variables,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        replica = Replica(name, process, log_path, port)
        started.append(replica)
        return replica

    yield start
    for replica in started:
        if replica.process.poll() is None:
            replica.process.kill()
            replica.process.wait()


async def running(replicas: list[Replica]) -> None:
    async def all_running() -> bool:
        for replica in replicas:
            assert replica.process.poll() is None, f"{replica.name} exited:\n{replica.log()}"
        return all("running (" in replica.log() for replica in replicas)

    await eventually(all_running, timeout=90, interval=0.2)


async def send_all(tg) -> None:
    """Each chat sends its commands in order (a chat's next one after the previous was
    accepted by Telegram), all chats at once."""
    await tg.call(
        "users",
        users=[{"id": FIRST_CHAT + n, "first_name": f"C{n}"} for n in range(CHATS)],
    )
    gate = asyncio.Semaphore(40)

    async def chat(n: int) -> None:
        person = {"id": FIRST_CHAT + n, "first_name": f"C{n}"}
        for k in range(PER_CHAT):
            async with gate:
                await tg.call("message", **{"from": person, "text": f"/c{n}n{k}"})

    await asyncio.gather(*(chat(n) for n in range(CHATS)))


async def replies(tg) -> dict[int, list[int]]:
    """Per chat, the k of each answer in the order the answers arrived."""
    found: dict[int, list[int]] = defaultdict(list)
    for event in await tg.events():
        if event["kind"] != "message":
            continue
        match = REPLY.search(event["message"].get("text") or "")
        if match:
            found[int(match.group(1))].append(int(match.group(2)))
    return found


async def answered(tg) -> int:
    return sum(len(set(ks)) for ks in (await replies(tg)).values())


async def check_outcome(tg, database_url: str) -> tuple[int, set[str]]:
    """Everything answered, in order per chat; returns how many answers came twice, and
    the processes that handled updates."""

    async def everything() -> bool:
        return await answered(tg) == CHATS * PER_CHAT

    await eventually(everything, timeout=180, interval=1.0)
    found = await replies(tg)
    assert sorted(found) == list(range(CHATS))
    for n, ks in found.items():
        assert ks == sorted(ks), f"chat {n} got its answers out of order: {ks}"
        assert set(ks) == set(range(PER_CHAT))
    duplicates = sum(len(ks) - len(set(ks)) for ks in found.values())
    db = Database(database_url)
    try:

        async def all_done() -> bool:
            async with db.reading() as session:
                rows = await session.execute(
                    select(InboxUpdate.state, func.count()).group_by(InboxUpdate.state)
                )
                return dict(rows.all()) == {InboxState.DONE: CHATS * PER_CHAT}

        await eventually(all_done, timeout=30, interval=0.5)
        async with db.reading() as session:
            owners = set(await session.scalars(select(InboxUpdate.lease_owner).distinct()))
    finally:
        await db.dispose()
    return duplicates, {owner.split(":")[1] for owner in owners}


async def test_three_replicas_by_webhook_one_killed(start_replica, fresh_database_url, tg):
    url = fresh_database_url()
    ports = [free_port() for _ in range(3)]
    # A load balancer in front: the fake spreads deliveries round-robin over the replicas.
    await tg.call("webhook_targets", urls=[f"http://127.0.0.1:{port}{HOOK_PATH}" for port in ports])
    replicas = [
        start_replica(
            f"replica{index}",
            url,
            BOT_MODE="webhook",
            WEBHOOK_URL=f"http://127.0.0.1:{ports[0]}{HOOK_PATH}",
            WEBHOOK_SECRET=SECRET,
            WEB_PORT=str(port),
        )
        for index, port in enumerate(ports)
    ]
    await running(replicas)
    sending = asyncio.create_task(send_all(tg))

    async def a_third_answered() -> bool:
        return await answered(tg) >= CHATS * PER_CHAT // 3

    await eventually(a_third_answered, timeout=120, interval=0.2)
    victim = replicas[1]
    victim.process.send_signal(signal.SIGKILL)
    victim.process.wait()
    await sending
    duplicates, handlers = await check_outcome(tg, url)
    assert duplicates <= CONCURRENCY, duplicates
    assert handlers == {str(replica.process.pid) for replica in replicas}
    for replica in (replicas[0], replicas[2]):
        assert "Traceback" not in replica.log()
    async with httpx.AsyncClient() as client:
        for port in (ports[0], ports[2]):
            assert (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200


async def test_three_replicas_by_long_polling_poller_killed(start_replica, fresh_database_url, tg):
    url = fresh_database_url()
    replicas = [start_replica(f"replica{index}", url) for index in range(3)]
    await running(replicas)
    await eventually(lambda: sum(r.polls() for r in replicas) == 1, timeout=30)
    sending = asyncio.create_task(send_all(tg))

    async def a_third_answered() -> bool:
        return await answered(tg) >= CHATS * PER_CHAT // 3

    await eventually(a_third_answered, timeout=120, interval=0.2)
    poller = next(replica for replica in replicas if replica.polls())
    others = [replica for replica in replicas if replica is not poller]
    poller.process.send_signal(signal.SIGKILL)
    poller.process.wait()
    killed_at = time.monotonic()
    await eventually(lambda: any(r.polls() for r in others), timeout=30, interval=0.1)
    took_over_in = time.monotonic() - killed_at
    assert took_over_in < 30
    await sending
    duplicates, handlers = await check_outcome(tg, url)
    assert duplicates <= CONCURRENCY, duplicates
    # Every replica handled updates, not only the one polling.
    assert handlers == {str(replica.process.pid) for replica in replicas}
    assert sum(1 for replica in others if replica.polls()) == 1
    assert all("Traceback" not in replica.log() for replica in others)
