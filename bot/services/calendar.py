"""What goes into calendar files (.ics) of a client's booked classes or a trainer's teaching.

Each session has a stable UID, and SEQUENCE follows the session's version, so importing a
newer file updates events instead of duplicating them; a cancelled session (or booking) is
exported with STATUS:CANCELLED so calendars remove it. The file itself, in the reader's
language, is written by bot/views/calendar.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Booking, BookingState, ClassSeries, ClassSession, SessionState, User

UID_DOMAIN = "exercise-therapy-bot"
PAST_DAYS = 7
FUTURE_DAYS = 120


@dataclass(frozen=True)
class Entry:
    """One calendar event, as data: the words around it are the view's."""

    uid: str
    title: str  # the class's title, as its trainer wrote it
    start: dt.datetime
    end: dt.datetime
    location: str
    description: str  # the class's description, as its trainer wrote it ("" if none)
    cancelled: bool
    sequence: int
    trainer: str | None = None  # the trainer's first name, in a client's file
    booked: int | None = None  # places booked, in a trainer's file
    capacity: int | None = None  # places in all, in a trainer's file
    cancel_reason: str | None = None  # why the trainer cancelled the session, if they said
    class_ended: bool = False  # cancelled because its class was ended


def session_uid(session_id: int) -> str:
    """The stable UID of a session's event."""
    return f"session-{session_id}@{UID_DOMAIN}"


def _entry(
    target: ClassSession,
    series: ClassSeries,
    *,
    cancelled: bool,
    trainer: str | None = None,
    places: tuple[int, int] | None = None,
) -> Entry:
    booked, capacity = places or (None, None)
    return Entry(
        uid=session_uid(target.id),
        title=series.title,
        start=target.starts_at,
        end=target.ends_at,
        location=target.location,
        description=series.description or "",
        cancelled=cancelled,
        # A cancelled booking of a session that goes on is a change of the client's copy.
        sequence=target.version
        + (1 if cancelled and target.state == SessionState.SCHEDULED else 0),
        trainer=trainer,
        booked=booked,
        capacity=capacity,
        cancel_reason=(target.cancel_reason if target.state == SessionState.CANCELLED else None),
        class_ended=target.state == SessionState.CANCELLED and series.ended_at is not None,
    )


async def client_entries(session: AsyncSession, user_id: int, *, now: dt.datetime) -> list[Entry]:
    """The client's confirmed bookings from a week ago on; cancelled ones as cancelled."""
    trainer = User.__table__.alias("trainer")
    rows = await session.execute(
        select(Booking.state, ClassSession, ClassSeries, trainer.c.first_name)
        .join(ClassSession, Booking.session_id == ClassSession.id)
        .join(ClassSeries, ClassSession.series_id == ClassSeries.id)
        .join(trainer, trainer.c.id == ClassSeries.trainer_id)
        .where(
            Booking.user_id == user_id,
            Booking.state.in_([BookingState.CONFIRMED, BookingState.CANCELLED]),
            Booking.confirmed_at.is_not(None),
            ClassSession.starts_at >= now - dt.timedelta(days=PAST_DAYS),
        )
        .order_by(ClassSession.starts_at)
    )
    return [
        _entry(
            target,
            series,
            cancelled=state == BookingState.CANCELLED or target.state == SessionState.CANCELLED,
            trainer=trainer_name,
        )
        for state, target, series, trainer_name in rows
    ]


async def trainer_entries(session: AsyncSession, trainer: User, *, now: dt.datetime) -> list[Entry]:
    """Every session the trainer teaches from a week ago to four months ahead."""
    rows = await session.execute(
        select(ClassSession, ClassSeries)
        .join(ClassSeries, ClassSession.series_id == ClassSeries.id)
        .where(
            ClassSeries.trainer_id == trainer.id,
            ClassSession.starts_at >= now - dt.timedelta(days=PAST_DAYS),
            ClassSession.starts_at <= now + dt.timedelta(days=FUTURE_DAYS),
        )
        .order_by(ClassSession.starts_at)
    )
    return [
        _entry(
            target,
            series,
            cancelled=target.state == SessionState.CANCELLED,
            places=(target.booked_count, target.capacity),
        )
        for target, series in rows
    ]
