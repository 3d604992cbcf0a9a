"""Fixtures: a migrated test database (SQLite, or PostgreSQL via TEST_DATABASE_URL), a manual
clock, the fake Telegram Bot API, and the real bot running against both."""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from bot.clock import ManualClock
from bot.db import Database
from bot.migrations import upgrade
from tests.fake_telegram import ServerThread, TelegramControl, TelegramUser
from tests.harness import (
    TEST_TOKEN,
    empty_tables,
    is_postgres,
    onboard,
    running_bot,
    test_database_url,
    test_settings,
)

START = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _create_database(base_url: str, name: str) -> None:
    try:
        connection = await asyncpg.connect(_asyncpg_dsn(base_url), timeout=10)
    except (OSError, asyncpg.PostgresError) as exc:
        # Never a skip: with TEST_DATABASE_URL set, PostgreSQL is part of the run.
        raise RuntimeError(
            f"TEST_DATABASE_URL is set but PostgreSQL is unreachable "
            f"({make_url(base_url).render_as_string(hide_password=True)}): {exc}"
        ) from exc
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def _drop_database(base_url: str, name: str) -> None:
    connection = await asyncpg.connect(_asyncpg_dsn(base_url), timeout=10)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


def _run_in_thread(coroutine) -> None:
    """Run a coroutine to completion on a loop of its own (callable from sync or async code)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coroutine).result()


@pytest.fixture(scope="session")
def fresh_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A factory of empty databases of the kind under test (each PostgreSQL one is dropped)."""
    base = test_database_url(str(tmp_path_factory.mktemp("db")))
    created: list[str] = []

    def make() -> str:
        suffix = uuid.uuid4().hex[:10]
        if not is_postgres(base):
            return f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db')}/{suffix}.db"
        name = f"bot_test_{suffix}"
        _run_in_thread(_create_database(base, name))
        created.append(name)
        return make_url(base).set(database=name).render_as_string(hide_password=False)

    yield make
    for name in created:
        _run_in_thread(_drop_database(base, name))


@pytest.fixture(scope="session")
def database_url(fresh_database_url) -> str:
    """One database migrated to head for the whole run; tests empty it after themselves."""
    url = fresh_database_url()

    async def migrate() -> None:
        db = Database(url)
        try:
            await upgrade(db.engine)
        finally:
            await db.dispose()

    asyncio.run(migrate())
    return url


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """The migrated test database; emptied after each test."""
    database = Database(database_url)
    try:
        yield database
    finally:
        await empty_tables(database)
        await database.dispose()


@pytest.fixture
def clock() -> ManualClock:
    """A clock that moves only when the test moves it."""
    return ManualClock(START)


@pytest.fixture(scope="session")
def telegram_server() -> Iterator[ServerThread]:
    """The fake Bot API, in a thread of its own, for the whole run."""
    server = ServerThread(TEST_TOKEN)
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def tg(telegram_server: ServerThread) -> AsyncIterator[TelegramControl]:
    """The control side of a freshly reset fake Bot API."""
    control = TelegramControl(telegram_server.base_url)
    await control.reset()
    try:
        yield control
    finally:
        await control.close()


@pytest.fixture
def admin_id() -> int:
    """The Telegram id listed in ADMIN_IDS for the running bot."""
    return 900001


@pytest.fixture
def bot_settings(tg: TelegramControl, database_url: str, admin_id: int):
    """Settings of the bot under test."""
    return test_settings(tg.api_url, database_url, admin_ids=frozenset({admin_id}))


@pytest.fixture
async def bot(bot_settings, db: Database, clock: ManualClock):
    """The real Application, polling the fake Bot API."""
    async with running_bot(bot_settings, db, clock) as application:
        yield application


@pytest.fixture(autouse=True)
def _no_bot_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep a developer's bot settings out of the tests (test settings never read .env)."""
    for name in (
        "BOT_TOKEN",
        "DATABASE_URL",
        "ADMIN_IDS",
        "DEFAULT_TIMEZONE",
        "LOG_LEVEL",
        "TELEGRAM_API_BASE_URL",
        "BOT_MODE",
        "WEBHOOK_URL",
        "WEBHOOK_SECRET",
        "WEB_HOST",
        "WEB_PORT",
        "METRICS_TOKEN",
        "LOG_FORMAT",
        "PUBLIC_BASE_URL",
        "WEBAPP_AUTH_MAX_AGE",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def onboarded(tg: TelegramControl, bot):
    """A factory: `await onboarded("Anna", id=...)` returns a person who finished /start."""

    async def make(first_name: str = "Alex", **profile) -> TelegramUser:
        user = tg.user(first_name, **profile)
        await onboard(user)
        return user

    return make
