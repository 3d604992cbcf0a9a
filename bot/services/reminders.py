"""Reminders before booked classes, derived from the database on every tick.

Nothing is scheduled per reminder. Each tick looks at the window since the last tick: a
reminder is due when `session start - offset` falls inside it, for each offset the client
chose. The window's end is saved in the same transaction as the reminders it queued, and
each reminder's dedupe key is its booking and offset, so a tick run twice, on two replicas,
or after a crash queues each reminder once. After downtime the window reaches back to the
last tick: reminders that fell due meanwhile are sent if the class is still ahead.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import insert_ignoring_conflicts
from bot.models import (
    Booking,
    BookingState,
    ClassSeries,
    ClassSession,
    JobMark,
    Priority,
    ReminderOffset,
    SessionState,
    User,
)
from bot.services import outbox

MARK = "reminders"


@dataclass(frozen=True)
class DueReminder:
    """A reminder to send now: whose booking, which class, how long before."""

    booking_id: int
    offset: ReminderOffset
    user: User
    session: ClassSession
    series: ClassSeries
    trainer_name: str


def dedupe_key(booking_id: int, offset: ReminderOffset) -> str:
    """The reminder's outbox key: one per booking and offset, ever."""
    return f"reminder:{booking_id}:{offset.value}"


def notice(due: DueReminder) -> outbox.Notice:
    """The reminder as an outbox message: the template "reminder" (bot/views/bookings.py)
    with plain parameters, rendered in the client's language and zone as it goes out, and
    withdrawn with its booking."""
    return outbox.Notice(
        chat_id=due.user.id,
        template="reminder",
        params={
            "booking": due.booking_id,
            "title": due.series.title,
            "trainer": due.trainer_name,
            "starts_at": due.session.starts_at.isoformat(),
            "minutes": due.session.duration_minutes,
            "location": due.session.location,
        },
        dedupe_key=dedupe_key(due.booking_id, due.offset),
        kind="reminder",
        priority=Priority.REMINDER,
        topic=f"booking:{due.booking_id}",
        expires_at=due.session.starts_at,
        subjects=(due.series.trainer_id,),
    )


async def window(session: AsyncSession, *, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The stretch of time this tick covers: from the last tick (or now, the first time) to
    now. Locks the mark so concurrent ticks take turns."""
    await insert_ignoring_conflicts(
        session, JobMark.__table__, [{"name": MARK, "reached": now}], ["name"]
    )
    mark = await session.get(JobMark, MARK, with_for_update=True, populate_existing=True)
    return min(mark.reached, now), now


async def advance(session: AsyncSession, *, to: dt.datetime) -> None:
    """Record that reminders up to `to` are queued (in the transaction that queued them)."""
    mark = await session.get(JobMark, MARK)
    mark.reached = max(mark.reached, to)


async def due(session: AsyncSession, *, since: dt.datetime, now: dt.datetime) -> list[DueReminder]:
    """Reminders that fell due in (since, now] for classes that have not started.

    Only confirmed bookings (not ones still waiting for clearance) of scheduled sessions,
    for clients who chose that offset and have not blocked the bot.
    """
    found: list[DueReminder] = []
    trainer = User.__table__.alias("trainer")
    for offset in ReminderOffset:
        delta = dt.timedelta(minutes=offset.value)
        rows = await session.execute(
            select(Booking.id, User, ClassSession, ClassSeries, trainer.c.first_name)
            .join(ClassSession, Booking.session_id == ClassSession.id)
            .join(ClassSeries, ClassSession.series_id == ClassSeries.id)
            .join(User, Booking.user_id == User.id)
            .join(trainer, trainer.c.id == ClassSeries.trainer_id)
            .where(
                Booking.state == BookingState.CONFIRMED,
                # A place held for the trainer's clearance is not one to come to yet.
                Booking.clearance_held_since.is_(None),
                ClassSession.state == SessionState.SCHEDULED,
                ClassSession.starts_at > now,
                ClassSession.starts_at > since + delta,
                ClassSession.starts_at <= now + delta,
                User.reminder_mask.op("&")(offset.bit) != 0,
                User.blocked_at.is_(None),
            )
        )
        found += [
            DueReminder(booking_id, offset, user, target, series, trainer_name)
            for booking_id, user, target, series, trainer_name in rows
        ]
    return found


# The class-day readiness check comes this long before a class that screens (issue 12).
READINESS_BEFORE = dt.timedelta(hours=3)


async def readiness_due(
    session: AsyncSession, *, since: dt.datetime, now: dt.datetime
) -> list[outbox.Notice]:
    """Readiness checks that fell due in (since, now]: 3 h before each confirmed place (not
    one still waiting for clearance) in a class that screens, for clients who keep the check
    on and have not blocked the bot. Keyed by booking, so each is queued once."""
    rows = await session.execute(
        select(Booking.id, Booking.user_id, ClassSession, ClassSeries)
        .join(ClassSession, Booking.session_id == ClassSession.id)
        .join(ClassSeries, ClassSession.series_id == ClassSeries.id)
        .join(User, Booking.user_id == User.id)
        .where(
            Booking.state == BookingState.CONFIRMED,
            Booking.clearance_held_since.is_(None),
            ClassSeries.requires_screening.is_(True),
            ClassSession.state == SessionState.SCHEDULED,
            ClassSession.starts_at > now,
            ClassSession.starts_at > since + READINESS_BEFORE,
            ClassSession.starts_at <= now + READINESS_BEFORE,
            User.readiness_check.is_(True),
            User.blocked_at.is_(None),
        )
    )
    return [
        outbox.Notice(
            chat_id=user_id,
            template="readiness",
            params={
                "booking": booking_id,
                "title": series.title,
                "starts_at": target.starts_at.isoformat(),
            },
            dedupe_key=f"readiness:{booking_id}",
            kind="readiness",
            priority=Priority.REMINDER,
            topic=f"booking:{booking_id}",
            expires_at=target.starts_at,
        )
        for booking_id, user_id, target, series in rows
    ]


def chosen_offsets(mask: int) -> list[ReminderOffset]:
    """The offsets whose bits are set, longest first."""
    return [offset for offset in ReminderOffset if mask & offset.bit]


async def set_offsets(
    session: AsyncSession, user_id: int, offsets: list[ReminderOffset], *, now: dt.datetime
) -> User:
    """Save which reminders the user wants (an empty list: none)."""
    user = await session.get(User, user_id)
    mask = 0
    for offset in offsets:
        mask |= offset.bit
    user.reminder_mask = mask
    user.updated_at = now
    return user
