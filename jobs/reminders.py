"""The reminder tick: queue the reminders that fell due since the last tick."""

from __future__ import annotations

import logging

from telegram.ext import Application

from bot.context import BotContext, Deps
from bot.services import outbox, reminders

log = logging.getLogger(__name__)


async def queue_due_reminders(deps: Deps) -> int:
    """One tick: every reminder (and class-day readiness check) due in the window since the
    last tick, in one transaction."""
    now = deps.clock.now()
    async with deps.db.transaction() as session:
        since, until = await reminders.window(session, now=now)
        due = await reminders.due(session, since=since, now=until)
        readiness = await reminders.readiness_due(session, since=since, now=until)
        queued = await outbox.enqueue(
            session,
            [reminders.notice(item) for item in due] + readiness,
            now=now,
        )
        await reminders.advance(session, to=until)
    if queued:
        log.info("queued %d reminders", queued)
    return queued


async def tick(context: BotContext) -> None:
    """The JobQueue callback."""
    await queue_due_reminders(context.deps)


def register(application: Application, deps: Deps) -> None:
    """Run the tick every REMINDER_TICK_SECONDS (default 10, well inside the promised 30 s),
    starting at once so that reminders due during downtime are caught up."""
    application.job_queue.run_repeating(
        tick,
        interval=deps.settings.reminder_tick_seconds,
        first=0.0,
        name="reminders",
        job_kwargs={"max_instances": 1},
    )
