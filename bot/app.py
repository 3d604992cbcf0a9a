"""The application factory: wires settings, database, clock, handlers and jobs together."""

from __future__ import annotations

import logging
import time
from typing import Any

from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults, Job, JobQueue

from bot import metrics
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.context import BotContext, Deps
from bot.db import Database
from bot.i18n import add_locales_dir, reader_language
from bot.logs import install_redaction
from bot.services import users
from bot.services.tip_library import load_library
from bot.telegram_http import AiohttpRequest

log = logging.getLogger(__name__)

BotApplication = Application[Any, BotContext, Any, Any, Any, Any]


def file_base_url(api_base_url: str) -> str:
    """The file-download base that goes with an API base ("…/bot" → "…/file/bot")."""
    head, sep, _ = api_base_url.rstrip("/").rpartition("/bot")
    return f"{head}/file/bot" if sep else api_base_url.rstrip("/") + "/file/bot"


def build_application(
    settings: Settings, *, db: Database | None = None, clock: Clock | None = None
) -> BotApplication:
    """Build the bot: the real Application, with every handler and job registered.

    `db` and `clock` default to the configured database and the system clock; tests pass
    their own. The tip library is read and checked here (LibraryError if it is broken).
    It has no Updater: updates come through the inbox (bot/runtime.py runs it all), and the
    inbox's workers call `process_update`, one update of a chat at a time.
    """
    from handlers import register_handlers
    from jobs import register_jobs

    token = settings.token()
    install_redaction(token)
    if settings.extra_locales_dir is not None:
        add_locales_dir(settings.extra_locales_dir)
    deps = Deps(
        settings=settings,
        db=db or Database(settings.database_url),
        clock=clock or SystemClock(),
        library=load_library(),
    )
    # JSON over aiohttp rather than PTB's default form-encoding over httpx (about 1 ms less
    # CPU per call; bot/telegram_http.py). getUpdates has its own connection.
    requests = (AiohttpRequest(), AiohttpRequest(connection_pool_size=1))
    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(file_base_url(settings.telegram_api_base_url))
        .request(requests[0])
        .get_updates_request(requests[1])
        .context_types(ContextTypes(context=BotContext))
        .updater(None)
        .job_queue(TimedJobQueue())
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
        .build()
    )
    application.bot_data["deps"] = deps
    # A database passed in belongs to the caller, who closes it.
    application.bot_data["owns_db"] = db is None
    application.bot_data["requests"] = requests
    register_handlers(application)
    register_jobs(application, deps)
    return application


class TimedJobQueue(JobQueue[BotContext]):
    """PTB's JobQueue, timing every run of every job for /metrics (bot_job_tick_seconds).

    Jobs are scheduled when the application is built and run once it starts, which may be
    much later (a service waits for its database and for Telegram): a run that fell due
    meanwhile still happens, once (APScheduler would drop it after a second by default).
    """

    @property
    def scheduler_configuration(self) -> dict[str, Any]:
        """PTB's configuration, with late runs kept (coalesced into one)."""
        return {
            **super().scheduler_configuration,
            "job_defaults": {"misfire_grace_time": None, "coalesce": True},
        }

    @staticmethod
    async def job_callback(job_queue: JobQueue[BotContext], job: Job[BotContext]) -> None:
        """Run the job as JobQueue does, and record how long it took under its name."""
        started = time.perf_counter()
        try:
            await JobQueue.job_callback(job_queue, job)
        finally:
            metrics.JOB_SECONDS.labels(job.name or "unnamed").observe(time.perf_counter() - started)


async def _post_init(application: BotApplication) -> None:
    """After getMe: align stored admin roles with ADMIN_IDS and publish the command menus."""
    from handlers.commands import publish_default_menus, publish_menu_for

    deps: Deps = application.bot_data["deps"]
    async with deps.db.transaction() as session:
        await users.sync_admins(session, deps.settings.admin_ids, now=deps.clock.now())
        staff = await users.list_staff(session)
    await publish_default_menus(application.bot)
    for user in staff:
        language = reader_language(user.language, user.language_code)
        await publish_menu_for(application.bot, user.id, user.role, language)
    application.bot_data["dispatcher"].start()
    log.info("bot @%s ready", application.bot.username)


async def _post_stop(application: BotApplication) -> None:
    """Let the dispatcher finish what is in flight and give back what it claimed."""
    await application.bot_data["dispatcher"].stop()


async def _post_shutdown(application: BotApplication) -> None:
    """Close the HTTP sessions, and the database connections if the application opened
    them. The sessions are closed here too because Application.shutdown skips an
    application that never reached Telegram (a start-up that gave up on getMe)."""
    for request in application.bot_data["requests"]:
        await request.shutdown()
    if application.bot_data.get("owns_db"):
        await application.bot_data["deps"].db.dispose()
