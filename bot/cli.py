"""The command line: `python -m bot run | migrate | check`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.config import ConfigError, Settings, load_settings
from bot.logs import setup_logging

EXIT_CONFIG = 2
EXIT_CHECK_FAILED = 1

log = logging.getLogger("bot")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="A Telegram bot for group exercise therapy. Settings come from the "
        "environment or a .env file (see .env.example).",
    )
    commands = parser.add_subparsers(dest="command", metavar="{run,migrate,check}")
    commands.add_parser(
        "run",
        help="apply migrations, then receive updates by long polling until stopped",
        description="Apply database migrations, then run the bot with long polling until "
        "interrupted (Ctrl+C). Needs BOT_TOKEN.",
    )
    commands.add_parser(
        "migrate",
        help="bring the database schema up to date",
        description="Apply every Alembic migration the database lacks (DATABASE_URL). "
        "Does not need BOT_TOKEN.",
    )
    commands.add_parser(
        "check",
        help="validate settings, connect to the database and to Telegram",
        description="Validate the settings, connect to the database, call getMe and print the "
        "bot's username; or say exactly what failed. Exit status 0 when everything works.",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_CONFIG
    try:
        settings = load_settings()
        token = settings.token() if args.command in ("run", "check") else None
    except ConfigError as exc:
        for line in exc.lines:
            print(f"Configuration error: {line}", file=sys.stderr)
        return EXIT_CONFIG
    if args.command in ("run", "check"):
        from bot.services.tip_library import LibraryError, load_library

        try:
            load_library()
        except LibraryError as exc:
            print(f"Tip library error: {exc}", file=sys.stderr)
            return EXIT_CONFIG
    setup_logging(settings.log_level, token)
    if args.command == "migrate":
        return asyncio.run(_migrate(settings))
    if args.command == "check":
        return asyncio.run(_check(settings))
    return _run(settings)


def _describe_database(url: str) -> str:
    """The database URL without its password, for messages."""
    return make_url(url).render_as_string(hide_password=True)


async def _migrate(settings: Settings) -> int:
    from bot.db import Database
    from bot.migrations import current_revision, upgrade

    db = Database(settings.database_url)
    try:
        await upgrade(db.engine)
        revision = await current_revision(db.engine)
    except Exception as exc:
        print(
            f"Migration failed on {_describe_database(settings.database_url)}: {exc}",
            file=sys.stderr,
        )
        return EXIT_CHECK_FAILED
    finally:
        await db.dispose()
    print(f"Database {_describe_database(settings.database_url)} is at revision {revision}.")
    return 0


async def _check(settings: Settings) -> int:
    from telegram import Bot
    from telegram.error import InvalidToken, TelegramError

    from bot.app import file_base_url
    from bot.db import Database
    from bot.migrations import alembic_config, current_revision

    ok = True
    db = Database(settings.database_url)
    where = _describe_database(settings.database_url)
    try:
        async with db.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        revision = await current_revision(db.engine)
        from alembic.script import ScriptDirectory

        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        if revision == head:
            print(f"Database: OK ({where}, revision {revision})")
        else:
            print(
                f"Database: reachable ({where}) but at revision {revision or 'none'}, "
                f"not {head}: run `python -m bot migrate`"
            )
            ok = False
    except Exception as exc:
        print(f"Database: FAILED to connect to {where}: {exc}")
        ok = False
    finally:
        await db.dispose()

    bot = Bot(
        settings.token(),
        base_url=settings.telegram_api_base_url,
        base_file_url=file_base_url(settings.telegram_api_base_url),
    )
    try:
        async with bot:
            print(f"Telegram: OK, this is @{bot.username} ({settings.telegram_api_base_url})")
    except InvalidToken:
        print("Telegram: FAILED, the server rejected BOT_TOKEN; ask @BotFather for the right one")
        ok = False
    except TelegramError as exc:
        print(f"Telegram: FAILED to reach {settings.telegram_api_base_url}: {exc}")
        ok = False
    return 0 if ok else EXIT_CHECK_FAILED


def _run(settings: Settings) -> int:
    from telegram import Update

    from bot.app import build_application

    if asyncio.run(_migrate(settings)) != 0:
        return EXIT_CHECK_FAILED
    application = build_application(settings)
    log.info("starting long polling")
    application.run_polling(allowed_updates=Update.ALL_TYPES)
    return 0
