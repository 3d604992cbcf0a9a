"""Benchmark: the reads that come with every update, through a session and without one.

Run:  .venv/bin/python -m bench.reads                    (PostgreSQL and SQLite)
      .venv/bin/python -m bench.reads --databases postgres --calls 3000

Every update pays for the guard's read of the person (`users.read_user`), and every
/classes for its page (`classes.listing`). Both read through `Database.read_rows`, which on
PostgreSQL runs a statement compiled once straight on the pooled connection's driver. This
measures each read that way and, beside it, the same statement through a reading session
(`Database.reading()`, `session.execute`, the ORM's rows): what they cost before. The
figure is the CPU time of this process (time.process_time) per read, on the data set of
bench/classes.py (10,000 clients, 200 weekly series, 20,000 bookings). The two ways run in
alternating blocks and each is reported as its median block, so that a machine whose speed
drifts during the run charges both alike.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable

from bench.classes import CLIENTS, FIRST_CLIENT, seed
from bench.service import empty_database
from bot.db import Database
from bot.models import User
from bot.services import classes, users
from bot.services.classes import _LISTING, ListedSession
from bot.services.users import _USER_ROW

BLOCKS = 10


async def through_a_session(db: Database, user_id: int) -> User | None:
    """The guard's read as it was: a reading session, the statement, a detached User."""
    async with db.reading() as session:
        row = (await session.execute(_USER_ROW, {"user_id": user_id})).first()
    return User(**row._mapping) if row is not None else None


async def listing_through_a_session(db: Database, user_id: int, now: dt.datetime) -> list:
    """The timetable's first page as it was read: the same statement in a reading session."""
    params = {"user_id": user_id, "now": now, "until": now + dt.timedelta(days=14)}
    async with db.reading() as session:
        rows = await session.execute(_LISTING, {**params, "limit": 6, "offset": 0})
        return [ListedSession(*row[:8]) for row in rows]


async def per_call(calls: int, read: Callable[[int], Awaitable[object]]) -> float:
    """CPU seconds per call of `read` for `calls` people in turn."""
    started = time.process_time()
    for n in range(calls):
        await read(FIRST_CLIENT + n * 37 % CLIENTS)
    return (time.process_time() - started) / calls


async def measure(url: str, calls: int) -> dict[str, float]:
    """Median CPU per read of each way, over alternating blocks."""
    db = Database(url)
    now = dt.datetime.now(dt.UTC)
    ways: dict[str, Callable[[int], Awaitable[object]]] = {
        "person, read_rows": lambda who: users.read_user(db, who),
        "person, session": lambda who: through_a_session(db, who),
        "page, read_rows": lambda who: classes.listing(
            db, who, now=now, days=14, page=0, page_size=6
        ),
        "page, session": lambda who: listing_through_a_session(db, who, now),
    }
    try:
        assert (await users.read_user(db, FIRST_CLIENT)) is not None, "the data set is missing"
        for read in ways.values():  # connections, statement caches
            await per_call(50, read)
        blocks: dict[str, list[float]] = {name: [] for name in ways}
        for _ in range(BLOCKS):
            for name, read in ways.items():
                blocks[name].append(await per_call(max(1, calls // BLOCKS), read))
        return {name: statistics.median(found) for name, found in blocks.items()}
    finally:
        await db.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000, help="reads of each kind")
    parser.add_argument("--databases", default="postgres,sqlite")
    parser.add_argument(
        "--postgres-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test"
    )
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    for name in args.databases.split(","):
        async with contextlib.AsyncExitStack() as stack:
            if name == "sqlite":
                url = f"sqlite+aiosqlite:///{tempfile.mkdtemp(prefix='bench-reads-')}/b.db"
            else:
                url = await stack.enter_async_context(empty_database(args.postgres_url))
            await seed(url)
            results[name] = await measure(url, args.calls)
        print(f"[{name}] " + ", ".join(f"{k}: {1000 * v:.3f} ms" for k, v in results[name].items()))
    print()
    print(f"CPU per read, median of {BLOCKS} alternating blocks of {args.calls // BLOCKS}")
    print("| database | person: read_rows | person: session | page: read_rows | page: session |")
    print("|---|---|---|---|---|")
    for name, found in results.items():
        cells = " | ".join(f"{1000 * value:.3f} ms" for value in found.values())
        print(f"| {name} | {cells} |")


if __name__ == "__main__":
    asyncio.run(main())
