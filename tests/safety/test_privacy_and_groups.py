"""Screening and readiness answers are the client's health data: exported and erased by
/privacy, dropped when consent is withdrawn, and never in a group chat."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from bot.models import Booking, ClassSession, OutboxMessage, Screening
from bot.services import community, safety, users
from tests.safety.helpers import answer_screening, booking_of, press_book, screening_class

GROUP_CHAT = -4242


async def test_export_and_erasure_include_the_screening_and_readiness(
    trainer, client, tg, db, clock
):
    tess = await trainer()
    session_id = await screening_class(db, clock, tess.id)
    cara = await client("Cara")
    await answer_screening(cara, await press_book(cara, session_id), "nnnnnyn")
    booking = await booking_of(db, cara.id, session_id)
    async with db.transaction() as session:
        # Tess clears her and Cara answers the readiness check (as the flows do).
        await safety.clear(
            session, await users.get_user(session, tess.id), booking.id, now=clock.now()
        )
        await safety.answer_readiness(
            session,
            await users.get_user(session, cara.id),
            booking.id,
            pain=8,
            new="none",
            now=clock.now(),
        )

    await cara.send("/privacy")
    about = await cara.expect("Your data")
    assert "your health check before the first class" in about.text
    await cara.press(about, "Export my data")
    export = await cara.expect("Everything I hold about you")
    data = json.loads(await tg.file(export.file_id))
    [screening] = data["screenings"]
    assert screening["outcome"] == "clearance" and screening["answers"]["joints"] is True
    assert "health checks" in data["contents"]["screenings"]
    [booked] = data["bookings"]
    assert (booked["readiness_flag"], booked["readiness_pain"]) == ("rest", 8)

    await cara.press(about, "Delete my account")
    await cara.press(await cara.expect_edit("Delete your account?"), "Yes, delete everything")
    await cara.expect_edit("Your account is deleted")
    async with db.reading() as session:
        assert list(await session.scalars(select(Screening))) == []
        kept = await session.get(Booking, booking.id)
        assert kept.user_id != cara.id  # the anonymous stand-in keeps the count
        assert (kept.readiness_flag, kept.readiness_pain, kept.readiness_new) == (None, None, None)


async def test_withdrawing_consent_keeps_only_the_outcomes(trainer, client, db, clock):
    tess = await trainer()
    session_id = await screening_class(db, clock, tess.id)
    cara = await client("Cara")
    await answer_screening(cara, await press_book(cara, session_id), "ynnnnnn")
    await cara.send("/privacy")
    await cara.press(await cara.expect("Your data"), "Withdraw consent")
    await cara.press(await cara.expect_edit("Withdraw your consent?"), "Yes, withdraw")
    await cara.expect_edit("consent withdrawn")
    async with db.reading() as session:
        [screening] = list(await session.scalars(select(Screening)))
    assert screening.answers is None and screening.outcome == "clearance"
    assert (await booking_of(db, cara.id, session_id)).pending_clearance  # the outcome stands


async def test_nothing_of_this_reaches_a_group_chat(trainer, client, tg, db, clock):
    tess = await trainer()
    session_id = await screening_class(db, clock, tess.id)
    async with db.transaction() as session:
        target = await session.get(ClassSession, session_id)
        await community.link(
            session,
            await users.get_user(session, tess.id),
            chat_id=GROUP_CHAT,
            title="Back care group",
            series_id=target.series_id,
            now=clock.now(),
        )
    cara = await client("Cara")
    async with db.transaction() as session:
        await users.set_checkin_choices(session, cara.id, trainer_sees=True, now=clock.now())
    await answer_screening(cara, await press_book(cara, session_id), "ynnnnnn")
    await tess.expect("Cara booked Back care", timeout=10)
    await tess.send("/myclasses")
    await tess.press_data(await tess.expect(), f"tc:s:{session_id}")
    await tess.press(await tess.expect_edit("Roster"), "🩺 Cleared: Cara")
    await tess.press(await tess.expect_edit("Mark Cara"), "Yes, cleared")
    await cara.expect("has confirmed your place", timeout=10)
    async with db.reading() as session:
        starts = (await session.get(ClassSession, session_id)).starts_at
    clock.set(starts - dt.timedelta(hours=3) + dt.timedelta(seconds=5))
    check = await cara.expect_until("how is your pain right now?", timeout=10)
    await cara.press(check, "9")
    await cara.press(await cara.expect_edit("Anything new"), "Dizziness or fainting")
    await cara.expect_edit("Please don't come to class today")
    await tess.expect("⚠️ Cara noted a warning sign", timeout=10)

    async with db.reading() as session:
        to_groups = list(
            await session.scalars(select(OutboxMessage).where(OutboxMessage.chat_id < 0))
        )
    for message in to_groups:
        assert "Cara" not in json.dumps([message.text, message.params]), message.kind
    events = await tg.events(GROUP_CHAT)
    assert not [event for event in events if "Cara" in json.dumps(event)]
    # The group itself is live: the bot may post there (the flows above just never do).
    assert all(message.kind.startswith("group_") for message in to_groups)
