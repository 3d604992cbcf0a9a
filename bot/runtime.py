"""The running bot as a service: start-up, the web server, receiving updates, stopping.

`Runtime` puts the pieces together: the Application (handlers, jobs, the dispatcher), the
inbox workers (bot/intake.py), long polling (bot/polling.py) or the webhook (web/webhook.py),
and the web server (health, readiness, metrics, the webhook route). `serve()` is
`python -m bot run`: it adds what a process needs: waiting for the database and for
Telegram with back-off, signals, and the exit status. Tests drive `Runtime` directly.

Stopping (SIGTERM or Ctrl+C): readiness turns 503 and the webhook answers 503 (Telegram
tries again later), polling stops, updates in flight get SHUTDOWN_GRACE_SECONDS to finish
and whatever is still running then is given back to the inbox, the dispatcher finishes its
requests in flight and gives back its claims; exit status 0. A second signal exits at once
(status 1): what this replica held is taken again by any replica once its leases end.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import random
import signal
import socket
from collections.abc import Awaitable, Callable
from typing import TypeVar

import uvicorn
from sqlalchemy import text
from sqlalchemy.exc import InterfaceError, OperationalError
from telegram import Update
from telegram.error import InvalidToken, TelegramError

from bot.app import BotApplication, build_application
from bot.clock import Clock
from bot.config import Settings
from bot.context import Deps
from bot.db import Database
from bot.intake import Intake
from bot.logs import say
from bot.polling import Poller

log = logging.getLogger("bot")

T = TypeVar("T")

EXIT_REJECTED_TOKEN = 2
EXIT_FAILED = 1
MAX_BACKOFF = 60.0
READY_DB_TIMEOUT = 3.0

REJECTED_TOKEN_HELP = (
    "Telegram rejected BOT_TOKEN: the token is wrong, or it was revoked. Open Telegram, start "
    "a chat with @BotFather, send /mybots, choose your bot and then API Token to see its "
    "current token (or send /newbot to make a new bot). Put it in the file .env in this "
    "directory as the line BOT_TOKEN=<your token> (or export BOT_TOKEN), then start the bot "
    "again. Keep the token secret: anyone who has it controls your bot."
)


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the runtime decides when to stop."""

    @contextlib.contextmanager
    def capture_signals(self):  # noqa: ANN202 - overrides uvicorn's generator
        """Leave signals to the runtime."""
        yield


class Runtime:
    """The bot's parts, started and stopped in order. See the module doc."""

    def __init__(
        self,
        settings: Settings,
        *,
        db: Database | None = None,
        clock: Clock | None = None,
        poll_timeout: int = 25,
    ) -> None:
        self.settings = settings
        self.application: BotApplication = build_application(settings, db=db, clock=clock)
        self.deps: Deps = self.application.bot_data["deps"]
        self.intake = Intake(
            self.application,
            self.deps.db,
            concurrency=settings.update_concurrency,
            lease_seconds=settings.inbox_lease_seconds,
            retention=dt.timedelta(hours=settings.inbox_retention_hours),
        )
        self.application.bot_data["runtime"] = self
        self.poller = (
            Poller(self.application.bot, self.intake, self.deps.db, timeout=poll_timeout)
            if settings.bot_mode == "polling"
            else None
        )
        self.started = False
        self.stopping = False
        # What keeps the bot from starting, as the last start-up attempt found it.
        self.waiting_for: str | None = "starting"
        self.web_port: int | None = None
        self._server: _Server | None = None
        self._server_task: asyncio.Task[None] | None = None
        self._head: str | None = None

    # ------------------------------------------------------------------ web server

    async def start_web(self) -> None:
        """Serve the web application on WEB_HOST:WEB_PORT (health answers from now on)."""
        from web.app import create_app
        from web.context import WebContext

        app = create_app(
            WebContext(deps=self.deps, intake=self.intake, readiness=self.readiness_problems)
        )
        config = uvicorn.Config(
            app,
            host=self.settings.web_host,
            port=self.settings.listen_port,
            log_config=None,
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=5,
            server_header=False,
        )
        # Bound here, so that a port in use is a plain OSError for the caller to report.
        address = (self.settings.web_host, self.settings.listen_port)
        family = socket.getaddrinfo(*address, type=socket.SOCK_STREAM)[0][0]
        listener = socket.create_server(address, family=family)
        # Accepted connections inherit this: without it a second answer on a kept-alive
        # connection waits for the client's delayed ACK (Nagle), 40 ms on Linux each time.
        listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        listener.setblocking(False)
        self.web_port = listener.getsockname()[1]
        self._server = _Server(config)
        self._server_task = asyncio.get_running_loop().create_task(
            self._server.serve(sockets=[listener]), name="web"
        )
        while not self._server.started:
            if self._server_task.done():
                raise OSError(f"the web server stopped at start: {self._server_task.exception()}")
            await asyncio.sleep(0.01)
        log.info("web server listening on http://%s:%s", self.settings.web_host, self.web_port)

    async def stop_web(self) -> None:
        """Stop the web server (connections in flight get a few seconds)."""
        if self._server is None or self._server_task is None:
            return
        self._server.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._server_task, 10)
        self._server = None
        self._server_task = None

    # ------------------------------------------------------------------ start and stop

    async def connect(self) -> None:
        """Reach Telegram (getMe), then sync admins, publish menus, start the dispatcher.

        Raises InvalidToken when Telegram rejects the token, TelegramError when it cannot be
        reached; safe to call again after a failure.
        """
        await self.application.initialize()
        if self.application.post_init:
            await self.application.post_init(self.application)

    async def start(self) -> None:
        """Start the jobs, the workers, and receiving updates (polling or the webhook).

        Safe to call again after a failure (setting the webhook can fail on the network).
        """
        if not self.application.running:
            await self.application.start()
        if not self.intake.running:
            await self.intake.start()
        if self.poller is not None:
            if not self.poller.running:
                self.poller.start()
        else:
            await self.application.bot.set_webhook(
                self.settings.webhook_url or "",
                secret_token=self.settings.webhook_secret.get_secret_value()
                if self.settings.webhook_secret
                else None,
                allowed_updates=Update.ALL_TYPES,
                drop_pending_updates=False,
            )
            log.info("Telegram sends updates to the webhook %s", self.settings.webhook_url)
        self.started = True
        self.waiting_for = None

    async def stop(self, grace: float | None = None) -> None:
        """Stop as the module doc says; safe whatever was started."""
        self.stopping = True
        grace = self.settings.shutdown_grace_seconds if grace is None else grace
        self.intake.accepting = False
        if self.poller is not None:
            await self.poller.stop()
        await self.intake.stop(grace)
        application = self.application
        if application.running:
            await application.stop()
        if application.post_stop and "dispatcher" in application.bot_data:
            await application.post_stop(application)
        await self.stop_web()
        with contextlib.suppress(Exception):
            await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)

    # ------------------------------------------------------------------ readiness

    async def readiness_problems(self) -> list[str]:
        """What keeps this replica from doing its work; empty when it is ready."""
        if self.stopping:
            return ["shutting down"]
        problems = []
        if not self.started:
            problems.append(self.waiting_for or "starting")
        problems += await self._database_problems()
        if self.started:
            if not self.intake.running:
                problems.append("the update workers are not running")
            dispatcher = self.application.bot_data.get("dispatcher")
            if dispatcher is None or not dispatcher.enabled:
                problems.append(
                    "the dispatcher is not running (on SQLite: another process sends from "
                    "this database file)"
                )
            if self.poller is not None and not self.poller.running:
                problems.append("long polling stopped")
        return problems

    async def _database_problems(self) -> list[str]:
        from bot.migrations import current_revision

        try:
            async with asyncio.timeout(READY_DB_TIMEOUT):
                async with self.deps.db.engine.connect() as connection:
                    await connection.execute(text("SELECT 1"))
                revision = await current_revision(self.deps.db.engine)
        except Exception as error:
            return [f"database unreachable: {_short(error)}"]
        head = self._schema_head()
        if revision != head:
            return [f"database schema at {revision or 'nothing'}, not {head}"]
        return []

    def _schema_head(self) -> str | None:
        if self._head is None:
            from alembic.script import ScriptDirectory

            from bot.migrations import alembic_config

            self._head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        return self._head


def _short(error: BaseException) -> str:
    text_ = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text_[0] if text_ else ''}"[:300]


# ---------------------------------------------------------------------- the process


async def keep_trying(
    attempt: Callable[[], Awaitable[T]],
    *,
    what: str,
    hint: str,
    retry_on: tuple[type[BaseException], ...],
    stop: asyncio.Event,
    runtime: Runtime | None = None,
    give_up_on: tuple[type[BaseException], ...] = (),
) -> T | None:
    """Run `attempt` until it succeeds; after each failure of a `retry_on` kind, log one line
    naming what failed and what to check, and wait (1 s doubling to a minute, with jitter).
    Errors of a `give_up_on` kind are raised at once. Returns None if `stop` is set
    meanwhile."""
    delay = 1.0
    while not stop.is_set():
        try:
            return await attempt()
        except give_up_on:
            raise
        except retry_on as error:
            wait = delay * random.uniform(0.8, 1.2)
            reason = f"cannot reach {what}: {_short(error)}"
            if runtime is not None:
                runtime.waiting_for = reason
            log.warning(
                "Cannot reach %s (%s). %s Trying again in %.0fs.", what, _short(error), hint, wait
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), wait)
            delay = min(MAX_BACKOFF, delay * 2)
    return None


# What a database that is down or starting looks like (not a broken migration).
_DATABASE_DOWN = (OSError, TimeoutError, OperationalError, InterfaceError)


async def serve(settings: Settings) -> int:
    """`python -m bot run`: migrate, start, run until a signal; the exit status."""
    from bot.migrations import current_revision, upgrade

    stop = asyncio.Event()
    signals = 0
    loop = asyncio.get_running_loop()

    def on_signal(number: int) -> None:
        nonlocal signals
        signals += 1
        name = signal.Signals(number).name
        if signals == 1:
            log.info("%s: stopping (send it again to exit at once)", name)
            stop.set()
        else:
            log.warning("%s again: exiting at once", name)
            os._exit(1)

    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, on_signal, number)

    runtime = Runtime(settings)
    db = runtime.deps.db
    where = db.describe()
    try:
        if settings.serves_web:
            try:
                await runtime.start_web()
            except OSError as error:
                say(
                    f"Cannot serve on {settings.web_host}:{settings.listen_port} ({error}); "
                    "change WEB_HOST or WEB_PORT, or stop what uses that port.",
                    error=True,
                )
                return EXIT_FAILED

        async def migrate() -> str | None:
            await upgrade(db.engine)
            return await current_revision(db.engine)

        runtime.waiting_for = "migrating the database"
        try:
            revision = await keep_trying(
                migrate,
                what=f"the database {where}",
                hint="Check that it runs and that DATABASE_URL is right.",
                retry_on=_DATABASE_DOWN,
                stop=stop,
                runtime=runtime,
            )
        except Exception as error:
            say(f"Migration failed on {where}: {_short(error)}", error=True)
            return EXIT_FAILED
        if stop.is_set():
            return 0
        log.info("Database %s is at revision %s.", where, revision)

        async def connect() -> bool:
            await runtime.connect()
            return True

        runtime.waiting_for = "connecting to Telegram"
        try:
            connected = await keep_trying(
                connect,
                what=f"Telegram at {settings.telegram_api_base_url}",
                hint="Check this machine's internet connection, any proxy or firewall, and "
                "TELEGRAM_API_BASE_URL.",
                retry_on=(TelegramError, OSError),
                give_up_on=(InvalidToken,),
                stop=stop,
                runtime=runtime,
            )
        except InvalidToken:
            say(REJECTED_TOKEN_HELP, error=True)
            return EXIT_REJECTED_TOKEN
        if not connected:
            return 0

        async def start() -> bool:
            await runtime.start()
            return True

        if not await keep_trying(
            start,
            what=f"Telegram at {settings.telegram_api_base_url}",
            hint="Setting the webhook failed; check WEBHOOK_URL and the network.",
            retry_on=(TelegramError, OSError),
            stop=stop,
            runtime=runtime,
        ):
            return 0
        mode = "long polling" if runtime.poller else "webhook"
        log.info("bot @%s running (%s)", runtime.application.bot.username, mode)
        await stop.wait()
        return 0
    finally:
        await runtime.stop()
        for number in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(number)
