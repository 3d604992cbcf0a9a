"""Running the real Application against the fake Bot API, in this process."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.app import BotApplication
from bot.clock import Clock
from bot.config import Settings
from bot.db import Database
from bot.models import Base
from bot.runtime import Runtime
from tests.fake_telegram import TelegramUser

TEST_TOKEN = "123456789:AAFakeTokenForTestsOnly_abcdefghijkl"


def test_settings(api_base_url: str, database_url: str, **overrides: object) -> Settings:
    """Settings for a test bot: the fake API, the test database, no `.env` file."""
    values: dict[str, object] = {
        "bot_token": TEST_TOKEN,
        "telegram_api_base_url": api_base_url,
        "database_url": database_url,
        "admin_ids": frozenset(),
        "default_timezone": "UTC",
        "log_level": "DEBUG",
        # Fast ticks and retries: tests move the clock instead of waiting minutes.
        "delivery_tick_seconds": 0.2,
        "delivery_retry_base_seconds": 1.0,
        "delivery_lease_seconds": 5.0,
        "reminder_tick_seconds": 0.2,
        # Tips, check-in prompts and group posts tick slowly unless a test asks (tests/tips,
        # tests/community): otherwise they would talk over tests about other things.
        "tip_tick_seconds": 3600,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@asynccontextmanager
async def running_bot(
    settings: Settings, db: Database, clock: Clock, *, poll_timeout: int = 1
) -> AsyncIterator[BotApplication]:
    """Start the bot as `python -m bot run` does (in this process, without signals or
    migrations), yield its Application, and stop it cleanly. Its Runtime is
    `application.bot_data["runtime"]`; with WEB_PORT set (0: any free port) or in webhook
    mode the web server runs too, on `runtime.web_port`."""
    runtime = Runtime(settings, db=db, clock=clock, poll_timeout=poll_timeout)
    try:
        if settings.serves_web:
            await runtime.start_web()
        await runtime.connect()
        await runtime.start()
        yield runtime.application
    finally:
        await runtime.stop(grace=5)


async def onboard(user: TelegramUser, *, consent: bool = True, zone: str = "London") -> None:
    """Take `user` through /start, in whatever language they read: the consent answer, then
    the time-zone button whose label names `zone`, or the zone typed when there is none."""
    await user.send("/start")
    question = await user.expect_buttons("consent:")
    await user.press_data(question, "consent:yes" if consent else "consent:no")
    zones = await user.expect_buttons("tz:")
    offered = [b for b in zones.buttons if b["text"].startswith(f"{zone} ·")]
    if offered:
        await user.press_data(zones, offered[0]["callback_data"])
    else:
        await user.send(zone)
    # The last message of onboarding lists the commands.
    await user.expect_until("/help")


async def book(person: TelegramUser, session_id: int) -> None:
    """`person` books a session the way a client does: /classes, Book, and the updated view."""
    await person.send("/classes")
    query = await person.press_data(await person.expect("Classes"), f"cl:b:{session_id}")
    await person.answer(query)
    await person.expect_edit("Back care")


def test_database_url(tmp_dir: str) -> str:
    """TEST_DATABASE_URL when set (PostgreSQL in CI), else an SQLite file in `tmp_dir`."""
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite+aiosqlite:///{tmp_dir}/test.db"


def is_postgres(url: str) -> bool:
    """True for a PostgreSQL URL."""
    return make_url(url).get_backend_name() == "postgresql"


async def empty_tables(db: Database) -> None:
    """Delete every row of every table, keeping the schema (between tests)."""
    tables = list(reversed(Base.metadata.sorted_tables))
    async with db.transaction() as session:
        if db.is_sqlite:
            for table in tables:
                await session.execute(table.delete())
        else:
            names = ", ".join(f'"{table.name}"' for table in tables)
            await session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


async def eventually(check, *, timeout: float = 10.0, interval: float = 0.05, message: str = ""):
    """Poll `check()` (sync or async) until it returns something truthy; fail after `timeout`."""
    import asyncio
    import inspect
    import time

    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(message or f"condition not met within {timeout}s")
        await asyncio.sleep(interval)
