"""Trainers run their classes: rosters, attendance, cancelling, changes, ending a series."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.models import Attendance, Booking, ClassSession, SessionState
from tests.classes.conftest import add_series, sessions_of
from tests.harness import book


async def test_my_classes_roster_and_cancelling_with_a_reason(trainer, client, db, clock):
    tess = await trainer()
    series_id = await add_series(db, clock, tess.id, capacity=2)
    target = (await sessions_of(db, series_id))[0]
    ann, ben, cid = await client("Ann"), await client("Ben", zone="New York"), await client("Cid")
    for person in (ann, ben, cid):
        await book(person, target.id)

    await tess.send("/myclasses")
    overview = await tess.expect("Your classes")
    assert "Back care – Mon, Thu 18:00 (Europe/Berlin), 2 places" in overview.text
    assert "Mon 30 Nov · 18:00 · Back care · 2/2 booked, 1 waiting" in overview.text
    await tess.press(overview, "Mon 30 Nov · 18:00 Back care")
    view = await tess.expect_edit("Roster")
    assert "✅ Ann" in view.text and "✅ Ben" in view.text
    assert "⏳ #1 Cid" in view.text
    assert "📋 Mark attendance" not in view.button_texts  # not before the session

    await tess.press(view, "Cancel this session")
    ask = await tess.expect_edit(
        "Cancel Back care on Mon 30 Nov · 18:00? 2 booked and 1 on the waitlist"
    )
    assert ask.button_texts == ["Cancel without a reason", "Keep the session"]
    await tess.send("The studio is flooded, sorry!")
    confirm = await tess.expect(
        "Cancel Back care on Mon 30 Nov · 18:00 and tell 3 people, with your reason?"
    )
    assert "«The studio is flooded, sorry!»" in confirm.text
    async with db.reading() as session:
        assert (await session.get(ClassSession, target.id)).state == SessionState.SCHEDULED
    await tess.press(confirm, "Yes, cancel and tell 3")
    await tess.expect("❌ Cancelled. 3 people are being told, with your reason.")
    for person, when in (
        (ann, "Mon 30 Nov · 17:00"),
        (ben, "Mon 30 Nov · 12:00"),
        (cid, "Mon 30 Nov · 17:00"),
    ):
        notice = await person.expect(f"❌ Back care with Tess on {when} is cancelled.")
        assert "Reason: The studio is flooded, sorry!" in notice.text
    async with db.reading() as session:
        found = await session.get(ClassSession, target.id)
    assert found.state == SessionState.CANCELLED


async def test_changing_time_for_following_sessions_tells_the_booked(trainer, client, db, clock):
    tess = await trainer()
    series_id = await add_series(db, clock, tess.id)
    found = await sessions_of(db, series_id)
    ann = await client("Ann")
    await book(ann, found[1].id)  # Thursday 3 December
    await tess.send("/myclasses")
    overview = await tess.expect("Your classes")
    await tess.press(overview, "Mon 30 Nov · 18:00 Back care")
    view = await tess.expect_edit("Roster")
    await tess.press(view, "Change")
    fields = await tess.expect_edit("What should change?")
    await tess.press(fields, "Time")
    scope = await tess.expect_edit("Only this session, or this and all following")
    await tess.press(scope, "This and all following")
    await tess.expect_edit("Send the new local start time")
    await tess.send("25:61")
    await tess.expect("is not a time of day")
    await tess.send("17:30")
    confirm = await tess.expect("Move Back care from Mon 30 Nov · 18:00 on (16 sessions)")
    assert "to start at 17:30 (Europe/Berlin) and tell 1 booked person?" in confirm.text
    await tess.press(confirm, "Yes, change it")
    await tess.expect("now start at 17:30; 1 booked person is being told.")
    moved = await ann.expect(
        "🔄 Back care with Tess has moved: it is now on Thursday 3 December, 16:30–17:30"
    )
    assert "(it was Thu 3 Dec · 17:00)" in moved.text
    assert moved.button_texts == ["Can't make it"]
    after = await sessions_of(db, series_id)
    assert {s.starts_at.hour for s in after} == {16}  # 17:30 Berlin is 16:30 UTC in winter


async def test_capacity_raise_promotes_and_lowering_below_booked_is_refused(
    trainer, client, db, clock
):
    tess = await trainer()
    series_id = await add_series(db, clock, tess.id, capacity=1)
    target = (await sessions_of(db, series_id))[0]
    ann, ben = await client("Ann"), await client("Ben")
    await book(ann, target.id)
    await book(ben, target.id)
    await tess.send("/myclasses")
    await tess.press(await tess.expect("Your classes"), "Mon 30 Nov · 18:00 Back care")
    view = await tess.expect_edit("Roster")
    await tess.press(view, "Change")
    await tess.press(await tess.expect_edit("What should change?"), "Capacity")
    await tess.press(await tess.expect_edit("Only this session"), "This session")
    await tess.expect_edit("Send the new number of places")
    await tess.send("0")
    await tess.expect("must be from 1 to 500")
    await tess.send("2")
    confirm = await tess.expect("Set the places of Back care on Mon 30 Nov · 18:00 to 2?")
    assert "People on the waitlist get any new places and are told." in confirm.text
    await tess.press(confirm, "Yes, change it")
    await tess.expect("Capacity of this session is now 2. 1 from the waitlist got a place")
    await ben.expect("🎉 You're in!")

    await tess.send("/myclasses")
    await tess.press(await tess.expect("Your classes"), "Mon 30 Nov · 18:00 Back care")
    await tess.press(await tess.expect_edit("Roster"), "Change")
    await tess.press(await tess.expect_edit("What should change?"), "Capacity")
    await tess.press(await tess.expect_edit("Only this session"), "This session")
    await tess.expect_edit("Send the new number")
    await tess.send("1")
    await tess.expect("Already booked: 2, so the capacity can't go below 2.")
    assert (await sessions_of(db, series_id))[0].capacity == 2


async def test_attendance_marking_and_counts(trainer, client, db, clock):
    tess = await trainer()
    series_id = await add_series(db, clock, tess.id)
    target = (await sessions_of(db, series_id))[0]
    ann, ben = await client("Ann"), await client("Ben")
    await book(ann, target.id)
    await book(ben, target.id)
    clock.set(target.starts_at + dt.timedelta(minutes=30))
    await tess.send("/myclasses")
    overview = await tess.expect("Your classes")
    async with db.reading() as session:
        ids = dict((await session.execute(select(Booking.user_id, Booking.id))).all())
    # The session has started, so it is no longer in the upcoming list; open it directly.
    await tess.press_data(overview, f"tc:s:{target.id}")
    view = await tess.expect_edit("Roster")
    await tess.press(view, "Mark attendance")
    sheet = await tess.expect_edit("Attendance")
    await tess.press(sheet, "✅ Ann")
    sheet = await tess.expect_edit("✅ Ann")
    await tess.press(sheet, "❌ Ben")
    sheet = await tess.expect_edit("❌ Ben")
    await tess.press(sheet, "✅ Ben")  # changed their mind: Ben came late
    await tess.expect_edit("✅ Ben")
    async with db.reading() as session:
        marks = {b.user_id: b.attendance for b in await session.scalars(select(Booking))}
    assert marks == {ann.id: Attendance.ATTENDED, ben.id: Attendance.ATTENDED}

    await tess.press_data(overview, f"tc:ser:{series_id}")
    stats = await tess.expect_edit("Attendance")
    assert "2 of 2 marked places (100%)" in stats.text
    assert "Ann: came 1 of 1" in stats.text

    clock.set(target.ends_at + dt.timedelta(hours=49))
    query = await tess.press_data(overview, f"tc:m:{ids[ann.id]}:n")
    assert "48 hours" in (await tess.answer(query))["text"]


async def test_ending_a_series(trainer, client, db, clock):
    tess = await trainer()
    series_id = await add_series(db, clock, tess.id)
    target = (await sessions_of(db, series_id))[2]
    ann = await client("Ann")
    await book(ann, target.id)
    await tess.send("/myclasses")
    await tess.press(await tess.expect("Your classes"), "⚙️ Back care")
    series = await tess.expect_edit("⚙️ Back care")
    await tess.press(series, "End this series")
    await tess.press(await tess.expect_edit("End Back care?"), "Yes, end it")
    await tess.expect_edit(
        "The series has ended. 16 upcoming sessions cancelled; 1 person will be told."
    )
    await ann.expect("is cancelled.\nReason: This class has ended.")
    await tess.send("/myclasses")
    await tess.expect("You have no classes yet.")


async def test_forged_trainer_buttons_are_refused(trainer, client, db, clock):
    tess = await trainer()
    other = await trainer("Otto")
    series_id = await add_series(db, clock, tess.id)
    target = (await sessions_of(db, series_id))[0]
    ann = await client("Ann")
    await book(ann, target.id)
    async with db.reading() as session:
        booking_id = await session.scalar(select(Booking.id))

    await ann.send("/mybookings")
    own = await ann.expect()
    for data in (f"tc:s:{target.id}", f"tc:cxy:{target.id}", f"tc:m:{booking_id}:n"):
        query = await ann.press_data(own, data)
        assert "only trainers" in (await ann.answer(query))["text"]

    await other.send("/myclasses")
    theirs = await other.expect()
    for data in (
        f"tc:s:{target.id}",
        f"tc:cxy:{target.id}",
        f"tc:endy:{series_id}",
        f"tc:ser:{series_id}",
    ):
        query = await other.press_data(theirs, data)
        assert "another trainer's class" in (await other.answer(query))["text"]
    async with db.reading() as session:
        found = await session.get(ClassSession, target.id)
    assert found.state == SessionState.SCHEDULED
    assert found.booked_count == 1
