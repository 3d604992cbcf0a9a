"""Reminders before classes, calendar files, and the weekly schedule broadcast."""

from __future__ import annotations

import datetime as dt

from icalendar import Calendar
from sqlalchemy import select

from bot.i18n import translator
from bot.models import Booking, BookingState, OutboxMessage
from bot.services import users
from tests.classes.conftest import add_series, sessions_of
from tests.fake_telegram.html import parse_html
from tests.harness import book, eventually, running_bot


async def test_reminders_24h_and_1h_before_with_buttons(trainer, client, db, clock):
    tess = await trainer()
    series_id = await add_series(db, clock, tess.id)
    target = (await sessions_of(db, series_id))[0]  # Mon 30 Nov 18:00 Berlin = 17:00 UTC
    ann, ben = await client("Ann"), await client("Ben", zone="New York")
    await book(ann, target.id)
    await book(ben, target.id)

    clock.set(target.starts_at - dt.timedelta(hours=24) + dt.timedelta(seconds=5))
    reminder = await ann.expect(
        "⏰ Reminder: Back care with Tess tomorrow at 17:00 (1 h).", timeout=10
    )
    assert "📍 Studio 2" in reminder.text
    assert reminder.button_texts == ["👍 I'll be there", "Can't make it"]
    await ben.expect("⏰ Reminder: Back care with Tess tomorrow at 12:00", timeout=10)
    query = await ann.press(reminder, "I'll be there")
    assert "see you there" in (await ann.answer(query))["text"]

    reminder_ben = (await ben.control.bot_messages(ben.id))[-1]
    await ben.press(reminder_ben, "Can't make it")
    question = await ben.expect("Cancel your place in Back care")
    assert "late cancel" not in question.text
    await ben.press(question, "Yes, cancel my place")
    await ben.expect_edit("Cancelled.")

    clock.set(target.starts_at - dt.timedelta(hours=1) + dt.timedelta(seconds=5))
    await ann.expect("⏰ Reminder: Back care with Tess today at 17:00", timeout=10)
    await ben.expect_nothing(within=1.0)  # cancelled: no more reminders
    async with db.reading() as session:
        keys = sorted(
            await session.scalars(
                select(OutboxMessage.dedupe_key).where(OutboxMessage.kind == "reminder")
            )
        )
    ann_booking = await _booking(db, ann.id)
    ben_booking = await _booking(db, ben.id)
    assert keys == sorted(
        [
            f"reminder:{ann_booking}:1440",
            f"reminder:{ann_booking}:60",
            f"reminder:{ben_booking}:1440",
        ]
    )


async def _booking(db, user_id: int) -> int:
    async with db.reading() as session:
        return await session.scalar(select(Booking.id).where(Booking.user_id == user_id))


async def test_reminder_choices_in_settings(trainer, client, db, clock):
    tess = await trainer()
    series_id = await add_series(db, clock, tess.id)
    target = (await sessions_of(db, series_id))[0]
    ann = await client("Ann")
    await ann.send("/settings")
    view = await ann.expect("Your settings")
    await ann.press(view, "Change reminders")
    choices = await ann.expect_edit("Reminders: 24 h and 1 h before each booked class.")
    await ann.press(choices, "24 h")
    choices = await ann.expect_edit("Reminders: 1 h before each booked class.")
    await ann.press(choices, "30 min")
    choices = await ann.expect_edit("Reminders: 1 h and 30 min before each booked class.")
    await ann.press(choices, "Done")
    await ann.expect_edit("Reminders: 1 h and 30 min before each booked class")
    await book(ann, target.id)
    clock.set(target.starts_at - dt.timedelta(hours=24) + dt.timedelta(seconds=5))
    await ann.expect_nothing(within=1.0)
    clock.set(target.starts_at - dt.timedelta(minutes=30) + dt.timedelta(seconds=5))
    # Both the 1 h reminder (due during the jump) and the 30 min one: the class is ahead.
    first = await ann.expect("⏰ Reminder", timeout=10)
    second = await ann.expect("⏰ Reminder", timeout=10)
    assert {first.text.split(" (")[0], second.text.split(" (")[0]} == {
        "⏰ Reminder: Back care with Tess today at 17:00"
    }

    await ann.send("/settings")
    await ann.press(await ann.expect("Your settings"), "Change reminders")
    await ann.press(await ann.expect_edit("Reminders"), "No reminders")
    await ann.expect_edit("Reminders: none.")


async def test_reminders_due_while_stopped_are_sent_only_if_the_class_is_ahead(
    bot_settings, db, clock, tg
):
    from bot.models import Role
    from bot.services import bookings, users
    from tests.harness import onboard

    ann, tess = tg.user("Ann"), tg.user("Tess")
    async with running_bot(bot_settings, db, clock):
        await onboard(ann)
        await onboard(tess)
        async with db.transaction() as session:
            (await users.get_user(session, tess.id)).role = Role.TRAINER
        series_id = await add_series(db, clock, tess.id)
        found = await sessions_of(db, series_id)
        async with db.transaction() as session:
            person = await users.get_user(session, ann.id)
            await bookings.book(session, person, found[0].id, now=clock.now())
            await bookings.book(session, person, found[1].id, now=clock.now())
        await eventually(lambda: _mark_set(db), timeout=5)
    # Stopped from Friday until Thursday 15:00 UTC: Monday's class is over (skipped), while
    # Thursday's 24 h reminder fell due and its class (17:00 UTC) is still ahead.
    clock.set(found[1].starts_at - dt.timedelta(hours=2))
    async with running_bot(bot_settings, db, clock):
        reminder = await ann.expect("⏰ Reminder", timeout=10)
        assert "today at 17:00" in reminder.text
        await ann.expect_nothing(within=1.0)
    async with db.reading() as session:
        keys = list(await session.scalars(select(OutboxMessage.dedupe_key)))
    assert len(keys) == 1


async def _mark_set(db) -> bool:
    from bot.models import JobMark

    async with db.reading() as session:
        return await session.get(JobMark, "reminders") is not None


async def test_calendar_files_for_clients_and_trainers(trainer, client, db, clock, tg):
    tess = await trainer()
    series_id = await add_series(db, clock, tess.id)
    found = await sessions_of(db, series_id)
    ann = await client("Ann")
    await ann.send("/calendar")
    await ann.expect("You have no booked classes coming up")
    await book(ann, found[0].id)
    await book(ann, found[1].id)

    await ann.send("/calendar")
    sent = await ann.expect("🗓 2 sessions.")
    assert sent.raw["document"]["file_name"] == "classes.ics"
    first = Calendar.from_ical(await tg.file(sent.file_id))
    events = [c for c in first.walk() if c.name == "VEVENT"]
    assert [str(e["summary"]) for e in events] == ["Back care", "Back care"]
    assert events[0]["dtstart"].dt == found[0].starts_at
    assert str(events[0]["location"]) == "Studio 2"
    assert {str(e["status"]) for e in events} == {"CONFIRMED"}
    uids = [str(e["uid"]) for e in events]

    # The trainer cancels Thursday; a new export keeps the UIDs and marks it cancelled.
    await tess.send("/myclasses")
    overview = await tess.expect("Your classes")
    await tess.press_data(overview, f"tc:cxy:{found[1].id}")
    await tess.expect("Cancelled.")
    await ann.expect("is cancelled.")
    await ann.send("/calendar")
    second = Calendar.from_ical(await tg.file((await ann.expect("🗓 2 sessions.")).file_id))
    events = [c for c in second.walk() if c.name == "VEVENT"]
    assert [str(e["uid"]) for e in events] == uids
    assert [str(e["status"]) for e in events] == ["CONFIRMED", "CANCELLED"]
    assert int(events[1]["sequence"]) > 0

    await tess.send("/calendar")
    teaching = await tess.expect("sessions.")
    assert teaching.raw["document"]["file_name"] == "teaching.ics"
    calendar = Calendar.from_ical(await tg.file(teaching.file_id))
    assert len([c for c in calendar.walk() if c.name == "VEVENT"]) == 16


async def _class_with_ann_and_nina(trainer, client, db, clock):
    """Tess's class; Ann (London) booked Monday's session, Nina (New York) Thursday's."""
    tess = await trainer()
    found = await sessions_of(db, await add_series(db, clock, tess.id))
    ann, nina = await client("Ann"), await client("Nina", zone="New York")
    await book(ann, found[0].id)
    await book(nina, found[1].id)
    return tess, found, ann, nina


async def test_schedule_goes_to_the_class_with_book_buttons_in_each_zone(
    trainer, client, db, clock
):
    tess, found, ann, nina = await _class_with_ann_and_nina(trainer, client, db, clock)
    newcomer = await client("Neo")
    # 14:00 UTC: morning in New York, so nobody is inside their quiet hours.
    clock.advance(dt.timedelta(hours=5))

    await tess.send("/schedule")
    await tess.press(await tess.expect("Which week's schedule"), "Next week")
    audiences = await tess.expect_edit("Who should get next week's schedule?")
    assert audiences.button_texts == ["All my clients (2)", "Clients of Back care (2)"]
    await tess.press(audiences, "Clients of Back care")
    await tess.expect_edit("Preview for Clients of Back care (2 people)")
    preview = await tess.expect("Tess's classes next week")
    await tess.press(preview, "Send to 2")
    await tess.expect("Broadcast to Clients of Back care: 2 recipients")

    schedule = await nina.expect("🗓 Tess's classes next week (times in America/New_York)")
    # Today is Friday 27 November: next week starts on Monday 30 November.
    assert "• Mon 30 Nov · 12:00 – Back care, Studio 2" in schedule.text
    assert "• Thu 3 Dec · 12:00 – Back care, Studio 2" in schedule.text
    await ann.expect("(times in Europe/London)")
    await newcomer.expect_nothing(within=0.5)
    query = await nina.press(schedule, "Book Mon 30 Nov · 12:00 Back care")
    assert (await nina.answer(query))["text"].startswith("✅ Booked!")
    async with db.reading() as session:
        states = list(
            await session.scalars(
                select(Booking.state).where(
                    Booking.user_id == nina.id, Booking.session_id == found[0].id
                )
            )
        )
    assert states == [BookingState.CONFIRMED]


async def test_a_schedule_waiting_for_quiet_hours_goes_out_in_the_language_chosen_meanwhile(
    trainer, client, db, clock
):
    tess, _, ann, nina = await _class_with_ann_and_nina(trainer, client, db, clock)

    # Friday 09:00 UTC is 04:00 in New York: Nina's copy waits for the end of her quiet hours.
    await tess.send("/schedule")
    await tess.press(await tess.expect("Which week's schedule"), "Next week")
    await tess.press(await tess.expect_edit("Who should get"), "All my clients")
    await tess.expect_edit("Preview for All my clients (2 people)")
    await tess.press(await tess.expect("Tess's classes next week"), "Send to 2")
    await ann.expect("🗓 Tess's classes next week (times in Europe/London)")
    await nina.expect_nothing(within=1.0)

    # Meanwhile she reads German: the copy is rendered when it goes out, not when queued.
    async with db.transaction() as session:
        (await users.get_user(session, nina.id)).language = "de"
    clock.set(dt.datetime(2026, 11, 27, 13, 5, tzinfo=dt.UTC))  # 08:05 in New York
    de = translator("de")
    heading = de._(
        "🗓 <b>{trainer}'s classes next week</b> (times in {zone})",
        trainer="Tess",
        zone="America/New_York",
    )
    schedule = await nina.expect(parse_html(heading)[0], timeout=10)
    monday = "Mo., 30. Nov. · 12:00"  # CLDR's German date, in her zone
    line = de._(
        "• {when} – <b>{title}</b>, {location}", when=monday, title="Back care", location="Studio 2"
    )
    assert parse_html(line)[0] in schedule.text
    label = de.p_("button", "Book {when} {title}", when=monday, title="Back care")
    assert schedule.button_texts[0] == label
    query = await nina.press(schedule, label)
    booked = de._("✅ Booked! See you on {when}.", when=monday)
    assert (await nina.answer(query))["text"] == booked
