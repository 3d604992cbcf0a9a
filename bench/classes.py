"""Benchmark: classes under load, beside an echo bot; a reminder tick over a big data set.

Run:  .venv/bin/python -m bench.classes                      (SQLite and PostgreSQL)
      .venv/bin/python -m bench.classes --databases sqlite --clients 300

Data: 10,000 clients, 50 trainers, 200 weekly series (sessions eight weeks ahead) and 20,000
bookings. The bot runs as its own process (`python -m bot run`) against the fake Bot API
(rate limits off: the simulated people act faster than Telegram would let one chat).

Interactive load: each simulated client sends /classes, opens a session, presses Book (or
Join the waitlist), sends /mybookings, presses Cancel and confirms: six updates, each waiting
for the bot's answer. `max`: all clients at once, 200 in flight, for updates per second.
`50/s`: clients started so that 50 updates a second arrive, for reply latency (time from the
update reaching the fake server to the bot's answer arriving there). The echo bot
(bench/echo_bot.py) goes through the same six steps on the same harness, in the same run.

Reminder tick: `jobs.reminders.queue_due_reminders` over the whole data set, for a normal
10-second window and for a catch-up after an hour of downtime; the median of five runs.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from sqlalchemy import func, select, update
from sqlalchemy.engine import make_url

from bench.broadcast import peak_rss_mb, percentile
from bot.clock import ManualClock
from bot.config import Settings
from bot.context import Deps
from bot.db import Database
from bot.migrations import PROJECT_ROOT, upgrade
from bot.models import (
    Booking,
    BookingState,
    ClassSession,
    JobMark,
    OnboardingStep,
    Role,
    User,
)
from bot.services import classes
from bot.services.tip_library import load_library
from jobs.reminders import queue_due_reminders
from tests.fake_telegram import ServerThread, TelegramControl

TOKEN = "123456789:AAFakeTokenForBenchmarksOnly_abcdef"
CLIENTS, TRAINERS, SERIES, BOOKINGS = 10_000, 50, 200, 20_000
FIRST_CLIENT, FIRST_TRAINER = 1_000_000, 2_000_000
IN_FLIGHT = 200
PACED_RATE = 50
STEPS = 6


@dataclass
class LoadResult:
    updates: int
    seconds: float
    latencies: list[float]
    failures: int

    @property
    def rate(self) -> float:
        return self.updates / self.seconds


async def seed(url: str, *, migrate: bool = True) -> None:
    """Create the data set through the services and bulk inserts (after migrating, unless
    the database was migrated already, e.g. by another checkout)."""
    db = Database(url)
    now = dt.datetime.now(dt.UTC)
    rng = random.Random(7)
    try:
        if migrate:
            await upgrade(db.engine)
        people = [
            {
                "id": FIRST_CLIENT + n,
                "first_name": f"Client{n}",
                "role": Role.CLIENT.value,
                "timezone": rng.choice(["Europe/Berlin", "Europe/London", "America/New_York"]),
                "onboarding_step": OnboardingStep.DONE.value,
                "wellbeing_consent": False,
                "broadcasts_muted": False,
                "reminder_mask": 10,
                "created_at": now,
                "updated_at": now,
            }
            for n in range(CLIENTS)
        ] + [
            {
                "id": FIRST_TRAINER + n,
                "first_name": f"Trainer{n}",
                "role": Role.TRAINER.value,
                "timezone": "Europe/Berlin",
                "onboarding_step": OnboardingStep.DONE.value,
                "wellbeing_consent": False,
                "broadcasts_muted": False,
                "reminder_mask": 10,
                "created_at": now,
                "updated_at": now,
            }
            for n in range(TRAINERS)
        ]
        async with db.transaction() as session:
            for start in range(0, len(people), 1000):
                await session.execute(User.__table__.insert(), people[start : start + 1000])
        async with db.transaction() as session:
            for n in range(SERIES):
                trainer = await session.get(User, FIRST_TRAINER + n % TRAINERS)
                days = tuple(sorted(rng.sample(range(7), rng.choice([1, 2]))))
                today = classes.today_in("Europe/Berlin", now)
                first = next(
                    today + dt.timedelta(d)
                    for d in range(7)
                    if (today + dt.timedelta(d)).weekday() in days
                )
                await classes.create_series(
                    session,
                    trainer,
                    classes.SeriesSpec(
                        title=f"Class {n}",
                        location=f"Room {n % 12}",
                        timezone="Europe/Berlin",
                        start_time=dt.time(rng.randint(7, 20), rng.choice([0, 15, 30, 45])),
                        duration_minutes=60,
                        capacity=25,
                        first_date=first,
                        weekdays=days,
                    ),
                    now=now,
                )
        async with db.transaction() as session:
            sessions = list(
                await session.scalars(
                    select(ClassSession.id)
                    .where(ClassSession.starts_at > now)
                    .order_by(ClassSession.id)
                )
            )
            pairs: set[tuple[int, int]] = set()
            while len(pairs) < BOOKINGS:
                pairs.add((rng.choice(sessions), FIRST_CLIENT + rng.randrange(CLIENTS)))
            per_session: dict[int, int] = {}
            rows = []
            for session_id, user_id in sorted(pairs):
                taken = per_session.get(session_id, 0)
                confirmed = taken < 25
                per_session[session_id] = taken + 1
                rows.append(
                    {
                        "session_id": session_id,
                        "user_id": user_id,
                        "state": (
                            BookingState.CONFIRMED if confirmed else BookingState.WAITLISTED
                        ).value,
                        "confirmed_at": now if confirmed else None,
                        "waitlisted_at": None if confirmed else now,
                        "late_cancel": False,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            for start in range(0, len(rows), 1000):
                await session.execute(Booking.__table__.insert(), rows[start : start + 1000])
            counts = (
                select(func.count())
                .where(
                    Booking.session_id == ClassSession.id, Booking.state == BookingState.CONFIRMED
                )
                .scalar_subquery()
            )
            await session.execute(update(ClassSession).values(booked_count=counts))
    finally:
        await db.dispose()


def start_process(
    module: list[str], url: str, server: ServerThread, workdir: Path
) -> subprocess.Popen:
    env = {
        **os.environ,
        "BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": f"{server.base_url}/bot",
        "DATABASE_URL": url,
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    log = (workdir / f"{module[-1].replace('.', '_')}.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", *module], cwd=workdir, env=env, stdout=log, stderr=log
    )


async def wait_ready(tg: TelegramControl, person: dict) -> None:
    for _ in range(600):
        sent = await tg.call("message", **{"from": person, "text": "/help"})
        if await tg.wait_event(person["id"], sent["seq"], kinds=["message"], timeout=0.5):
            return
    raise RuntimeError("the bot did not answer")


class GaveUp(Exception):
    """The bot refused the step with a pop-up (a full class, an overlap): the person stops."""


async def step(
    tg: TelegramControl,
    person: dict,
    chat: int,
    record: list[float],
    *,
    text: str | None = None,
    data: str | None = None,
    message: dict | None = None,
    kinds: tuple[str, ...] = ("message",),
) -> tuple[dict, float]:
    """One update and the bot's answer: (the answer event, server-side latency).

    A message's latency runs to the bot's reply; a button press's to the bot answering the
    press (when the person's spinner stops), and the step then waits for the edit or reply.
    """
    if text is not None:
        sent = await tg.call("message", **{"from": person, "text": text})
    else:
        sent = await tg.call(
            "callback",
            **{"from": person, "chat_id": chat, "message_id": message["message_id"], "data": data},
        )
        answer = (await tg.call("answer", query_id=sent["query_id"], timeout=30))["answer"]
        if answer is None:
            raise RuntimeError(f"no answer to {data}")
        if answer["show_alert"]:
            record.append(answer["at"] - sent["at"])
            raise GaveUp(answer["text"])
    event = await tg.wait_event(chat, sent["seq"], kinds=list(kinds), timeout=30)
    if event is None:
        raise RuntimeError(f"no answer to {text or data}")
    answered = answer["at"] if text is None else event["at"]
    record.append(answered - sent["at"])
    return event, answered - sent["at"]


def _button(message: dict, *fragments: str) -> str | None:
    for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
        for button in row:
            if any(fragment in button["text"] for fragment in fragments):
                return button["callback_data"]
    return None


async def our_script(tg: TelegramControl, user_id: int, record: list[float]) -> None:
    person = {"id": user_id, "first_name": f"Client{user_id - FIRST_CLIENT}"}
    listing, _ = await step(tg, person, user_id, record, text="/classes")
    first = listing["message"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    detail, _ = await step(
        tg, person, user_id, record, data=first, message=listing["message"], kinds=("edit",)
    )
    book = _button(detail["message"], "Book", "Join the waitlist", "Cancel my place", "Leave")
    await step(
        tg, person, user_id, record, data=book, message=detail["message"], kinds=("edit", "message")
    )
    mine, _ = await step(tg, person, user_id, record, text="/mybookings")
    cancel = _button(mine["message"], "Cancel", "Leave waitlist")
    if cancel is None:
        return
    question, _ = await step(tg, person, user_id, record, data=cancel, message=mine["message"])
    yes = _button(question["message"], "Yes")
    await step(tg, person, user_id, record, data=yes, message=question["message"], kinds=("edit",))


async def echo_script(tg: TelegramControl, user_id: int, record: list[float]) -> None:
    person = {"id": user_id, "first_name": f"Client{user_id - FIRST_CLIENT}"}
    for command in ("/classes", "/mybookings"):
        message, _ = await step(tg, person, user_id, record, text=command)
        for _ in range(2):
            message, _ = await step(
                tg,
                person,
                user_id,
                record,
                data="press",
                message=message["message"],
                kinds=("edit",),
            )


async def load(tg: TelegramControl, script, users: list[int], *, paced: float | None) -> LoadResult:
    gate = asyncio.Semaphore(IN_FLIGHT)
    latencies: list[float] = []
    failures = 0

    async def run(user_id: int) -> None:
        nonlocal failures
        async with gate:
            try:
                await script(tg, user_id, latencies)
            except GaveUp:
                pass  # a refusal is an answer; this person just stops here
            except Exception as error:
                failures += 1
                print(f"  client {user_id} failed: {type(error).__name__}: {error}", flush=True)

    started = time.monotonic()
    tasks = []
    for user_id in users:
        tasks.append(asyncio.create_task(run(user_id)))
        if paced:
            await asyncio.sleep(STEPS / paced)
    await asyncio.gather(*tasks)
    return LoadResult(len(latencies), time.monotonic() - started, latencies, failures)


async def reminder_ticks(url: str) -> tuple[float, float, int]:
    """Median duration (s) of a 10 s tick and of a 1 h catch-up tick, and reminders queued."""
    db = Database(url)
    settings = Settings(_env_file=None, bot_token=TOKEN, database_url=url)  # type: ignore[call-arg]
    try:
        async with db.reading() as session:
            start = await session.scalar(
                select(func.min(ClassSession.starts_at)).where(
                    ClassSession.starts_at > dt.datetime.now(dt.UTC) + dt.timedelta(hours=30)
                )
            )
        results = {}
        queued = 0
        for window in (10, 3600):
            durations = []
            for run in range(5):
                moment = start - dt.timedelta(hours=24) + dt.timedelta(minutes=run * 90)
                async with db.transaction() as session:
                    await session.execute(JobMark.__table__.delete())
                    session.add(
                        JobMark(name="reminders", reached=moment - dt.timedelta(seconds=window))
                    )
                deps = Deps(
                    settings=settings, db=db, clock=ManualClock(moment), library=load_library()
                )
                began = time.perf_counter()
                queued += await queue_due_reminders(deps)
                durations.append(time.perf_counter() - began)
            results[window] = statistics.median(durations)
        return results[10], results[3600], queued
    finally:
        await db.dispose()


async def one_database(name: str, url: str, server: ServerThread, clients: int) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="bench-classes-"))
    print(f"[{name}] seeding…", flush=True)
    began = time.monotonic()
    await seed(url)
    print(f"[{name}] seeded in {time.monotonic() - began:.1f}s", flush=True)
    tg = TelegramControl(server.base_url)
    await tg.reset()
    rng = random.Random(11)
    actors = rng.sample(range(FIRST_CLIENT, FIRST_CLIENT + CLIENTS), clients * 2)
    # Warm-up asks /help every half second until the bot answers, and the bot, once up,
    # answers every one of them: a person of their own, so that those late answers are not
    # taken for a measured person's (they were, for the first one's first /classes).
    warm = {"id": FIRST_CLIENT - 1, "first_name": "Warm"}
    await tg.call(
        "users",
        users=[warm, *({"id": u, "first_name": f"Client{u - FIRST_CLIENT}"} for u in actors)],
    )
    results: dict = {}
    for bot_name, module, script in (
        ("echo bot", ["bench.echo_bot"], echo_script),
        ("this bot", ["bot", "run"], our_script),
    ):
        process = start_process(module, url, server, workdir)
        try:
            await wait_ready(tg, warm)
            fast = await load(tg, script, actors[:clients], paced=None)
            steady = await load(
                tg, script, actors[clients : clients + clients // 3], paced=PACED_RATE
            )
            rss = peak_rss_mb(process.pid)
        finally:
            process.terminate()
            process.wait(timeout=30)
        results[bot_name] = (fast, steady, rss)
        print(f"[{name}] {bot_name}: {fast.rate:.0f} updates/s", flush=True)
    results["ticks"] = await reminder_ticks(url)
    await tg.close()
    return results


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument(
        "--postgres-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test"
    )
    args = parser.parse_args()
    server = ServerThread(TOKEN)
    server.start()
    table = []
    try:
        for name in args.databases.split(","):
            if name == "sqlite":
                url = f"sqlite+aiosqlite:///{tempfile.mkdtemp(prefix='bench-db-')}/bench.db"
                table.append((name, await one_database(name, url, server, args.clients)))
                continue
            db_name = f"bench_{uuid.uuid4().hex[:8]}"
            dsn = make_url(args.postgres_url).set(drivername="postgresql").render_as_string(False)
            connection = await asyncpg.connect(dsn)
            await connection.execute(f'CREATE DATABASE "{db_name}"')
            await connection.close()
            url = make_url(args.postgres_url).set(database=db_name).render_as_string(False)
            try:
                table.append((name, await one_database(name, url, server, args.clients)))
            finally:
                connection = await asyncpg.connect(dsn)
                await connection.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
                await connection.close()
    finally:
        server.stop()
    print()
    print(
        f"{CLIENTS:,} clients, {SERIES} weekly series, {BOOKINGS:,} bookings; {args.clients} "
        f"simulated clients x {STEPS} updates (max: {IN_FLIGHT} in flight), then "
        f"{args.clients // 3} clients at {PACED_RATE} updates/s"
    )
    print(
        "| database | bot | max updates/s | vs echo | p50 at 50/s | p99 at 50/s | failures "
        "| peak RSS |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, results in table:
        echo_rate = results["echo bot"][0].rate
        for bot_name in ("echo bot", "this bot"):
            fast, steady, rss = results[bot_name]
            print(
                f"| {name} | {bot_name} | {fast.rate:.0f} | {100 * fast.rate / echo_rate:.0f}% | "
                f"{1000 * percentile(steady.latencies, 0.5):.0f} ms | "
                f"{1000 * percentile(steady.latencies, 0.99):.0f} ms | "
                f"{fast.failures + steady.failures} | {rss:.0f} MiB |"
            )
    print()
    print(
        "| database | reminder tick, 10 s window | catch-up tick, 1 h window "
        "| reminders queued (10 runs) |"
    )
    print("|---|---|---|---|")
    for name, results in table:
        normal, catch_up, queued = results["ticks"]
        print(f"| {name} | {1000 * normal:.0f} ms | {1000 * catch_up:.0f} ms | {queued} |")


if __name__ == "__main__":
    asyncio.run(main())
