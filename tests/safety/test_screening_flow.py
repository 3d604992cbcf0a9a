"""The screening before a first booking, the held place, clearance and its expiry, through
the real bot against the fake Bot API."""

from __future__ import annotations

import datetime as dt

from bot.models import BookingState, ScreeningOutcome
from tests.classes.conftest import add_series, sessions_of
from tests.harness import book, onboard
from tests.safety.helpers import (
    NO_TO_ALL,
    answer_screening,
    booking_of,
    press_book,
    screening_class,
    screenings_of,
)


async def test_all_no_books_at_once_and_the_answers_are_kept_with_consent(
    trainer, client, db, clock
):
    tess = await trainer()
    session_id = await screening_class(db, clock, tess.id)
    cara = await client("Cara")
    intro = await press_book(cara, session_id)
    assert "7 yes/no questions" in intro.text
    assert "your trainer gets a private note" in intro.text
    assert "I keep your answers" in intro.text
    assert (await booking_of(db, cara.id, session_id)) is None  # nothing booked before

    done = await answer_screening(cara, intro, NO_TO_ALL)
    assert "Nothing in your answers stands in the way" in done.text
    assert "✅ Booked! See you on Mon 30 Nov · 17:00." in done.text
    booking = await booking_of(db, cara.id, session_id)
    assert booking.state == BookingState.CONFIRMED and not booking.pending_clearance
    [screening] = await screenings_of(db, cara.id)
    assert screening.outcome == ScreeningOutcome.CLEAR
    assert screening.answers == dict.fromkeys(screening.answers, False)
    await tess.expect_nothing(within=1.0)  # no heads-up for an all-No screening

    # The next class that screens books at once: the screening counts for 12 months.
    other = await screening_class(db, clock, tess.id, title="Knee class", start_time=dt.time(9))
    await cara.send("/classes")
    await cara.press_data(await cara.expect("Classes"), f"cl:b:{other}")
    await cara.expect_edit("You're booked.")
    assert (await booking_of(db, cara.id, other)).state == BookingState.CONFIRMED


async def test_a_class_that_does_not_screen_books_as_before(trainer, client, db, clock):
    tess = await trainer()
    target = (await sessions_of(db, await add_series(db, clock, tess.id)))[0]
    cara = await client("Cara")
    await book(cara, target.id)
    assert (await booking_of(db, cara.id, target.id)).state == BookingState.CONFIRMED
    assert await screenings_of(db, cara.id) == []


async def test_a_yes_holds_the_place_the_trainer_clears_and_the_client_is_told(
    trainer, client, db, clock
):
    tess = await trainer()
    session_id = await screening_class(db, clock, tess.id)
    cara = await client("Cara")
    done = await answer_screening(cara, await press_book(cara, session_id), "nnnnnyn")
    assert "asks for an OK from your doctor or therapist" in done.text
    assert "Your place is held for 48 hours" in done.text
    booking = await booking_of(db, cara.id, session_id)
    assert booking.pending_clearance
    [screening] = await screenings_of(db, cara.id)
    assert screening.outcome == ScreeningOutcome.CLEARANCE
    assert screening.answers["joints"] is True

    heads_up = await tess.expect("Cara booked Back care on Mon 30 Nov · 18:00", timeout=10)
    assert "asks for an OK" in heads_up.text
    assert "joint" not in heads_up.text  # the trainer is told the outcome, not the answers

    await cara.send("/mybookings")
    assert "Your place is held" in (await cara.expect("Your upcoming classes")).text

    await tess.send("/myclasses")
    overview = await tess.expect()
    await tess.press_data(overview, f"tc:s:{session_id}")
    roster = await tess.expect_edit("Roster")
    assert "🩺 Cara: waiting for clearance" in roster.text
    await tess.press(roster, "🩺 Cleared: Cara")
    question = await tess.expect_edit("Mark Cara as cleared")
    await tess.press(question, "Yes, cleared")
    roster = await tess.expect_edit("Roster")
    assert "✅ Cara" in roster.text and "waiting for clearance" not in roster.text

    told = await cara.expect("Tess has confirmed your place in Back care", timeout=10)
    assert "See you there" in told.text
    booking = await booking_of(db, cara.id, session_id)
    assert booking.state == BookingState.CONFIRMED and not booking.pending_clearance
    [screening] = await screenings_of(db, cara.id)
    assert screening.cleared_by == tess.id


async def test_another_trainer_cannot_clear(trainer, client, db, clock):
    tess, otto = await trainer("Tess"), await trainer("Otto")
    session_id = await screening_class(db, clock, tess.id)
    cara = await client("Cara")
    await answer_screening(cara, await press_book(cara, session_id), "ynnnnnn")
    booking = await booking_of(db, cara.id, session_id)
    await otto.send("/myclasses")
    query = await otto.press_data(await otto.expect(), f"tc:clry:{booking.id}")
    assert "another trainer" in (await otto.answer(query))["text"]
    assert (await booking_of(db, cara.id, session_id)).pending_clearance


async def test_without_consent_only_the_outcome_is_kept(tg, trainer, db, clock):
    tess = await trainer()
    session_id = await screening_class(db, clock, tess.id)
    nico = tg.user("Nico")
    await onboard(nico, consent=False)
    intro = await press_book(nico, session_id)
    assert "I won't keep your answers" in intro.text
    await answer_screening(nico, intro, "ynnnnnn")
    [screening] = await screenings_of(db, nico.id)
    assert screening.outcome == ScreeningOutcome.CLEARANCE
    assert screening.answers is None
    assert screening.taken_at == clock.now()


async def test_an_uncleared_hold_expires_and_the_place_goes_to_the_waitlist(
    trainer, client, db, clock
):
    tess = await trainer()
    session_id = await screening_class(db, clock, tess.id, capacity=1)
    cara, ben = await client("Cara"), await client("Ben")
    await answer_screening(cara, await press_book(cara, session_id), "ynnnnnn")
    done = await answer_screening(ben, await press_book(ben, session_id), NO_TO_ALL)
    assert "you're #1 on the waitlist" in done.text
    await tess.expect("Cara booked Back care", timeout=10)

    clock.advance(dt.timedelta(hours=47, minutes=59))
    await cara.expect_nothing(within=1.0)
    clock.advance(dt.timedelta(minutes=1, seconds=1))
    released = await cara.expect("Your held place in Back care", timeout=10)
    assert "has gone to the next person" in released.text
    await ben.expect("You're in! A place opened up in Back care", timeout=10)
    held = await booking_of(db, cara.id, session_id)
    assert held.state == BookingState.CANCELLED and held.late_cancel is False
    assert (await booking_of(db, ben.id, session_id)).state == BookingState.CONFIRMED
    await cara.expect_nothing(within=1.0)  # released and told once


async def test_my_health_changed_asks_the_screening_again(trainer, client, db, clock):
    tess = await trainer()
    session_id = await screening_class(db, clock, tess.id)
    later = await screening_class(db, clock, tess.id, title="Knee class", start_time=dt.time(9))
    cara = await client("Cara")
    await answer_screening(cara, await press_book(cara, session_id), NO_TO_ALL)
    await cara.send("/settings")
    view = await cara.expect("Your settings")
    await cara.press(view, "🩺 My health changed")
    await cara.press(await cara.expect_edit("Has your health changed"), "Yes, ask me again")
    await cara.expect_edit("the health questions come again")
    intro = await press_book(cara, later)
    await answer_screening(cara, intro, "nynnnnn")
    assert (await booking_of(db, cara.id, later)).pending_clearance
    assert len(await screenings_of(db, cara.id)) == 2


async def test_a_second_tap_or_an_old_question_changes_nothing(trainer, client, db, clock):
    tess = await trainer()
    session_id = await screening_class(db, clock, tess.id)
    knees = await screening_class(db, clock, tess.id, title="Knee class", start_time=dt.time(9))
    cara = await client("Cara")
    intro = await press_book(cara, session_id)
    await cara.press(intro, "Start the questions")
    first = await cara.expect_edit("Question 1 of 7")
    # She starts the screening for another class meanwhile: the first one's buttons are old.
    other = await press_book(cara, knees)
    await cara.press(other, "Start the questions")
    await cara.expect_edit("Question 1 of 7")
    query = await cara.press(first, "No")
    assert "no longer open" in (await cara.answer(query))["text"]
    await cara.expect_nothing(within=0.5)

    for index in range(7):
        await cara.press_data(other, f"sf:a:{knees}:{index}:n")
        last = await cara.expect_edit()
    assert "Nothing in your answers stands in the way" in last.text
    query = await cara.press_data(other, f"sf:a:{knees}:6:n")  # the last answer, tapped again
    assert "no longer open" in (await cara.answer(query))["text"]
    await cara.expect_nothing(within=0.5)
    assert (await booking_of(db, cara.id, knees)).state == BookingState.CONFIRMED
    assert (await booking_of(db, cara.id, session_id)) is None
    assert len(await screenings_of(db, cara.id)) == 1


async def test_a_place_from_the_waitlist_waits_for_clearance_too(trainer, client, db, clock):
    tess = await trainer()
    session_id = await screening_class(db, clock, tess.id, capacity=1)
    ann, cara = await client("Ann"), await client("Cara")
    await answer_screening(ann, await press_book(ann, session_id), NO_TO_ALL)
    done = await answer_screening(cara, await press_book(cara, session_id), "ynnnnnn")
    assert "When a place is yours, it waits for Tess to confirm it" in done.text
    assert "you're #1 on the waitlist" in done.text
    await tess.expect_nothing(within=1.0)  # nobody holds a place yet

    await ann.send("/mybookings")
    await ann.press(await ann.expect("Your upcoming classes"), "Cancel Mon 30 Nov · 17:00")
    await ann.press(await ann.expect("Cancel your place"), "Yes, cancel my place")
    await ann.expect_edit("Cancelled.")
    promoted = await cara.expect("You're in!", timeout=10)
    assert "Your place is held until your trainer confirms it" in promoted.text
    await tess.expect("Cara got a place in Back care on Mon 30 Nov · 18:00 from the waitlist")
    assert (await booking_of(db, cara.id, session_id)).pending_clearance
