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

from bot.models import Booking, Priority, User
from bot.services import buddies, classes, community, outbox, progress, users
from bot.services.bookings import BookingResult, CancelResult, Promotion
from bot.services.bookings import book as bookings_book
from bot.services.classes import Affected, SessionInfo, session_info
from bot.services.safety import Cleared, Readiness


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
    """ "You're in!" for each person promoted from the waitlist, with a give-back button.
    A place held for the trainer's clearance says so, and the trainer gets the heads-up."""
    notices = []
    for promotion in promotions:
        info = await session_info(session, promotion.session_id)
        booking = await session.get(Booking, promotion.booking_id)
        held = booking is not None and booking.pending_clearance
        if held:
            client = await session.get(User, promotion.user_id)
            await tell_trainer_clearance_needed(
                session, booking, info, client.first_name, hold_hours=None, now=now
            )
        notices.append(
            outbox.Notice(
                chat_id=promotion.user_id,
                template="promoted",
                params={
                    **_about(info),
                    "booking": promotion.booking_id,
                    "location": info.session.location,
                    "held": held,
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


async def tell_hold_released(
    session: AsyncSession, released: CancelResult, *, now: dt.datetime
) -> None:
    """Tell a client that the place held for their clearance went to the next person."""
    info = released.info
    await outbox.enqueue(
        session,
        [
            outbox.Notice(
                chat_id=released.booking.user_id,
                template="hold_released",
                params=_about(info),
                dedupe_key=f"hold-released:{released.booking.id}:{now.timestamp()}",
                kind="hold_released",
                priority=Priority.URGENT,
                subjects=(info.trainer.id,),
            )
        ],
        now=now,
    )


async def tell_cleared(session: AsyncSession, cleared: Cleared, *, now: dt.datetime) -> None:
    """Tell a client that their trainer confirmed each place that waited for clearance."""
    await outbox.enqueue(
        session,
        [
            outbox.Notice(
                chat_id=booking.user_id,
                template="cleared",
                params=_about(info),
                dedupe_key=f"cleared:{booking.id}:{now.timestamp()}",
                kind="cleared",
                priority=Priority.URGENT,
                topic=f"booking:{booking.id}",
                expires_at=info.session.starts_at,
                subjects=(info.trainer.id,),
            )
            for booking, info in cleared.confirmed
        ],
        now=now,
    )


async def book(
    session: AsyncSession, actor: User, session_id: int, *, hold_hours: int, now: dt.datetime
) -> BookingResult:
    """Book as the chat's Book button and the Mini App both do: `bookings.book`, and when the
    place is held for clearance, the trainer's private heads-up in the same transaction.
    Raises what `bookings.book` raises (ScreeningNeeded for a class that screens first)."""
    result = await bookings_book(session, actor, session_id, now=now)
    if result.status == "pending_clearance":
        await tell_trainer_clearance_needed(
            session, result.booking, result.info, actor.first_name, hold_hours=hold_hours, now=now
        )
    return result


async def tell_trainer_clearance_needed(
    session: AsyncSession,
    booking: Booking,
    info: SessionInfo,
    client_name: str,
    *,
    hold_hours: int | None,
    now: dt.datetime,
) -> None:
    """The trainer's private heads-up that a client who booked (or got a place from the
    waitlist: `hold_hours` None) needs an OK first; the client was told before answering
    that this is how screening works. It names no answer."""
    await outbox.enqueue(
        session,
        [
            outbox.Notice(
                chat_id=info.trainer.id,
                template="screening_heads_up",
                params={**_about(info), "name": client_name, "hours": hold_hours},
                # (hours None: the template says the place is held until they clear it)
                dedupe_key=f"clearance-needed:{booking.id}:{booking.clearance_held_since.timestamp()}",
                kind="screening_heads_up",
                priority=Priority.URGENT,
                subjects=(booking.user_id,),
            )
        ],
        now=now,
    )


async def tell_trainer_readiness(
    session: AsyncSession, answered: Readiness, client_name: str, *, now: dt.datetime
) -> None:
    """The trainer's private heads-up after a readiness answer that advised against coming;
    only for a client who lets the trainer see their check-ins (health data: it goes with
    that permission)."""
    info = answered.info
    await outbox.enqueue(
        session,
        [
            outbox.Notice(
                chat_id=info.trainer.id,
                template="readiness_heads_up",
                params={**_about(info), "name": client_name, "outcome": answered.outcome},
                # Once per booking and outcome: answering again tells nothing new.
                dedupe_key=f"readiness-heads-up:{answered.booking.id}:{answered.outcome}",
                kind="readiness_heads_up",
                priority=Priority.URGENT,
                subjects=(answered.booking.user_id,),
            )
        ],
        now=now,
    )


# ----------------------------------------------- after an attendance mark (chat and Mini App)


async def missed_twice_notices(
    session: AsyncSession, user_id: int, series_id: int, *, now: dt.datetime
) -> list[outbox.Notice]:
    """After a second no-show in a row: a warm "we missed you" with a one-tap rebook for
    the client, and a gentle nudge suggestion for their buddy (each in their language)."""
    if not await buddies.missed_twice(session, user_id, series_id):
        return []
    person = await users.get_user(session, user_id)
    ahead = await classes.upcoming(session, now=now, days=21, series_id=series_id, limit=1)
    title = ahead[0].series.title if ahead else None
    rebook = (
        {"session": ahead[0].session.id, "starts_at": ahead[0].session.starts_at.isoformat()}
        if ahead
        else {}
    )
    notices = [
        outbox.Notice(
            chat_id=user_id,
            template="missed",
            params={"title": title, **rebook},
            dedupe_key=f"missed:{user_id}:{series_id}:{now.date().isoformat()}",
            kind="missed",
            priority=Priority.BACKGROUND,
        )
    ]
    for buddy in await buddies.current_buddies(session, user_id, series_id, now=now):
        notices.append(
            outbox.Notice(
                chat_id=buddy.id,
                template="missed_buddy",
                params={"name": person.first_name, "title": title},
                dedupe_key=f"missed-buddy:{user_id}:{series_id}:{buddy.id}:{now.date().isoformat()}",
                kind="buddy",
                priority=Priority.BACKGROUND,
                subjects=(user_id,),
            )
        )
    return notices


async def tell_milestones(
    session: AsyncSession, user_id: int, reached: list[str], *, now: dt.datetime
) -> None:
    """Congratulate privately; announce in the class's groups only if the client opted in
    (each in its reader's language, bot/views/progress.py)."""
    if not reached:
        return
    person = await users.get_user(session, user_id)
    groups = await community.groups_of_client(session, user_id) if person.share_milestones else []
    notices = []
    for kind in reached:
        notices.append(
            outbox.Notice(
                chat_id=user_id,
                template="milestone",
                params={"kind": kind},
                dedupe_key=f"milestone:{user_id}:{kind}",
                kind="milestone",
                priority=Priority.BACKGROUND,
            )
        )
        notices += [
            outbox.Notice(
                chat_id=group.chat_id,
                template="milestone_group",
                params={"kind": kind, "name": person.first_name},
                dedupe_key=f"milestone-group:{group.id}:{user_id}:{kind}",
                kind="milestone_group",
                priority=Priority.BACKGROUND,
                subjects=(user_id,),
            )
            for group in groups
        ]
    await outbox.enqueue(session, notices, now=now)


async def after_attendance(
    session: AsyncSession, user_id: int, series_id: int, *, now: dt.datetime
) -> None:
    """What a new attendance mark may bring: milestones, or after two no-shows in a row a
    warm word for the client and a nudge for their buddy."""
    await tell_milestones(
        session, user_id, await progress.new_milestones(session, user_id, now=now), now=now
    )
    await outbox.enqueue(
        session, await missed_twice_notices(session, user_id, series_id, now=now), now=now
    )
