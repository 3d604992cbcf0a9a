"""A press whose screen would be redrawn exactly as it is, or whose buttons are gone already
(the same button pressed twice, a double tap): Telegram answers "message is not modified",
and the bot takes that as done, with no apology to the person and nothing logged as an
error."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import func, select

from bot.models import Booking
from tests.classes.conftest import add_series, sessions_of


def errors(caplog) -> list[str]:
    """What the bot logged as a warning or error, apart from the scheduler skipping a tick
    whose previous run had not finished (a busy machine, not this test's concern)."""
    return [
        f"{record.name}: {record.getMessage()}"
        for record in caplog.records
        if record.levelno >= logging.WARNING
        and not (record.name.startswith("apscheduler") and "maximum number" in record.getMessage())
    ]


async def test_pressing_the_same_button_twice_changes_nothing_and_says_nothing_wrong(
    trainer, client, db, clock, tg, caplog
):
    caplog.set_level(logging.INFO)
    tess = await trainer()
    target = (await sessions_of(db, await add_series(db, clock, tess.id)))[0]
    cara = await client("Cara")
    await cara.send("/classes")
    listing = await cara.expect("Classes in the next 14 days")

    # The class's details, twice: the second press would draw the same screen again.
    first = await cara.press_data(listing, f"cl:s:{target.id}")
    await cara.answer(first)
    detail = await cara.expect_edit("Back care")
    again = await cara.press_data(listing, f"cl:s:{target.id}")
    # The press is answered quietly (its spinner stops) and the screen stays as it is.
    assert (await cara.answer(again))["text"] is None
    await cara.expect_nothing()

    # A double tap on Book: booked once, told so the second time, no apology.
    tap = await cara.press_data(detail, f"cl:b:{target.id}")
    assert "Booked!" in (await cara.answer(tap))["text"]
    await cara.expect_edit("You're booked")
    tap_again = await cara.press_data(detail, f"cl:b:{target.id}")
    assert (await cara.answer(tap_again))["text"] == "You're already booked for this class."
    await cara.expect_nothing()
    async with db.reading() as session:
        assert await session.scalar(select(func.count(Booking.id))) == 1

    # Telegram was asked to redraw both times and refused, as it does.
    refused = [call for call in await tg.calls("editMessageText") if call["status"] == 400]
    assert len(refused) == 2

    # A double tap on "I'll be there" under the reminder: its buttons go once.
    clock.set(target.starts_at - dt.timedelta(hours=24) + dt.timedelta(seconds=5))
    reminder = await cara.expect("⏰ Reminder", timeout=10)
    for _ in range(2):
        query = await cara.press(reminder, "I'll be there")
        assert (await cara.answer(query))["text"] == "👍 Great, see you there!"
    await cara.expect_edit()
    await cara.expect_nothing()
    refused = [call for call in await tg.calls("editMessageReplyMarkup") if call["status"] == 400]
    assert len(refused) == 1
    assert errors(caplog) == []
