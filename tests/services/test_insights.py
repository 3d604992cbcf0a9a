"""Class insights from real bookings, marks and check-ins, at an injected moment: attendance
per week, fill and waitlist demand, retention, clients at risk, a client's trends (only with
consent) and the practice's totals."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.models import Attendance, CheckIn, Role, User
from bot.services import bookings, insights
from bot.services.errors import NotAllowed, NotFound
from tests.services.test_classes import NOW, book, new_series, person, sessions_of

# Thursday 26 March 2026, 12:00 UTC: four Mondays of the class (2, 9, 16, 23 March) are past.
LATER = dt.datetime(2026, 3, 26, 12, 0, tzinfo=dt.UTC)


async def mark(db, trainer, booking_id: int, attendance: Attendance, at: dt.datetime) -> None:
    async with db.transaction() as session:
        await bookings.mark_attendance(session, trainer, booking_id, attendance, now=at)


@pytest.fixture
async def practice(db):
    """Tess's Mon/Thu class (2 places) with Ann coming every Monday, Ben once then a
    no-show then gone, and Cid waiting on the 9th (never got in) and promoted on the 16th
    when Ben cancelled."""
    tess = await person(db, 1, role=Role.TRAINER)
    ann, ben, cid = await person(db, 11), await person(db, 12), await person(db, 13)
    series = await new_series(db, tess)
    found = await sessions_of(db, series.id)
    mondays = [s for s in found if s.local_date.weekday() == 0][:4]
    at = [s.starts_at for s in mondays]
    places: dict[tuple[int, int], int] = {}
    for index, monday in enumerate(mondays):
        who = [ann, ben] if index < 3 else [ann]
        for client in who:
            places[(client.id, index)] = (await book(db, client, monday.id)).booking.id
    places[(cid.id, 1)] = (await book(db, cid, mondays[1].id)).booking.id
    places[(cid.id, 2)] = (await book(db, cid, mondays[2].id)).booking.id
    async with db.transaction() as session:
        result = await bookings.cancel(session, ben.id, places[(ben.id, 2)], now=NOW)
    assert [p.user_id for p in result.promotions] == [cid.id]
    marks = {
        0: {ann.id: Attendance.ATTENDED, ben.id: Attendance.ATTENDED},
        1: {ann.id: Attendance.ATTENDED, ben.id: Attendance.NO_SHOW},
        2: {ann.id: Attendance.ATTENDED, cid.id: Attendance.ATTENDED},
        3: {ann.id: Attendance.ATTENDED},
    }
    for index, chosen in marks.items():
        for user_id, attendance in chosen.items():
            await mark(db, tess, places[(user_id, index)], attendance, at[index])
    return {"tess": tess, "ann": ann, "ben": ben, "cid": cid, "series": series, "mondays": at}


async def test_attendance_per_week_counts_marks_of_the_last_eight_weeks(db, practice):
    async with db.reading() as session:
        weeks = await insights.weekly_attendance(session, practice["series"].id, now=LATER)
    assert len(weeks) == 8
    assert weeks[0].week == dt.date(2026, 2, 2) and weeks[-1].week == dt.date(2026, 3, 23)
    shown = [(w.week.day, w.booked, w.attended, w.marked) for w in weeks[-4:]]
    assert shown == [(2, 2, 2, 2), (9, 2, 1, 2), (16, 2, 2, 2), (23, 1, 1, 1)]
    assert weeks[-3].rate == 0.5
    assert all(w.rate is None for w in weeks[:4])


async def test_fill_rate_and_waitlist_demand_over_past_sessions(db, practice):
    async with db.reading() as session:
        found = await insights.fill(session, practice["series"].id, now=LATER)
    # Mondays 2, 9, 16, 23 and Thursdays 5, 12, 19: seven past sessions of two places.
    assert (found.sessions, found.capacity, found.booked) == (7, 14, 7)
    assert found.rate == 0.5
    assert (found.waited, found.got_in) == (2, 1)


async def test_retention_is_who_came_in_each_of_the_last_four_weeks(db, practice):
    async with db.reading() as session:
        kept = await insights.retention(session, practice["series"].id, now=LATER)
        # A week later the first Monday falls out of the four weeks and Ann missed the 30th.
        later = await insights.retention(
            session, practice["series"].id, now=LATER + dt.timedelta(weeks=1)
        )
    assert [p.first_name for p in kept] == [practice["ann"].first_name]
    assert later == []


async def test_clients_at_risk_have_no_class_in_fourteen_days(db, practice):
    tess = practice["tess"]
    async with db.reading() as session:
        quiet = await insights.at_risk(session, tess.id, now=LATER)
        # On the 17th Ben's last place (the 9th, a no-show) is within 14 days.
        early = await insights.at_risk(
            session, tess.id, now=dt.datetime(2026, 3, 17, tzinfo=dt.UTC)
        )
    assert [(q.user.id, q.last_class) for q in quiet] == [
        (practice["ben"].id, practice["mondays"][1])
    ]
    assert early == []


async def test_a_booking_ahead_keeps_a_quiet_client_off_the_list(db, practice):
    found = await sessions_of(db, practice["series"].id)
    ahead = next(s for s in found if s.local_date == dt.date(2026, 4, 2))
    await book(db, practice["ben"], ahead.id, now=LATER)
    async with db.reading() as session:
        assert await insights.at_risk(session, practice["tess"].id, now=LATER) == []


async def add_checkins(db, user_id: int, days: list[tuple[dt.date, int, int, int]]) -> None:
    async with db.transaction() as session:
        for day, mood, energy, pain in days:
            session.add(
                CheckIn(
                    user_id=user_id,
                    day=day,
                    mood=mood,
                    energy=energy,
                    pain=pain,
                    note=f"note {day}",
                    prompt="weekly",
                    created_at=NOW,
                    updated_at=NOW,
                )
            )


async def consent(db, user_id: int, *, shares: bool) -> None:
    async with db.transaction() as session:
        user = await session.get(User, user_id)
        user.wellbeing_consent = True
        user.trainer_sees_checkins = shares


async def test_trends_of_a_sharing_client_per_week_with_care_flags(db, practice):
    ann = practice["ann"]
    await consent(db, ann.id, shares=True)
    await add_checkins(
        db,
        ann.id,
        [
            (dt.date(2026, 3, 16), 4, 3, 2),
            (dt.date(2026, 3, 18), 2, 3, 4),
            (dt.date(2026, 3, 25), 3, 2, 8),
        ],
    )
    async with db.reading() as session:
        found = await insights.client_trends(session, practice["tess"], ann.id, now=LATER)
    assert found.shared and found.count == 3
    assert len(found.weeks) == 12
    assert (found.weeks[-2].mood, found.weeks[-2].pain) == (3.0, 3.0)
    assert found.weeks[-1].pain == 8.0 and found.weeks[0].mood is None
    assert found.latest.note == "note 2026-03-25"
    assert set(found.care) == {"high_pain", "pain_rise"}


async def test_trends_of_a_client_who_does_not_share_hold_no_health_data(db, practice):
    ben = practice["ben"]
    await consent(db, ben.id, shares=False)
    await add_checkins(db, ben.id, [(dt.date(2026, 3, 20), 1, 1, 9)])
    async with db.reading() as session:
        found = await insights.client_trends(session, practice["tess"], ben.id, now=LATER)
    assert not found.shared
    assert (found.weeks, found.latest, found.care, found.count) == ([], None, [], 0)


async def test_trends_of_another_trainers_client_are_refused(db, practice):
    other = await person(db, 2, role=Role.TRAINER)
    stranger = await person(db, 14)
    async with db.reading() as session:
        with pytest.raises(NotFound):
            await insights.client_trends(session, other, practice["ann"].id, now=LATER)
        with pytest.raises(NotFound):
            await insights.client_trends(session, practice["tess"], stranger.id, now=LATER)


async def test_practice_totals_for_admins_only(db, practice):
    admin = await person(db, 3, role=Role.ADMIN)
    async with db.reading() as session:
        totals = await insights.practice_totals(session, admin, now=LATER, zone="Europe/Berlin")
        with pytest.raises(NotAllowed):
            await insights.practice_totals(session, practice["tess"], now=LATER)
    # Ann, Ben, Cid; all three held a place in the last 28 days (Ben's no-show does not count,
    # his first Monday does).
    assert (totals.clients, totals.active) == (3, 3)
    # The week of Monday 23 March: Monday 23 and Thursday 26.
    assert totals.sessions_this_week == 2
    assert (totals.attended, totals.marked) == (6, 7)
