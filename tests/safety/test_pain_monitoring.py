"""The pain-monitoring model after a class, through the real bot: exercise pain in the
after-class check-in, the next-morning question at the tip hour, its two outcomes, and what
the trainer (with consent) and the client see in /clients and /progress."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot.models import Booking, CheckIn, ClassSession
from bot.services import bookings, users
from tests import harness
from tests.classes.conftest import add_series, sessions_of
from tests.harness import book


@pytest.fixture
def bot_settings(tg, database_url, admin_id):
    """The community tick (check-in prompts, the next-morning question) runs fast here."""
    return harness.test_settings(
        tg.api_url, database_url, admin_ids=frozenset({admin_id}), tip_tick_seconds=0.2
    )


async def attended_class(trainer, client, db, clock, *, shares: bool):
    """Tess's class on Monday 30 November (17:00 UTC); Cara booked, came, and lets the
    trainer see her check-ins if `shares`. Her tips are off (the tick runs fast here)."""
    tess = await trainer()
    target: ClassSession = (await sessions_of(db, await add_series(db, clock, tess.id)))[0]
    cara = await client("Cara")
    await book(cara, target.id)
    async with db.transaction() as session:
        await users.set_checkin_choices(session, cara.id, trainer_sees=shares, now=clock.now())
        (await users.get_user(session, cara.id)).tip_frequency = "off"
        booking = await session.scalar(select(Booking).where(Booking.user_id == cara.id))
        await bookings.check_in(session, cara.id, booking.id, now=target.starts_at)
    return tess, cara, target


async def after_class_checkin(cara, clock, target: ClassSession, exercise_pain: int):
    """The invitation an hour after the class, and the check-in with the exercise pain."""
    clock.set(target.ends_at + dt.timedelta(hours=1, minutes=1))
    prompt = await cara.expect_until("How do you feel after Back care?", timeout=10)
    await cara.press(prompt, "Check in now")
    await cara.press(await cara.expect("1/4"), "4")
    await cara.press(await cara.expect_edit("2/4"), "3")
    await cara.press(await cara.expect_edit("3/4"), "2")
    question = await cara.expect_edit("how much pain did the exercises cause")
    assert question.button_texts == [str(n) for n in range(11)]
    await cara.press(question, str(exercise_pain))
    await cara.press(await cara.expect_edit("4/4"), "Skip")
    return await cara.expect("Thanks, your check-in is saved")


async def stored(db, user_id: int) -> CheckIn:
    async with db.reading() as session:
        return await session.scalar(select(CheckIn).where(CheckIn.user_id == user_id))


async def test_too_much_pain_in_class_and_worse_next_morning(trainer, client, db, clock):
    tess, cara, target = await attended_class(trainer, client, db, clock, shares=True)
    saved = await after_class_checkin(cara, clock, target, exercise_pain=7)
    assert "Pain above 5 out of 10 during exercise means the load was a bit too much" in saved.text
    assert "tell your trainer" in saved.text

    # The next morning at her tip hour (10:00 in London), not before.
    clock.set(dt.datetime(2026, 12, 1, 9, 50, tzinfo=dt.UTC))
    await cara.expect_nothing(within=1.0)
    clock.set(dt.datetime(2026, 12, 1, 10, 0, 5, tzinfo=dt.UTC))
    morning = await cara.expect("how is your pain this morning?", timeout=10)
    await cara.press(morning, "3")
    worse = await cara.expect_edit("are pain or stiffness worse this morning?")
    await cara.press(worse, "Yes, worse")
    reply = await cara.expect_edit("the load was a bit too much")
    assert "Please tell your trainer before your next class" in reply.text
    checkin = await stored(db, cara.id)
    assert (checkin.exercise_pain, checkin.morning_pain, checkin.morning_worse) == (7, 3, True)

    await tess.send("/clients")
    clients = await tess.expect("Check-ins of clients who share them with you")
    assert "exercise pain 7/10; next morning 3/10: ⚠️ the load was too much" in clients.text
    await cara.expect_nothing(within=1.0)  # asked once


async def test_acceptable_pain_that_settles_and_the_trainer_without_consent(
    trainer, client, db, clock
):
    tess, cara, target = await attended_class(trainer, client, db, clock, shares=False)
    saved = await after_class_checkin(cara, clock, target, exercise_pain=4)
    assert "Pain up to 5 out of 10 during exercise is fine" in saved.text

    clock.set(dt.datetime(2026, 12, 1, 10, 0, 5, tzinfo=dt.UTC))
    morning = await cara.expect("how is your pain this morning?", timeout=10)
    await cara.press(morning, "1")
    await cara.press(await cara.expect_edit("worse this morning?"), "No, it has settled")
    await cara.expect_edit("the load suits you: keep going as you are")

    await cara.send("/progress")
    progress = await cara.expect()
    assert "exercise pain 4/10; next morning 1/10: the load suited" in progress.text

    await tess.send("/clients")
    clients = await tess.expect("Check-ins of clients who share them with you")
    assert "exercise pain" not in clients.text
    assert "1 of your clients keeps their check-ins private" in clients.text
