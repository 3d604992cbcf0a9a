"""The messages people get about their classes without asking: queued by the handler that
caused them, in the same transaction, through the outbox.

Each is a template of bot/views/bookings.py with plain parameters, rendered when it goes out
in its reader's language and time zone, and carries a dedupe key, so a change told twice (a
retried update, a tick on two replicas) reaches people once.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Booking, Priority
from bot.services import outbox
from bot.services.bookings import Promotion
from bot.services.classes import Affected, SessionInfo, session_info


def _about(info: SessionInfo) -> dict[str, str]:
    """What every notice about a session names: its class, its trainer and its start."""
    return {
        "title": info.series.title,
        "trainer": info.trainer.first_name,
        "starts_at": info.session.starts_at.isoformat(),
    }


async def tell_promoted(
    session: AsyncSession, promotions: list[Promotion], *, now: dt.datetime
) -> None:
    """ "You're in!" for each person promoted from the waitlist, with a give-back button."""
    notices = []
    for promotion in promotions:
        info = await session_info(session, promotion.session_id)
        notices.append(
            outbox.Notice(
                chat_id=promotion.user_id,
                template="promoted",
                params={
                    **_about(info),
                    "booking": promotion.booking_id,
                    "location": info.session.location,
                },
                dedupe_key=f"promoted:{promotion.booking_id}:{now.timestamp()}",
                kind="promotion",
                priority=Priority.URGENT,
                topic=f"booking:{promotion.booking_id}",
                expires_at=info.session.starts_at,
                subjects=(info.trainer.id,),
            )
        )
    await outbox.enqueue(session, notices, now=now)


async def tell_cancelled(
    session: AsyncSession, affected: Affected, *, reason: str | None, now: dt.datetime
) -> int:
    """Tell everyone booked or waitlisted on cancelled sessions, with the trainer's reason
    (or that the class has ended). Returns how many are told."""
    notices = []
    for cancelled in affected.sessions:
        info = await session_info(session, cancelled.id)
        for user_id in affected.booked.get(cancelled.id, []) + affected.waitlisted.get(
            cancelled.id, []
        ):
            notices.append(
                outbox.Notice(
                    chat_id=user_id,
                    template="session_cancelled",
                    params={
                        **_about(info),
                        "reason": reason,
                        "ended": info.series.ended_at is not None,
                    },
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
    now: dt.datetime,
) -> int:
    """Tell people booked on changed sessions what changed ("time", with each session's
    start `before` the change, or "location"). Returns how many are told."""
    notices = []
    for changed in affected.sessions:
        info = await session_info(session, changed.id)
        for user_id in affected.booked.get(changed.id, []):
            booking_id = await _booking_id(session, changed.id, user_id)
            if change == "time":
                name = "session_moved"
                params = {
                    "was": before[changed.id].isoformat(),
                    "minutes": info.session.duration_minutes,
                }
            else:
                name, params = "session_relocated", {"location": info.session.location}
            notices.append(
                outbox.Notice(
                    chat_id=user_id,
                    template=name,
                    params={**_about(info), **params, "booking": booking_id},
                    dedupe_key=f"changed:{changed.id}:{info.session.version}:{user_id}",
                    kind="session_changed",
                    priority=Priority.URGENT,
                    topic=f"booking:{booking_id}",
                    expires_at=info.session.starts_at,
                    subjects=(info.trainer.id,),
                )
            )
    return await outbox.enqueue(session, notices, now=now)


async def _booking_id(session: AsyncSession, session_id: int, user_id: int) -> int:
    return await session.scalar(
        select(Booking.id).where(Booking.session_id == session_id, Booking.user_id == user_id)
    )
