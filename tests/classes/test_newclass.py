"""/newclass as a trainer goes through it: buttons, typed answers, mistakes, a restart."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.models import ClassSeries, ClassSession
from tests.harness import running_bot


async def series_count(db) -> int:
    async with db.reading() as session:
        return await session.scalar(select(func.count()).select_from(ClassSeries))


async def test_a_weekly_class_with_buttons_and_typed_answers(trainer, db):
    tess = await trainer()
    await tess.send("/newclass")
    await tess.expect("What is the class called?")
    await tess.send("Back care")
    await tess.press(await tess.expect("A short description"), "Skip")
    await tess.press(await tess.expect("weekly class or a one-off"), "Weekly")
    days = await tess.expect("On which weekdays?")
    await tess.press(days, "Mon")
    days = await tess.expect_edit("On which weekdays?")
    assert "✅ Mon" in days.button_texts
    await tess.press(days, "Thu")
    days = await tess.expect_edit()
    await tess.press(days, "Done")
    await tess.expect("At what local time")
    await tess.send("18:00")
    await tess.press(await tess.expect("How long is it?"), "1 h")
    await tess.send("12")  # capacity typed
    await tess.expect("How many places?")
    await tess.expect("Where does it take place?")
    await tess.send("Studio 2, Main Street 1")
    zone = await tess.expect("Which time zone are the class times in?")
    assert "Europe/Berlin" in zone.text
    await tess.press(zone, "Keep")
    first = await tess.expect("On which date is the first session?")
    assert first.button_texts[0] == "Mon 30 Nov"  # only the chosen weekdays are offered
    await tess.press(first, "Mon 30 Nov")
    await tess.press(await tess.expect("Is there a last date?"), "No end date")
    await tess.press(await tess.expect("Late cancels"), "2 h")
    summary = await tess.expect("Please check the new class")
    assert "weekly on Mon, Thu at 18:00 (Europe/Berlin), 1 h" in summary.text
    assert "12 places" in summary.text
    assert "within 2 h of the start" in summary.text
    assert await series_count(db) == 0  # nothing saved before Confirm

    await tess.press(summary, "Confirm")
    done = await tess.expect("Back care is saved: 16 sessions scheduled so far.")
    assert "/classes" in done.text
    async with db.reading() as session:
        found = list(await session.scalars(select(ClassSession).order_by(ClassSession.starts_at)))
    assert len(found) == 16
    berlin = [s.starts_at.astimezone(ZoneInfo("Europe/Berlin")) for s in found]
    assert {t.strftime("%a %H:%M") for t in berlin} == {"Mon 18:00", "Thu 18:00"}
    assert found[0].capacity == 12


async def test_mistakes_get_the_reason_and_the_same_question(trainer, db):
    tess = await trainer()
    await tess.send("/newclass")
    await tess.expect("What is the class called?")
    await tess.send("Knee school")
    await tess.send("Gentle strength for knees.")
    await tess.expect("A short description")
    kind = await tess.expect("weekly class or a one-off")
    await tess.send("weekly please")  # free text where a button is expected
    await tess.expect("Please choose one of the buttons above.")
    await tess.press(kind, "One-off")
    await tess.expect_edit()
    await tess.expect("At what local time")
    await tess.send("25:00")
    again = await tess.expect("“25:00” is not a time of day")
    assert "At what local time" in again.text
    await tess.send("9:30")
    await tess.expect("How long is it?")
    await tess.send("0")
    await tess.expect("The duration in minutes must be from 5 to 480; 0 is not.")
    await tess.send("45")
    await tess.expect("How many places?")
    await tess.send("0")
    await tess.expect("The number of places must be from 1 to 500; 0 is not.")
    await tess.send("501")
    await tess.expect("must be from 1 to 500; 501 is not.")
    await tess.send("8")
    await tess.expect("Where does it take place?")
    await tess.send("https://meet.example.org/knees")
    await tess.send("Atlantis")
    await tess.expect("Which time zone")
    await tess.expect("I couldn't find one time zone for “Atlantis”.")
    await tess.send("Vienna")
    await tess.expect("On which date is the first session?")
    await tess.send("2020-01-01")
    await tess.expect("That date is in the past.")
    await tess.send("31.12.2026")
    late = await tess.expect("Late cancels")  # a one-off has no last date
    await tess.press(late, "No window")
    summary = await tess.expect("Please check the new class")
    assert "once, on Thu 31 Dec 2026 at 09:30 (Europe/Vienna), 45 min" in summary.text
    assert "Late cancel: no window" in summary.text
    assert await series_count(db) == 0


async def test_last_date_before_first_and_changing_an_answer(trainer, db):
    tess = await trainer()
    await tess.send("/newclass")
    await tess.expect("What is the class called?")
    await tess.send("Pilates")
    await tess.press(await tess.expect("A short description"), "Skip")
    await tess.press(await tess.expect("weekly class"), "Weekly")
    days = await tess.expect("On which weekdays?")
    await tess.press(days, "Done")
    days = await tess.expect("Please choose at least one weekday.")
    assert "On which weekdays?" in days.text
    await tess.press(days, "Wed")
    await tess.press(await tess.expect_edit(), "Done")
    await tess.send("7pm")
    await tess.expect("At what local time")
    await tess.press(await tess.expect("How long"), "45 min")
    await tess.press(await tess.expect("How many places"), "10")
    await tess.send("Hall B")
    await tess.expect("Where does it take place")
    await tess.press(await tess.expect("Which time zone"), "Keep")
    await tess.send("2026-12-03")  # a Thursday
    await tess.expect("On which date is the first session?")
    await tess.expect("The first date must be one of the class's weekdays (Wed).")
    await tess.send("2026-12-02")
    await tess.expect("Is there a last date?")
    await tess.send("2026-11-30")
    await tess.expect("The last date is before the first date.")
    await tess.send("2027-01-27")
    await tess.press(await tess.expect("Late cancels"), "2 h")
    summary = await tess.expect("Please check the new class")
    assert "until 27 Jan 2027" in summary.text

    await tess.press(summary, "Change something")
    fields = await tess.expect_edit("What would you like to change?")
    await tess.press(fields, "Places")
    await tess.expect("How many places?")
    await tess.send("14")
    summary = await tess.expect("Please check the new class")
    assert "14 places" in summary.text
    await tess.press(summary, "Confirm")
    await tess.expect("Pilates is saved: 8 sessions scheduled so far.")


async def test_cancel_saves_nothing_and_old_buttons_say_so(trainer, db):
    tess = await trainer()
    await tess.send("/newclass")
    await tess.send("Yoga")
    await tess.expect("What is the class called?")
    description = await tess.expect("A short description")
    await tess.send("/cancel")
    await tess.expect("OK, cancelled")
    query = await tess.press(description, "Skip")
    await tess.answer(query)
    await tess.expect_edit("This class draft is gone")
    assert await series_count(db) == 0


async def test_the_flow_survives_a_restart(bot_settings, db, clock, tg):
    from tests.harness import onboard

    tess = tg.user("Tess", language_code="en")
    async with running_bot(bot_settings, db, clock):
        await onboard(tess, zone="Berlin")
        from bot.models import Role
        from bot.services import users

        async with db.transaction() as session:
            (await users.get_user(session, tess.id)).role = Role.TRAINER
        await tess.send("/newclass")
        await tess.expect("What is the class called?")
        await tess.send("Back care")
        description = await tess.expect("A short description")
    # The bot restarts in the middle of the flow; the draft is kept with the trainer.
    async with running_bot(bot_settings, db, clock):
        await tess.press(description, "Skip")
        await tess.expect("weekly class or a one-off")
        async with db.reading() as session:
            user = await users.get_user(session, tess.id)
        assert user.draft["newclass"]["title"] == "Back care"


async def test_clients_cannot_create_classes(client):
    cara = await client()
    await cara.send("/newclass")
    await cara.expect("Sorry, only trainers can do that.")
