"""The command line: `python -m bot run | migrate | check`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import text

from bot.config import ConfigError, Settings, load_settings
from bot.logs import say, setup_logging, use_json

if TYPE_CHECKING:
    from telegram import WebhookInfo

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
        help="apply migrations, then receive and handle updates until stopped",
        description="Apply database migrations, then run the bot until interrupted (Ctrl+C "
        "or SIGTERM): long polling, or a webhook with BOT_MODE=webhook. Needs BOT_TOKEN.",
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
        "bot's username (and in webhook mode the webhook's state); or say exactly what "
        "failed. Exit status 0 when everything works.",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_CONFIG
    # Settings may be what is wrong: LOG_FORMAT is looked at alone first.
    use_json(os.environ.get("LOG_FORMAT", "").strip().lower() == "json")
    try:
        settings = load_settings()
        token = settings.token() if args.command in ("run", "check") else None
    except ConfigError as exc:
        for line in exc.lines:
            say(f"Configuration error: {line}", error=True)
        return EXIT_CONFIG
    use_json(settings.log_format == "json")
    if args.command in ("run", "check"):
        from bot.services.tip_library import LibraryError, load_library

        try:
            load_library()
        except LibraryError as exc:
            say(f"Tip library error: {exc}", error=True)
            return EXIT_CONFIG
    setup_logging(settings.log_level, token, json_lines=settings.log_format == "json")
    if args.command == "migrate":
        return asyncio.run(_migrate(settings))
    if args.command == "check":
        return asyncio.run(_check(settings))
    return _run(settings)


async def _migrate(settings: Settings) -> int:
    from bot.db import Database
    from bot.migrations import current_revision, upgrade

    db = Database(settings.database_url)
    try:
        await upgrade(db.engine)
        revision = await current_revision(db.engine)
    except Exception as exc:
        say(f"Migration failed on {db.describe()}: {exc}", error=True)
        return EXIT_CHECK_FAILED
    finally:
        await db.dispose()
    say(f"Database {db.describe()} is at revision {revision}.")
    return 0


async def _check(settings: Settings) -> int:
    from telegram import Bot
    from telegram.error import InvalidToken, TelegramError

    from bot.app import file_base_url
    from bot.db import Database
    from bot.migrations import alembic_config, current_revision
    from bot.telegram_http import AiohttpRequest

    ok = True
    db = Database(settings.database_url)
    where = db.describe()
    try:
        async with db.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        revision = await current_revision(db.engine)
        from alembic.script import ScriptDirectory

        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        if revision == head:
            say(f"Database: OK ({where}, revision {revision})")
        else:
            say(
                f"Database: reachable ({where}) but at revision {revision or 'none'}, "
                f"not {head}: run `python -m bot migrate`"
            )
            ok = False
    except Exception as exc:
        say(f"Database: FAILED to connect to {where}: {exc}")
        ok = False
    finally:
        await db.dispose()

    request = AiohttpRequest()
    bot = Bot(
        settings.token(),
        base_url=settings.telegram_api_base_url,
        base_file_url=file_base_url(settings.telegram_api_base_url),
        request=request,
    )
    try:
        async with bot:
            say(f"Telegram: OK, this is @{bot.username} ({settings.telegram_api_base_url})")
            if settings.bot_mode == "webhook":
                say(_describe_webhook(await bot.get_webhook_info(), settings))
    except InvalidToken:
        say("Telegram: FAILED, the server rejected BOT_TOKEN; ask @BotFather for the right one")
        ok = False
    except TelegramError as exc:
        say(f"Telegram: FAILED to reach {settings.telegram_api_base_url}: {exc}")
        ok = False
    finally:
        await request.shutdown()  # also when getMe failed, which Bot's own exit skips
    return 0 if ok else EXIT_CHECK_FAILED


def _describe_webhook(info: WebhookInfo, settings: Settings) -> str:
    """getWebhookInfo in one line: the URL, pending updates and the last delivery error."""
    if not info.url:
        return (
            "Webhook: none set (`python -m bot run` sets it to WEBHOOK_URL); "
            f"{info.pending_update_count} updates waiting"
        )
    parts = [f"Webhook: {info.url}"]
    if info.url != settings.webhook_url:
        parts[0] += " (not WEBHOOK_URL: `python -m bot run` will set that)"
    parts.append(f"{info.pending_update_count} updates waiting")
    if info.last_error_message:
        when = info.last_error_date.strftime("%Y-%m-%d %H:%M UTC") if info.last_error_date else "?"
        parts.append(f"last error at {when}: {info.last_error_message}")
    else:
        parts.append("no delivery errors")
    return ", ".join(parts)


def _run(settings: Settings) -> int:
    from bot.runtime import serve

    return asyncio.run(serve(settings))
