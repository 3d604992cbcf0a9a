"""Safe to take part (issue 12): the pre-participation screening, the trainer's clearance and
the held place that waits for it, the readiness check on the class day.

Health data: screening answers and readiness answers are kept only with the client's consent
to storage (`User.wellbeing_consent`); without it only the outcome and its date are kept.
Nothing of this is ever shown in a group. Services return outcomes and reason codes; the
words (and the sources they follow) are in bot/views/safety.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Booking, BookingState, Screening, ScreeningOutcome, SessionState, User
from bot.services.classes import SessionInfo, check_owner, session_info
from bot.services.errors import DomainError, InvalidInput, NotFound

# The screening's questions, in the order they are asked: the general health questions of
# the PAR-Q+ (Warburton et al. 2011) and the ACSM pre-participation screening (Riebe et al.
# 2015). Their wording is in bot/views/safety.py.
QUESTIONS: tuple[str, ...] = (
    "heart",
    "chest_pain",
    "dizziness",
    "chronic",
    "medication",
    "joints",
    "supervision",
)
# A screening is asked again after this long (and when the client says their health changed).
VALID_FOR = dt.timedelta(days=365)
DEFAULT_CLEARANCE_HOLD = dt.timedelta(hours=48)

# The readiness check's "Anything new since your last class?" answers. Stop: do not come
# today, and the emergency line; rest: rest today and talk to the therapist.
STOP_SIGNS = ("chest", "breath", "faint")
REST_SIGNS = ("injury", "fever")
NOTHING_NEW = "none"
READINESS_ANSWERS = (*STOP_SIGNS, *REST_SIGNS, NOTHING_NEW)
# Pain at or above this on the class day: rest today and talk to the therapist.
READINESS_HIGH_PAIN = 7


class ScreeningNeeded(DomainError):
    """The class asks for a screening the client has not answered (or that is out of date)."""


@dataclass(frozen=True)
class ScreeningStatus:
    """Where a client stands: "missing" (to be asked), "clear" (go ahead), or "pending"
    (a Yes, not yet cleared by a trainer); and the screening behind it."""

    state: str
    screening: Screening | None = None


async def current_screening(
    session: AsyncSession, user_id: int, *, now: dt.datetime
) -> Screening | None:
    """The client's latest screening that still counts: under 12 months old, and not
    superseded by a "my health changed"."""
    return await session.scalar(
        select(Screening)
        .where(
            Screening.user_id == user_id,
            Screening.superseded_at.is_(None),
            Screening.taken_at > now - VALID_FOR,
        )
        .order_by(Screening.taken_at.desc(), Screening.id.desc())
        .limit(1)
    )


async def status(session: AsyncSession, user_id: int, *, now: dt.datetime) -> ScreeningStatus:
    """Whether the client needs the screening, may go ahead, or waits for clearance."""
    found = await current_screening(session, user_id, now=now)
    if found is None:
        return ScreeningStatus("missing")
    if found.outcome == ScreeningOutcome.CLEAR or found.cleared_at is not None:
        return ScreeningStatus("clear", found)
    return ScreeningStatus("pending", found)


async def record_screening(
    session: AsyncSession, user: User, answers: dict[str, bool], *, now: dt.datetime
) -> Screening:
    """Store a finished screening: any Yes means clearance is needed. The answers are kept
    only with the client's consent to storage; the outcome and date always."""
    if set(answers) != set(QUESTIONS) or not all(isinstance(v, bool) for v in answers.values()):
        raise InvalidInput("screening_incomplete")
    outcome = ScreeningOutcome.CLEARANCE if any(answers.values()) else ScreeningOutcome.CLEAR
    screening = Screening(
        user_id=user.id,
        taken_at=now,
        outcome=outcome,
        answers={key: answers[key] for key in QUESTIONS} if user.wellbeing_consent else None,
    )
    session.add(screening)
    await session.flush()
    return screening


async def health_changed(session: AsyncSession, user_id: int, *, now: dt.datetime) -> int:
    """The client says their health changed: every screening of theirs stops counting, so
    the next booking of a class that screens asks again. Returns how many were superseded."""
    result = await session.execute(
        update(Screening)
        .where(Screening.user_id == user_id, Screening.superseded_at.is_(None))
        .values(superseded_at=now)
    )
    return result.rowcount or 0


def hold_ends(held_since: dt.datetime, starts_at: dt.datetime, hold: dt.timedelta) -> dt.datetime:
    """When a held place goes back: `hold` after it was held, or at the start if sooner."""
    return min(held_since + hold, starts_at)


@dataclass
class Cleared:
    """A trainer's "cleared": the bookings it confirmed (each with its session)."""

    user: User
    confirmed: list[tuple[Booking, SessionInfo]] = field(default_factory=list)


async def held_booking(
    session: AsyncSession, actor: User, booking_id: int
) -> tuple[Booking, SessionInfo]:
    """A booking waiting for clearance in a class the actor runs (for the confirmation
    before "cleared"); NotAllowed for another trainer's class, InvalidInput once cleared."""
    booking = await session.get(Booking, booking_id)
    if booking is None:
        raise NotFound("booking_not_found")
    info = await session_info(session, booking.session_id)
    check_owner(actor, info.series)
    if not booking.pending_clearance:
        raise InvalidInput("not_pending_clearance")
    return booking, info


async def clear(
    session: AsyncSession, actor: User, booking_id: int, *, now: dt.datetime
) -> Cleared:
    """The trainer of the class marks a client pending clearance as cleared (they have the
    OK of the client's doctor or therapist): the screening is recorded as cleared, and every
    place of the client's that waited for it is confirmed. Only the class's trainer (or an
    admin) may; a booking that no longer waits is refused with the reason."""
    booking = await session.get(Booking, booking_id, with_for_update=True)
    if booking is None:
        raise NotFound("booking_not_found")
    info = await session_info(session, booking.session_id)
    check_owner(actor, info.series)
    if not booking.pending_clearance:
        raise InvalidInput("not_pending_clearance")
    client = await session.get(User, booking.user_id)
    found = await current_screening(session, booking.user_id, now=now)
    if found is not None and found.cleared_at is None:
        found.cleared_at = now
        found.cleared_by = actor.id
    result = Cleared(user=client)
    held = await session.scalars(
        select(Booking)
        .where(
            Booking.user_id == booking.user_id,
            Booking.state == BookingState.CONFIRMED,
            Booking.clearance_held_since.is_not(None),
        )
        .order_by(Booking.id)
        .with_for_update()
    )
    for item in list(held):
        item.clearance_held_since = None
        item.confirmed_at = now
        item.updated_at = now
        result.confirmed.append((item, await session_info(session, item.session_id)))
    return result


async def expired_holds(
    session: AsyncSession, *, now: dt.datetime, hold: dt.timedelta
) -> list[int]:
    """Bookings whose place was held for clearance and is due back: held longer than
    `hold`, or their session has begun."""
    from bot.models import ClassSession

    rows = await session.scalars(
        select(Booking.id)
        .join(ClassSession, Booking.session_id == ClassSession.id)
        .where(
            Booking.state == BookingState.CONFIRMED,
            Booking.clearance_held_since.is_not(None),
            (Booking.clearance_held_since <= now - hold) | (ClassSession.starts_at <= now),
        )
        .order_by(Booking.id)
    )
    return list(rows)


# --------------------------------------------------------------------- readiness


@dataclass(frozen=True)
class Readiness:
    """A readiness answer's outcome: "ok", "rest" (rest today, talk to the therapist, cancel
    without a late-cancel mark) or "stop" (do not come today; the emergency line); and
    whether the trainer gets a heads-up (they may see the client's check-ins)."""

    outcome: str
    booking: Booking
    info: SessionInfo
    tell_trainer: bool


def readiness_outcome(pain: int | None, new: str) -> str:
    """Stop for chest pain, breathlessness at rest or fainting; rest for another red flag
    or pain of 7 or more; otherwise ok (Riebe et al. 2015; see bot/views/safety.py)."""
    if new in STOP_SIGNS:
        return "stop"
    if new in REST_SIGNS or (pain is not None and pain >= READINESS_HIGH_PAIN):
        return "rest"
    return "ok"


async def answer_readiness(
    session: AsyncSession,
    user: User,
    booking_id: int,
    *,
    pain: int | None,
    new: str,
    now: dt.datetime,
) -> Readiness:
    """Record the client's readiness answer for their booking: the outcome always (it puts
    the ⚠️ on the roster and allows the cancel without a late mark), the pain and what was
    new only with consent to storage. The trainer is told only if the client lets them see
    check-ins. Never blocks: any answer leaves the place as it is."""
    if new not in READINESS_ANSWERS or (pain is not None and not 0 <= pain <= 10):
        raise InvalidInput("stale_button")
    booking = await session.get(Booking, booking_id, with_for_update=True)
    if booking is None or booking.user_id != user.id:
        raise NotFound("booking_not_found")
    info = await session_info(session, booking.session_id)
    if booking.state != BookingState.CONFIRMED or info.session.state != SessionState.SCHEDULED:
        raise InvalidInput("no_place_to_check_in")
    if info.session.ends_at <= now:
        raise InvalidInput("session_started_cannot_cancel_booking")
    outcome = readiness_outcome(pain, new)
    booking.readiness_flag = outcome
    booking.readiness_at = now
    booking.readiness_pain = pain if user.wellbeing_consent else None
    booking.readiness_new = new if user.wellbeing_consent else None
    booking.updated_at = now
    return Readiness(
        outcome=outcome,
        booking=booking,
        info=info,
        tell_trainer=outcome != "ok" and trainer_may_see(user),
    )


def trainer_may_see(user: User) -> bool:
    """True when the client lets their trainer see their check-ins (and still agrees to
    storing them): only then does the trainer learn of a readiness answer."""
    return user.wellbeing_consent and user.trainer_sees_checkins


def excused(booking: Booking) -> bool:
    """True when the class-day readiness answer advised against coming: cancelling then
    never counts as a late cancel."""
    return booking.readiness_flag in ("rest", "stop")


async def set_readiness_check(
    session: AsyncSession, user_id: int, on: bool, *, now: dt.datetime
) -> User:
    """Turn the class-day readiness check on or off for the client."""
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("user_unknown")
    user.readiness_check = on
    user.updated_at = now
    return user


async def forget_answers(session: AsyncSession, user_id: int) -> None:
    """Consent to storage withdrawn: the screening answers and the class-day pain and
    symptoms go; what stays is what is kept without consent (outcomes and dates)."""
    await session.execute(
        update(Screening).where(Screening.user_id == user_id).values(answers=None)
    )
    await session.execute(
        update(Booking)
        .where(Booking.user_id == user_id)
        .values(readiness_pain=None, readiness_new=None)
    )


async def screenings_of(session: AsyncSession, user_id: int) -> list[Screening]:
    """The client's screenings, oldest first (for /privacy export)."""
    return list(
        await session.scalars(
            select(Screening).where(Screening.user_id == user_id).order_by(Screening.taken_at)
        )
    )
