"""Class insights for trainers and admins: attendance per week, fill rate and waitlist
demand, retention, clients at risk, a client's check-in trends (only with their consent),
and the practice's totals. Free of Telegram and of the web; every figure is computed from
the bookings and check-ins as stored, as of the `now` passed in (an injected clock).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import (
    Attendance,
    Booking,
    BookingState,
    CheckIn,
    ClassSeries,
    ClassSession,
    Role,
    SessionState,
    User,
)
from bot.services import checkins
from bot.services.bookings import CHECK_IN_BEFORE
from bot.services.classes import (
    clients_of_trainer,
    clients_seen_by,
    local_start,
)
from bot.services.errors import NotAllowed, NotFound

ATTENDANCE_WEEKS = 8
TREND_WEEKS = 12
RETENTION_WEEKS = 4
AT_RISK_DAYS = 14
ACTIVE_DAYS = 28


def monday_of(day: dt.date) -> dt.date:
    """The Monday of `day`'s week."""
    return day - dt.timedelta(days=day.weekday())


@dataclass
class WeekAttendance:
    """One week of a class (by the class's own dates): places booked, attendance marks,
    and how many of those marks were "attended"."""

    week: dt.date  # the Monday
    booked: int = 0
    marked: int = 0
    attended: int = 0

    @property
    def rate(self) -> float | None:
        """attended / marked, or None before anything was marked that week."""
        return self.attended / self.marked if self.marked else None


async def weekly_attendance(
    session: AsyncSession, series_id: int, *, now: dt.datetime, weeks: int = ATTENDANCE_WEEKS
) -> list[WeekAttendance]:
    """The last `weeks` weeks of a class up to `now`, oldest first, one entry per week
    (empty weeks included): places booked in sessions whose attendance can be marked (from
    15 minutes before the start, as in the chat), marks, attended. Cancelled sessions count
    for nothing."""
    this_monday = monday_of(now.date())
    first = this_monday - dt.timedelta(weeks=weeks - 1)
    found = {
        first + dt.timedelta(weeks=n): WeekAttendance(first + dt.timedelta(weeks=n))
        for n in range(weeks)
    }
    rows = await session.execute(
        select(ClassSession.local_date, Booking.state, Booking.attendance)
        .join(Booking, Booking.session_id == ClassSession.id)
        .where(
            ClassSession.series_id == series_id,
            ClassSession.state != SessionState.CANCELLED,
            ClassSession.local_date >= first,
            ClassSession.starts_at <= now + CHECK_IN_BEFORE,
        )
    )
    for day, state, attendance in rows:
        week = found.get(monday_of(day))
        if week is None:
            continue
        if state == BookingState.CONFIRMED:
            week.booked += 1
        if attendance is not None:
            week.marked += 1
            week.attended += attendance == Attendance.ATTENDED
    return list(found.values())


@dataclass
class Fill:
    """Past sessions of a class (last `weeks` weeks): places booked against places offered,
    and the waitlist: people who waited, and how many of them got a place."""

    sessions: int
    booked: int
    capacity: int
    waited: int
    got_in: int

    @property
    def rate(self) -> float | None:
        """booked / capacity, or None without past sessions."""
        return self.booked / self.capacity if self.capacity else None

    @property
    def waiting_per_session(self) -> float:
        """People who waited, per past session."""
        return self.waited / self.sessions if self.sessions else 0.0


async def fill(
    session: AsyncSession, series_id: int, *, now: dt.datetime, weeks: int = ATTENDANCE_WEEKS
) -> Fill:
    """Fill rate and waitlist demand over the class's sessions that started in the last
    `weeks` weeks (not cancelled ones)."""
    since = now - dt.timedelta(weeks=weeks)
    past = (
        select(ClassSession.id)
        .where(
            ClassSession.series_id == series_id,
            ClassSession.state != SessionState.CANCELLED,
            ClassSession.starts_at <= now,
            ClassSession.starts_at >= since,
        )
        .subquery()
    )
    count, capacity = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(ClassSession.capacity), 0)).where(
                ClassSession.id.in_(select(past.c.id))
            )
        )
    ).one()
    booked, waited, got_in = (
        await session.execute(
            select(
                func.count().filter(Booking.state == BookingState.CONFIRMED),
                func.count().filter(Booking.waitlisted_at.is_not(None)),
                func.count().filter(
                    Booking.waitlisted_at.is_not(None), Booking.confirmed_at.is_not(None)
                ),
            ).where(Booking.session_id.in_(select(past.c.id)))
        )
    ).one()
    return Fill(int(count), int(booked), int(capacity), int(waited), int(got_in))


async def retention(
    session: AsyncSession, series_id: int, *, now: dt.datetime, weeks: int = RETENTION_WEEKS
) -> list[User]:
    """The clients who attended this class in each of the last `weeks` seven-day spans
    before `now`, by first name."""
    since = now - dt.timedelta(weeks=weeks)
    rows = await session.execute(
        select(Booking.user_id, ClassSession.starts_at)
        .join(ClassSession, Booking.session_id == ClassSession.id)
        .where(
            ClassSession.series_id == series_id,
            Booking.attendance == Attendance.ATTENDED,
            ClassSession.starts_at > since,
            ClassSession.starts_at <= now,
        )
    )
    spans: dict[int, set[int]] = {}
    for user_id, starts_at in rows:
        span = int((now - starts_at) / dt.timedelta(weeks=1))
        spans.setdefault(user_id, set()).add(min(span, weeks - 1))
    ids = [user_id for user_id, seen in spans.items() if len(seen) == weeks]
    if not ids:
        return []
    people = await session.scalars(select(User).where(User.id.in_(ids)).order_by(User.first_name))
    return list(people)


@dataclass
class AtRisk:
    """A client who had a place before and has gone quiet: when their last class was (the
    last session they held a place in, attended or not)."""

    user: User
    last_class: dt.datetime


async def at_risk(
    session: AsyncSession,
    trainer_id: int,
    *,
    now: dt.datetime,
    series_id: int | None = None,
    days: int = AT_RISK_DAYS,
) -> list[AtRisk]:
    """Clients who held a place in the trainer's classes (in one class of theirs with
    `series_id`) and have no class of this trainer attended or booked in the last `days`
    days, nor one booked ahead (a waitlist place counts as booked); the longest quiet
    first."""
    since = now - dt.timedelta(days=days)
    recent = (
        select(Booking.user_id)
        .join(ClassSession, Booking.session_id == ClassSession.id)
        .join(ClassSeries, ClassSession.series_id == ClassSeries.id)
        .where(
            ClassSeries.trainer_id == trainer_id,
            ClassSession.starts_at >= since,
            Booking.state != BookingState.CANCELLED,
        )
    )
    rows = await session.execute(
        select(User, func.max(ClassSession.starts_at))
        .join(Booking, Booking.user_id == User.id)
        .join(ClassSession, Booking.session_id == ClassSession.id)
        .join(ClassSeries, ClassSession.series_id == ClassSeries.id)
        .where(
            ClassSeries.trainer_id == trainer_id,
            User.id.in_(clients_of_trainer(trainer_id, series_id)),
            User.id.not_in(recent),
            User.id != trainer_id,
            ClassSession.starts_at < now,
            Booking.state == BookingState.CONFIRMED,
            ClassSession.state != SessionState.CANCELLED,
        )
        .group_by(User.id)
    )
    found = [AtRisk(user, last) for user, last in rows]
    return sorted(found, key=lambda item: (item.last_class, item.user.first_name))


@dataclass
class WeekFeeling:
    """One week of a client's check-ins: the averages (None for a week without any)."""

    week: dt.date
    mood: float | None = None
    energy: float | None = None
    pain: float | None = None


@dataclass
class Trends:
    """What a trainer may see of one client. `shared` False: the client does not let the
    trainer see check-ins, and nothing else here is filled."""

    client: User
    shared: bool
    weeks: list[WeekFeeling] = field(default_factory=list)
    latest: CheckIn | None = None
    care: list[str] = field(default_factory=list)
    count: int = 0


def shares_checkins(client: User) -> bool:
    """True when the client agreed to check-ins and lets their trainers see them."""
    return bool(client.wellbeing_consent and client.trainer_sees_checkins)


async def client_trends(
    session: AsyncSession,
    viewer: User,
    client_id: int,
    *,
    now: dt.datetime,
    weeks: int = TREND_WEEKS,
) -> Trends:
    """A client's check-ins per week over `weeks` weeks, the latest note and care flags,
    for a trainer whose classes they booked (an admin: any client). NotFound for anybody
    else (no hint whether they exist); nothing of their health without their consent."""
    client = await session.get(User, client_id)
    allowed = await session.scalar(
        select(User.id).where(User.id == client_id, User.id.in_(clients_seen_by(viewer)))
    )
    if client is None or not allowed or client.id == viewer.id:
        raise NotFound("client_not_found")
    if not shares_checkins(client):
        return Trends(client=client, shared=False)
    this_monday = monday_of(now.date())
    first = this_monday - dt.timedelta(weeks=weeks - 1)
    found = await checkins.history(session, client.id, since=first)
    per_week: dict[dt.date, list[CheckIn]] = {
        first + dt.timedelta(weeks=n): [] for n in range(weeks)
    }
    for item in found:
        per_week.setdefault(monday_of(item.day), []).append(item)
    rows = []
    for week, items in sorted(per_week.items()):
        if not items:
            rows.append(WeekFeeling(week))
            continue
        rows.append(
            WeekFeeling(
                week,
                mood=sum(c.mood for c in items) / len(items),
                energy=sum(c.energy for c in items) / len(items),
                pain=sum(c.pain for c in items) / len(items),
            )
        )
    latest = found[-1] if found else None
    care: list[str] = []
    if latest is not None:
        earlier = await checkins.previous(session, client.id, latest.day)
        care = checkins.care_for(latest, earlier).reasons
        outcome = checkins.load_outcome(latest)
        if outcome == "too_much":
            care.append("load_too_much")
    return Trends(client, True, rows, latest, care, len(found))


@dataclass
class PracticeTotals:
    """The practice at a glance: clients, those active in the last 28 days, sessions this
    week (not cancelled), and the attendance rate across every class."""

    clients: int
    active: int
    sessions_this_week: int
    attended: int
    marked: int

    @property
    def rate(self) -> float | None:
        """attended / marked across the practice, or None before any mark."""
        return self.attended / self.marked if self.marked else None


async def practice_totals(
    session: AsyncSession, actor: User, *, now: dt.datetime, zone: str = "UTC"
) -> PracticeTotals:
    """The totals of the whole practice, for an admin only (NotAllowed for anyone else).
    "This week" is Monday to Sunday in `zone`."""
    if actor.role != Role.ADMIN:
        raise NotAllowed("admins_only")
    clients = await session.scalar(
        select(func.count()).select_from(User).where(User.role == Role.CLIENT)
    )
    active = await session.scalar(
        select(func.count(func.distinct(Booking.user_id)))
        .join(ClassSession, Booking.session_id == ClassSession.id)
        .join(User, User.id == Booking.user_id)
        .where(
            User.role == Role.CLIENT,
            Booking.state == BookingState.CONFIRMED,
            ClassSession.state != SessionState.CANCELLED,
            ClassSession.starts_at >= now - dt.timedelta(days=ACTIVE_DAYS),
            ClassSession.starts_at <= now,
            (Booking.attendance.is_(None)) | (Booking.attendance == Attendance.ATTENDED),
        )
    )
    monday = monday_of(now.astimezone(ZoneInfo(zone)).date())
    start = local_start(monday, dt.time(0), zone)
    end = local_start(monday + dt.timedelta(days=7), dt.time(0), zone)
    this_week = await session.scalar(
        select(func.count())
        .select_from(ClassSession)
        .where(
            ClassSession.state != SessionState.CANCELLED,
            ClassSession.starts_at >= start,
            ClassSession.starts_at < end,
        )
    )
    attended, marked = (
        await session.execute(
            select(
                func.count().filter(Booking.attendance == Attendance.ATTENDED),
                func.count().filter(Booking.attendance.is_not(None)),
            )
        )
    ).one()
    return PracticeTotals(
        int(clients or 0), int(active or 0), int(this_week or 0), int(attended), int(marked)
    )
