"""The daily job that keeps every running series' sessions eight weeks ahead."""

from __future__ import annotations

import datetime as dt
import logging

from telegram.ext import Application

from bot.context import BotContext
from bot.services import classes

log = logging.getLogger(__name__)


async def extend(context: BotContext) -> None:
    """Create the sessions that the horizon now reaches (idempotent)."""
    deps = context.deps
    async with deps.db.transaction() as session:
        created = await classes.extend_horizons(session, now=deps.clock.now())
    if created:
        log.info("created %d sessions ahead", created)


def register(application: Application) -> None:
    """Run at start-up and then every day at 03:00 UTC."""
    application.job_queue.run_once(extend, when=0, name="horizon-at-start")
    application.job_queue.run_daily(extend, time=dt.time(3, 0, tzinfo=dt.UTC), name="horizon")
