"""A client's progress: check-ins and attended classes over twelve weeks, and milestones."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import insert_ignoring_conflicts
from bot.models import CheckIn, Milestone, User
from bot.services import checkins

WEEKS = 12
CLASS_MILESTONES = (1, 5, 10, 25, 50)
STREAK_MILESTONE = 4


@dataclass
class Progress:
    """What /progress shows: the check-ins and attended classes to draw, and the figures of
    its summary (bot/views/progress.py words them)."""

    checkins: list[CheckIn]  # the last twelve weeks, oldest first
    sessions: list[dt.datetime]  # attended classes of the last twelve weeks
    recent_sessions: int  # attended in the last four weeks
    current_run: int  # consecutive weeks with a class, up to this week
    longest_run: int


def _week(moment: dt.datetime | dt.date, zone: ZoneInfo) -> tuple[int, int]:
    day = moment.astimezone(zone).date() if isinstance(moment, dt.datetime) else moment
    year, week, _ = day.isocalendar()
    return year, week


def week_runs(attended: list[dt.datetime], zone: ZoneInfo, today: dt.date) -> tuple[int, int]:
    """(current run, longest run) of consecutive weeks with at least one attended class.

    The current run may end last week (this week is not over yet)."""
    weeks = sorted({_week(moment, zone) for moment in attended})
    if not weeks:
        return 0, 0
    mondays = [dt.date.fromisocalendar(year, week, 1) for year, week in weeks]
    longest = run = 1
    for previous, current in itertools.pairwise(mondays):
        run = run + 1 if (current - previous).days == 7 else 1
        longest = max(longest, run)
    this_monday = today - dt.timedelta(days=today.weekday())
    last = mondays[-1]
    current_run = run if (this_monday - last).days <= 7 else 0
    return current_run, longest


async def progress(session: AsyncSession, user: User, *, now: dt.datetime) -> Progress:
    """Twelve weeks of check-ins and attended sessions, sessions in the last four weeks,
    and the current and longest runs of weeks with a class."""
    zone = ZoneInfo(user.timezone or "UTC")
    today = now.astimezone(zone).date()
    since = today - dt.timedelta(weeks=WEEKS)
    found = await checkins.history(session, user.id, since=since)
    attended = await checkins.attended_days(
        session, user.id, since=dt.datetime.min.replace(tzinfo=dt.UTC)
    )
    recent = [
        moment for moment in attended if moment >= now - dt.timedelta(weeks=4) and moment <= now
    ]
    current, longest = week_runs([m for m in attended if m <= now], zone, today)
    shown = [moment for moment in attended if moment.astimezone(zone).date() >= since]
    return Progress(
        checkins=found,
        sessions=shown,
        recent_sessions=len(recent),
        current_run=current,
        longest_run=longest,
    )


async def new_milestones(session: AsyncSession, user_id: int, *, now: dt.datetime) -> list[str]:
    """Record the milestones the user has just reached ("classes-5", "weeks-4"); returns the
    new ones (each is reached once). bot/views/progress.py words them."""
    user = await session.get(User, user_id)
    zone = ZoneInfo(user.timezone or "UTC")
    attended = await checkins.attended_days(
        session, user_id, since=dt.datetime.min.replace(tzinfo=dt.UTC)
    )
    count = len(attended)
    kinds = [f"classes-{n}" for n in CLASS_MILESTONES if count >= n]
    current, _ = week_runs(attended, zone, now.astimezone(zone).date())
    if current >= STREAK_MILESTONE:
        kinds.append(f"weeks-{STREAK_MILESTONE}")
    if not kinds:
        return []
    have = set(await session.scalars(select(Milestone.kind).where(Milestone.user_id == user_id)))
    fresh = [kind for kind in kinds if kind not in have]
    if fresh:
        await insert_ignoring_conflicts(
            session,
            Milestone.__table__,
            [{"user_id": user_id, "kind": kind, "reached_at": now} for kind in fresh],
            ["user_id", "kind"],
        )
    return fresh
