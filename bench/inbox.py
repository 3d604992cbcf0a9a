"""Benchmark: what the inbox itself costs per update, in CPU of the bot's process.

Run:  .venv/bin/python -m bench.inbox                  (PostgreSQL and SQLite)
      .venv/bin/python -m bench.inbox --databases postgres --updates 3000

The real `Intake` (bot/intake.py) stores updates, claims them, hands each to the
Application and records the outcome, with the Application replaced by one whose
`process_update` does nothing: what is left is the inbox's own work (transactions, JSON,
bookkeeping; building the Update object is counted separately, as PTB's Updater did that
before the inbox too). Updates arrive in batches, as getUpdates returns them (1 at a time
for a quiet bot, more under load), from many chats. The figure is process CPU time
(time.process_time) per update; compare it with the bot's CPU per update in
bench/service.py.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import tempfile
import time

from telegram import Update

from bench.service import empty_database
from bot.db import Database
from bot.intake import Intake
from bot.migrations import upgrade
from bot.services import inbox


class NoHandlers:
    """Stands in for the Application: counts updates, handles nothing."""

    def __init__(self) -> None:
        self.bot = None
        self.handled = 0
        self.done = asyncio.Event()
        self.expected = 0

    def add_error_handler(self, callback: object) -> None:
        """The intake registers its failure hook; nothing fails here."""

    async def process_update(self, update: object) -> None:
        """Count the update."""
        self.handled += 1
        if self.handled >= self.expected:
            self.done.set()


def update(update_id: int, chat_id: int) -> inbox.Received:
    return inbox.received(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 1764230400,
                "chat": {"id": chat_id, "type": "private", "first_name": "A"},
                "from": {"id": chat_id, "is_bot": False, "first_name": "A", "language_code": "en"},
                "text": "/help",
                "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
            },
        }
    )


async def measure(url: str, updates: int, batch: int) -> float:
    """CPU seconds per update for `updates` arriving `batch` at a time."""
    db = Database(url)
    try:
        await upgrade(db.engine)
        application = NoHandlers()
        intake = Intake(
            application,  # type: ignore[arg-type]
            db,
            concurrency=16,
            lease_seconds=60,
            retention=dt.timedelta(hours=48),
        )
        await intake.start()
        first = int(time.time() * 1000) % 1_000_000_000 * 100
        items = [update(first + n, 5_000_000 + n % 500) for n in range(updates + batch)]
        application.expected = len(items)
        await intake.store(items[:batch])  # warm up connections and statement caches
        started = time.process_time()
        for start in range(batch, len(items), batch):
            await intake.store(items[start : start + batch])
        await application.done.wait()
        await intake.stop(5)
        return (time.process_time() - started) / updates
    finally:
        await db.dispose()


def parse_cost(rounds: int = 2000) -> float:
    """CPU seconds to turn one stored update into an Update (done before the inbox too)."""
    payload = update(1, 5).payload
    started = time.process_time()
    for _ in range(rounds):
        Update.de_json(json.loads(payload), None)
    return (time.process_time() - started) / rounds


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--databases", default="postgres,sqlite")
    parser.add_argument(
        "--postgres-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test"
    )
    args = parser.parse_args()
    rows = []
    for name in args.databases.split(","):
        for batch in (1, 4, 16):
            if name == "sqlite":
                url = f"sqlite+aiosqlite:///{tempfile.mkdtemp(prefix='bench-inbox-')}/b.db"
                rows.append((name, batch, await measure(url, args.updates, batch)))
                continue
            async with empty_database(args.postgres_url) as url:
                rows.append((name, batch, await measure(url, args.updates, batch)))
            print(f"[{name}] batches of {batch}: {1000 * rows[-1][2]:.2f} ms", flush=True)
    parse = parse_cost()
    print()
    print(f"{args.updates} updates from 500 chats; building the Update: {1000 * parse:.2f} ms each")
    print("| database | updates per batch | inbox CPU per update | of it, building the Update |")
    print("|---|---|---|---|")
    for name, batch, cost in rows:
        print(f"| {name} | {batch} | {1000 * cost:.2f} ms | {1000 * parse:.2f} ms |")


if __name__ == "__main__":
    asyncio.run(main())
