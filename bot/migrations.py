"""Applying Alembic migrations from code: the CLI, the tests and `run` all come through here."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The migrations: alembic/ in a checkout, reached through the bot/alembic link, which is
# also how they travel inside the wheel (pyproject's package-data).
SCRIPTS = Path(__file__).resolve().parent / "alembic"


def alembic_config(url: str | None = None) -> Config:
    """The project's Alembic configuration, pointed at `url` when given (in a checkout
    alembic.ini is read; an installed bot has only the scripts, which is all it needs)."""
    ini = PROJECT_ROOT / "alembic.ini"
    config = Config(str(ini)) if ini.exists() else Config()
    config.set_main_option("script_location", str(SCRIPTS))
    config.set_main_option("path_separator", "os")
    if url:
        # ConfigParser treats % as interpolation; a password may contain one.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _run(connection: Connection, action: str, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    getattr(command, action)(config, revision)


# Replicas starting together on one PostgreSQL database migrate one after the other.
_MIGRATION_LOCK = 0x6D69_6772_6174_6521


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Upgrade the database behind `engine` to `revision` (default: the newest).

    On PostgreSQL a transaction-level advisory lock makes concurrent upgrades (replicas
    starting at once) take turns: the later ones find the schema already at `revision`.
    """
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK}
            )
        await connection.run_sync(_run, "upgrade", revision)


async def downgrade(engine: AsyncEngine, revision: str = "base") -> None:
    """Downgrade the database behind `engine` to `revision` (default: an empty schema)."""
    async with engine.begin() as connection:
        await connection.run_sync(_run, "downgrade", revision)


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    def _current(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as connection:
        return await connection.run_sync(_current)
