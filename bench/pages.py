"""Benchmark: the Mini App's trainer pages with 10,000 clients loaded.

Run:  .venv/bin/python -m bench.pages                      (PostgreSQL, then SQLite)
      .venv/bin/python -m bench.pages --databases sqlite --requests 100

Data: 10,000 clients, one trainer with five daily classes (35 sessions in the measured
week, 250 places each, so 8,750 confirmed bookings), 1,000 more bookings on those sessions'
waitlists (about 29 a session), and the other sessions of the following weeks booked at
random too (another 10,000 bookings), so that the attendance counts read real volume.

Measured: the web application served by uvicorn on a local port in a process of its own, as
the bot serves it, and httpx (in this process) asking one page after another over HTTP with
the trainer's session cookie:
`--requests` (200) requests of the trainer's week view, then as many of one session's page
(its roster of 250 people and waitlist). p50 / p99 of the time to the whole answer.
Target: p99 under 200 ms on the 2-core development machine.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import multiprocessing
import random
import socket
import tempfile
import time
import uuid
from multiprocessing.connection import Connection

import asyncpg
import httpx
import uvicorn
from sqlalchemy import func, select, update
from sqlalchemy.engine import make_url

from bench.broadcast import percentile
from bot.clock import ManualClock
from bot.config import Settings
from bot.context import Deps
from bot.db import Database
from bot.migrations import upgrade
from bot.models import Booking, BookingState, ClassSession, OnboardingStep, Role, User
from bot.services import classes, signin
from web.app import create_app
from web.context import WebContext

TOKEN = "123456789:AAFakeTokenForBenchOnly_abcdefghijklm"
CLIENTS = 10_000
FIRST_CLIENT = 500_000
TRAINER = 499_999
CLASSES = 5
CAPACITY = 250
WAITLISTED = 1_000
LATER_BOOKINGS = 10_000
NOW = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)
MONDAY = dt.date(2026, 11, 30)
BASELINE = False  # also time /healthz and an empty signed-in page (what every page pays)


async def seed(db: Database) -> int:
    """The data set; returns the id of the session whose page is measured."""
    rng = random.Random(13)
    people = [
        {
            "id": FIRST_CLIENT + n,
            "first_name": f"Client{n}",
            "last_name": "Example",
            "role": Role.CLIENT.value,
            "timezone": rng.choice(["Europe/Berlin", "Europe/London", "America/New_York"]),
            "onboarding_step": OnboardingStep.DONE.value,
            "wellbeing_consent": False,
            "broadcasts_muted": False,
            "reminder_mask": 10,
            "created_at": NOW,
            "updated_at": NOW,
        }
        for n in range(CLIENTS)
    ]
    people.append({**people[0], "id": TRAINER, "first_name": "Tess", "role": "trainer"})
    async with db.transaction() as session:
        for start in range(0, len(people), 1000):
            await session.execute(User.__table__.insert(), people[start : start + 1000])
    async with db.transaction() as session:
        trainer = await session.get(User, TRAINER)
        for n in range(CLASSES):
            await classes.create_series(
                session,
                trainer,
                classes.SeriesSpec(
                    title=f"Class {n}",
                    location=f"Room {n}",
                    timezone="Europe/Berlin",
                    start_time=dt.time(8 + 2 * n, 0),
                    duration_minutes=60,
                    capacity=CAPACITY,
                    first_date=MONDAY,
                    weekdays=tuple(range(7)),
                ),
                now=NOW,
            )
    async with db.transaction() as session:
        week_end = classes.local_start(MONDAY + dt.timedelta(days=7), dt.time(0), "Europe/Berlin")
        week = list(
            await session.scalars(
                select(ClassSession.id)
                .where(ClassSession.starts_at < week_end)
                .order_by(ClassSession.id)
            )
        )
        later = list(
            await session.scalars(select(ClassSession.id).where(ClassSession.starts_at >= week_end))
        )
        clients = list(range(FIRST_CLIENT, FIRST_CLIENT + CLIENTS))
        rng.shuffle(clients)
        rows = []
        # Each client one confirmed place in the week, in turn, until the places are taken.
        places = [(s, n) for s in week for n in range(CAPACITY)]
        for (session_id, _), user_id in zip(places, clients, strict=False):
            rows.append(_booking(session_id, user_id, confirmed=True))
        taken = {(row["session_id"], row["user_id"]) for row in rows}
        number = dict.fromkeys(week, 0)
        while sum(number.values()) < WAITLISTED:
            pair = (rng.choice(week), rng.choice(clients))
            if pair in taken:
                continue
            taken.add(pair)
            number[pair[0]] += 1
            rows.append(_booking(*pair, confirmed=False, number=number[pair[0]]))
        target = len(rows) + LATER_BOOKINGS
        while len(rows) < target:
            pair = (rng.choice(later), rng.choice(clients))
            if pair not in taken:
                taken.add(pair)
                rows.append(_booking(*pair, confirmed=True))
        for start in range(0, len(rows), 2000):
            await session.execute(Booking.__table__.insert(), rows[start : start + 2000])
        confirmed = (
            select(func.count())
            .where(Booking.session_id == ClassSession.id, Booking.state == BookingState.CONFIRMED)
            .scalar_subquery()
        )
        await session.execute(update(ClassSession).values(booked_count=confirmed))
        counters = (
            select(func.count())
            .where(Booking.session_id == ClassSession.id, Booking.state == BookingState.WAITLISTED)
            .scalar_subquery()
        )
        await session.execute(update(ClassSession).values(waitlist_counter=counters))
    return week[0]


def _booking(session_id: int, user_id: int, *, confirmed: bool, number: int | None = None) -> dict:
    return {
        "session_id": session_id,
        "user_id": user_id,
        "state": (BookingState.CONFIRMED if confirmed else BookingState.WAITLISTED).value,
        "confirmed_at": NOW if confirmed else None,
        "waitlisted_at": None if confirmed else NOW,
        "waitlist_number": number,
        "late_cancel": False,
        "created_at": NOW,
        "updated_at": NOW,
    }


async def _ready() -> list[str]:
    return []


def _serve(url: str, ports: Connection) -> None:
    """The web application on a free local port, in a process of its own (as in the bot:
    uvicorn in the serving process's event loop); the port goes back through `ports`."""

    async def serve() -> None:
        db = Database(url)
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            bot_token=TOKEN,
            database_url=url,
            public_base_url="http://127.0.0.1:8443",
        )
        deps = Deps(settings=settings, db=db, clock=ManualClock(NOW), library=None)  # type: ignore[arg-type]
        app = create_app(WebContext(deps=deps, intake=None, readiness=_ready))  # type: ignore[arg-type]
        listener = socket.create_server(("127.0.0.1", 0))
        listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as bot/runtime.py
        server = uvicorn.Server(
            uvicorn.Config(app, log_config=None, access_log=False, lifespan="off")
        )
        ports.send(listener.getsockname()[1])
        await server.serve(sockets=[listener])

    asyncio.run(serve())


async def measure(url: str, requests: int) -> dict[str, list[float]]:
    """Seed, serve (another process), and time the week view and a session page
    (seconds per request)."""
    db = Database(url)
    try:
        await upgrade(db.engine)
        session_id = await seed(db)
    finally:
        await db.dispose()
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    server = context.Process(target=_serve, args=(url, theirs), daemon=True)
    server.start()
    try:
        port = await asyncio.to_thread(ours.recv)
        base = f"http://127.0.0.1:{port}"
        fields = {"auth_date": str(int(NOW.timestamp())), "user": f'{{"id": {TRAINER}}}'}
        async with httpx.AsyncClient(base_url=base) as client:
            for _ in range(100):
                try:
                    await client.get("/healthz")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
            data = signin.sign_init_data(fields, TOKEN)
            signed = await client.get("/app", params={"tgWebAppData": data})
            assert signed.status_code == 200, signed.text
            pages = {
                **({"health": "/healthz", "empty page": "/app/bookings"} if BASELINE else {}),
                "week view": f"/app/trainer/week?start={MONDAY.isoformat()}",
                "session page (250 booked)": f"/app/trainer/sessions/{session_id}",
            }
            timings: dict[str, list[float]] = {}
            for name, path in pages.items():
                answer = await client.get(path)  # warm: templates compiled, caches filled
                assert answer.status_code == 200, answer.text[:500]
                timings[name] = []
                for _ in range(requests):
                    started = time.perf_counter()
                    answer = await client.get(path)
                    timings[name].append(time.perf_counter() - started)
                    assert answer.status_code == 200
        return timings
    finally:
        server.terminate()
        server.join(10)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--databases", default="postgres,sqlite")
    parser.add_argument(
        "--postgres-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test"
    )
    args = parser.parse_args()
    table = []
    for name in args.databases.split(","):
        if name == "sqlite":
            url = f"sqlite+aiosqlite:///{tempfile.mkdtemp(prefix='bench-pages-')}/bench.db"
            table.append((name, await measure(url, args.requests)))
            continue
        db_name = f"bench_{uuid.uuid4().hex[:8]}"
        dsn = make_url(args.postgres_url).set(drivername="postgresql").render_as_string(False)
        connection = await asyncpg.connect(dsn)
        await connection.execute(f'CREATE DATABASE "{db_name}"')
        await connection.close()
        url = make_url(args.postgres_url).set(database=db_name).render_as_string(False)
        try:
            table.append((name, await measure(url, args.requests)))
        finally:
            connection = await asyncpg.connect(dsn)
            await connection.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
            await connection.close()
    print()
    print(
        f"{CLIENTS:,} clients; one trainer's week of {CLASSES * 7} sessions x {CAPACITY} "
        f"places, {WAITLISTED:,} waiting, {LATER_BOOKINGS:,} later bookings; "
        f"{args.requests} requests per page, one at a time, over HTTP"
    )
    print("| database | page | p50 | p99 | max |")
    print("|---|---|---|---|---|")
    for name, timings in table:
        for page_name, values in timings.items():
            print(
                f"| {name} | {page_name} | {1000 * percentile(values, 0.5):.0f} ms | "
                f"{1000 * percentile(values, 0.99):.0f} ms | {1000 * max(values):.0f} ms |"
            )


if __name__ == "__main__":
    asyncio.run(main())
