"""The messages people get about their classes without asking: written by the handler or
job that caused them, in the same transaction, through the outbox.

Each is rendered in its reader's time zone and carries a dedupe key, so a change told twice
(a retried update, a tick on two replicas) reaches people once.
"""

from __future__ import annotations

import datetime as dt
from html import escape

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup

from bot.i18n import translator
from bot.models import Priority
from bot.services import outbox, users
from bot.services.bookings import Promotion
from bot.services.classes import Affected, SessionInfo, session_info
from bot.services.reminders import DueReminder, dedupe_key
from bot.views.bookings import BOOKING
from bot.views.callbacks import pack
from bot.views.formatting import long_when, relative_day, session_title, short_when
from bot.views.keyboards import button, column

# TODO(i18n): scheduled messages are rendered in English until they become templates.
ENGLISH = translator(None)


def _markup(keyboard: InlineKeyboardMarkup) -> dict:
    return keyboard.to_dict()


async def tell_promoted(
    session: AsyncSession, promotions: list[Promotion], *, default_zone: str, now: dt.datetime
) -> None:
    """ "You're in!" for each person promoted from the waitlist, with a give-back button."""
    if not promotions:
        return
    people = await users.users_by_id(session, [p.user_id for p in promotions])
    notices = []
    for promotion in promotions:
        info = await session_info(session, promotion.session_id)
        reader = people[promotion.user_id]
        zone = reader.timezone or default_zone
        notices.append(
            outbox.Notice(
                chat_id=reader.id,
                text=(
                    f"🎉 You're in! A place opened up in {session_title(ENGLISH, info)} "
                    f"{relative_day(ENGLISH, info.session.starts_at, zone, now)} "
                    f"({escape(info.session.location)}).\n\n"
                    "Can't come after all? Give the place back so the next person gets it."
                ),
                dedupe_key=f"promoted:{promotion.booking_id}:{now.timestamp()}",
                kind="promotion",
                priority=Priority.URGENT,
                reply_markup=_markup(
                    column(button("Give my place back", pack(BOOKING, "x", promotion.booking_id)))
                ),
                topic=f"booking:{promotion.booking_id}",
                expires_at=info.session.starts_at,
                subjects=(info.trainer.id,),
            )
        )
    await outbox.enqueue(session, notices, now=now)


async def tell_cancelled(
    session: AsyncSession,
    affected: Affected,
    *,
    reason: str | None,
    default_zone: str,
    now: dt.datetime,
) -> int:
    """Tell everyone booked or waitlisted on cancelled sessions, with the reason."""
    everyone = {
        u for ids in (*affected.booked.values(), *affected.waitlisted.values()) for u in ids
    }
    people = await users.users_by_id(session, everyone)
    notices = []
    for cancelled in affected.sessions:
        info = await session_info(session, cancelled.id)
        for user_id in affected.booked.get(cancelled.id, []) + affected.waitlisted.get(
            cancelled.id, []
        ):
            zone = people[user_id].timezone or default_zone
            why = f"\nReason: {escape(reason)}" if reason else ""
            notices.append(
                outbox.Notice(
                    chat_id=user_id,
                    text=(
                        f"❌ {session_title(ENGLISH, info)} on "
                        f"{short_when(ENGLISH, info.session.starts_at, zone)} "
                        f"is cancelled.{why}\n\n"
                        "Your place is cancelled too; there is nothing else to do. "
                        "/classes shows other sessions."
                    ),
                    dedupe_key=f"cancelled:{cancelled.id}:{user_id}",
                    kind="session_cancelled",
                    priority=Priority.URGENT,
                    subjects=(info.trainer.id,),
                )
            )
    return await outbox.enqueue(session, notices, now=now)


async def tell_changed(
    session: AsyncSession,
    affected: Affected,
    *,
    change: str,
    before: dict[int, dt.datetime],
    default_zone: str,
    now: dt.datetime,
) -> int:
    """Tell people booked on changed sessions what changed ("time" or "location")."""
    everyone = {u for ids in affected.booked.values() for u in ids}
    people = await users.users_by_id(session, everyone)
    notices = []
    for changed in affected.sessions:
        info = await session_info(session, changed.id)
        for user_id in affected.booked.get(changed.id, []):
            zone = people[user_id].timezone or default_zone
            if change == "time":
                was = short_when(ENGLISH, before[changed.id], zone)
                what = (
                    f"🔄 {session_title(ENGLISH, info)} has moved: it is now on "
                    + long_when(
                        ENGLISH, info.session.starts_at, zone, info.session.duration_minutes
                    )
                    + f" (it was {was})."
                )
            else:
                what = (
                    f"📍 {session_title(ENGLISH, info)} on "
                    f"{short_when(ENGLISH, info.session.starts_at, zone)} "
                    f"now takes place at: {escape(info.session.location)}."
                )
            booking_id = await _booking_id(session, changed.id, user_id)
            notices.append(
                outbox.Notice(
                    chat_id=user_id,
                    text=f"{what}\n\nYour place stands. If you can't make it now, let us know.",
                    dedupe_key=f"changed:{changed.id}:{info.session.version}:{user_id}",
                    kind="session_changed",
                    priority=Priority.URGENT,
                    reply_markup=_markup(
                        column(button("Can't make it", pack(BOOKING, "x", booking_id)))
                    ),
                    topic=f"booking:{booking_id}",
                    expires_at=info.session.starts_at,
                    subjects=(info.trainer.id,),
                )
            )
    return await outbox.enqueue(session, notices, now=now)


async def _booking_id(session: AsyncSession, session_id: int, user_id: int) -> int:
    from sqlalchemy import select

    from bot.models import Booking

    return await session.scalar(
        select(Booking.id).where(Booking.session_id == session_id, Booking.user_id == user_id)
    )


def reminder(due: DueReminder) -> outbox.Notice:
    """The reminder before a class (rendered as it goes out: bot/views/bookings.py)."""
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


def session_info_text(info: SessionInfo, zone: str) -> str:
    """A session's details for a detail view (HTML)."""
    lines = [
        session_title(ENGLISH, info),
        f"🗓 {long_when(ENGLISH, info.session.starts_at, zone, info.session.duration_minutes)}",
        f"📍 {escape(info.session.location)}",
    ]
    if info.series.description:
        lines.append(f"\n{escape(info.series.description)}")
    return "\n".join(lines)
