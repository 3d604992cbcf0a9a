"""Classes, booking, the waitlist, attendance and reminders, against a real database."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import random
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.db import Database
from bot.i18n import translator
from bot.models import (
    Attendance,
    Booking,
    BookingState,
    ClassSession,
    OutboxMessage,
    ReminderOffset,
    Role,
    SessionState,
)
from bot.services import bookings, classes, outbox, reminders, users
from bot.services.errors import InvalidInput, NotAllowed, NotFound
from bot.views.errors import error_text

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)  # a Monday


@contextlib.contextmanager
def refused(message: str) -> Iterator[None]:
    """Expect InvalidInput whose reason, as an English reader reads it, contains `message`."""
    with pytest.raises(InvalidInput) as caught:
        yield
    assert message in error_text(translator("en"), caught.value)


async def person(db, user_id: int, *, role: Role = Role.CLIENT, zone="Europe/Berlin"):
    async with db.transaction() as session:
        registration = await users.register_user(
            session,
            users.Profile(id=user_id, first_name=f"P{user_id}"),
            now=NOW,
            admin_ids={user_id} if role == Role.ADMIN else (),
        )
        registration.user.role = role
        registration.user.timezone = zone
        return registration.user


def spec(**changes) -> classes.SeriesSpec:
    values = {
        "title": "Back care",
        "location": "Studio 2",
        "timezone": "Europe/Berlin",
        "start_time": dt.time(18, 0),
        "duration_minutes": 60,
        "capacity": 2,
        "first_date": dt.date(2026, 3, 2),
        "weekdays": (0, 3),
    }
    values.update(changes)
    return classes.SeriesSpec(**values)


async def new_series(db, trainer, now=NOW, **changes):
    async with db.transaction() as session:
        return await classes.create_series(session, trainer, spec(**changes), now=now)


async def sessions_of(db, series_id: int) -> list[ClassSession]:
    async with db.reading() as session:
        rows = await session.scalars(
            select(ClassSession)
            .where(ClassSession.series_id == series_id)
            .order_by(ClassSession.starts_at)
        )
        return list(rows)


async def book(db, user, session_id, now=NOW) -> bookings.BookingResult:
    async with db.transaction() as session:
        return await bookings.book(session, user, session_id, now=now)


# ------------------------------------------------------------------ series and DST


@pytest.mark.parametrize(
    ("zone", "march_change", "october_change"),
    [
        ("Europe/Berlin", dt.date(2026, 3, 29), dt.date(2026, 10, 25)),
        ("America/New_York", dt.date(2026, 3, 8), dt.date(2026, 11, 1)),
    ],
)
async def test_weekly_sessions_keep_their_local_time_across_dst(
    db, zone, march_change, october_change
):
    trainer = await person(db, 1, role=Role.TRAINER, zone=zone)
    start = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
    series = await new_series(
        db,
        trainer,
        now=start,
        timezone=zone,
        weekdays=(6,),  # Sundays: the changes happen on Sundays
        first_date=dt.date(2026, 3, 1),
        start_time=dt.time(18, 0),
    )
    found = await sessions_of(db, series.id)
    assert len(found) == 9  # today plus the 8-week horizon
    local = [s.starts_at.astimezone(ZoneInfo(zone)) for s in found]
    assert {t.time() for t in local} == {dt.time(18, 0)}
    offsets = {s.local_date: s.starts_at.astimezone(ZoneInfo(zone)).utcoffset() for s in found}
    assert offsets[march_change - dt.timedelta(days=7)] != offsets[march_change]
    # The horizon moves on daily; across the October change, still 18:00 local.
    october = dt.datetime(2026, 10, 1, 12, 0, tzinfo=dt.UTC)
    async with db.transaction() as session:
        await classes.extend_horizons(session, now=october)
    found = await sessions_of(db, series.id)
    after = [s for s in found if s.local_date in (october_change, october_change - dt.timedelta(7))]
    assert len(after) == 2
    assert {s.starts_at.astimezone(ZoneInfo(zone)).time() for s in after} == {dt.time(18, 0)}
    assert (
        after[0].starts_at.astimezone(ZoneInfo(zone)).utcoffset()
        != after[1].starts_at.astimezone(ZoneInfo(zone)).utcoffset()
    )
    assert {s.local_date.weekday() for s in found} == {6}


async def test_generation_is_idempotent_and_respects_the_last_date(db):
    trainer = await person(db, 1, role=Role.TRAINER)
    series = await new_series(db, trainer, last_date=dt.date(2026, 3, 12))
    assert [s.local_date for s in await sessions_of(db, series.id)] == [
        dt.date(2026, 3, 2),
        dt.date(2026, 3, 5),
        dt.date(2026, 3, 9),
        dt.date(2026, 3, 12),
    ]
    async with db.transaction() as session:
        assert await classes.extend_horizons(session, now=NOW + dt.timedelta(days=30)) == 0
    assert len(await sessions_of(db, series.id)) == 4


async def test_one_off_sessions(db):
    trainer = await person(db, 1, role=Role.TRAINER)
    series = await new_series(db, trainer, weekdays=(), first_date=dt.date(2026, 3, 20))
    found = await sessions_of(db, series.id)
    assert [s.local_date for s in found] == [dt.date(2026, 3, 20)]
    assert series.is_one_off


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"capacity": 0}, "capacity must be from 1 to 500"),
        ({"capacity": 501}, "capacity must be from 1 to 500"),
        ({"first_date": dt.date(2026, 3, 1)}, "first date is in the past"),
        ({"last_date": dt.date(2026, 3, 1)}, "last date is before the first"),
        ({"first_date": dt.date(2026, 3, 3)}, "must fall on one of the class's weekdays"),
        ({"title": "  "}, "title can't be empty"),
        ({"timezone": "Mars/Base"}, "not a time zone"),
        ({"duration_minutes": 2}, "lasts 5 to 480 minutes"),
    ],
)
async def test_bad_series_are_refused(db, changes, message):
    trainer = await person(db, 1, role=Role.TRAINER)
    with refused(message):
        await new_series(db, trainer, **changes)


async def test_clients_cannot_create_classes(db):
    client = await person(db, 2)
    with pytest.raises(NotAllowed):
        await new_series(db, client)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("18:00", dt.time(18, 0)),
        ("7:05", dt.time(7, 5)),
        ("18.30", dt.time(18, 30)),
        ("1830", dt.time(18, 30)),
        ("6pm", dt.time(18, 0)),
        ("6:30 pm", dt.time(18, 30)),
        ("12am", dt.time(0, 0)),
    ],
)
def test_times_people_type(text, expected):
    assert classes.parse_time(text) == expected


@pytest.mark.parametrize("text", ["25:00", "18:60", "noon", "", "13pm", "18:5", "99"])
def test_times_that_are_not(text):
    with pytest.raises(InvalidInput):
        classes.parse_time(text)


def test_dates_people_type():
    today = dt.date(2026, 11, 27)
    assert classes.parse_date("2026-12-03", today=today) == dt.date(2026, 12, 3)
    assert classes.parse_date("3.12.2026", today=today) == dt.date(2026, 12, 3)
    assert classes.parse_date("3/12/26", today=today) == dt.date(2026, 12, 3)
    assert classes.parse_date("5.1.", today=today) == dt.date(2027, 1, 5)
    for bad in ("31.2.2026", "tomorrow", "2026-13-01"):
        with pytest.raises(InvalidInput):
            classes.parse_date(bad, today=today)


# ------------------------------------------------------------------ booking


async def test_booking_confirms_then_waitlists_with_positions(db):
    trainer = await person(db, 1, role=Role.TRAINER)
    series = await new_series(db, trainer)
    first = (await sessions_of(db, series.id))[0]
    clients = [await person(db, n) for n in range(10, 14)]
    results = [await book(db, c, first.id) for c in clients]
    assert [r.status for r in results] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert [r.position for r in results[2:]] == [1, 2]
    # What each press shows next is the session after it: its places and its waitlist.
    seen = [(r.info.session.booked_count, r.info.spots_left, r.info.waitlist) for r in results]
    assert seen == [(1, 1, 0), (2, 0, 0), (2, 0, 1), (2, 0, 2)]
    again = await book(db, clients[0], first.id)
    assert again.status == "already_confirmed"
    again = await book(db, clients[3], first.id)
    assert (again.status, again.position) == ("already_waitlisted", 2)


async def test_the_timetable_marks_the_readers_own_places_page_by_page(db):
    """/classes reads a page with the reader's own bookings in one statement: the marks are
    theirs alone (a cancelled booking marks nothing), the total counts the whole fortnight,
    and a page past the end (a stale "Later" button) shows the last page."""
    trainer = await person(db, 1, role=Role.TRAINER)
    series = await new_series(db, trainer, capacity=1)
    ahead = await sessions_of(db, series.id)
    fortnight = [s for s in ahead if s.starts_at <= NOW + dt.timedelta(days=14)]
    reader, other = await person(db, 10), await person(db, 11)
    await book(db, other, fortnight[0].id)
    await book(db, reader, fortnight[0].id)  # full: waitlisted
    await book(db, reader, fortnight[1].id)
    cancelled = (await book(db, reader, fortnight[2].id)).booking
    async with db.transaction() as session:
        await bookings.cancel(session, reader.id, cancelled.id, now=NOW)
    first = await classes.listing(db, reader.id, now=NOW, days=14, page=0, page_size=2)
    second = await classes.listing(db, reader.id, now=NOW, days=14, page=1, page_size=2)
    stale = await classes.listing(db, reader.id, now=NOW, days=14, page=9, page_size=2)
    theirs = await classes.listing(db, other.id, now=NOW, days=14, page=0, page_size=2)
    async with db.reading() as session:
        detail = await bookings.booking_of(
            session, reader.id, await classes.session_info(session, fortnight[0].id), now=NOW
        )
    assert first.total == len(fortnight) == 4
    assert [(item.id, item.mine) for item in first.sessions] == [
        (fortnight[0].id, BookingState.WAITLISTED),
        (fortnight[1].id, BookingState.CONFIRMED),
    ]
    full = first.sessions[0]
    assert (full.waitlist, full.spots_left, full.capacity, full.booked_count) == (1, 0, 1, 1)
    assert full.trainer_name == "P1" and full.title == series.title
    assert full.starts_at == fortnight[0].starts_at
    assert [(item.id, item.mine) for item in second.sessions] == [
        (fortnight[2].id, None),
        (fortnight[3].id, None),
    ]
    assert second.sessions[0].spots_left == 1, "a cancelled booking gave its place back"
    assert stale.page == 1 and [item.id for item in stale.sessions] == [
        fortnight[2].id,
        fortnight[3].id,
    ]
    assert [item.mine for item in theirs.sessions] == [BookingState.CONFIRMED, None]
    assert detail.booking.state == BookingState.WAITLISTED and detail.position == 1
    async with db.reading() as session:
        past = await classes.session_info(session, fortnight[1].id)
        assert await bookings.booking_of(session, reader.id, past, now=past.session.ends_at) is None
    empty = await classes.listing(
        db, reader.id, now=NOW + dt.timedelta(days=400), days=14, page=3, page_size=2
    )
    assert (empty.total, empty.page, empty.sessions) == (0, 0, [])


async def test_past_cancelled_and_unknown_sessions_are_refused(db):
    trainer = await person(db, 1, role=Role.TRAINER)
    series = await new_series(db, trainer)
    first = (await sessions_of(db, series.id))[0]
    client = await person(db, 10)
    with refused("already started"):
        await book(db, client, first.id, now=first.starts_at)
    with pytest.raises(NotFound):
        await book(db, client, 999999)
    async with db.transaction() as session:
        await classes.cancel_session(session, trainer, first.id, reason="Flood", now=NOW)
    with refused("cancelled"):
        await book(db, client, first.id)


async def test_overlapping_bookings_are_refused_naming_the_other_class(db):
    trainer = await person(db, 1, role=Role.TRAINER)
    back = await new_series(db, trainer)
    knees = await new_series(db, trainer, title="Knee class", start_time=dt.time(18, 30))
    client = await person(db, 10)
    await book(db, client, (await sessions_of(db, back.id))[0].id)
    with refused("“Back care” at that time"):
        await book(db, client, (await sessions_of(db, knees.id))[0].id)
    later = await new_series(db, trainer, title="Later", start_time=dt.time(19, 0))
    assert (await book(db, client, (await sessions_of(db, later.id))[0].id)).status == "confirmed"


async def test_fifty_people_on_the_last_spot(db, database_url):
    trainer = await person(db, 1, role=Role.TRAINER)
    series = await new_series(db, trainer, capacity=5)
    target = (await sessions_of(db, series.id))[0]
    for n in range(4):
        await book(db, await person(db, 100 + n), target.id)
    clients = [await person(db, 200 + n) for n in range(50)]
    # Separate engines: separate connections, like separate processes (concurrent
    # transactions on PostgreSQL; on SQLite, writers queue on the file lock).
    engines = [Database(database_url) for _ in range(5)]
    try:
        results = await asyncio.gather(
            *(book(engines[n % 5], client, target.id) for n, client in enumerate(clients))
        )
    finally:
        for engine in engines:
            await engine.dispose()
    statuses = sorted(r.status for r in results)
    assert statuses.count("confirmed") == 1
    assert statuses.count("waitlisted") == 49
    async with db.reading() as session:
        row = await session.get(ClassSession, target.id)
        confirmed = await session.scalar(
            select(func.count()).where(
                Booking.session_id == target.id, Booking.state == BookingState.CONFIRMED
            )
        )
    assert row.booked_count == confirmed == 5
    positions = sorted(r.position for r in results if r.status == "waitlisted")
    assert positions == list(range(1, 50))


async def test_thirty_presses_on_a_full_session_are_told_where_they_stand(db, database_url):
    """Positions are assigned under the session's lock: what each person is told is unique,
    gap-free and equal to where they stand, even though each press read its clock before
    waiting for the lock (the stamps below are deliberately out of order)."""
    trainer = await person(db, 1, role=Role.TRAINER)
    series = await new_series(db, trainer, capacity=1)
    target = (await sessions_of(db, series.id))[0]
    first = await person(db, 100)
    await book(db, first, target.id)
    clients = [await person(db, 200 + n) for n in range(30)]
    stamps = [NOW + dt.timedelta(milliseconds=n) for n in range(30)]
    random.Random(7).shuffle(stamps)
    engines = [Database(database_url) for _ in range(6)]
    try:
        results = await asyncio.gather(
            *(
                book(engines[n % 6], client, target.id, now=stamps[n])
                for n, client in enumerate(clients)
            )
        )
    finally:
        for engine in engines:
            await engine.dispose()
    told = {r.booking.user_id: r.position for r in results}
    assert sorted(told.values()) == list(range(1, 31))

    async def standing() -> dict[int, int]:
        async with db.reading() as session:
            _, entries = await bookings.roster(session, trainer, target.id)
        return {e.user.id: e.position for e in entries if e.position is not None}

    assert await standing() == told
    # A cancel promotes the person told #1; everyone else moves up by one.
    async with db.transaction() as session:
        mine = await session.scalar(
            select(Booking).where(Booking.user_id == first.id, Booking.session_id == target.id)
        )
        cancelled = await bookings.cancel(session, first.id, mine.id, now=NOW)
    by_position = {position: user_id for user_id, position in told.items()}
    assert [p.user_id for p in cancelled.promotions] == [by_position[1]]
    # Three people leave the waitlist at once (#5, #10, #20): the rest close the gaps, in order.
    leaving = [by_position[5], by_position[10], by_position[20]]
    leave_engines = [Database(database_url) for _ in range(3)]
    try:
        await asyncio.gather(
            *(
                _cancel(leave_engines[n], user_id, _booking_id(results, user_id))
                for n, user_id in enumerate(leaving)
            )
        )
    finally:
        for engine in leave_engines:
            await engine.dispose()
    remaining = [by_position[k] for k in range(2, 31) if by_position[k] not in leaving]
    assert await standing() == {user_id: n + 1 for n, user_id in enumerate(remaining)}
    # And the next promotion follows that order.
    async with db.transaction() as session:
        promoted = await bookings.set_capacity(session, trainer, target.id, 3, now=NOW)
    assert [p.user_id for p in promoted] == remaining[:2]


def _booking_id(results: list[bookings.BookingResult], user_id: int) -> int:
    return next(r.booking.id for r in results if r.booking.user_id == user_id)


# ------------------------------------------------------------------ cancelling


async def test_cancel_promotes_the_first_on_the_waitlist(db):
    trainer = await person(db, 1, role=Role.TRAINER)
    series = await new_series(db, trainer)
    target = (await sessions_of(db, series.id))[0]
    a, b, c, d = [await person(db, n) for n in (10, 11, 12, 13)]
    booked = [await book(db, x, target.id) for x in (a, b, c, d)]
    async with db.transaction() as session:
        result = await bookings.cancel(session, a.id, booked[0].booking.id, now=NOW)
    assert not result.late
    assert [p.user_id for p in result.promotions] == [c.id]
    async with db.reading() as session:
        waiting = await session.get(Booking, booked[3].booking.id)
        assert await bookings.waitlist_position(session, waiting) == 1


async def test_a_cancel_inside_the_window_is_late(db):
    trainer = await person(db, 1, role=Role.TRAINER)
    series = await new_series(db, trainer, late_cancel_minutes=120)
    target = (await sessions_of(db, series.id))[0]
    client = await person(db, 10)
    booked = await book(db, client, target.id)
    late = target.starts_at - dt.timedelta(minutes=90)
    async with db.reading() as session:
        _, _, is_late = await bookings.cancel_preview(
            session, client.id, booked.booking.id, now=late
        )
    assert is_late
    async with db.transaction() as session:
        result = await bookings.cancel(session, client.id, booked.booking.id, now=late)
    assert result.late
    assert result.booking.late_cancel
    with refused("already cancelled"):
        async with db.transaction() as session:
            await bookings.cancel(session, client.id, booked.booking.id, now=late)


async def test_no_cancelling_after_the_start_and_nobody_elses_booking(db):
    trainer = await person(db, 1, role=Role.TRAINER)
    series = await new_series(db, trainer)
    target = (await sessions_of(db, series.id))[0]
    owner, other = await person(db, 10), await person(db, 11)
    booked = await book(db, owner, target.id)
    with pytest.raises(NotFound):
        async with db.transaction() as session:
            await bookings.cancel(session, other.id, booked.booking.id, now=NOW)
    with refused("already started"):
        async with db.transaction() as session:
            await bookings.cancel(session, owner.id, booked.booking.id, now=target.starts_at)
    async with db.reading() as session:
        assert (await session.get(Booking, booked.booking.id)).state == BookingState.CONFIRMED


async def test_no_promotion_inside_the_cutoff(db):
    trainer = await person(db, 1, role=Role.TRAINER)
    series = await new_series(db, trainer, capacity=1)
    target = (await sessions_of(db, series.id))[0]
    a, b, c = [await person(db, n) for n in (10, 11, 12)]
    first = await book(db, a, target.id)
    await book(db, b, target.id)
    inside = target.starts_at - dt.timedelta(minutes=30)
    async with db.transaction() as session:
        result = await bookings.cancel(session, a.id, first.booking.id, now=inside)
    assert result.promotions == []
    # The spot is simply open for direct booking now.
    assert (await book(db, c, target.id, now=inside)).status == "confirmed"


async def test_two_cancels_at_once_promote_two_different_people(db, database_url):
    trainer = await person(db, 1, role=Role.TRAINER)
    series = await new_series(db, trainer, capacity=2)
    target = (await sessions_of(db, series.id))[0]
    people = [await person(db, n) for n in range(10, 15)]
    booked = [await book(db, p, target.id) for p in people]
    engines = [Database(database_url) for _ in range(2)]
    try:
        results = await asyncio.gather(
            *(_cancel(engines[n], people[n].id, booked[n].booking.id) for n in range(2))
        )
    finally:
        for engine in engines:
            await engine.dispose()
    promoted = [p.user_id for r in results for p in r.promotions]
    assert sorted(promoted) == [people[2].id, people[3].id]
    async with db.reading() as session:
        assert (await session.get(ClassSession, target.id)).booked_count == 2


async def _cancel(db, user_id, booking_id):
    async with db.transaction() as session:
        return await bookings.cancel(session, user_id, booking_id, now=NOW)


async def test_a_failed_cancel_rolls_back_its_promotion(db, monkeypatch):
    trainer = await person(db, 1, role=Role.TRAINER)
    series = await new_series(db, trainer, capacity=1)
    target = (await sessions_of(db, series.id))[0]
    a, b = await person(db, 10), await person(db, 11)
    first = await book(db, a, target.id)
    await book(db, b, target.id)
    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            await bookings.cancel(session, a.id, first.booking.id, now=NOW)
            raise RuntimeError("crash before commit")
    async with db.reading() as session:
        states = dict((await session.execute(select(Booking.user_id, Booking.state))).all())
        assert (await session.get(ClassSession, target.id)).booked_count == 1
    assert states == {a.id: BookingState.CONFIRMED, b.id: BookingState.WAITLISTED}


# ------------------------------------------------------------------ trainer changes


async def test_capacity_changes(db):
    trainer = await person(db, 1, role=Role.TRAINER)
    other_trainer = await person(db, 2, role=Role.TRAINER)
    series = await new_series(db, trainer, capacity=2)
    target = (await sessions_of(db, series.id))[0]
    people = [await person(db, n) for n in range(10, 15)]
    for p in people:
        await book(db, p, target.id)
    with refused("Already booked: 2, so the capacity can't go below 2"):
        async with db.transaction() as session:
            await bookings.set_capacity(session, trainer, target.id, 1, now=NOW)
    with pytest.raises(NotAllowed):
        async with db.transaction() as session:
            await bookings.set_capacity(session, other_trainer, target.id, 4, now=NOW)
    async with db.transaction() as session:
        promoted = await bookings.set_capacity(session, trainer, target.id, 4, now=NOW)
    assert [p.user_id for p in promoted] == [people[2].id, people[3].id]


async def test_cancel_session_cancels_bookings_and_withdraws_their_reminders(db):
    trainer = await person(db, 1, role=Role.TRAINER)
    series = await new_series(db, trainer, capacity=1)
    target = (await sessions_of(db, series.id))[0]
    a, b = await person(db, 10), await person(db, 11)
    first = await book(db, a, target.id)
    await book(db, b, target.id)
    async with db.transaction() as session:
        await outbox.enqueue(
            session,
            [
                outbox.Notice(
                    chat_id=a.id,
                    text="reminder",
                    dedupe_key="r1",
                    kind="reminder",
                    topic=f"booking:{first.booking.id}",
                )
            ],
            now=NOW,
        )
    async with db.transaction() as session:
        affected = await classes.cancel_session(session, trainer, target.id, reason="Ill", now=NOW)
    assert affected.booked == {target.id: [a.id]}
    assert affected.waitlisted == {target.id: [b.id]}
    async with db.reading() as session:
        found = await session.get(ClassSession, target.id)
        states = set((await session.scalars(select(Booking.state))).all())
        reminder = await session.scalar(select(OutboxMessage))
    assert (found.state, found.cancel_reason, found.booked_count) == (
        SessionState.CANCELLED,
        "Ill",
        0,
    )
    assert states == {BookingState.CANCELLED}
    assert reminder.state.value == "cancelled"


async def test_change_time_of_following_sessions(db):
    trainer = await person(db, 1, role=Role.TRAINER)
    series = await new_series(db, trainer)
    found = await sessions_of(db, series.id)
    async with db.transaction() as session:
        await classes.change_time(
            session, trainer, found[2].id, dt.time(17, 15), following=True, now=NOW
        )
    after = await sessions_of(db, series.id)
    local = [s.starts_at.astimezone(ZoneInfo("Europe/Berlin")).time() for s in after]
    assert local[:2] == [dt.time(18, 0)] * 2
    assert set(local[2:]) == {dt.time(17, 15)}
    assert after[2].version == 1


async def test_end_series(db):
    trainer = await person(db, 1, role=Role.TRAINER)
    series = await new_series(db, trainer)
    client = await person(db, 10)
    found = await sessions_of(db, series.id)
    await book(db, client, found[3].id)
    async with db.transaction() as session:
        affected = await classes.end_series(session, trainer, series.id, now=NOW)
    assert affected.booked == {found[3].id: [client.id]}
    after = await sessions_of(db, series.id)
    assert {s.state for s in after} == {SessionState.CANCELLED}


# ------------------------------------------------------------------ attendance


async def test_attendance_marks_and_check_in_windows(db):
    trainer = await person(db, 1, role=Role.TRAINER)
    series = await new_series(db, trainer)
    target = (await sessions_of(db, series.id))[0]
    client = await person(db, 10)
    booked = await book(db, client, target.id)
    early = target.starts_at - dt.timedelta(minutes=20)
    with refused("from 15 minutes before"):
        async with db.transaction() as session:
            await bookings.check_in(session, client.id, booked.booking.id, now=early)
    async with db.transaction() as session:
        await bookings.check_in(
            session, client.id, booked.booking.id, now=target.starts_at - dt.timedelta(minutes=10)
        )
    after = target.ends_at + dt.timedelta(hours=47)
    async with db.transaction() as session:
        marked, _ = await bookings.mark_attendance(
            session, trainer, booked.booking.id, Attendance.NO_SHOW, now=after
        )
    assert marked.attendance == Attendance.NO_SHOW
    with refused("48 hours"):
        async with db.transaction() as session:
            await bookings.mark_attendance(
                session,
                trainer,
                booked.booking.id,
                Attendance.ATTENDED,
                now=target.ends_at + dt.timedelta(hours=49),
            )
    stranger = await person(db, 2, role=Role.TRAINER)
    with pytest.raises(NotAllowed):
        async with db.transaction() as session:
            await bookings.mark_attendance(session, stranger, booked.booking.id, None, now=after)


# ------------------------------------------------------------------ reminders


async def _due(db, since, now):
    async with db.reading() as session:
        return await reminders.due(session, since=since, now=now)


async def test_reminders_fall_due_per_offset_and_choice(db):
    trainer = await person(db, 1, role=Role.TRAINER)
    series = await new_series(db, trainer)
    target = (await sessions_of(db, series.id))[1]  # Thursday 18:00 Berlin
    default, picky, muted = await person(db, 10), await person(db, 11), await person(db, 12)
    async with db.transaction() as session:
        await reminders.set_offsets(session, picky.id, [ReminderOffset.M30], now=NOW)
        await reminders.set_offsets(session, muted.id, [], now=NOW)
    for client in (default, picky, muted):
        await book(db, client, target.id)
    start = target.starts_at
    day_before = await _due(
        db, start - dt.timedelta(hours=24, seconds=30), start - dt.timedelta(hours=24)
    )
    assert [(r.user.id, r.offset) for r in day_before] == [(default.id, ReminderOffset.H24)]
    hour = await _due(db, start - dt.timedelta(minutes=61), start - dt.timedelta(minutes=59))
    assert [(r.user.id, r.offset) for r in hour] == [(default.id, ReminderOffset.H1)]
    half = await _due(db, start - dt.timedelta(minutes=31), start - dt.timedelta(minutes=29))
    assert [(r.user.id, r.offset) for r in half] == [(picky.id, ReminderOffset.M30)]
    # Downtime: everything that fell due since yesterday, but only for what is still ahead.
    late = await _due(db, start - dt.timedelta(hours=30), start - dt.timedelta(minutes=10))
    assert sorted((r.user.id, r.offset) for r in late) == sorted(
        [
            (default.id, ReminderOffset.H24),
            (default.id, ReminderOffset.H1),
            (picky.id, ReminderOffset.M30),
        ]
    )
    assert await _due(db, start - dt.timedelta(hours=30), start + dt.timedelta(minutes=1)) == []


async def test_the_reminder_window_moves_only_when_committed(db):
    first = NOW
    async with db.transaction() as session:
        since, now = await reminders.window(session, now=first)
        assert since == now == first
        await reminders.advance(session, to=first)
    later = NOW + dt.timedelta(seconds=10)
    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            since, _ = await reminders.window(session, now=later)
            await reminders.advance(session, to=later)
            raise RuntimeError
    async with db.transaction() as session:
        since, _ = await reminders.window(session, now=later)
    assert since == first
