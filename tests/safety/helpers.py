"""Steps the safety tests share: a class that screens, answering the screening, the rows."""

from __future__ import annotations

from sqlalchemy import select

from bot.models import Booking, Screening
from bot.services import safety
from tests.classes.conftest import add_series, sessions_of

NO_TO_ALL = "n" * len(safety.QUESTIONS)


async def screening_class(db, clock, trainer_id: int, **changes) -> int:
    """A Mon/Thu class that asks for the screening; returns its first session's id."""
    series_id = await add_series(db, clock, trainer_id, requires_screening=True, **changes)
    return (await sessions_of(db, series_id))[0].id


async def press_book(person, session_id: int):
    """/classes and Book; returns the bot's next message (the screening's introduction)."""
    await person.send("/classes")
    await person.press_data(await person.expect("Classes"), f"cl:b:{session_id}")
    return await person.expect("Before your first class")


async def answer_screening(person, intro, answers: str):
    """Start, then Yes ("y") or No ("n") to each question; returns the final edit."""
    await person.press(intro, "Start the questions")
    for index, answer in enumerate(answers):
        current = await person.expect_edit(f"Question {index + 1} of {len(answers)}")
        await person.press(current, "Yes" if answer == "y" else "No")
    return await person.expect_edit()


async def booking_of(db, user_id: int, session_id: int) -> Booking | None:
    async with db.reading() as session:
        return await session.scalar(
            select(Booking).where(Booking.user_id == user_id, Booking.session_id == session_id)
        )


async def screenings_of(db, user_id: int) -> list[Screening]:
    async with db.reading() as session:
        return await safety.screenings_of(session, user_id)
