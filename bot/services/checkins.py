"""Wellbeing check-ins: health data, stored only with consent, shown only to their owner and,
if the owner allows it, their trainer. Never anything of a person in a group.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import (
    Attendance,
    Booking,
    CheckIn,
    ClassSession,
    User,
)
from bot.services import tips
from bot.services.classes import clients_seen_by, trainers_of_client
from bot.services.errors import DomainError, InvalidInput, NotFound

MAX_NOTE = 500
HIGH_PAIN = 7
PAIN_RISE = 3
LOW_MOOD = 2  # mood at or below this picks a mental-health tip next
# The pain-monitoring model (Silbernagel et al. 2007): pain during exercise up to 5/10 is
# acceptable if it has settled by the next morning; above that, or pain and stiffness worse
# the next morning, the load was too much.
EXERCISE_PAIN_LIMIT = 5
# The next-morning question stays open this long after the client's tip hour.
MORNING_WINDOW = dt.timedelta(hours=12)


class ConsentNeeded(DomainError):
    """The user has not agreed to their check-ins being stored."""


@dataclass
class Care:
    """Why a check-in deserves a kind word (empty when all is well): reason codes
    ("high_pain", "pain_rise", "low_mood_twice"), worded by bot/views/checkins.py."""

    reasons: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.reasons)


@dataclass
class Saved:
    """A saved check-in, whether it replaced today's, what care it calls for, and which
    trainers (who may see it) to give a heads-up."""

    checkin: CheckIn
    replaced: bool
    care: Care
    trainers: list[User]
    # After a class: "acceptable" (exercise pain up to 5/10; the next morning tells the
    # rest) or "too_much" (above 5/10); None when the exercise pain was not asked.
    load: str | None = None


def today_for(user: User, now: dt.datetime) -> dt.date:
    """The user's local date."""
    return now.astimezone(ZoneInfo(user.timezone or "UTC")).date()


def check_values(mood: int, energy: int, pain: int, note: str | None) -> str | None:
    """Refuse values out of range and notes over 500 characters; return the tidy note."""
    if not 1 <= mood <= 5 or not 1 <= energy <= 5:
        raise InvalidInput("mood_energy_out_of_range")
    if not 0 <= pain <= 10:
        raise InvalidInput("pain_out_of_range")
    if note is not None:
        note = note.strip()
        if len(note) > MAX_NOTE:
            raise InvalidInput("note_too_long", length=len(note), limit=MAX_NOTE)
    return note or None


async def previous(session: AsyncSession, user_id: int, before: dt.date) -> CheckIn | None:
    """The user's last check-in before `before`."""
    return await session.scalar(
        select(CheckIn)
        .where(CheckIn.user_id == user_id, CheckIn.day < before)
        .order_by(CheckIn.day.desc())
        .limit(1)
    )


def care_for(current: CheckIn, earlier: CheckIn | None) -> Care:
    """Care, not diagnosis: high pain, a sharp rise in pain, or mood 1 twice in a row."""
    care = Care()
    if current.pain >= HIGH_PAIN:
        care.reasons.append("high_pain")
    if earlier is not None and current.pain - earlier.pain >= PAIN_RISE:
        care.reasons.append("pain_rise")
    if earlier is not None and current.mood == 1 and earlier.mood == 1:
        care.reasons.append("low_mood_twice")
    return care


async def trainers_of(session: AsyncSession, user_id: int) -> list[User]:
    """The trainers whose classes the user booked."""
    ids = trainers_of_client(user_id)
    return list(await session.scalars(select(User).where(User.id.in_(ids)).order_by(User.id)))


async def save(
    session: AsyncSession,
    user: User,
    *,
    mood: int,
    energy: int,
    pain: int,
    note: str | None,
    prompt: str,
    now: dt.datetime,
    exercise_pain: int | None = None,
) -> Saved:
    """Store a check-in (only with consent); today's earlier one is replaced. After a
    class, `exercise_pain` (0-10) is weighed by the pain-monitoring model."""
    if not user.wellbeing_consent:
        raise ConsentNeeded("checkin_consent_needed")
    note = check_values(mood, energy, pain, note)
    if exercise_pain is not None and not 0 <= exercise_pain <= 10:
        raise InvalidInput("pain_out_of_range")
    day = today_for(user, now)
    existing = await session.scalar(
        select(CheckIn).where(CheckIn.user_id == user.id, CheckIn.day == day)
    )
    checkin = existing or CheckIn(user_id=user.id, day=day, created_at=now)
    checkin.mood, checkin.energy, checkin.pain, checkin.note = mood, energy, pain, note
    checkin.prompt = prompt
    checkin.exercise_pain = exercise_pain
    checkin.morning_pain = checkin.morning_worse = None
    checkin.updated_at = now
    if existing is None:
        session.add(checkin)
    await session.flush()
    care = care_for(checkin, await previous(session, user.id, day))
    if mood <= LOW_MOOD:
        await tips.record_moment(session, user.id, "low_mood", now=now)
    trainers = await trainers_of(session, user.id) if care and user.trainer_sees_checkins else []
    load = None
    if exercise_pain is not None:
        load = "too_much" if exercise_pain > EXERCISE_PAIN_LIMIT else "acceptable"
    return Saved(
        checkin=checkin,
        replaced=existing is not None,
        care=care,
        trainers=trainers,
        load=load,
    )


def load_outcome(checkin: CheckIn) -> str | None:
    """The pain-monitoring model's verdict on a class check-in (Silbernagel et al. 2007):
    "too_much" (exercise pain above 5/10, or pain and stiffness worse the next morning),
    "acceptable" (up to 5/10 and settled by the morning), "waiting" (the morning has not
    answered yet), or None (no exercise pain asked)."""
    if checkin.exercise_pain is None:
        return None
    if checkin.exercise_pain > EXERCISE_PAIN_LIMIT or checkin.morning_worse:
        return "too_much"
    if checkin.morning_worse is None:
        return "waiting"
    return "acceptable"


async def record_morning(
    session: AsyncSession,
    user: User,
    checkin_id: int,
    *,
    pain: int,
    worse: bool,
    now: dt.datetime,
) -> CheckIn:
    """The next morning's answer to a class check-in: the pain now (0-10), and whether pain
    and stiffness are worse than before the class. Only the client's own check-in."""
    if not 0 <= pain <= 10:
        raise InvalidInput("pain_out_of_range")
    checkin = await session.get(CheckIn, checkin_id, with_for_update=True)
    if checkin is None or checkin.user_id != user.id or checkin.exercise_pain is None:
        raise NotFound("checkin_not_found")
    checkin.morning_pain = pain
    checkin.morning_worse = worse
    checkin.updated_at = now
    return checkin


async def due_morning_prompts(
    session: AsyncSession, *, now: dt.datetime
) -> list[tuple[User, CheckIn]]:
    """Class check-ins whose next morning has come: the client's tip hour (after their
    quiet hours) on the day after, within MORNING_WINDOW, not answered yet; for clients who
    still agree to check-ins and can be reached."""
    from bot.services.tips import in_quiet_hours, slot_time

    rows = await session.execute(
        select(User, CheckIn)
        .join(CheckIn, CheckIn.user_id == User.id)
        .where(
            CheckIn.exercise_pain.is_not(None),
            CheckIn.morning_worse.is_(None),
            CheckIn.day >= (now - dt.timedelta(days=3)).date(),
            User.wellbeing_consent.is_(True),
            User.blocked_at.is_(None),
        )
    )
    found = []
    for user, checkin in rows:
        at = slot_time(user, checkin.day + dt.timedelta(days=1))
        local = now.astimezone(ZoneInfo(user.timezone or "UTC"))
        if at <= now < at + MORNING_WINDOW and not in_quiet_hours(
            local.hour, local.minute, user.quiet_start, user.quiet_end
        ):
            found.append((user, checkin))
    return found


async def history(session: AsyncSession, user_id: int, *, since: dt.date) -> list[CheckIn]:
    """The user's check-ins from `since` on, oldest first."""
    rows = await session.scalars(
        select(CheckIn)
        .where(CheckIn.user_id == user_id, CheckIn.day >= since)
        .order_by(CheckIn.day)
    )
    return list(rows)


async def delete_all(session: AsyncSession, user_id: int) -> int:
    """Erase every check-in of the user (consent withdrawn, or the account deleted)."""
    result = await session.execute(delete(CheckIn).where(CheckIn.user_id == user_id))
    return result.rowcount or 0


def trend(values: list[int]) -> str:
    """ "↑", "↓" or "→": the last two against the two before (or last against first)."""
    if len(values) < 2:
        return "·"
    recent = values[-2:] if len(values) >= 4 else values[-1:]
    before = values[-4:-2] if len(values) >= 4 else values[:1]
    change = sum(recent) / len(recent) - sum(before) / len(before)
    return "↑" if change >= 0.5 else "↓" if change <= -0.5 else "→"


@dataclass
class ClientView:
    """What a trainer sees of one consenting client's check-ins."""

    user: User
    latest: CheckIn
    count: int
    mood_trend: str
    energy_trend: str
    pain_trend: str
    # The latest check-in after a class (exercise pain asked), for the pain-monitoring model.
    last_class: CheckIn | None = None


async def for_trainer(
    session: AsyncSession, trainer: User, *, now: dt.datetime
) -> tuple[list[ClientView], int]:
    """The latest check-ins and trends of the trainer's clients who allow it (admins: of
    every such client), and how many clients keep theirs private."""
    clients = clients_seen_by(trainer)
    people = list(
        await session.scalars(
            select(User)
            .where(User.id.in_(clients), User.id != trainer.id)
            .order_by(User.first_name)
        )
    )
    visible = [p for p in people if p.wellbeing_consent and p.trainer_sees_checkins]
    views = []
    since = now.date() - dt.timedelta(weeks=12)
    for person in visible:
        found = await history(session, person.id, since=since)
        if not found:
            continue
        views.append(
            ClientView(
                user=person,
                latest=found[-1],
                count=len(found),
                mood_trend=trend([c.mood for c in found]),
                energy_trend=trend([c.energy for c in found]),
                pain_trend=trend([c.pain for c in found]),
                last_class=next((c for c in reversed(found) if c.exercise_pain is not None), None),
            )
        )
    return views, len(people) - len(visible)


async def attended_days(
    session: AsyncSession, user_id: int, *, since: dt.datetime
) -> list[dt.datetime]:
    """When the user's attended sessions started, from `since` on."""
    rows = await session.scalars(
        select(ClassSession.starts_at)
        .join(Booking, Booking.session_id == ClassSession.id)
        .where(
            Booking.user_id == user_id,
            Booking.attendance == Attendance.ATTENDED,
            ClassSession.starts_at >= since,
        )
        .order_by(ClassSession.starts_at)
    )
    return list(rows)


async def count_checkins(session: AsyncSession, user_id: int) -> int:
    """How many check-ins the user has stored."""
    return await session.scalar(select(func.count()).where(CheckIn.user_id == user_id)) or 0
