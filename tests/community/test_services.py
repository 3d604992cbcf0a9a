"""Check-ins, progress, milestones, buddies, group posts and privacy, against the database."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy import func, select

from bot.i18n import translator
from bot.models import (
    Attendance,
    Booking,
    BuddyMember,
    BuddyPair,
    CheckIn,
    ClassSession,
    Milestone,
    Role,
    TipMoment,
    User,
)
from bot.services import bookings, buddies, checkins, classes, community, privacy, progress, users
from bot.services.errors import InvalidInput
from bot.views.errors import error_text
from bot.views.progress import summary

NOW = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)  # Monday


async def person(db, user_id, *, consent=True, role=Role.CLIENT, **fields) -> User:
    async with db.transaction() as session:
        user = (
            await users.register_user(
                session, users.Profile(id=user_id, first_name=f"P{user_id}"), now=NOW, admin_ids=()
            )
        ).user
        user.role = role
        user.timezone = "UTC"
        user.onboarded_at = NOW
        user.wellbeing_consent = consent
        for name, value in fields.items():
            setattr(user, name, value)
        return user


async def save(db, user_id, mood=3, energy=3, pain=2, note=None, when=NOW):
    async with db.transaction() as session:
        user = await session.get(User, user_id)
        return await checkins.save(
            session, user, mood=mood, energy=energy, pain=pain, note=note, prompt="self", now=when
        )


async def test_nothing_is_stored_without_consent(db):
    await person(db, 1, consent=False)
    with pytest.raises(checkins.ConsentNeeded):
        await save(db, 1)
    async with db.reading() as session:
        assert await session.scalar(select(func.count()).select_from(CheckIn)) == 0


async def test_one_per_day_replaces_and_limits(db):
    await person(db, 1)
    first = await save(db, 1, mood=2)
    second = await save(db, 1, mood=4, when=NOW + dt.timedelta(hours=3))
    assert (first.replaced, second.replaced) == (False, True)
    async with db.reading() as session:
        rows = list(await session.scalars(select(CheckIn)))
    assert [(c.mood, c.day) for c in rows] == [(4, NOW.date())]
    with pytest.raises(InvalidInput) as refused:
        await save(db, 1, note="x" * 501)
    assert "501 characters long; the limit is 500" in error_text(translator("en"), refused.value)
    with pytest.raises(InvalidInput):
        await save(db, 1, pain=11)


async def test_care_thresholds(db):
    await person(db, 1)
    assert not (await save(db, 1, pain=6)).care
    assert (await save(db, 1, pain=7, when=NOW + dt.timedelta(days=1))).care.reasons == [
        "high_pain"
    ]
    await save(db, 1, pain=2, mood=1, when=NOW + dt.timedelta(days=2))
    saved = await save(db, 1, pain=5, mood=1, when=NOW + dt.timedelta(days=3))
    assert saved.care.reasons == ["pain_rise", "low_mood_twice"]
    async with db.reading() as session:
        moments = list(await session.scalars(select(TipMoment.moment)))
    assert set(moments) == {"low_mood"}  # low mood asks the tips for a mental-health one


async def _series_with_booking(db, trainer_id, client_ids, *, start=NOW, weekday=0, attended=()):
    async with db.transaction() as session:
        trainer = await session.get(User, trainer_id)
        series = await classes.create_series(
            session,
            trainer,
            classes.SeriesSpec(
                title="Back care",
                location="Studio",
                timezone="UTC",
                start_time=dt.time(18, 0),
                duration_minutes=60,
                capacity=20,
                first_date=start.date() + dt.timedelta(days=(weekday - start.weekday()) % 7),
                weekdays=(weekday,),
            ),
            now=start,
        )
        found = await classes.upcoming(session, now=start, series_id=series.id, days=60)
        for client_id in client_ids:
            client = await session.get(User, client_id)
            for info in found[:4]:
                await bookings.book(session, client, info.session.id, now=start)
        return series, [info.session for info in found]


async def test_trainers_see_only_clients_who_allow_it(db):
    await person(db, 9, role=Role.TRAINER)
    await person(db, 1, trainer_sees_checkins=True)
    await person(db, 2)
    await _series_with_booking(db, 9, [1, 2])
    await save(db, 1, pain=8)
    await save(db, 2, pain=8)
    async with db.reading() as session:
        trainer = await session.get(User, 9)
        views, private = await checkins.for_trainer(session, trainer, now=NOW)
    assert [v.user.id for v in views] == [1]
    assert private == 1
    heads_up = await save(db, 1, pain=9, when=NOW + dt.timedelta(days=1))
    assert [t.id for t in heads_up.trainers] == [9]
    assert (await save(db, 2, pain=9, when=NOW + dt.timedelta(days=1))).trainers == []


async def test_withdrawing_consent_deletes_checkins(db):
    await person(db, 1)
    await save(db, 1)
    await save(db, 1, when=NOW + dt.timedelta(days=1))
    async with db.transaction() as session:
        await users.record_consent(session, 1, False, now=NOW + dt.timedelta(days=2))
    async with db.reading() as session:
        assert await checkins.count_checkins(session, 1) == 0
        assert (await session.get(User, 1)).consent_withdrawn_at == NOW + dt.timedelta(days=2)


async def test_progress_summary_and_runs(db):
    await person(db, 9, role=Role.TRAINER)
    await person(db, 1)
    _, found = await _series_with_booking(db, 9, [1], start=NOW - dt.timedelta(weeks=5))
    async with db.transaction() as session:
        trainer = await session.get(User, 9)
        for target in found[:4]:
            booking = await session.scalar(select(Booking).where(Booking.session_id == target.id))
            await bookings.mark_attendance(
                session,
                trainer,
                booking.id,
                Attendance.ATTENDED,
                now=target.starts_at + dt.timedelta(minutes=70),
            )
    for days, pain in ((35, 6), (20, 5), (1, 4)):
        await save(db, 1, pain=pain, when=NOW - dt.timedelta(days=days))
    async with db.reading() as session:
        found_progress = await progress.progress(session, await session.get(User, 1), now=NOW)
    assert len(found_progress.checkins) == 3
    assert len(found_progress.sessions) == 4
    attended_recent = sum(1 for s in found[:4] if s.starts_at >= NOW - dt.timedelta(weeks=4))
    assert found_progress.recent_sessions == attended_recent
    first, second = summary(translator("en"), found_progress).split("\n")
    assert first.startswith(f"{attended_recent} sessions in 4 weeks.")
    assert "pain down from 6 to 4" in second


def test_week_runs():
    from zoneinfo import ZoneInfo

    utc = ZoneInfo("UTC")
    mondays = [
        dt.datetime(2026, 10, 5, tzinfo=dt.UTC) + dt.timedelta(weeks=n) for n in (0, 1, 2, 4, 5)
    ]
    assert progress.week_runs(mondays, utc, dt.date(2026, 11, 12)) == (2, 3)
    assert progress.week_runs(mondays, utc, dt.date(2026, 11, 30)) == (0, 3)
    assert progress.week_runs([], utc, dt.date(2026, 11, 30)) == (0, 0)


async def test_milestones_once_each(db):
    await person(db, 9, role=Role.TRAINER)
    await person(db, 1)
    _, found = await _series_with_booking(db, 9, [1])
    async with db.transaction() as session:
        trainer = await session.get(User, 9)
        booking = await session.scalar(select(Booking).where(Booking.session_id == found[0].id))
        await bookings.mark_attendance(
            session,
            trainer,
            booking.id,
            Attendance.ATTENDED,
            now=found[0].starts_at + dt.timedelta(minutes=70),
        )
        assert await progress.new_milestones(session, 1, now=found[0].ends_at) == ["classes-1"]
        assert await progress.new_milestones(session, 1, now=found[0].ends_at) == []
    async with db.reading() as session:
        assert list(await session.scalars(select(Milestone.kind))) == ["classes-1"]


def test_pairing_avoids_recent_pairs_and_makes_a_trio_when_odd():
    groups = buddies.pair_up([1, 2, 3, 4, 5], set(), seed="x")
    assert sorted(len(g) for g in groups) == [2, 3]
    assert sorted(itertools.chain(*groups)) == [1, 2, 3, 4, 5]
    recent = {frozenset((1, 2)), frozenset((3, 4))}
    groups = buddies.pair_up([1, 2, 3, 4], recent, seed="y")
    assert all(frozenset(g) not in recent for g in groups)
    assert buddies.pair_up([1], set(), seed="z") == []


async def test_weekly_pairs_do_not_repeat_over_four_weeks(db):
    await person(db, 9, role=Role.TRAINER)
    members = [1, 2, 3, 4, 5, 6, 7, 8]
    for member in members:
        await person(db, member, buddy_opt_in=True)
    await person(db, 20)  # not opted in
    series, _ = await _series_with_booking(db, 9, [*members, 20], start=NOW)
    seen: set[frozenset[int]] = set()
    for week in range(4):
        moment = NOW + dt.timedelta(weeks=week, hours=1)
        async with db.transaction() as session:
            matches = await buddies.weekly_matches(session, now=moment)
            assert await buddies.weekly_matches(session, now=moment) == []  # once a week
        pairs = [frozenset(m.id for m in match.members) for match in matches]
        assert sorted(itertools.chain(*pairs)) == members
        assert not (set(pairs) & seen), f"a pair repeated in week {week + 1}"
        seen |= set(pairs)
    async with db.reading() as session:
        assert await session.scalar(select(func.count()).select_from(BuddyPair)) == 16
        assert await session.scalar(select(func.count()).where(BuddyMember.user_id == 20)) == 0
    assert series.id


async def test_missed_twice(db):
    await person(db, 9, role=Role.TRAINER)
    await person(db, 1)
    series, found = await _series_with_booking(db, 9, [1])
    async with db.transaction() as session:
        trainer = await session.get(User, 9)
        for target, mark in zip(found[:2], (Attendance.NO_SHOW, Attendance.NO_SHOW), strict=True):
            booking = await session.scalar(select(Booking).where(Booking.session_id == target.id))
            await bookings.mark_attendance(session, trainer, booking.id, mark, now=target.ends_at)
        assert await buddies.missed_twice(session, 1, series.id)
        booking = await session.scalar(select(Booking).where(Booking.session_id == found[1].id))
        await bookings.mark_attendance(
            session, trainer, booking.id, Attendance.ATTENDED, now=found[1].ends_at
        )
        assert not await buddies.missed_twice(session, 1, series.id)


async def test_the_group_summary_needs_three_people(db):
    await person(db, 9, role=Role.TRAINER)
    clients = [1, 2, 3, 4]
    for client in clients:
        await person(db, client)
    series, _ = await _series_with_booking(db, 9, clients)
    for client, energy in zip(clients[:2], (3, 4), strict=True):
        await save(db, client, energy=energy)
    async with db.reading() as session:
        assert (
            await community.week_summary(session, [series.id], week_start=NOW.date(), now=NOW)
            is None
        )
    await save(db, 3, energy=5)
    async with db.reading() as session:
        summary = await community.week_summary(session, [series.id], week_start=NOW.date(), now=NOW)
    assert (summary.checked_in, summary.members) == (3, 4)
    assert summary.energy_now == pytest.approx(4.0)


async def test_export_and_delete_account(db):
    await person(db, 9, role=Role.TRAINER)
    await person(db, 1)
    await person(db, 2)
    await _series_with_booking(db, 9, [1, 2])
    await save(db, 1, note="knee is better")
    async with db.reading() as session:
        data = await privacy.export(session, 1, now=NOW)
    assert data["profile"]["id"] == 1
    assert [c["note"] for c in data["checkins"]] == ["knee is better"]
    assert len(data["bookings"]) == 4
    assert data["bookings"][0]["class"] == "Back care"

    async with db.reading() as session:
        before_counts = {s.id: s.booked_count for s in await session.scalars(select(ClassSession))}
        confirmed_before = await session.scalar(select(func.count()).select_from(Booking))
    async with db.transaction() as session:
        await privacy.delete_account(session, 1, now=NOW)
    async with db.reading() as session:
        assert await session.get(User, 1) is None
        assert await session.scalar(select(func.count()).where(CheckIn.user_id == 1)) == 0
        assert await session.scalar(select(func.count()).where(Booking.user_id == 1)) == 0
        assert await session.scalar(select(func.count()).select_from(Booking)) == confirmed_before
        after_counts = {s.id: s.booked_count for s in await session.scalars(select(ClassSession))}
        stand_ins = list(await session.scalars(select(User).where(User.id < 0)))
        untouched = await session.get(User, 2)
    assert after_counts == before_counts
    assert [u.first_name for u in stand_ins] == ["Deleted user"]
    assert untouched is not None

    with pytest.raises(InvalidInput, match="account_still_teaching"):
        async with db.transaction() as session:
            await privacy.delete_account(session, 9, now=NOW)
