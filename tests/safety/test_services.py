"""The screening's 12-month life, clearance holds and the readiness outcome, against a real
database, with the clock injected."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.models import Booking, BookingState, ClassSession, Role
from bot.services import bookings, safety
from bot.services.errors import InvalidInput, NotAllowed
from tests.services.test_classes import NOW, book, new_series, person, sessions_of

HOLD = dt.timedelta(hours=48)
NO = dict.fromkeys(safety.QUESTIONS, False)
A_YES = {**NO, "heart": True}


async def screened(db, user, answers, now=NOW):
    async with db.transaction() as session:
        return await safety.record_screening(session, user, answers, now=now)


async def status_at(db, user_id, now):
    async with db.reading() as session:
        return (await safety.status(session, user_id, now=now)).state


async def test_a_screening_counts_for_12_months_and_until_health_changes(db):
    cara = await person(db, 2)
    assert await status_at(db, cara.id, NOW) == "missing"
    await screened(db, cara, NO)
    assert await status_at(db, cara.id, NOW + dt.timedelta(days=364)) == "clear"
    assert await status_at(db, cara.id, NOW + dt.timedelta(days=365)) == "missing"

    await screened(db, cara, A_YES, now=NOW + dt.timedelta(days=400))
    assert await status_at(db, cara.id, NOW + dt.timedelta(days=401)) == "pending"
    async with db.transaction() as session:
        assert await safety.health_changed(session, cara.id, now=NOW + dt.timedelta(days=402))
    assert await status_at(db, cara.id, NOW + dt.timedelta(days=403)) == "missing"


async def test_a_class_that_screens_refuses_a_booking_without_a_screening(db):
    tess = await person(db, 1, role=Role.TRAINER)
    cara = await person(db, 2)
    series = await new_series(db, tess, requires_screening=True)
    first = (await sessions_of(db, series.id))[0]
    with pytest.raises(safety.ScreeningNeeded):
        await book(db, cara, first.id)
    await screened(db, cara, A_YES)
    result = await book(db, cara, first.id)
    assert result.status == "pending_clearance"
    assert result.booking.clearance_held_since == NOW


async def held_place(db, capacity: int = 1):
    """Tess's class of `capacity`, Cara's place held for clearance, Ben (cleared) waiting."""
    tess = await person(db, 1, role=Role.TRAINER)
    cara, ben = await person(db, 2), await person(db, 3)
    series = await new_series(
        db, tess, requires_screening=True, capacity=capacity, first_date=dt.date(2026, 3, 12)
    )
    first = (await sessions_of(db, series.id))[0]  # Thu 12 March, 18:00 Berlin
    await screened(db, cara, A_YES)
    await screened(db, ben, NO)
    held = (await book(db, cara, first.id)).booking
    waiting = (await book(db, ben, first.id)).booking
    return tess, first, held, waiting


async def release_due(db, now):
    async with db.transaction() as session:
        due = await safety.expired_holds(session, now=now, hold=HOLD)
        return [await bookings.release_held(session, b, now=now, hold=HOLD) for b in due]


async def test_a_hold_is_released_after_the_hold_time_once_and_the_waitlist_moves_up(db):
    _, first, held, waiting = await held_place(db)
    assert await release_due(db, NOW + HOLD - dt.timedelta(seconds=1)) == []
    [released] = await release_due(db, NOW + HOLD)
    assert released.late is False
    assert [p.user_id for p in released.promotions] == [waiting.user_id]
    assert await release_due(db, NOW + HOLD + dt.timedelta(minutes=1)) == []
    async with db.reading() as session:
        assert (await session.get(Booking, held.id)).state == BookingState.CANCELLED
        assert (await session.get(ClassSession, first.id)).booked_count == 1
        # Releasing the same booking again changes nothing.
        assert await bookings.release_held(session, held.id, now=NOW + 2 * HOLD, hold=HOLD) is None


async def test_a_hold_ends_at_the_start_when_that_comes_sooner(db):
    _, first, held, _ = await held_place(db)
    short = dt.timedelta(days=30)
    async with db.transaction() as session:
        before = await safety.expired_holds(
            session, now=first.starts_at - dt.timedelta(seconds=1), hold=short
        )
        at_start = await safety.expired_holds(session, now=first.starts_at, hold=short)
    assert before == [] and at_start == [held.id]


async def test_clearing_confirms_the_place_and_only_the_classes_trainer_may(db):
    tess, _, held, _ = await held_place(db, capacity=2)
    otto = await person(db, 9, role=Role.TRAINER)
    async with db.transaction() as session:
        with pytest.raises(NotAllowed):
            await safety.clear(session, otto, held.id, now=NOW)
    async with db.transaction() as session:
        cleared = await safety.clear(session, tess, held.id, now=NOW + dt.timedelta(hours=1))
        assert [b.id for b, _ in cleared.confirmed] == [held.id]
    assert await release_due(db, NOW + 3 * HOLD) == []
    assert await status_at(db, held.user_id, NOW + dt.timedelta(hours=2)) == "clear"


@pytest.mark.parametrize(
    ("pain", "new", "outcome"),
    [
        (2, "none", "ok"),
        (None, "none", "ok"),
        (7, "none", "rest"),
        (0, "injury", "rest"),
        (0, "fever", "rest"),
        (0, "chest", "stop"),
        (3, "breath", "stop"),
        (9, "faint", "stop"),
    ],
)
def test_readiness_outcomes(pain, new, outcome):
    assert safety.readiness_outcome(pain, new) == outcome


async def test_a_held_place_cannot_check_itself_in(db):
    _, first, held, _ = await held_place(db)
    async with db.transaction() as session:
        with pytest.raises(InvalidInput, match="check_in_waits_for_clearance"):
            await bookings.check_in(session, held.user_id, held.id, now=first.starts_at)
