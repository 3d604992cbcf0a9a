"""Community groups linked to classes: links, what the bot posts there, and check-in prompts.

Nothing about an individual's check-ins ever goes to a group: the weekly summary is an
average over at least MIN_SUMMARY members, and otherwise is not posted at all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import insert_ignoring_conflicts
from bot.i18n import reader_language
from bot.models import (
    Attendance,
    Booking,
    BookingState,
    CheckIn,
    ClassSeries,
    ClassSession,
    Group,
    GroupLink,
    Role,
    SessionState,
    User,
)
from bot.services import groups
from bot.services.classes import SessionInfo, check_owner, upcoming
from bot.services.errors import NotFound

MIN_SUMMARY = 3
MEMBER_WEEKS = 4
# Local times of the group posts (weekday, hour); Monday is 0.
SCHEDULE_POST = (0, 8)
CHECKIN_POST = (4, 12)
SUMMARY_POST = (6, 18)
CLASS_DAY_HOUR = 8
WEEKLY_CHECKIN_WINDOW = dt.timedelta(hours=12)
CLASS_PROMPT_DELAY = dt.timedelta(hours=1)
CLASS_PROMPT_WINDOW = dt.timedelta(hours=6)


async def link(
    session: AsyncSession,
    trainer: User,
    *,
    chat_id: int,
    title: str,
    series_id: int,
    now: dt.datetime,
) -> bool:
    """Link the group to one of the trainer's classes; False if it was linked already."""
    series = await session.get(ClassSeries, series_id)
    if series is None or series.ended_at is not None:
        raise NotFound("linked_class_gone")
    check_owner(trainer, series)
    group = await groups.record_membership(session, chat_id, title, present=True, now=now)
    # The group reads the language of the trainer who linked it, until /grouplanguage.
    group.language = group.language or reader_language(trainer.language, trainer.language_code)
    inserted = await insert_ignoring_conflicts(
        session,
        GroupLink.__table__,
        [
            {
                "group_id": group.id,
                "series_id": series_id,
                "linked_by": trainer.id,
                "created_at": now,
            }
        ],
        ["group_id", "series_id"],
    )
    return bool(inserted)


async def unlink(session: AsyncSession, trainer: User, *, chat_id: int) -> int:
    """Unlink the group from the trainer's classes (an admin: from all); returns how many."""
    group = await groups.get_group(session, chat_id)
    if group is None:
        return 0
    query = delete(GroupLink).where(GroupLink.group_id == group.id)
    if trainer.role != Role.ADMIN:
        own = select(ClassSeries.id).where(ClassSeries.trainer_id == trainer.id)
        query = query.where(GroupLink.series_id.in_(own))
    result = await session.execute(query)
    return result.rowcount or 0


async def linked_series(session: AsyncSession, chat_id: int) -> list[ClassSeries]:
    """The classes a group is linked to."""
    rows = await session.scalars(
        select(ClassSeries)
        .join(GroupLink, GroupLink.series_id == ClassSeries.id)
        .join(Group, GroupLink.group_id == Group.id)
        .where(Group.chat_id == chat_id)
        .order_by(ClassSeries.title)
    )
    return list(rows)


async def groups_of_series(session: AsyncSession, series_id: int) -> list[Group]:
    """The reachable groups linked to a class."""
    rows = await session.scalars(
        select(Group)
        .join(GroupLink, GroupLink.group_id == Group.id)
        .where(GroupLink.series_id == series_id, Group.bot_removed_at.is_(None))
    )
    return list(rows)


async def groups_of_client(session: AsyncSession, user_id: int) -> list[Group]:
    """The reachable groups linked to any class the user ever booked (each once)."""
    series_ids = (
        select(ClassSession.series_id)
        .join(Booking, Booking.session_id == ClassSession.id)
        .where(Booking.user_id == user_id)
    )
    linked = select(GroupLink.group_id).where(GroupLink.series_id.in_(series_ids))
    rows = await session.scalars(
        select(Group).where(Group.id.in_(linked), Group.bot_removed_at.is_(None)).order_by(Group.id)
    )
    return list(rows)


def members_query(series_ids: list[int], now: dt.datetime):  # noqa: ANN201 - a SELECT
    """Clients of these classes: a place or waitlist spot in the last four weeks or ahead."""
    return (
        select(Booking.user_id)
        .join(ClassSession, Booking.session_id == ClassSession.id)
        .where(
            ClassSession.series_id.in_(series_ids),
            ClassSession.starts_at >= now - dt.timedelta(weeks=MEMBER_WEEKS),
            (Booking.state != BookingState.CANCELLED) | (Booking.attendance.is_not(None)),
        )
        .distinct()
    )


@dataclass
class WeekSummary:
    """An anonymous summary of a class's week: only counts and averages."""

    members: int
    checked_in: int
    energy_now: float
    energy_before: float | None


async def week_summary(
    session: AsyncSession, series_ids: list[int], *, week_start: dt.date, now: dt.datetime
) -> WeekSummary | None:
    """How the class's members did this week, or None when fewer than MIN_SUMMARY checked in
    (too few to stay anonymous)."""
    members = select(User.id).where(
        User.id.in_(members_query(series_ids, now)), User.wellbeing_consent.is_(True)
    )
    everyone = await session.scalar(
        select(func.count()).select_from(members_query(series_ids, now).subquery())
    )

    async def energy(start: dt.date) -> tuple[int, float | None]:
        row = (
            await session.execute(
                select(func.count(func.distinct(CheckIn.user_id)), func.avg(CheckIn.energy)).where(
                    CheckIn.user_id.in_(members),
                    CheckIn.day >= start,
                    CheckIn.day < start + dt.timedelta(days=7),
                )
            )
        ).one()
        return row[0], (float(row[1]) if row[1] is not None else None)

    checked_in, now_avg = await energy(week_start)
    if checked_in < MIN_SUMMARY or now_avg is None:
        return None
    before_count, before_avg = await energy(week_start - dt.timedelta(days=7))
    return WeekSummary(
        members=everyone or checked_in,
        checked_in=checked_in,
        energy_now=now_avg,
        energy_before=before_avg if before_count >= MIN_SUMMARY else None,
    )


@dataclass
class GroupPost:
    """One post due in a linked group: its kind, its once-only key, and what it is about."""

    chat_id: int
    kind: str  # "schedule", "class_day", "checkin", "summary"
    key: str
    zone: str
    sessions: list[SessionInfo] = field(default_factory=list)
    summary: WeekSummary | None = None


def _reached(now: dt.datetime, zone: ZoneInfo, weekday: int, hour: int) -> dt.date | None:
    """The local date of this week's (weekday, hour) moment if it has come and is not more
    than 12 hours ago; else None."""
    local = now.astimezone(zone)
    day = local.date() - dt.timedelta(days=(local.weekday() - weekday) % 7)
    moment = dt.datetime.combine(day, dt.time(hour), tzinfo=zone)
    if moment <= local < moment + dt.timedelta(hours=12):
        return day
    return None


async def due_group_posts(session: AsyncSession, *, now: dt.datetime) -> list[GroupPost]:
    """The posts due now in every linked group: Monday's schedule, the class-day reminder,
    Friday's check-in invitation, Sunday's anonymous summary. Each has a key (group and
    week or day) so that the outbox sends it once."""
    rows = (
        await session.execute(
            select(Group.chat_id, GroupLink.series_id, ClassSeries.timezone)
            .join(GroupLink, GroupLink.group_id == Group.id)
            .join(ClassSeries, GroupLink.series_id == ClassSeries.id)
            .where(Group.bot_removed_at.is_(None), ClassSeries.ended_at.is_(None))
        )
    ).all()
    by_group: dict[int, tuple[list[int], str]] = {}
    for chat_id, series_id, zone in rows:
        by_group.setdefault(chat_id, ([], zone))[0].append(series_id)
    posts: list[GroupPost] = []
    for chat_id, (series_ids, zone_name) in by_group.items():
        zone = ZoneInfo(zone_name)
        local = now.astimezone(zone)
        year, week, _ = local.date().isocalendar()
        week_key = f"{year}-W{week:02d}"
        monday = local.date() - dt.timedelta(days=local.weekday())
        week_start = dt.datetime.combine(monday, dt.time(0), tzinfo=zone).astimezone(dt.UTC)
        week_end = week_start + dt.timedelta(days=7)
        if _reached(now, zone, *SCHEDULE_POST):
            found = []
            for series_id in series_ids:
                found += await upcoming(session, now=now, until=week_end, series_id=series_id)
            if found:
                found.sort(key=lambda info: info.session.starts_at)
                posts.append(
                    GroupPost(
                        chat_id,
                        "schedule",
                        f"group-schedule:{chat_id}:{week_key}",
                        zone_name,
                        found,
                    )
                )
        day_start = dt.datetime.combine(local.date(), dt.time(0), tzinfo=zone).astimezone(dt.UTC)
        if local.hour >= CLASS_DAY_HOUR and local.hour < CLASS_DAY_HOUR + 12:
            today = []
            for series_id in series_ids:
                today += await upcoming(
                    session, now=now, until=day_start + dt.timedelta(days=1), series_id=series_id
                )
            if today:
                posts.append(
                    GroupPost(
                        chat_id,
                        "class_day",
                        f"group-today:{chat_id}:{local.date().isoformat()}",
                        zone_name,
                        today,
                    )
                )
        if _reached(now, zone, *CHECKIN_POST):
            posts.append(
                GroupPost(chat_id, "checkin", f"group-checkin:{chat_id}:{week_key}", zone_name)
            )
        if _reached(now, zone, *SUMMARY_POST):
            summary = await week_summary(session, series_ids, week_start=monday, now=now)
            if summary is not None:
                posts.append(
                    GroupPost(
                        chat_id,
                        "summary",
                        f"group-summary:{chat_id}:{week_key}",
                        zone_name,
                        summary=summary,
                    )
                )
    return posts


# --------------------------------------------------------------------- check-in prompts


@dataclass(frozen=True)
class Prompt:
    """A private check-in invitation: to whom, why, and its once-only key."""

    user: User
    kind: str  # "weekly" or "class"
    key: str
    title: str | None = None


async def due_prompts(session: AsyncSession, *, now: dt.datetime) -> list[Prompt]:
    """Weekly check-in invitations (the client's weekday and hour, 09:00 on Monday by
    default) and invitations about an hour after a class they attended; only for clients who
    agreed to check-ins and can be reached."""
    from bot.services.tips import in_quiet_hours

    found: list[Prompt] = []
    people = await session.scalars(
        select(User).where(
            User.role == Role.CLIENT,
            User.wellbeing_consent.is_(True),
            User.blocked_at.is_(None),
            User.timezone.is_not(None),
        )
    )
    for person in people:
        zone = ZoneInfo(person.timezone)
        day = _reached(now, zone, person.checkin_weekday, person.checkin_hour)
        local = now.astimezone(zone)
        if day is None or in_quiet_hours(
            local.hour, local.minute, person.quiet_start, person.quiet_end
        ):
            continue
        year, week, _ = day.isocalendar()
        found.append(Prompt(person, "weekly", f"checkin-weekly:{person.id}:{year}-W{week:02d}"))
    rows = await session.execute(
        select(Booking.id, User, ClassSession, ClassSeries.title)
        .join(User, Booking.user_id == User.id)
        .join(ClassSession, Booking.session_id == ClassSession.id)
        .join(ClassSeries, ClassSession.series_id == ClassSeries.id)
        .where(
            Booking.attendance == Attendance.ATTENDED,
            ClassSession.state == SessionState.SCHEDULED,
            ClassSession.starts_at <= now - CLASS_PROMPT_DELAY,
            ClassSession.starts_at > now - CLASS_PROMPT_WINDOW - dt.timedelta(hours=8),
            User.wellbeing_consent.is_(True),
            User.blocked_at.is_(None),
        )
    )
    for booking_id, person, target, title in rows:
        due = target.ends_at + CLASS_PROMPT_DELAY
        if due <= now < due + CLASS_PROMPT_WINDOW:
            found.append(Prompt(person, "class", f"checkin-class:{booking_id}", title))
    return found
