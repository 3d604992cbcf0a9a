"""Buddies: each week, opted-in members of a class are paired (a trio when their number is
odd), avoiding pairs of the last four weeks when possible."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import (
    Attendance,
    Booking,
    BuddyMember,
    BuddyPair,
    ClassSeries,
    ClassSession,
    Role,
    User,
)
from bot.services.community import members_query

AVOID_WEEKS = 4
ASK_AFTER = dt.timedelta(days=3)
PAIRING_HOUR = 9  # Monday, in the class's zone
ATTEMPTS = 200


def week_of(moment: dt.datetime, zone: str) -> str:
    """ "2026-W48" for `moment` in `zone`."""
    year, week, _ = moment.astimezone(ZoneInfo(zone)).date().isocalendar()
    return f"{year}-W{week:02d}"


def pair_up(members: list[int], recent: set[frozenset[int]], seed: str) -> list[list[int]]:
    """Pairs of members (the last group a trio when the count is odd), with as few pairs
    from `recent` as the shuffles can manage."""
    if len(members) < 2:
        return []
    rng = random.Random(seed)
    best: list[list[int]] | None = None
    best_repeats = None
    for _ in range(ATTEMPTS):
        order = members[:]
        rng.shuffle(order)
        groups = [order[i : i + 2] for i in range(0, len(order) - len(order) % 2, 2)]
        if len(order) % 2:
            groups[-1].append(order[-1])
        repeats = sum(
            1
            for group in groups
            for a, b in itertools.combinations(group, 2)
            if frozenset((a, b)) in recent
        )
        if best_repeats is None or repeats < best_repeats:
            best, best_repeats = groups, repeats
            if repeats == 0:
                break
    return best or []


async def set_opt_in(session: AsyncSession, user_id: int, on: bool, *, now: dt.datetime) -> User:
    """Join or leave the weekly buddy pairing."""
    user = await session.get(User, user_id)
    user.buddy_opt_in = on
    user.updated_at = now
    return user


async def _recent_pairs(
    session: AsyncSession, series_id: int, *, now: dt.datetime
) -> set[frozenset[int]]:
    since = now - dt.timedelta(weeks=AVOID_WEEKS)
    rows = (
        await session.execute(
            select(BuddyMember.pair_id, BuddyMember.user_id)
            .join(BuddyPair, BuddyMember.pair_id == BuddyPair.id)
            .where(BuddyPair.series_id == series_id, BuddyPair.created_at >= since)
        )
    ).all()
    by_pair: dict[int, list[int]] = {}
    for pair_id, user_id in rows:
        by_pair.setdefault(pair_id, []).append(user_id)
    return {
        frozenset((a, b))
        for members in by_pair.values()
        for a, b in itertools.combinations(members, 2)
    }


@dataclass
class Match:
    """A new pair (or trio) to introduce."""

    pair_id: int
    series: ClassSeries
    members: list[User]


async def weekly_matches(session: AsyncSession, *, now: dt.datetime) -> list[Match]:
    """Pair each running class's opted-in members for this week, on Monday from 09:00 (for
    twelve hours) in the class's zone; each class is paired once a week."""
    matches = []
    running = await session.scalars(select(ClassSeries).where(ClassSeries.ended_at.is_(None)))
    for series in running:
        zone = ZoneInfo(series.timezone)
        local = now.astimezone(zone)
        if not (local.weekday() == 0 and PAIRING_HOUR <= local.hour < PAIRING_HOUR + 12):
            continue
        week = week_of(now, series.timezone)
        done = await session.scalar(
            select(func.count()).where(BuddyPair.series_id == series.id, BuddyPair.week == week)
        )
        if done:
            continue
        people = list(
            await session.scalars(
                select(User)
                .where(
                    User.id.in_(members_query([series.id], now)),
                    User.buddy_opt_in.is_(True),
                    User.blocked_at.is_(None),
                    User.role == Role.CLIENT,
                )
                .order_by(User.id)
            )
        )
        by_id = {person.id: person for person in people}
        recent = await _recent_pairs(session, series.id, now=now)
        for group in pair_up(list(by_id), recent, seed=f"{series.id}:{week}"):
            pair = BuddyPair(series_id=series.id, week=week, created_at=now)
            session.add(pair)
            await session.flush()
            for user_id in group:
                session.add(BuddyMember(pair_id=pair.id, user_id=user_id))
            matches.append(Match(pair.id, series, [by_id[u] for u in group]))
    await session.flush()
    return matches


@dataclass
class Question:
    """ "Did you two connect?" for one member of a pair."""

    pair_id: int
    user: User
    buddies: list[User]


async def due_questions(session: AsyncSession, *, now: dt.datetime) -> list[Question]:
    """Members of pairs made three days ago (up to a day later) who have not answered.

    A member whose buddies all deleted their accounts meanwhile is not asked: there is
    nobody left to ask about.
    """
    rows = (
        await session.execute(
            select(BuddyMember.pair_id, User)
            .join(BuddyPair, BuddyMember.pair_id == BuddyPair.id)
            .join(User, BuddyMember.user_id == User.id)
            .where(
                BuddyPair.created_at <= now - ASK_AFTER,
                BuddyPair.created_at > now - ASK_AFTER - dt.timedelta(days=1),
                BuddyMember.connected.is_(None),
            )
        )
    ).all()
    found = []
    for pair_id, person in rows:
        others = await partners(session, pair_id, person.id)
        if others:
            found.append(Question(pair_id, person, others))
    return found


async def partners(session: AsyncSession, pair_id: int, user_id: int) -> list[User]:
    """The other members of the pair."""
    rows = await session.scalars(
        select(User)
        .join(BuddyMember, BuddyMember.user_id == User.id)
        .where(BuddyMember.pair_id == pair_id, User.id != user_id)
    )
    return list(rows)


async def answer(session: AsyncSession, user_id: int, pair_id: int, connected: bool) -> bool:
    """Record "Did you two connect?"; False when the user is not in that pair."""
    member = await session.scalar(
        select(BuddyMember).where(BuddyMember.pair_id == pair_id, BuddyMember.user_id == user_id)
    )
    if member is None:
        return False
    member.connected = connected
    return True


async def current_buddies(
    session: AsyncSession, user_id: int, series_id: int, *, now: dt.datetime
) -> list[User]:
    """The user's buddies in a class for the latest pairing (within the last week)."""
    pair_id = await session.scalar(
        select(BuddyPair.id)
        .join(BuddyMember, BuddyMember.pair_id == BuddyPair.id)
        .where(
            BuddyPair.series_id == series_id,
            BuddyMember.user_id == user_id,
            BuddyPair.created_at >= now - dt.timedelta(days=8),
        )
        .order_by(BuddyPair.created_at.desc())
        .limit(1)
    )
    return await partners(session, pair_id, user_id) if pair_id else []


async def missed_twice(session: AsyncSession, user_id: int, series_id: int) -> bool:
    """True when the user's last two marked sessions of the class were both no-shows."""
    marks = list(
        await session.scalars(
            select(Booking.attendance)
            .join(ClassSession, Booking.session_id == ClassSession.id)
            .where(
                Booking.user_id == user_id,
                ClassSession.series_id == series_id,
                Booking.attendance.is_not(None),
            )
            .order_by(ClassSession.starts_at.desc())
            .limit(2)
        )
    )
    return len(marks) == 2 and all(mark == Attendance.NO_SHOW for mark in marks)


async def community_stats(
    session: AsyncSession, series_id: int, *, now: dt.datetime
) -> tuple[int, int, int]:
    """For a class over the last four weeks: (pairs made, "yes, we connected", answers)."""
    since = now - dt.timedelta(weeks=AVOID_WEEKS)
    pairs = await session.scalar(
        select(func.count()).where(BuddyPair.series_id == series_id, BuddyPair.created_at >= since)
    )
    row = (
        await session.execute(
            select(
                func.count().filter(BuddyMember.connected.is_(True)),
                func.count().filter(BuddyMember.connected.is_not(None)),
            )
            .join(BuddyPair, BuddyMember.pair_id == BuddyPair.id)
            .where(BuddyPair.series_id == series_id, BuddyPair.created_at >= since)
        )
    ).one()
    return pairs or 0, row[0], row[1]
