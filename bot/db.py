"""Database engine, sessions and the column types every model shares."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Select, Table, event, exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.types import TypeDecorator

UTC = dt.UTC
OUTBOX_WRITTEN = "outbox_written"


def note_outbox_write(session: AsyncSession) -> None:
    """Mark the session's transaction as having queued messages (wakes the dispatcher)."""
    session.info[OUTBOX_WRITTEN] = True


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC datetime, stored and read back identically on SQLite and PostgreSQL.

    Writing a naive datetime raises ValueError: a time without a zone is a bug waiting for a
    daylight-saving change. Values are converted to UTC on the way in and come back in UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        """Refuse naive datetimes; store UTC (naive UTC on SQLite, which keeps no zone)."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: store timezone-aware datetimes only")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        """Return an aware datetime in UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _prepare_sqlite(url: str) -> dict[str, Any]:
    """Create the SQLite file's directory; return engine options for a shared file."""
    parsed = make_url(url)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    return {"connect_args": {"timeout": 30}}


def create_engine(url: str, **options: Any) -> AsyncEngine:
    """Create an async engine; on SQLite, enable foreign keys, WAL and a busy timeout."""
    is_sqlite = make_url(url).get_backend_name() == "sqlite"
    if is_sqlite:
        options = {**_prepare_sqlite(url), **options}
    # Up to 64 updates are handled at once (bot.app): enough connections that reads do not
    # queue for one. Connections beyond `pool_size` are closed when given back; on
    # PostgreSQL a new one costs a connection set-up and its prepared statements, so keep
    # enough for a busy bot (an SQLite connection is only a file opened by a thread).
    options.setdefault("pool_size", 10 if is_sqlite else 20)
    options.setdefault("max_overflow", 30 if is_sqlite else 20)
    engine = create_async_engine(url, **options)
    if not is_sqlite:

        @event.listens_for(engine.sync_engine, "checkout")
        def _replace_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
            # A connection the server closed (a restart, a failover, a cut network path
            # that resets it) is known to the driver as soon as the event loop reads its
            # end; the pool then opens a new one. This replaces SQLAlchemy's pre-ping, which
            # cost three round trips (BEGIN, a query, ROLLBACK) at every checkout.
            raw = getattr(dbapi_connection, "_connection", None)
            if raw is not None and raw.is_closed():
                raise exc.DisconnectionError("the server closed this connection")

    if is_sqlite:

        @event.listens_for(engine.sync_engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Take transaction control from the driver so that BEGIN is ours (see _on_begin).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            # In WAL mode NORMAL is still safe against corruption and against a crash of the
            # process; only a power cut can undo the last commits. It saves an fsync per commit.
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _on_begin(connection: Any) -> None:
            # SQLite has one writer. A deferred transaction that reads and then writes can fail
            # at once with "database is locked" when another writer got in between, whatever
            # the busy timeout; BEGIN IMMEDIATE takes the write lock up front and waits for it.
            mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
            connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


class Database:
    """The engine and a session factory; `transaction()` is the unit of work handlers use."""

    def __init__(self, url: str, **engine_options: Any) -> None:
        self.url = url
        self.engine = create_engine(url, **engine_options)
        # Called after a commit that queued outbox messages (the dispatcher's wake-up).
        self.outbox_listeners: list[Callable[[], None]] = []
        # SQLite has one writer: this process's write transactions take turns here, in order,
        # instead of in SQLite's busy handler, which sleeps in steps of up to 100 ms.
        self._writer: contextlib.AbstractAsyncContextManager[object] = (
            asyncio.Lock() if self.engine.dialect.name == "sqlite" else contextlib.nullcontext()
        )
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # Read-only work need not queue behind writers on SQLite (WAL readers never block);
        # on PostgreSQL it runs without BEGIN/COMMIT, saving two round trips per read.
        reader = (
            self.engine.execution_options(sqlite_begin="DEFERRED")
            if self.engine.dialect.name == "sqlite"
            else self.engine.execution_options(isolation_level="AUTOCOMMIT")
        )
        self.read_sessions = async_sessionmaker(reader, expire_on_commit=False)
        self._compiled: dict[int, _CompiledRead] = {}

    def describe(self) -> str:
        """The database URL without its password, for messages."""
        return make_url(self.url).render_as_string(hide_password=True)

    @property
    def is_sqlite(self) -> bool:
        """True when the database is an SQLite file."""
        return self.engine.dialect.name == "sqlite"

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite file behind this database, or None (PostgreSQL, or in memory)."""
        url = make_url(self.url)
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            return None
        return Path(url.database).resolve()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """Yield a session inside one transaction: committed on success, rolled back on error.

        When the transaction wrote outbox rows (see `note_outbox_write`), the outbox
        listeners run after the commit, so the dispatcher sends them at once.
        """
        async with self._writer, self.sessions() as session:
            async with session.begin():
                yield session
            if session.info.pop(OUTBOX_WRITTEN, False):
                for listener in self.outbox_listeners:
                    listener()

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """Yield a session for reads only: it never takes SQLite's write lock, and on
        PostgreSQL each statement reads the latest committed data (autocommit)."""
        async with self.read_sessions() as session, session.begin():
            yield session

    async def read_rows(self, statement: Select, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Run a prebuilt SELECT outside any transaction (the latest committed data) and
        return its rows as dicts, keyed as `Row._mapping` is, with every value as SQLAlchemy
        would give it (enums, UTC datetimes, JSON).

        For the reads that come with every update (the guard's, the timetable's). On
        PostgreSQL the statement is compiled once and runs on the pooled connection's asyncpg
        driver: no session, no ORM, no result objects, about a quarter of the CPU of a read
        through a session. On SQLite it runs in a `reading()` session. Statements with
        expanding parameters (`IN` lists) are refused: compile those per call, in a session.
        """
        if self.is_sqlite:
            async with self.reading() as session:
                return [dict(row._mapping) for row in await session.execute(statement, params)]
        read = self._compiled.get(id(statement))
        if read is None:
            read = self._compiled[id(statement)] = _CompiledRead(statement, self.engine.dialect)
        arguments = read.arguments(params)  # a missing parameter fails before checkout
        raw = await self.engine.raw_connection()
        try:
            records = await raw.driver_connection.fetch(read.sql, *arguments)
        finally:
            raw.close()
        return [read.row(record) for record in records]

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


class _CompiledRead:
    """A SELECT compiled for the driver, with the conversions SQLAlchemy's result and
    parameter handling would apply (`Database.read_rows`)."""

    def __init__(self, statement: Select, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        if compiled.post_compile_params:
            raise ValueError("read_rows takes no expanding (IN list) parameters")
        self.statement = statement  # kept alive: the cache is keyed by its id
        self.sql = compiled.string
        self.names = list(compiled.positiontup or ())
        self.binds = [
            compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            for name in self.names
        ]
        self.keys = list(statement.selected_columns.keys())
        self.results = [
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in statement.selected_columns
        ]
        self.values = {
            name: compiled.binds[name].value
            for name in self.names
            if not compiled.binds[name].callable and compiled.binds[name].value is not None
        }

    def arguments(self, params: dict[str, Any]) -> list[Any]:
        """The driver's positional arguments for `params` (and the statement's own values)."""
        values = []
        for name, process in zip(self.names, self.binds, strict=True):
            if name in params:
                value = params[name]
            elif name in self.values:
                value = self.values[name]
            else:  # as SQLAlchemy says it
                raise exc.InvalidRequestError(f"A value is required for bind parameter {name!r}")
            values.append(process(value) if process is not None else value)
        return values

    def row(self, record: Any) -> dict[str, Any]:
        """One driver record as `Row._mapping` would have it."""
        return {
            key: process(value) if process is not None else value
            for key, process, value in zip(self.keys, self.results, record, strict=True)
        }


async def insert_ignoring_conflicts(
    session: AsyncSession, table: Table, rows: list[dict[str, Any]], conflict_columns: list[str]
) -> int:
    """INSERT `rows`, silently skipping any that collide on `conflict_columns`.

    The database decides, so concurrent callers can never both insert the same key.
    Returns how many rows were inserted.
    """
    if not rows:
        return 0
    dialect = sqlite if session.bind.dialect.name == "sqlite" else postgresql
    statement = (
        dialect.insert(table).values(rows).on_conflict_do_nothing(index_elements=conflict_columns)
    )
    result = await session.execute(statement)
    return max(result.rowcount or 0, 0)
