"""Running the real Application against the fake Bot API, in this process."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.app import BotApplication, build_application
from bot.clock import Clock
from bot.config import Settings
from bot.db import Database
from bot.models import Base

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
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@asynccontextmanager
async def running_bot(
    settings: Settings, db: Database, clock: Clock, *, poll_timeout: int = 1
) -> AsyncIterator[BotApplication]:
    """Start the Application as `run_polling` does, yield it, and stop it cleanly."""
    application = build_application(settings, db=db, clock=clock)
    await application.initialize()
    if application.post_init:
        await application.post_init(application)
    await application.updater.start_polling(poll_interval=0, timeout=poll_timeout)
    await application.start()
    try:
        yield application
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)


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
