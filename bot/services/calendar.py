"""Calendar files (.ics) of a client's booked classes or a trainer's teaching schedule.

Each session has a stable UID, and SEQUENCE follows the session's version, so importing a
newer file updates events instead of duplicating them; a cancelled session (or booking) is
exported with STATUS:CANCELLED so calendars remove it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Booking, BookingState, ClassSeries, ClassSession, SessionState, User

UID_DOMAIN = "exercise-therapy-bot"
PAST_DAYS = 7
FUTURE_DAYS = 120


@dataclass(frozen=True)
class Entry:
    """One calendar event."""

    uid: str
    title: str
    start: dt.datetime
    end: dt.datetime
    location: str
    description: str
    cancelled: bool
    sequence: int


def session_uid(session_id: int) -> str:
    """The stable UID of a session's event."""
    return f"session-{session_id}@{UID_DOMAIN}"


def render(entries: list[Entry], *, name: str, now: dt.datetime) -> bytes:
    """An iCalendar file with these events."""
    calendar = Calendar()
    calendar.add("prodid", "-//Exercise therapy bot//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    for entry in entries:
        event = Event()
        event.add("uid", entry.uid)
        event.add("dtstamp", now)
        event.add("dtstart", entry.start)
        event.add("dtend", entry.end)
        event.add("summary", entry.title)
        event.add("location", entry.location)
        if entry.description:
            event.add("description", entry.description)
        event.add("sequence", entry.sequence)
        event.add("status", "CANCELLED" if entry.cancelled else "CONFIRMED")
        calendar.add_component(event)
    return calendar.to_ical()


def _entry(target: ClassSession, series: ClassSeries, who: str, *, cancelled: bool) -> Entry:
    details = [who]
    if series.description:
        details.append(series.description)
    if target.state == SessionState.CANCELLED and target.cancel_reason:
        details.append(f"Cancelled: {target.cancel_reason}")
    return Entry(
        uid=session_uid(target.id),
        title=series.title,
        start=target.starts_at,
        end=target.ends_at,
        location=target.location,
        description="\n".join(details),
        cancelled=cancelled,
        # A cancelled booking of a session that goes on is a change of the client's copy.
        sequence=target.version
        + (1 if cancelled and target.state == SessionState.SCHEDULED else 0),
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
            f"With {trainer_name}.",
            cancelled=state == BookingState.CANCELLED or target.state == SessionState.CANCELLED,
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
            f"{target.booked_count} of {target.capacity} places booked.",
            cancelled=target.state == SessionState.CANCELLED,
        )
        for target, series in rows
    ]
