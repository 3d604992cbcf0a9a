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
    """What /progress shows: the series to draw and the two-line summary."""

    checkins: list[CheckIn]
    sessions: list[dt.datetime]
    summary: list[str]


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


def _pain_line(found: list[CheckIn]) -> str:
    first, last = found[0].pain, found[-1].pain
    if last < first:
        return f"pain down from {first} to {last}"
    if last > first:
        return f"pain up from {first} to {last}: worth mentioning to your therapist"
    return f"pain steady at {last}"


async def progress(session: AsyncSession, user: User, *, now: dt.datetime) -> Progress:
    """Twelve weeks of check-ins and attended sessions, and a summary such as
    "8 sessions in 4 weeks, your longest run yet" and "pain down from 6 to 4"."""
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
    first = f"{len(recent)} session{'s' if len(recent) != 1 else ''} in 4 weeks"
    if current >= 2 and current == longest:
        first += f", {current} weeks in a row: your longest run yet"
    elif current >= 2:
        first += f", {current} weeks in a row"
    lines = [first]
    if len(found) >= 2:
        lines.append(
            f"Mood {found[-1].mood}/5 and energy {found[-1].energy}/5 lately; {_pain_line(found)}."
        )
    shown = [moment for moment in attended if moment.astimezone(zone).date() >= since]
    return Progress(checkins=found, sessions=shown, summary=lines)


async def new_milestones(session: AsyncSession, user_id: int, *, now: dt.datetime) -> list[str]:
    """Record the milestones the user has just reached ("classes-5", "weeks-4"); returns the
    new ones (each is reached once)."""
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


def milestone_text(kind: str) -> str:
    """ "your first class", "10 classes", "4 weeks in a row"."""
    what, number = kind.split("-")
    if what == "classes":
        return "your first class" if number == "1" else f"{number} classes"
    return f"{number} weeks in a row"
