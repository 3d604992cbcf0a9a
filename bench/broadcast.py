"""Benchmark: a broadcast to thousands, through the fake Bot API with rate limits on.

Run:  .venv/bin/python -m bench.broadcast            (SQLite and PostgreSQL, 5,000 recipients)
      .venv/bin/python -m bench.broadcast --databases sqlite --recipients 2000

For each database, the real bot runs as its own process (`python -m bot run`) against the fake
Bot API, with DELIVERY_MAX_PER_SECOND and the fake server's limits raised together. The bench
seeds the recipients, queues one broadcast, and while it drains ten people send /help every
1.2 s (the fake server allows one message a second per private chat). It prints one table:
the achieved delivery rate as a share of the configured one, 429 answers, the /help reply
latency during the broadcast (p50/p99), and the bot process's peak resident memory.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from bot.db import Database
from bot.migrations import PROJECT_ROOT
from bot.models import OnboardingStep, Role
from bot.services import broadcasts, users
from tests.fake_telegram import ServerThread, TelegramControl

TOKEN = "123456789:AAFakeTokenForBenchmarksOnly_abcdef"
ADMIN = 900001
PROBES = 10
PROBE_INTERVAL = 1.2


@dataclass
class Result:
    database: str
    recipients: int
    configured: float
    achieved: float
    seconds: float
    rate_limited: int
    help_p50: float
    help_p99: float
    help_samples: int
    peak_rss_mb: float


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set size (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


async def seed(db: Database, tg: TelegramControl, count: int) -> list[int]:
    now = dt.datetime.now(dt.UTC)
    ids = list(range(300000, 300000 + count))
    async with db.transaction() as session:
        for user_id in ids:
            user = (
                await users.register_user(
                    session,
                    users.Profile(id=user_id, first_name=f"C{user_id}"),
                    now=now,
                    admin_ids=(),
                )
            ).user
            user.onboarding_step = OnboardingStep.DONE
            user.timezone = "UTC"
    for start in range(0, count, 1000):
        chunk = ids[start : start + 1000]
        await tg.call("users", users=[{"id": i, "first_name": f"C{i}"} for i in chunk])
    return ids


async def queue_broadcast(db: Database, text: str) -> None:
    now = dt.datetime.now(dt.UTC)
    async with db.transaction() as session:
        admin = (
            await users.register_user(
                session, users.Profile(id=ADMIN, first_name="Ada"), now=now, admin_ids={ADMIN}
            )
        ).user
        assert admin.role == Role.ADMIN
        draft = await broadcasts.draft(
            session, admin, broadcasts.ALL_CLIENTS, html=text, body=text, length=len(text), now=now
        )
        await broadcasts.queue(session, admin, draft.id, now=now)


async def probe(tg: TelegramControl, person, stop: asyncio.Event, latencies: list[float]) -> None:
    """Send /help every PROBE_INTERVAL seconds; record server-side send-to-reply time."""
    while not stop.is_set():
        sent = await tg.call("message", **{"from": person, "text": "/help"})
        event = await tg.wait_event(person["id"], sent["seq"], kinds=["message"], timeout=10)
        if event is not None:
            latencies.append(event["at"] - sent["at"])
        await asyncio.sleep(PROBE_INTERVAL)


async def run_one(
    name: str, url: str, server: ServerThread, recipients: int, rate: float
) -> Result:
    tg = TelegramControl(server.base_url)
    await tg.reset()
    await tg.faults(limits={"overall_per_second": int(rate * 1.1), "private_per_second": 1})
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    env = {
        **os.environ,
        "BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": f"{server.base_url}/bot",
        "DATABASE_URL": url,
        "LOG_LEVEL": "WARNING",
        "DELIVERY_MAX_PER_SECOND": str(rate),
        "DELIVERY_CONCURRENCY": os.environ.get("BENCH_CONCURRENCY", "16"),
        "DELIVERY_TICK_SECONDS": "0.5",
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    log = (workdir / "bot.log").open("wb")
    process = subprocess.Popen(  # noqa: ASYNC220 - started once, before measuring
        [sys.executable, "-m", "bot", "run"], cwd=workdir, env=env, stdout=log, stderr=log
    )
    db = Database(url)
    try:
        await _wait_ready(tg)
        ids = await seed(db, tg, recipients)
        people = [{"id": 800000 + n, "first_name": f"Probe{n}"} for n in range(PROBES)]
        for person in people:  # onboarding is not needed for /help, only a known chat
            await tg.call("users", users=[person])
        await queue_broadcast(db, "Benchmark broadcast: see you in class!")
        stop = asyncio.Event()
        latencies: list[float] = []
        probes = [asyncio.create_task(probe(tg, p, stop, latencies)) for p in people]
        started = time.monotonic()
        while (await tg.counters()).get("delivered", 0) < recipients:
            await asyncio.sleep(0.25)
            if time.monotonic() - started > recipients / rate * 5 + 60:
                raise RuntimeError(f"broadcast did not finish; see {workdir / 'bot.log'}")
        stop.set()
        await asyncio.gather(*probes)
        arrivals = sorted(
            event["at"]
            for event in await tg.events()
            if event["kind"] == "message" and event["chat_id"] in set(ids)
        )
        seconds = arrivals[-1] - arrivals[0]
        counters = await tg.counters()
        rss = peak_rss_mb(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
        await db.dispose()
        await tg.close()
    return Result(
        database=name,
        recipients=recipients,
        configured=rate,
        achieved=(len(arrivals) - 1) / seconds,
        seconds=seconds,
        rate_limited=counters.get("status_429", 0),
        help_p50=percentile(latencies, 0.5),
        help_p99=percentile(latencies, 0.99),
        help_samples=len(latencies),
        peak_rss_mb=rss,
    )


async def _wait_ready(tg: TelegramControl) -> None:
    for _ in range(300):
        if await tg.calls("setMyCommands"):
            await asyncio.sleep(0.5)
            return
        await asyncio.sleep(0.1)
    raise RuntimeError("the bot did not start")


async def _postgres_database(base: str) -> tuple[str, str]:
    name = f"bench_{uuid.uuid4().hex[:8]}"
    dsn = make_url(base).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    await connection.execute(f'CREATE DATABASE "{name}"')
    await connection.close()
    return make_url(base).set(database=name).render_as_string(hide_password=False), name


async def _drop_postgres(base: str, name: str) -> None:
    dsn = make_url(base).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await connection.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=300.0, help="DELIVERY_MAX_PER_SECOND")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument(
        "--postgres-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test"
    )
    args = parser.parse_args()
    server = ServerThread(TOKEN)
    server.start()
    results = []
    try:
        for name in args.databases.split(","):
            if name == "sqlite":
                url = f"sqlite+aiosqlite:///{tempfile.mkdtemp(prefix='bench-db-')}/bench.db"
                results.append(await run_one(name, url, server, args.recipients, args.rate))
            else:
                url, db_name = await _postgres_database(args.postgres_url)
                try:
                    results.append(await run_one(name, url, server, args.recipients, args.rate))
                finally:
                    await _drop_postgres(args.postgres_url, db_name)
    finally:
        server.stop()
    print()
    print(
        f"Broadcast to {args.recipients} recipients, DELIVERY_MAX_PER_SECOND={args.rate:g}, "
        f"fake server limit {int(args.rate * 1.1)}/s overall and 1/s per chat, "
        f"{PROBES} people sending /help every {PROBE_INTERVAL}s meanwhile"
    )
    header = (
        "| database | sent in | achieved rate | of limit | 429s | /help p50 | /help p99 "
        "| samples | bot peak RSS |"
    )
    print(header)
    print("|---" * (header.count("|") - 1) + "|")
    for r in results:
        print(
            f"| {r.database} | {r.seconds:.1f} s | {r.achieved:.0f}/s | "
            f"{100 * r.achieved / r.configured:.0f}% | {r.rate_limited} | "
            f"{r.help_p50 * 1000:.0f} ms | {r.help_p99 * 1000:.0f} ms | {r.help_samples} | "
            f"{r.peak_rss_mb:.0f} MiB |"
        )


if __name__ == "__main__":
    asyncio.run(main())
