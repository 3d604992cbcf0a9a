"""A question the bot asked ends when the person leaves it: Keep / Back / Cancel, another
command, another screen, or time. Text sent afterwards changes nothing, and text never
cancels or changes a class by itself: a confirmation that spells out the consequence comes
first.

Each test opens a typed question, leaves it the way a person would, then sends ordinary text
and checks that nothing happened: not in the database, not to anyone else.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from bot.models import Broadcast, CheckIn, ClassSession, OutboxMessage, SessionState, User
from tests.classes.conftest import add_series, sessions_of
from tests.harness import book

NOT_UNDERSTOOD = "I'm not sure what you mean"


async def queued_for(db, chat_id: int) -> int:
    async with db.reading() as session:
        return await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.chat_id == chat_id)
        )


async def stored_session(db, session_id: int) -> ClassSession:
    async with db.reading() as session:
        return await session.get(ClassSession, session_id)


async def open_session(tess, session_label: str = "Mon 30 Nov · 18:00 Back care"):
    await tess.send("/myclasses")
    await tess.press(await tess.expect("Your classes"), session_label)
    return await tess.expect_edit("Roster")


async def ask_change(tess, field: str, scope: str = "This session"):
    """Open the session, then Change → `field` → `scope`; return the typed question."""
    view = await open_session(tess)
    await tess.press(view, "Change")
    await tess.press(await tess.expect_edit("What should change?"), field)
    await tess.press(await tess.expect_edit("Only this session"), scope)
    return await tess.expect_edit("Send the new")


async def class_with_people(trainer, client, db, clock):
    tess = await trainer()
    series_id = await add_series(db, clock, tess.id, capacity=1)
    target = (await sessions_of(db, series_id))[0]
    ann, ben = await client("Ann"), await client("Ben")
    await book(ann, target.id)
    await book(ben, target.id)  # waitlisted
    return tess, target, (ann, ben)


async def assert_nobody_told(db, people) -> None:
    for person in people:
        await person.expect_nothing(within=0.6)
        assert await queued_for(db, person.id) == 0


async def test_keep_the_session_then_ordinary_text_cancels_nothing(trainer, client, db, clock):
    tess, target, people = await class_with_people(trainer, client, db, clock)
    view = await open_session(tess)
    await tess.press(view, "Cancel this session")
    ask = await tess.expect_edit("Send the reason to pass on")
    await tess.press(ask, "Keep the session")
    await tess.expect_edit("Roster")

    await tess.send("thanks, see you all there")
    await tess.expect(NOT_UNDERSTOOD)
    assert (await stored_session(db, target.id)).state == SessionState.SCHEDULED
    await assert_nobody_told(db, people)


async def test_leaving_a_location_question_by_command_changes_nothing(trainer, client, db, clock):
    tess, target, people = await class_with_people(trainer, client, db, clock)
    await ask_change(tess, "Location")

    await open_session(tess)  # /myclasses and the session again
    await tess.send("ok thanks, all good")
    await tess.expect(NOT_UNDERSTOOD)
    assert (await stored_session(db, target.id)).location == "Studio 2"
    await assert_nobody_told(db, people)


async def test_keep_it_as_it_is_ends_a_change_question(trainer, client, db, clock):
    tess, target, people = await class_with_people(trainer, client, db, clock)
    question = await ask_change(tess, "Time")
    await tess.press(question, "« Keep it as it is")
    await tess.expect_edit("Roster")

    await tess.send("17:30")
    await tess.expect(NOT_UNDERSTOOD)
    assert (await stored_session(db, target.id)).starts_at == target.starts_at
    await assert_nobody_told(db, people)


async def test_a_typed_location_needs_confirmation_and_keep_drops_it(trainer, client, db, clock):
    tess, target, people = await class_with_people(trainer, client, db, clock)
    await ask_change(tess, "Location")
    await tess.send("Room 4, second floor")
    confirm = await tess.expect(
        "Move Back care on Mon 30 Nov · 18:00 to a new place and tell 1 booked person?"
    )
    assert "📍 «Room 4, second floor»" in confirm.text
    assert (await stored_session(db, target.id)).location == "Studio 2"

    await tess.press(confirm, "« Keep it as it is")
    await tess.expect_edit("Roster")
    # The old confirmation's Yes is no longer valid: the held answer went with the screen.
    query = await tess.press(confirm, "Yes, change it")
    await tess.answer(query)
    await tess.expect_edit("That confirmation has closed, so nothing was changed.")
    assert (await stored_session(db, target.id)).location == "Studio 2"
    await assert_nobody_told(db, people)


async def test_a_confirmed_location_change_tells_the_booked_once(trainer, client, db, clock):
    tess, target, (ann, _ben) = await class_with_people(trainer, client, db, clock)
    await ask_change(tess, "Location")
    await tess.send("Room 4")
    confirm = await tess.expect("to a new place and tell 1 booked person?")
    await tess.press(confirm, "Yes, change it")
    await tess.expect("📍 Location of this session changed; 1 booked person is being told.")
    await ann.expect("Room 4")
    assert (await stored_session(db, target.id)).location == "Room 4"
    # Pressing Yes again does nothing more.
    query = await tess.press(confirm, "Yes, change it")
    await tess.answer(query)
    await tess.expect_edit("That confirmation has closed")
    await ann.expect_nothing(within=0.6)


async def test_a_cancellation_reason_is_confirmed_before_anyone_is_told(trainer, client, db, clock):
    tess, target, people = await class_with_people(trainer, client, db, clock)
    view = await open_session(tess)
    await tess.press(view, "Cancel this session")
    await tess.expect_edit("Send the reason to pass on")
    await tess.send("thanks, see you all there")
    confirm = await tess.expect("Cancel Back care on Mon 30 Nov · 18:00 and tell 2 people")
    assert "«thanks, see you all there»" in confirm.text
    assert (await stored_session(db, target.id)).state == SessionState.SCHEDULED
    await assert_nobody_told(db, people)

    # A command instead of a button: the held reason is dropped, the old Yes is refused.
    await tess.send("/help")
    await tess.expect("Here is what I can do")
    query = await tess.press(confirm, "Yes, cancel and tell 2")
    await tess.answer(query)
    await tess.expect_edit("That confirmation has closed")
    assert (await stored_session(db, target.id)).state == SessionState.SCHEDULED
    await assert_nobody_told(db, people)


async def test_an_old_question_closes_by_itself(trainer, client, db, clock):
    tess, target, people = await class_with_people(trainer, client, db, clock)
    view = await open_session(tess)
    await tess.press(view, "Cancel this session")
    await tess.expect_edit("Send the reason to pass on")
    clock.advance(dt.timedelta(hours=3))
    await tess.send("sorry, was away. all fine!")
    await tess.expect("My last question was a while ago, so I've closed it and changed nothing.")
    assert (await stored_session(db, target.id)).state == SessionState.SCHEDULED
    await tess.send("and another message")
    await tess.expect(NOT_UNDERSTOOD)
    await assert_nobody_told(db, people)


async def test_broadcast_question_ends_on_cancel_and_on_another_command(trainer, client, db, clock):
    tess, _target, people = await class_with_people(trainer, client, db, clock)
    for leave in ("button", "command"):
        await tess.send("/broadcast")
        choose = await tess.expect("Who should receive your message?")
        await tess.press(choose, choose.button_texts[0])
        question = await tess.expect_edit("Send me the message for")
        if leave == "button":
            await tess.press(choose, "✖️ Cancel")
            await tess.expect_edit("Cancelled. Nothing was sent.")
        else:
            await tess.send("/classes")
            await tess.expect("Classes")
        await tess.send("Class moved to the big hall!")
        await tess.expect(NOT_UNDERSTOOD)
        assert question.text
    async with db.reading() as session:
        assert await session.scalar(select(func.count()).select_from(Broadcast)) == 0
    await assert_nobody_told(db, people)


async def test_addtip_and_newclass_questions_end_on_another_command(trainer, db):
    tess = await trainer()
    await tess.send("/addtip")
    await tess.expect("A short title?")
    await tess.send("/myclasses")
    await tess.expect("You have no classes yet.")
    await tess.send("Hello there")
    await tess.expect(NOT_UNDERSTOOD)

    await tess.send("/newclass")
    await tess.expect("What is the class called?")
    await tess.send("/help")
    await tess.expect("Here is what I can do")
    await tess.send("Yoga for everyone")
    await tess.expect(NOT_UNDERSTOOD)
    async with db.reading() as session:
        user = await session.get(User, tess.id)
    assert "title" not in user.draft["addtip"]
    assert "title" not in user.draft["newclass"]

    # The drafts are kept: /newclass offers to continue where the trainer left off.
    await tess.send("/newclass")
    resume = await tess.expect("You have a new class in progress")
    await tess.press(resume, "▶️ Continue")
    await tess.expect("What is the class called?")
    await tess.send("Yoga for everyone")
    await tess.expect("A short description")


async def test_checkin_note_question_ends_on_another_command(client, db):
    cara = await client("Cara")
    await cara.send("/checkin")
    await cara.press(await cara.expect("How is your mood today?"), "3")
    await cara.press(await cara.expect_edit("And your energy?"), "3")
    await cara.press(await cara.expect_edit("Any pain right now?"), "4")
    await cara.expect_edit("Anything you'd like to add?")
    await cara.send("/classes")
    await cara.expect("no classes in the next two weeks")
    await cara.send("my knee hurts after the stairs")
    await cara.expect(NOT_UNDERSTOOD)
    async with db.reading() as session:
        assert await session.scalar(select(func.count()).select_from(CheckIn)) == 0


async def test_typed_time_zone_question_ends_on_another_command(client, db):
    cara = await client("Cara")
    await cara.send("/settings")
    settings = await cara.expect("Your settings")
    await cara.press(settings, "Change time zone")
    zones = await cara.expect("Which time zone are you in?")
    await cara.press(zones, "🔎 Type a city or zone name")
    await cara.expect("Type the name of your city")
    await cara.send("/help")
    await cara.expect("Here is what I can do")
    await cara.send("Tokyo")
    await cara.expect(NOT_UNDERSTOOD)
    async with db.reading() as session:
        assert (await session.get(User, cara.id)).timezone == "Europe/London"
