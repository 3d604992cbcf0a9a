"""The class-day readiness check, through the real bot: pain 0-10, anything new, the advice,
the cancel without a late-cancel mark, the ⚠️ on the roster and the trainer's heads-up only
with the client's permission."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.models import BookingState, ClassSession, OutboxMessage
from bot.services import users
from tests.safety.helpers import (
    NO_TO_ALL,
    answer_screening,
    booking_of,
    press_book,
    screening_class,
)


async def ready_client(client, db, clock, session_id: int, name: str, *, shares: bool):
    """A client booked (screening all No) on the session; `shares`: the trainer may see
    their check-ins."""
    person = await client(name)
    await answer_screening(person, await press_book(person, session_id), NO_TO_ALL)
    async with db.transaction() as session:
        await users.set_checkin_choices(session, person.id, trainer_sees=shares, now=clock.now())
    return person


async def starts_at(db, session_id: int) -> dt.datetime:
    async with db.reading() as session:
        return (await session.get(ClassSession, session_id)).starts_at


async def test_a_red_flag_stops_offers_the_free_cancel_and_flags_the_roster(
    trainer, client, db, clock
):
    tess = await trainer()
    # Late cancels within 4 h: the readiness check (3 h before) falls inside the window.
    session_id = await screening_class(db, clock, tess.id, late_cancel_minutes=240)
    cara = await ready_client(client, db, clock, session_id, "Cara", shares=True)

    clock.set(await starts_at(db, session_id) - dt.timedelta(hours=3) + dt.timedelta(seconds=5))
    check = await cara.expect_until("how is your pain right now?", timeout=10)
    assert check.button_texts[:11] == [str(n) for n in range(11)]
    assert "it never stops you from coming" in check.text
    await cara.press(check, "3")
    new = await cara.expect_edit("Anything new since your last class?")
    await cara.press(new, "Chest pain or pressure")
    advice = await cara.expect_edit("Please don't come to class today")
    assert "call your local emergency number" in advice.text  # the check-in's wording
    assert "no late-cancel mark" in advice.text

    heads_up = await tess.expect("⚠️ Cara noted a warning sign", timeout=10)
    assert "chest" not in heads_up.text.lower()
    await tess.send("/myclasses")
    await tess.press_data(await tess.expect(), f"tc:s:{session_id}")
    assert "✅ Cara ⚠️" in (await tess.expect_edit("Roster")).text

    await cara.press(advice, "Cancel my place today")
    await cara.expect_edit("Cancelled, with no late-cancel mark.")
    booking = await booking_of(db, cara.id, session_id)
    assert booking.state == BookingState.CANCELLED and booking.late_cancel is False
    assert (booking.readiness_flag, booking.readiness_pain, booking.readiness_new) == (
        "stop",
        3,
        "chest",
    )


async def test_without_sharing_the_trainer_sees_nothing(trainer, client, db, clock):
    tess = await trainer()
    session_id = await screening_class(db, clock, tess.id)
    ben = await ready_client(client, db, clock, session_id, "Ben", shares=False)

    clock.set(await starts_at(db, session_id) - dt.timedelta(hours=3) + dt.timedelta(seconds=5))
    check = await ben.expect_until("how is your pain right now?", timeout=10)
    await ben.press(check, "8")
    await ben.press(await ben.expect_edit("Anything new"), "Nothing new")
    advice = await ben.expect_edit("Today it is wiser to rest")
    await ben.press(advice, "Keep my place")
    await ben.expect_edit("your place stands")

    await tess.expect_nothing(within=1.5)
    await tess.send("/myclasses")
    await tess.press_data(await tess.expect(), f"tc:s:{session_id}")
    roster = await tess.expect_edit("Roster")
    assert "✅ Ben" in roster.text and "⚠️" not in roster.text
    async with db.reading() as session:
        kinds = list(
            await session.scalars(
                select(OutboxMessage.kind).where(OutboxMessage.chat_id == tess.id)
            )
        )
    assert "readiness_heads_up" not in kinds
    assert (await booking_of(db, ben.id, session_id)).state == BookingState.CONFIRMED


async def test_skipping_is_fine_and_the_check_can_be_turned_off(trainer, client, db, clock):
    tess = await trainer()
    session_id = await screening_class(db, clock, tess.id)
    ann = await ready_client(client, db, clock, session_id, "Ann", shares=True)
    dan = await ready_client(client, db, clock, session_id, "Dan", shares=True)
    await dan.send("/settings")
    await dan.press(await dan.expect("Your settings"), "🌤 Readiness check off")
    assert "Readiness check before a class: off" in (await dan.expect_edit()).text

    clock.set(await starts_at(db, session_id) - dt.timedelta(hours=3) + dt.timedelta(seconds=5))
    check = await ann.expect_until("how is your pain right now?", timeout=10)
    await ann.press(check, "Skip")
    await ann.expect_edit("No problem. See you in class.")
    await dan.expect("⏰ Reminder: Back care", timeout=10)  # the reminder, and no check
    await dan.expect_nothing(within=1.0)
    assert (await booking_of(db, ann.id, session_id)).state == BookingState.CONFIRMED
