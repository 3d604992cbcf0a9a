"""Booking, cancelling, the waitlist and attendance.

Capacity is the database's to enforce: a booking is confirmed only by a conditional UPDATE
that raises a session's `booked_count` while it is below `capacity` (and a check constraint
refuses anything above), so fifty people pressing Book on the last spot get one place and
forty-nine waitlist places, whatever the interleaving. A cancel, and the promotion it
allows, happen in the caller's one transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value

from bot.models import (
    Attendance,
    Booking,
    BookingState,
    ClassSeries,
    ClassSession,
    SessionState,
    User,
)
from bot.services import outbox
from bot.services.classes import (
    MAX_CAPACITY,
    MIN_CAPACITY,
    SessionInfo,
    check_owner,
    own_session,
    session_info,
)
from bot.services.errors import DomainError, InvalidInput, NotFound

CHECK_IN_BEFORE = dt.timedelta(minutes=15)
# One alias for every query that joins a session's trainer: SQLAlchemy memoizes what it
# learns about an alias on the alias, so one made per call is worked out anew each time.
_TRAINER = aliased(User, name="trainer")
ATTENDANCE_EDITABLE = dt.timedelta(hours=48)


@dataclass(frozen=True)
class Promotion:
    """Someone moved from the waitlist to a confirmed place."""

    booking_id: int
    user_id: int
    session_id: int


@dataclass
class BookingResult:
    """What a Book press did: confirmed, waitlisted (with position), or nothing new; `info`
    is the session as it is after the press (places and waitlist counted)."""

    # "confirmed", "pending_clearance" (a place held until the trainer clears the client),
    # "waitlisted", "already_confirmed", "already_waitlisted"
    status: str
    booking: Booking
    info: SessionInfo
    position: int | None = None


@dataclass
class CancelResult:
    """A cancelled booking: whether it was late, and who got the place."""

    booking: Booking
    info: SessionInfo
    late: bool
    was_confirmed: bool
    promotions: list[Promotion] = field(default_factory=list)


def _topic(booking_id: int) -> str:
    return f"booking:{booking_id}"


# Statements of the booking path, built once (see bot/services/classes.py: building one
# costs more CPU than running it); values go in as parameters.
_AHEAD = select(func.count()).where(
    Booking.session_id == bindparam("session_id"),
    Booking.state == BookingState.WAITLISTED,
    Booking.waitlist_number < bindparam("number"),
)
_NEXT_WAITLIST_NUMBER = (
    update(ClassSession)
    .where(ClassSession.id == bindparam("session_id"))
    .values(waitlist_counter=ClassSession.waitlist_counter + 1)
    .returning(ClassSession.waitlist_counter)
    .execution_options(synchronize_session=False)
)
_SESSIONS = ClassSession.__table__.c
_TAKE_PLACE = (
    update(ClassSession.__table__)
    .where(
        _SESSIONS.id == bindparam("session_id"),
        _SESSIONS.state == SessionState.SCHEDULED,
        _SESSIONS.booked_count < _SESSIONS.capacity,
    )
    .values(booked_count=_SESSIONS.booked_count + 1)
    .returning(_SESSIONS.booked_count)
)
# A user's confirmed sessions that start within 12 hours before a session's end.
_BOOKINGS = Booking.__table__.c
_NEARBY = (
    select(_SESSIONS.id, _SESSIONS.starts_at, _SESSIONS.duration_minutes)
    .join_from(ClassSession.__table__, Booking.__table__, _BOOKINGS.session_id == _SESSIONS.id)
    .where(
        _BOOKINGS.user_id == bindparam("user_id"),
        _BOOKINGS.state == BookingState.CONFIRMED,
        _SESSIONS.id != bindparam("target_id"),
        _SESSIONS.state == SessionState.SCHEDULED,
        _SESSIONS.starts_at < bindparam("window_end"),
        _SESSIONS.starts_at > bindparam("window_start"),
    )
)


def _booking_row_statement(dialect: Any) -> Any:
    insert = dialect.insert(Booking.__table__).values(
        session_id=bindparam("session_id"),
        user_id=bindparam("user_id"),
        state=BookingState.CANCELLED,
        late_cancel=False,
        created_at=bindparam("now"),
        updated_at=bindparam("now"),
    )
    # "Do update" with an unchanged value: the existing row is locked and returned as well.
    # An upsert on the table, its row loaded as a Booking: returning the entity from an ORM
    # insert takes SQLAlchemy's bulk-insert path, which cost more CPU than the statement.
    upsert = insert.on_conflict_do_update(
        index_elements=[Booking.session_id, Booking.user_id],
        set_={"user_id": insert.excluded.user_id},
    ).returning(*Booking.__table__.c)
    return select(Booking).from_statement(upsert).execution_options(populate_existing=True)


_BOOKING_ROW = {
    "postgresql": _booking_row_statement(postgresql),
    "sqlite": _booking_row_statement(sqlite),
}


async def waitlist_position(session: AsyncSession, booking: Booking) -> int:
    """1 for the first person on the session's waitlist: the number of people waiting with a
    lower waitlist number, plus one. Positions of one session are unique and gap-free."""
    ahead = await session.scalar(
        _AHEAD, {"session_id": booking.session_id, "number": booking.waitlist_number}
    )
    return (ahead or 0) + 1


async def _next_waitlist_number(session: AsyncSession, session_id: int) -> int:
    """Hand out the session's next waitlist number. Called with the session locked, so the
    numbers follow the order in which Book presses were served, not when they arrived."""
    return await session.scalar(_NEXT_WAITLIST_NUMBER, {"session_id": session_id})


async def _overlapping(
    session: AsyncSession, user_id: int, target: ClassSession
) -> SessionInfo | None:
    """A confirmed booking of the user's that overlaps `target` in time, if any."""
    connection = await session.connection()
    rows = await connection.execute(
        _NEARBY,
        {
            "user_id": user_id,
            "target_id": target.id,
            "window_start": target.starts_at - dt.timedelta(hours=12),
            "window_end": target.ends_at,
        },
    )
    for other_id, starts_at, minutes in rows.all():
        ends_at = starts_at + dt.timedelta(minutes=minutes)
        if starts_at < target.ends_at and ends_at > target.starts_at:
            return await session_info(session, other_id)
    return None


async def _lock_session(session: AsyncSession, session_id: int) -> None:
    await session.execute(
        select(ClassSession.id).where(ClassSession.id == session_id).with_for_update()
    )


async def _take_place(session: AsyncSession, session_id: int) -> int | None:
    """Raise the session's booked count if a place is free: the new count when one was
    taken, None when none was free."""
    connection = await session.connection()
    return await connection.scalar(_TAKE_PLACE, {"session_id": session_id})


async def _free_place(session: AsyncSession, session_id: int) -> None:
    await session.execute(
        update(ClassSession)
        .where(ClassSession.id == session_id)
        .values(booked_count=ClassSession.booked_count - 1)
        .execution_options(synchronize_session=False)
    )


async def book(
    session: AsyncSession, user: User, session_id: int, *, now: dt.datetime
) -> BookingResult:
    """Book a place: confirmed while one is free, else a waitlist place with its position.

    Pressing Book twice changes nothing. A past, cancelled or unknown session, or one that
    overlaps another confirmed booking of the user's, is refused with the reason.
    """
    # Bookings of one session take turns (the rest of the practice is not held up), so that
    # waitlist places are handed out in order and each position is told once.
    info = await session_info(session, session_id, lock=True)
    target = info.session
    if target.state == SessionState.CANCELLED:
        raise InvalidInput("session_cancelled_cannot_book")
    if target.starts_at <= now:
        raise InvalidInput("session_started_cannot_book")
    booking = await _booking_row(session, session_id, user.id, now=now)
    if booking.state == BookingState.CONFIRMED:
        return BookingResult("already_confirmed", booking, info)
    if booking.state == BookingState.WAITLISTED:
        position = await waitlist_position(session, booking)
        return BookingResult("already_waitlisted", booking, info, position)
    clash = await _overlapping(session, user.id, target)
    if clash is not None:
        raise InvalidInput("booking_overlaps", title=clash.series.title)
    held = await _needs_clearance(session, user.id, info, now=now)
    booking.late_cancel = False
    booking.cancelled_at = None
    booking.attendance = None
    booking.clearance_held_since = None
    booking.readiness_flag = booking.readiness_pain = booking.readiness_new = None
    booking.readiness_at = None
    booking.updated_at = now
    # The session stays locked until the transaction ends, so what `info` says of its places
    # and waitlist is brought up to date here rather than read again.
    booked = await _take_place(session, session_id)
    if booked is not None:
        set_committed_value(target, "booked_count", booked)
        booking.state = BookingState.CONFIRMED
        booking.confirmed_at = now
        booking.waitlisted_at = None
        booking.waitlist_number = None
        if held:
            booking.clearance_held_since = now
            return BookingResult("pending_clearance", booking, info)
        return BookingResult("confirmed", booking, info)
    booking.state = BookingState.WAITLISTED
    booking.waitlist_number = await _next_waitlist_number(session, session_id)
    booking.waitlisted_at = now
    info.waitlist += 1
    await session.flush()
    return BookingResult("waitlisted", booking, info, await waitlist_position(session, booking))


async def _booking_row(
    session: AsyncSession, session_id: int, user_id: int, *, now: dt.datetime
) -> Booking:
    """The user's booking row of the session, locked: the one they had (in whatever state),
    or a new one in the cancelled state (one statement either way)."""
    return await session.scalar(
        _BOOKING_ROW[session.bind.dialect.name],
        {"session_id": session_id, "user_id": user_id, "now": now},
    )


async def _needs_clearance(
    session: AsyncSession, user_id: int, info: SessionInfo, *, now: dt.datetime
) -> bool:
    """For a class that screens: ScreeningNeeded when the client has no screening that
    counts; True when theirs asks for a clearance the trainer has not given yet."""
    if not info.series.requires_screening:
        return False
    from bot.services import safety

    found = await safety.status(session, user_id, now=now)
    if found.state == "missing":
        raise safety.ScreeningNeeded("screening_needed")
    return found.state == "pending"


async def own_booking(
    session: AsyncSession, user_id: int, booking_id: int, *, lock: bool = True
) -> Booking:
    """The user's own booking (locked unless `lock=False`); NotFound for anybody else's."""
    booking = await session.get(Booking, booking_id, with_for_update=lock)
    if booking is None or booking.user_id != user_id:
        raise NotFound("booking_not_found")
    return booking


def is_late(info: SessionInfo, now: dt.datetime) -> bool:
    """True inside the series' late-cancel window before the start."""
    window = dt.timedelta(minutes=info.series.late_cancel_minutes)
    return window > dt.timedelta(0) and now >= info.session.starts_at - window


async def cancel_preview(
    session: AsyncSession, user_id: int, booking_id: int, *, now: dt.datetime
) -> tuple[Booking, SessionInfo, bool]:
    """What cancelling would mean, before the user confirms: the booking, and whether late."""
    booking = await own_booking(session, user_id, booking_id)
    info = await session_info(session, booking.session_id)
    _check_cancellable(booking, info, now)
    return booking, info, _late(booking, info, now)


def _late(booking: Booking, info: SessionInfo, now: dt.datetime) -> bool:
    """A confirmed place given back inside the late-cancel window, unless it only waited for
    clearance, or the class-day readiness check advised against coming (no penalty)."""
    from bot.services import safety

    return (
        booking.state == BookingState.CONFIRMED
        and not booking.pending_clearance
        and not safety.excused(booking)
        and is_late(info, now)
    )


def _check_cancellable(booking: Booking, info: SessionInfo, now: dt.datetime) -> None:
    if booking.state == BookingState.CANCELLED:
        raise InvalidInput("booking_already_cancelled")
    if info.session.state == SessionState.CANCELLED:
        raise InvalidInput("session_cancelled_by_trainer")
    if info.session.starts_at <= now:
        raise InvalidInput("session_started_cannot_cancel_booking")


async def cancel(
    session: AsyncSession, user_id: int, booking_id: int, *, now: dt.datetime
) -> CancelResult:
    """Cancel the user's booking (always possible until the start).

    Inside the late-cancel window it is recorded as a late cancel. A freed place goes to the
    first person on the waitlist, in this same transaction.
    """
    booking = await own_booking(session, user_id, booking_id, lock=False)
    # The session first, then the booking: the same order as booking takes its locks.
    await _lock_session(session, booking.session_id)
    await session.refresh(booking, with_for_update=True)
    info = await session_info(session, booking.session_id)
    _check_cancellable(booking, info, now)
    was_confirmed = booking.state == BookingState.CONFIRMED
    late = _late(booking, info, now)
    booking.state = BookingState.CANCELLED
    booking.clearance_held_since = None
    booking.cancelled_at = now
    booking.late_cancel = late
    booking.updated_at = now
    await outbox.withdraw(session, [_topic(booking.id)])
    promotions: list[Promotion] = []
    if was_confirmed:
        await _free_place(session, booking.session_id)
        promotions = await promote_from_waitlist(session, booking.session_id, now=now, info=info)
    return CancelResult(
        booking=booking, info=info, late=late, was_confirmed=was_confirmed, promotions=promotions
    )


async def release_held(
    session: AsyncSession, booking_id: int, *, now: dt.datetime, hold: dt.timedelta
) -> CancelResult | None:
    """Give back a place held for clearance that is due back (held longer than `hold`, or
    the session began): the booking ends (not as a late cancel) and the place goes to the
    waitlist, in this transaction. None when it is not due any more (cleared, cancelled, or
    released already), so running this twice changes nothing the second time."""
    from bot.services import safety

    booking = await session.get(Booking, booking_id)
    if booking is None:
        return None
    await _lock_session(session, booking.session_id)
    await session.refresh(booking, with_for_update=True)
    info = await session_info(session, booking.session_id)
    if not booking.pending_clearance:
        return None
    if safety.hold_ends(booking.clearance_held_since, info.session.starts_at, hold) > now:
        return None
    booking.state = BookingState.CANCELLED
    booking.cancelled_at = now
    booking.late_cancel = False
    booking.clearance_held_since = None
    booking.updated_at = now
    await outbox.withdraw(session, [_topic(booking.id)])
    await _free_place(session, booking.session_id)
    promotions = await promote_from_waitlist(session, booking.session_id, now=now, info=info)
    return CancelResult(
        booking=booking, info=info, late=False, was_confirmed=True, promotions=promotions
    )


async def promote_from_waitlist(
    session: AsyncSession, session_id: int, *, now: dt.datetime, info: SessionInfo | None = None
) -> list[Promotion]:
    """Give free places to the waitlist, first come first served, until full or none wait.

    Nobody is promoted inside the series' promotion cut-off (default 1 h before the start):
    from then on a free place is open for direct booking. People whose promotion would clash
    with another confirmed booking of theirs keep their waitlist place.
    """
    info = info or await session_info(session, session_id)
    cutoff = dt.timedelta(minutes=info.series.promotion_cutoff_minutes)
    if info.waitlist == 0:
        return []
    if info.session.state != SessionState.SCHEDULED or now >= info.session.starts_at - cutoff:
        return []
    promotions: list[Promotion] = []
    skipped: list[int] = []
    while True:
        candidate = await session.scalar(
            select(Booking)
            .where(
                Booking.session_id == session_id,
                Booking.state == BookingState.WAITLISTED,
                Booking.id.not_in(skipped),
            )
            .order_by(Booking.waitlist_number)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if candidate is None:
            break
        if await _overlapping(session, candidate.user_id, info.session) is not None:
            skipped.append(candidate.id)
            continue
        if await _take_place(session, session_id) is None:
            break
        candidate.state = BookingState.CONFIRMED
        candidate.confirmed_at = now
        candidate.updated_at = now
        # Someone whose screening waits for clearance gets the place held, as when booking.
        try:
            if await _needs_clearance(session, candidate.user_id, info, now=now):
                candidate.clearance_held_since = now
        except DomainError:
            # Their screening ran out (12 months, or "my health changed") while they waited;
            # they had one when they joined. The place is theirs; the next booking asks again.
            pass
        promotions.append(Promotion(candidate.id, candidate.user_id, session_id))
    await session.flush()
    return promotions


async def set_capacity(
    session: AsyncSession, actor: User, session_id: int, capacity: int, *, now: dt.datetime
) -> list[Promotion]:
    """Change one session's capacity. Raising it promotes from the waitlist; lowering it
    below the number already booked is refused with that number."""
    if not MIN_CAPACITY <= capacity <= MAX_CAPACITY:
        raise InvalidInput("capacity_out_of_range", low=MIN_CAPACITY, high=MAX_CAPACITY)
    target = await own_session(session, actor, session_id)
    if target.starts_at <= now or target.state != SessionState.SCHEDULED:
        raise InvalidInput("only_upcoming_capacity")
    check_capacity([target], capacity)
    target.capacity = capacity
    target.version += 1
    target.updated_at = now
    await session.flush()
    return await promote_from_waitlist(session, session_id, now=now)


async def set_capacity_following(
    session: AsyncSession, actor: User, session_id: int, capacity: int, *, now: dt.datetime
) -> list[Promotion]:
    """Change the capacity of a session and all later ones of its series (and the series)."""
    from bot.services.classes import following_sessions

    first = await own_session(session, actor, session_id)
    targets = await following_sessions(session, first, now=now)
    check_capacity(targets, capacity)
    promotions: list[Promotion] = []
    for target in targets:
        promotions += await set_capacity(session, actor, target.id, capacity, now=now)
    series = await session.get(ClassSeries, first.series_id)
    series.capacity = capacity
    series.updated_at = now
    return promotions


def check_capacity(targets: list[ClassSession], capacity: int) -> None:
    """Refuse a capacity below the people already booked on any of `targets` (or outside
    1 to 500): nobody loses a place without being asked."""
    if not MIN_CAPACITY <= capacity <= MAX_CAPACITY:
        raise InvalidInput("capacity_out_of_range", low=MIN_CAPACITY, high=MAX_CAPACITY)
    crowded = [t for t in targets if t.booked_count > capacity]
    if not crowded:
        return
    worst = max(crowded, key=lambda t: t.booked_count)
    if len(targets) > 1:
        raise InvalidInput(
            "capacity_below_booked_on", booked=worst.booked_count, day=worst.local_date
        )
    raise InvalidInput("capacity_below_booked", booked=worst.booked_count)


@dataclass(frozen=True)
class ChangeScope:
    """What a change to a session (or to it and the following ones) would touch."""

    sessions: list[ClassSession]
    booked_people: int  # distinct people with a place in any of them
    waiting_people: int  # distinct people on any of their waitlists


async def change_scope(
    session: AsyncSession, actor: User, session_id: int, *, following: bool, now: dt.datetime
) -> ChangeScope:
    """The sessions a trainer's change would apply to and how many people would be told,
    for the confirmation shown before anything changes. NotAllowed for another's class."""
    from bot.services.classes import following_sessions

    first = await own_session(session, actor, session_id)
    if first.state != SessionState.SCHEDULED or first.starts_at <= now:
        raise InvalidInput("only_upcoming_change")
    targets = await following_sessions(session, first, now=now) if following else [first]
    ids = [t.id for t in targets]

    async def people(state: BookingState) -> int:
        found = await session.scalar(
            select(func.count(func.distinct(Booking.user_id))).where(
                Booking.session_id.in_(ids), Booking.state == state
            )
        )
        return found or 0

    return ChangeScope(
        sessions=targets,
        booked_people=await people(BookingState.CONFIRMED),
        waiting_people=await people(BookingState.WAITLISTED),
    )


@dataclass
class MyBooking:
    """One of a client's upcoming bookings."""

    booking: Booking
    info: SessionInfo
    position: int | None


async def upcoming_bookings(
    session: AsyncSession,
    user_id: int,
    *,
    now: dt.datetime,
    session_ids: list[int] | None = None,
) -> list[MyBooking]:
    """The user's confirmed and waitlisted bookings of sessions that have not ended
    (only of `session_ids`, when given), earliest first."""
    trainer = _TRAINER
    query = (
        select(Booking, ClassSession, ClassSeries, trainer)
        .join(ClassSession, Booking.session_id == ClassSession.id)
        .join(ClassSeries, ClassSession.series_id == ClassSeries.id)
        .join(trainer, ClassSeries.trainer_id == trainer.id)
        .where(
            Booking.user_id == user_id,
            Booking.state.in_([BookingState.CONFIRMED, BookingState.WAITLISTED]),
            ClassSession.state == SessionState.SCHEDULED,
            ClassSession.starts_at > now - dt.timedelta(hours=8),
        )
        .order_by(ClassSession.starts_at)
    )
    if session_ids is not None:
        query = query.where(Booking.session_id.in_(session_ids))
    found = []
    for booking, target, series, teacher in await session.execute(query):
        if target.ends_at <= now:
            continue
        info = SessionInfo(session=target, series=series, trainer=teacher)
        found.append(await _mine(session, booking, info))
    return found


async def _mine(session: AsyncSession, booking: Booking, info: SessionInfo) -> MyBooking:
    """A confirmed or waitlisted booking as its owner sees it (with the waitlist position)."""
    waiting = booking.state == BookingState.WAITLISTED
    return MyBooking(booking, info, await waitlist_position(session, booking) if waiting else None)


_OWN_BOOKING = select(Booking).where(
    Booking.session_id == bindparam("session_id"),
    Booking.user_id == bindparam("user_id"),
    Booking.state.in_([BookingState.CONFIRMED, BookingState.WAITLISTED]),
)


async def booking_of(
    session: AsyncSession, user_id: int, info: SessionInfo, *, now: dt.datetime
) -> MyBooking | None:
    """The user's confirmed or waitlisted booking of the session in `info`, as
    `upcoming_bookings` lists it; None when they have none or the session is over or
    cancelled."""
    if info.session.state != SessionState.SCHEDULED or info.session.ends_at <= now:
        return None
    booking = await session.scalar(
        _OWN_BOOKING, {"session_id": info.session.id, "user_id": user_id}
    )
    return None if booking is None else await _mine(session, booking, info)


# --------------------------------------------------------------------- attendance


@dataclass
class RosterEntry:
    """One person on a session's roster, with their record in this class."""

    booking: Booking
    user: User
    position: int | None
    attended: int  # sessions of this series they attended
    booked: int  # past sessions of this series they were booked on
    late_cancels: int


async def roster(
    session: AsyncSession, actor: User, session_id: int
) -> tuple[SessionInfo, list[RosterEntry]]:
    """The people booked, waitlisted, or who cancelled, with attendance counts (trainer)."""
    info = await session_info(session, session_id)
    check_owner(actor, info.series)
    rows = await session.execute(
        select(Booking, User)
        .join(User, Booking.user_id == User.id)
        .where(Booking.session_id == session_id)
        .order_by(Booking.state, Booking.waitlist_number, Booking.confirmed_at, Booking.id)
    )
    entries = []
    stats = await series_attendance(session, info.series.id, now=None)
    # Rows come in waitlist-number order, so a waiting person's position (the number of
    # people waiting with a lower number, plus one) is their place among the waiting rows:
    # one query for the whole roster rather than one per person waiting.
    waiting = 0
    for booking, user in rows:
        position = None
        if booking.state == BookingState.WAITLISTED:
            waiting += 1
            position = waiting
        attended, booked, late = stats.get(user.id, (0, 0, 0))
        entries.append(RosterEntry(booking, user, position, attended, booked, late))
    order = {BookingState.CONFIRMED: 0, BookingState.WAITLISTED: 1, BookingState.CANCELLED: 2}
    entries.sort(key=lambda e: (order[e.booking.state], e.position or 0, e.user.first_name))
    return info, entries


async def series_attendance(
    session: AsyncSession, series_id: int, *, now: dt.datetime | None
) -> dict[int, tuple[int, int, int]]:
    """Per client of a series: (sessions attended, sessions marked, late cancels)."""
    rows = await session.execute(
        select(
            Booking.user_id,
            func.count().filter(Booking.attendance == Attendance.ATTENDED),
            func.count().filter(Booking.attendance.is_not(None)),
            func.count().filter(Booking.late_cancel.is_(True)),
        )
        .join(ClassSession, Booking.session_id == ClassSession.id)
        .where(ClassSession.series_id == series_id)
        .group_by(Booking.user_id)
    )
    return {user_id: (attended, marked, late) for user_id, attended, marked, late in rows}


async def class_attendance(session: AsyncSession, series_id: int) -> tuple[int, int]:
    """For a series: (attendances, attendance marks) over all its sessions."""
    row = (
        await session.execute(
            select(
                func.count().filter(Booking.attendance == Attendance.ATTENDED),
                func.count().filter(Booking.attendance.is_not(None)),
            )
            .join(ClassSession, Booking.session_id == ClassSession.id)
            .where(ClassSession.series_id == series_id)
        )
    ).one()
    return row[0], row[1]


async def mark_attendance(
    session: AsyncSession,
    actor: User,
    booking_id: int,
    attendance: Attendance | None,
    *,
    now: dt.datetime,
) -> tuple[Booking, SessionInfo]:
    """The trainer marks a booked person attended or no-show (or clears the mark).

    Allowed from 15 minutes before the start until 48 hours after the end.
    """
    booking = await session.get(Booking, booking_id, with_for_update=True)
    if booking is None:
        raise NotFound("booking_not_found")
    info = await session_info(session, booking.session_id)
    check_owner(actor, info.series)
    if booking.state != BookingState.CONFIRMED:
        raise InvalidInput("mark_needs_place")
    if now < info.session.starts_at - CHECK_IN_BEFORE:
        raise InvalidInput("attendance_too_early")
    if now > info.session.ends_at + ATTENDANCE_EDITABLE:
        raise InvalidInput("attendance_too_late")
    booking.attendance = attendance
    booking.attendance_marked_at = now if attendance else None
    booking.updated_at = now
    await _note_first_class(session, booking, now=now)
    return booking, info


async def check_in(
    session: AsyncSession, user_id: int, booking_id: int, *, now: dt.datetime
) -> SessionInfo:
    """The client's "I'm here": marks them attended, from 15 minutes before the start until
    the end of the session (not while the place waits for the trainer's clearance)."""
    booking = await own_booking(session, user_id, booking_id)
    info = await session_info(session, booking.session_id)
    if booking.state != BookingState.CONFIRMED or info.session.state != SessionState.SCHEDULED:
        raise InvalidInput("no_place_to_check_in")
    if booking.pending_clearance:
        raise InvalidInput("check_in_waits_for_clearance")
    if now < info.session.starts_at - CHECK_IN_BEFORE:
        raise InvalidInput("check_in_too_early")
    if now > info.session.ends_at:
        raise InvalidInput("check_in_session_over")
    booking.attendance = Attendance.ATTENDED
    booking.attendance_marked_at = now
    booking.updated_at = now
    await _note_first_class(session, booking, now=now)
    return info


async def _note_first_class(session: AsyncSession, booking: Booking, *, now: dt.datetime) -> None:
    """A client's first attended class is a moment for a social tip the next day."""
    from bot.services import tips

    if booking.attendance != Attendance.ATTENDED:
        return
    earlier = await session.scalar(
        select(func.count()).where(
            Booking.user_id == booking.user_id,
            Booking.attendance == Attendance.ATTENDED,
            Booking.id != booking.id,
        )
    )
    if not earlier:
        await tips.record_moment(session, booking.user_id, "first_class", now=now)


def can_check_in(info: SessionInfo, now: dt.datetime) -> bool:
    """True while "I'm here" is offered: 15 minutes before the start until the end."""
    return info.session.starts_at - CHECK_IN_BEFORE <= now <= info.session.ends_at


async def session_belongs(session: AsyncSession, actor: User, session_id: int) -> SessionInfo:
    """The session, if the actor runs its class; NotAllowed otherwise."""
    info = await session_info(session, session_id)
    check_owner(actor, info.series)
    return info
