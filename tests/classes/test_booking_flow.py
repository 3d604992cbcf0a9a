"""Clients browse, book, join waitlists, cancel and get promoted, through the real bot."""

from __future__ import annotations

import asyncio
import datetime as dt
import re

from sqlalchemy import select

from bot.models import Booking, BookingState
from bot.services import classes as class_service
from tests.classes.conftest import add_series, sessions_of
from tests.delivery.conftest import seed_clients
from tests.harness import book


async def booking_of(db, user_id: int, session_id: int) -> Booking | None:
    async with db.reading() as session:
        return await session.scalar(
            select(Booking).where(Booking.user_id == user_id, Booking.session_id == session_id)
        )


async def test_classes_are_listed_in_the_clients_own_time_zone(trainer, client, db, clock):
    tess = await trainer()
    await add_series(db, clock, tess.id)
    nina = await client("Nina", zone="New York")
    await nina.send("/classes")
    listing = await nina.expect("Classes in the next 14 days")
    assert "(times in America/New_York)" in listing.text
    # 18:00 in Berlin is 12:00 in New York; Monday 30 November first.
    assert "Mon 30 Nov · 12:00 – Back care with Tess · 10 places left" in listing.text
    assert listing.button_texts[0] == "Mon 30 Nov · 12:00 Back care"
    assert len(listing.button_texts) == 4  # four sessions in 14 days, no paging


async def test_a_reader_of_another_language_gets_dates_their_way(trainer, client, db, clock):
    tess = await trainer()
    target = (await sessions_of(db, await add_series(db, clock, tess.id)))[0]
    dora = await client("Dora", zone="Berlin", language_code="de")
    await dora.send("/classes")
    listing = await dora.expect()
    assert "Mo., 30. Nov. · 18:00" in listing.text
    assert listing.button_texts[0] == "Mo., 30. Nov. · 18:00 Back care"
    await dora.press_data(listing, f"cl:s:{target.id}")
    detail = await dora.expect_edit("Back care")
    assert "Montag, 30. November, 18:00–19:00" in detail.text
    query = await dora.press_data(detail, f"cl:b:{target.id}")
    assert "Mo., 30. Nov. · 18:00" in (await dora.answer(query))["text"]
    await dora.expect_edit("Back care")
    await dora.send("/mybookings")
    mine = await dora.expect()
    assert "✅ Mo., 30. Nov. · 18:00 – Back care, Studio 2" in mine.text


async def test_paging_detail_and_booking(trainer, client, db, clock):
    tess = await trainer()
    await add_series(db, clock, tess.id, weekdays=(0, 1, 2, 3, 4), first_date=dt.date(2026, 11, 27))
    cara = await client("Cara")
    await cara.send("/classes")
    page = await cara.expect("Classes in the next 14 days")
    assert "Page 1 of 2." in page.text
    await cara.press(page, "Later »")
    second = await cara.expect_edit("Page 2 of 2.")
    await cara.press(second, "« Earlier")
    first = await cara.expect_edit("Page 1 of 2.")
    await cara.press(first, first.button_texts[0])  # Fri 27 Nov 17:00 London
    detail = await cara.expect_edit("Back care")
    assert "🗓 Friday 27 November, 17:00–18:00" in detail.text
    assert "📍 Studio 2" in detail.text
    assert "10 places left (of 10)" in detail.text
    assert "late cancel" in detail.text
    query = await cara.press(detail, "Book")
    assert (await cara.answer(query))["text"] == "✅ Booked! See you on Fri 27 Nov · 17:00."
    booked = await cara.expect_edit("You're booked.")
    assert "Cancel my place" in booked.button_texts
    # An old Book button pressed again is harmless.
    query = await cara.press_data(detail, detail.button("Book")["callback_data"])
    assert (await cara.answer(query))["text"] == "You're already booked for this class."
    found = await sessions_of(db, 1)
    assert found[0].booked_count == 1


async def test_a_full_class_offers_the_waitlist_with_positions(trainer, client, db, clock):
    tess = await trainer()
    series_id = await add_series(db, clock, tess.id, capacity=1)
    first_session = (await sessions_of(db, series_id))[0]
    people = [await client(name) for name in ("Ann", "Ben", "Cid")]
    for index, person in enumerate(people):
        await person.send("/classes")
        listing = await person.expect("Classes")
        await person.press(listing, listing.button_texts[0])
        detail = await person.expect_edit("Back care")
        label = "Book" if index == 0 else "Join the waitlist"
        query = await person.press(detail, label)
        answer = (await person.answer(query))["text"]
        if index:
            assert f"you're #{index} on the waitlist" in answer
            await person.expect_edit(f"You're #{index} on the waitlist.")
        else:
            await person.expect_edit("You're booked.")
    assert (await booking_of(db, people[2].id, first_session.id)).state == BookingState.WAITLISTED


async def test_past_cancelled_unknown_and_overlapping_sessions_are_refused(
    trainer, client, db, clock
):
    tess = await trainer()
    series_id = await add_series(db, clock, tess.id)
    knees = await add_series(db, clock, tess.id, title="Knee class", start_time=dt.time(18, 30))
    found = await sessions_of(db, series_id)
    cara = await client()
    await cara.send("/classes")
    listing = await cara.expect("Classes")

    # Unknown (forged) and cancelled sessions.
    query = await cara.press_data(listing, "cl:b:999999")
    assert "doesn't exist" in (await cara.answer(query))["text"]
    async with db.transaction() as session:
        from bot.services import users

        owner = await users.get_user(session, tess.id)
        await class_service.cancel_session(
            session, owner, found[1].id, reason=None, now=clock.now()
        )
    query = await cara.press_data(listing, f"cl:b:{found[1].id}")
    assert "was cancelled" in (await cara.answer(query))["text"]

    # Overlap: Back care 18:00-19:00 and Knee class 18:30 on the same Monday.
    query = await cara.press_data(listing, f"cl:b:{found[0].id}")
    await cara.answer(query)
    knee_first = (await sessions_of(db, knees))[0]
    query = await cara.press_data(listing, f"cl:b:{knee_first.id}")
    answer = await cara.answer(query)
    assert answer["show_alert"]
    assert "You already have a place in “Back care” at that time" in answer["text"]
    assert (
        await booking_of(db, cara.id, knee_first.id) is None
        or (await booking_of(db, cara.id, knee_first.id)).state == BookingState.CANCELLED
    )

    # An old button for a session that has begun.
    clock.set(found[0].starts_at + dt.timedelta(minutes=5))
    other = await client("Olaf")
    await other.send("/classes")
    listing = await other.expect()
    query = await other.press_data(listing, f"cl:b:{found[0].id}")
    assert "already started" in (await other.answer(query))["text"]


async def test_cancelling_late_and_the_waitlist_promotion(trainer, client, db, clock, tg):
    tess = await trainer()
    series_id = await add_series(db, clock, tess.id, capacity=1)
    target = (await sessions_of(db, series_id))[0]
    ann, ben = await client("Ann"), await client("Ben")
    for person in (ann, ben):
        await person.send("/classes")
        listing = await person.expect("Classes")
        query = await person.press_data(listing, f"cl:b:{target.id}")
        await person.answer(query)
    # 90 minutes before the start: inside the 2 h late-cancel window, outside the 1 h cut-off.
    clock.set(target.starts_at - dt.timedelta(minutes=90))
    # The jump makes the class's reminders fall due: they may come before any answer.
    await ann.send("/mybookings")
    mine = await ann.expect_until("Your upcoming classes")
    assert "✅ Mon 30 Nov · 17:00 – Back care, Studio 2" in mine.text
    await ann.press(mine, "Cancel Mon 30 Nov")
    question = await ann.expect_until("Cancel your place in Back care on Mon 30 Nov · 17:00?")
    assert "less than 2 h, so this counts as a late cancel" in question.text
    await ann.press(question, "Yes, cancel my place")
    done = await ann.expect_edit("Cancelled.")
    assert "recorded as a late cancel" in done.text
    assert (await booking_of(db, ann.id, target.id)).late_cancel is True

    promoted = await ben.expect_until(
        "🎉 You're in! A place opened up in Back care with Tess today at 17:00"
    )
    assert promoted.button_texts == ["Give my place back"]
    await ben.press(promoted, "Give my place back")
    question = await ben.expect_until("Cancel your place")
    await ben.press(question, "Keep it")
    await ben.expect_edit("nothing changed")
    assert (await booking_of(db, ben.id, target.id)).state == BookingState.CONFIRMED


async def test_no_promotion_inside_the_cutoff_but_the_place_is_open(trainer, client, db, clock):
    tess = await trainer()
    series_id = await add_series(db, clock, tess.id, capacity=1)
    target = (await sessions_of(db, series_id))[0]
    ann, ben, cid = await client("Ann"), await client("Ben"), await client("Cid")
    for person in (ann, ben):
        await person.send("/classes")
        query = await person.press_data(await person.expect("Classes"), f"cl:b:{target.id}")
        await person.answer(query)
        await person.expect_edit("Back care")
    clock.set(target.starts_at - dt.timedelta(minutes=30))
    await ann.send("/mybookings")
    # The class's reminder falls due at this moment too and may come first.
    await ann.press(await ann.expect_until("Your upcoming"), "Cancel")
    await ann.press(await ann.expect_until("Cancel your place"), "Yes")
    await ann.expect_edit("Cancelled.")
    await ben.expect_nothing(within=1.0)
    await cid.send("/classes")
    listing = await cid.expect("Classes")
    query = await cid.press_data(listing, f"cl:b:{target.id}")
    assert (await cid.answer(query))["text"].startswith("✅ Booked!")


async def test_leaving_the_waitlist_and_an_empty_list(trainer, client, db, clock):
    tess = await trainer()
    series_id = await add_series(db, clock, tess.id, capacity=1)
    target = (await sessions_of(db, series_id))[0]
    ann, ben = await client("Ann"), await client("Ben")
    for person in (ann, ben):
        await person.send("/classes")
        query = await person.press_data(await person.expect("Classes"), f"cl:b:{target.id}")
        await person.answer(query)
    await ben.send("/mybookings")
    mine = await ben.expect("Your upcoming classes")
    assert "#1 on the waitlist" in mine.text
    await ben.press(mine, "Leave waitlist")
    await ben.press(await ben.expect("Leave the waitlist for Back care"), "Yes, leave")
    await ben.expect_edit("you're off the waitlist")
    await ben.send("/mybookings")
    await ben.expect("You have no upcoming bookings.")


async def test_nobody_can_cancel_someone_elses_booking(trainer, client, db, clock):
    tess = await trainer()
    series_id = await add_series(db, clock, tess.id)
    target = (await sessions_of(db, series_id))[0]
    ann, eve = await client("Ann"), await client("Eve")
    await ann.send("/classes")
    query = await ann.press_data(await ann.expect("Classes"), f"cl:b:{target.id}")
    await ann.answer(query)
    booking = await booking_of(db, ann.id, target.id)
    await eve.send("/mybookings")
    own = await eve.expect()
    for data in (f"bk:xy:{booking.id}", f"bk:x:{booking.id}", f"bk:here:{booking.id}"):
        query = await eve.press_data(own, data)
        assert "doesn't exist" in (await eve.answer(query))["text"]
    assert (await booking_of(db, ann.id, target.id)).state == BookingState.CONFIRMED


async def test_im_here_from_fifteen_minutes_before(trainer, client, db, clock):
    tess = await trainer()
    series_id = await add_series(db, clock, tess.id)
    target = (await sessions_of(db, series_id))[0]
    ann = await client("Ann")
    await ann.send("/classes")
    query = await ann.press_data(await ann.expect("Classes"), f"cl:b:{target.id}")
    await ann.answer(query)
    # Moving the clock makes the 1 h reminder due: it may arrive in between.
    clock.set(target.starts_at - dt.timedelta(minutes=20))
    await ann.send("/mybookings")
    mine = await ann.expect_until("Your upcoming classes")
    assert not any("I'm here" in label for label in mine.button_texts)
    clock.set(target.starts_at - dt.timedelta(minutes=10))
    await ann.send("/mybookings")
    mine = await ann.expect_until("Your upcoming classes")
    await ann.press(mine, "I'm here")
    await ann.expect_until("Checked in for Back care")
    assert (await booking_of(db, ann.id, target.id)).attendance.value == "attended"


async def test_thirty_book_presses_at_once_are_each_told_their_true_place(
    trainer, client, db, clock, tg
):
    """On a full session, 30 people press Book at the same moment: each is told a different
    waitlist place, 1 to 30, and it is the place the trainer's roster shows for them."""
    tess = await trainer()
    series_id = await add_series(db, clock, tess.id, capacity=1)
    target = (await sessions_of(db, series_id))[0]
    first = await client("Ann")
    people = [tg.user(f"Client{i}", id=i) for i in await seed_clients(db, tg, 30)]
    await book(first, target.id)
    listings = []
    for person in people:
        await person.send("/classes")
        listings.append(await person.expect("Classes"))
    queries = await asyncio.gather(
        *(
            person.press_data(listing, f"cl:b:{target.id}")
            for person, listing in zip(people, listings, strict=True)
        )
    )
    told = {}
    for person, query in zip(people, queries, strict=True):
        answer = (await person.answer(query, timeout=15))["text"]
        found = re.search(r"#(\d+) on the waitlist", answer)
        assert found, answer
        told[person.profile["first_name"]] = int(found.group(1))
    assert sorted(told.values()) == list(range(1, 31))

    await tess.send("/myclasses")
    await tess.press(await tess.expect("Your classes"), "Mon 30 Nov · 18:00 Back care")
    roster = await tess.expect_edit("Roster")
    shown = {
        name: int(number) for number, name in re.findall(r"⏳ #(\d+) (Client\d+)", roster.text)
    }
    assert shown == told
