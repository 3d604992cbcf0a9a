"""The clearance-hold tick: places held for a trainer's clearance that are due back go to
the waitlist, and the client is told."""

from __future__ import annotations

import datetime as dt
import logging

from telegram.ext import Application

from bot.context import BotContext, Deps
from bot.services import bookings, notices, safety

log = logging.getLogger(__name__)


async def release_expired_holds(deps: Deps) -> int:
    """One tick: every held place due back is released, each in its own transaction with
    its notices (so one failure loses nothing else). A hold released already is skipped,
    so a tick run twice or on two replicas releases and tells once."""
    now = deps.clock.now()
    hold = dt.timedelta(hours=deps.settings.clearance_hold_hours)
    async with deps.db.reading() as session:
        due = await safety.expired_holds(session, now=now, hold=hold)
    released = 0
    for booking_id in due:
        async with deps.db.transaction() as session:
            result = await bookings.release_held(session, booking_id, now=now, hold=hold)
            if result is None:
                continue
            await notices.tell_hold_released(session, result, now=now)
            await notices.tell_promoted(session, result.promotions, now=now)
            released += 1
    if released:
        log.info("released %d places held for clearance", released)
    return released


async def tick(context: BotContext) -> None:
    """The JobQueue callback."""
    await release_expired_holds(context.deps)


def register(application: Application, deps: Deps) -> None:
    """Look for held places due back with the reminder tick (REMINDER_TICK_SECONDS)."""
    application.job_queue.run_repeating(
        tick,
        interval=deps.settings.reminder_tick_seconds,
        first=0.0,
        name="clearance_holds",
        job_kwargs={"max_instances": 1},
    )
