"""The schema: migrations up, down and up again; models and migrations agree; UTC times."""

from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import bindparam, inspect, literal, select, text
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bot.db import Database
from bot.migrations import current_revision, downgrade, upgrade
from bot.models import Base, CalendarFeed, Role, User


@pytest.fixture
async def empty_db(fresh_database_url):
    database = Database(fresh_database_url())
    try:
        yield database
    finally:
        await database.dispose()


async def table_names(db: Database) -> set[str]:
    async with db.engine.connect() as connection:
        return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))


async def test_upgrade_downgrade_upgrade(empty_db):
    await upgrade(empty_db.engine)
    assert {table.name for table in Base.metadata.sorted_tables} <= await table_names(empty_db)
    head = await current_revision(empty_db.engine)
    assert head is not None

    await downgrade(empty_db.engine, "base")
    assert await table_names(empty_db) <= {"alembic_version"}
    assert await current_revision(empty_db.engine) is None

    await upgrade(empty_db.engine)
    assert await current_revision(empty_db.engine) == head


async def test_models_and_migrations_agree(empty_db):
    await upgrade(empty_db.engine)

    def differences(connection) -> list:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        return compare_metadata(context, Base.metadata)

    async with empty_db.engine.connect() as connection:
        diff = await connection.run_sync(differences)
    assert diff == [], f"models and migrations differ: {diff}"


def _user(**fields) -> User:
    now = dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC)
    values = {"id": 1, "first_name": "A", "created_at": now, "updated_at": now}
    values.update(fields)
    return User(**values)


async def test_times_come_back_aware_in_utc(db):
    berlin = dt.datetime(2026, 3, 29, 3, 30, tzinfo=ZoneInfo("Europe/Berlin"))  # after DST
    async with db.transaction() as session:
        session.add(_user(consent_given_at=berlin))
    async with db.reading() as session:
        user = await session.scalar(select(User))
    assert user.consent_given_at == berlin
    assert user.consent_given_at.tzinfo == dt.UTC
    assert user.consent_given_at.hour == 1
    assert user.created_at == dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC)


async def test_naive_times_are_refused(db):
    with pytest.raises(Exception, match="naive datetime"):
        async with db.transaction() as session:
            session.add(_user(consent_given_at=dt.datetime(2026, 1, 1, 12, 0)))
    async with db.reading() as session:
        assert await session.scalar(select(User)) is None


async def test_times_compare_correctly_in_queries(db):
    base = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
    async with db.transaction() as session:
        for user_id, minutes in ((1, -90), (2, 0), (3, 90)):
            session.add(_user(id=user_id, blocked_at=base + dt.timedelta(minutes=minutes)))
    # A bound value in another zone is compared as the same instant.
    new_york_noon = base.astimezone(ZoneInfo("America/New_York"))
    async with db.reading() as session:
        later = await session.scalars(select(User.id).where(User.blocked_at > new_york_noon))
        assert list(later) == [3]


async def test_database_specific_settings_are_in_effect(db):
    async with db.transaction() as session:
        if db.is_sqlite:
            # WAL lets readers work while a writer holds the lock; foreign keys are opt-in.
            assert (await session.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await session.execute(text("PRAGMA foreign_keys"))).scalar() == 1
        else:
            column_type = await session.scalar(
                text(
                    "SELECT data_type FROM information_schema.columns "
                    "WHERE table_name = 'users' AND column_name = 'created_at'"
                )
            )
            assert column_type == "timestamp with time zone"


async def test_a_connection_the_server_closed_is_replaced(database_url, db):
    """The server ends a pooled connection (a restart, a failover): the next unit of work
    gets a new connection and succeeds, instead of failing on the dead one."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no server to close a connection; runs on the PostgreSQL pass")
    database = Database(database_url, pool_size=1, max_overflow=0)
    try:
        async with database.reading() as session:
            first = await session.scalar(text("SELECT pg_backend_pid()"))
        async with db.reading() as session:  # another connection ends it, as a restart would
            await session.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        # The driver sees the end of the connection once the event loop reads the socket.
        for _ in range(50):
            async with database.engine.connect() as connection:
                raw = await connection.get_raw_connection()
                if raw.driver_connection.is_closed():
                    break
            await asyncio.sleep(0.02)
        async with database.reading() as session:
            second = await session.scalar(text("SELECT pg_backend_pid()"))
        assert second != first
    finally:
        await database.dispose()


async def test_calendar_feeds_migration_keeps_users_and_drops_only_feeds(empty_db):
    await upgrade(empty_db.engine)
    now = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)
    async with empty_db.transaction() as session:
        session.add(_user(id=7))
        await session.flush()
        session.add(CalendarFeed(user_id=7, token_hash="ab" * 32, created_at=now))
    async with empty_db.transaction() as session:
        session.add(CalendarFeed(user_id=8, token_hash="cd" * 32, created_at=now))
        with pytest.raises(IntegrityError):
            await session.flush()  # a feed belongs to a person who exists
    async with empty_db.transaction() as session:
        session.add(_user(id=8))
        await session.flush()
        session.add(CalendarFeed(user_id=8, token_hash="ab" * 32, created_at=now))
        with pytest.raises(IntegrityError):
            await session.flush()  # one token, one person

    await downgrade(empty_db.engine, "0011")
    assert "calendar_feeds" not in await table_names(empty_db)
    async with empty_db.reading() as session:  # the users table as 0011 knew it
        assert await session.scalar(text("SELECT count(*) FROM users WHERE id = 7")) == 1
    await upgrade(empty_db.engine)
    assert "calendar_feeds" in await table_names(empty_db)


async def test_rows_read_without_a_session_are_what_a_session_reads(db):
    """`Database.read_rows` (the guard's and the timetable's read, on PostgreSQL straight on
    the driver) gives each row as a session's `Row._mapping` would: enums, aware UTC
    times, JSON, NULLs, a constant of the statement and a bound time in another zone."""
    berlin = dt.datetime(2026, 3, 29, 3, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    async with db.transaction() as session:
        session.add(_user(consent_given_at=berlin, draft={"note": {"text": "ü"}}))
        session.add(_user(id=2, role=Role.TRAINER, blocked_at=berlin))
    statement = (
        select(User.__table__, literal("x").label("constant"))
        .where(User.__table__.c.role == Role.CLIENT)
        .where(User.__table__.c.created_at <= bindparam("until"))
        .order_by(User.__table__.c.id)
    )
    until = berlin.astimezone(ZoneInfo("America/New_York"))
    rows = await db.read_rows(statement, {"until": until})
    async with db.reading() as session:
        expected = [
            dict(row._mapping) for row in await session.execute(statement, {"until": until})
        ]
    assert rows == expected and len(rows) == 1
    row = rows[0]
    assert row["role"] is Role.CLIENT and row["consent_given_at"] == berlin
    assert row["consent_given_at"].tzinfo == dt.UTC and row["draft"] == {"note": {"text": "ü"}}
    assert row["blocked_at"] is None and row["constant"] == "x"
    assert await db.read_rows(statement, {"until": berlin - dt.timedelta(days=1)}) == []
    with pytest.raises(SQLAlchemyError, match="'until'"):
        await db.read_rows(statement, {})
    if not db.is_sqlite:
        listed = select(User.id).where(User.id.in_([1, 2]))
        with pytest.raises(ValueError, match="IN list"):
            await db.read_rows(listed, {})
