"""The reminder tick: queue the reminders that fell due since the last tick."""

from __future__ import annotations

import logging

from telegram.ext import Application

from bot.context import BotContext, Deps
from bot.services import outbox, reminders
from handlers import notices

log = logging.getLogger(__name__)

TICK_SECONDS = 10.0  # reminders go out within seconds of due, well inside 30 s


async def queue_due_reminders(deps: Deps) -> int:
    """One tick: everything due in the window since the last tick, in one transaction."""
    now = deps.clock.now()
    async with deps.db.transaction() as session:
        since, until = await reminders.window(session, now=now)
        due = await reminders.due(session, since=since, now=until)
        queued = await outbox.enqueue(
            session,
            [
                notices.reminder(item, default_zone=deps.settings.default_timezone, now=now)
                for item in due
            ],
            now=now,
        )
        await reminders.advance(session, to=until)
    if queued:
        log.info("queued %d reminders", queued)
    return queued


async def tick(context: BotContext) -> None:
    """The JobQueue callback."""
    await queue_due_reminders(context.deps)


def register(application: Application) -> None:
    """Run the tick every TICK_SECONDS, starting at once (catching up after downtime)."""
    application.job_queue.run_repeating(
        tick, interval=TICK_SECONDS, first=0.0, name="reminders", job_kwargs={"max_instances": 1}
    )
