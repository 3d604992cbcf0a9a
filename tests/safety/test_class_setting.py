"""The per-class setting: on by default for a class made in /newclass, turned off there or in
/myclasses; classes made before it existed (and through the service) have it off."""

from __future__ import annotations

from sqlalchemy import select

from bot.models import ClassSeries
from tests.classes.conftest import add_series


async def requires_screening(db) -> list[bool]:
    async with db.reading() as session:
        return list(
            await session.scalars(select(ClassSeries.requires_screening).order_by(ClassSeries.id))
        )


async def test_newclass_asks_by_default_and_the_trainer_can_turn_it_off(trainer, db, clock):
    tess = await trainer()
    await tess.send("/newclass")
    await tess.expect("What is the class called?")
    await tess.send("Heart group")
    await tess.press(await tess.expect("A short description"), "Skip")
    await tess.press(await tess.expect("weekly class or a one-off"), "One-off")
    await tess.expect("At what local time")
    await tess.send("10:00")
    await tess.press(await tess.expect("How long is it?"), "1 h")
    await tess.send("8")
    await tess.expect("How many places?")
    await tess.expect("Where does it take place?")
    await tess.send("Studio 1")
    await tess.press(await tess.expect("Which time zone"), "Keep")
    first = await tess.expect("On which date")
    await tess.press(first, first.button_texts[1])
    await tess.press(await tess.expect("Late cancels"), "2 h")
    summary = await tess.expect("Please check the new class")
    assert "🩺 Health check before the first class: on" in summary.text
    await tess.press(summary, "🩺 Health check off")
    summary = await tess.expect_edit("Health check before the first class: off")
    await tess.press(summary, "🩺 Health check on")
    summary = await tess.expect_edit("Health check before the first class: on")
    await tess.press(summary, "Confirm")
    await tess.expect("Heart group is saved")
    assert await requires_screening(db) == [True]

    async with db.reading() as session:
        series_id = await session.scalar(select(ClassSeries.id))
    await tess.send("/myclasses")
    await tess.press_data(await tess.expect(), f"tc:ser:{series_id}")
    view = await tess.expect_edit("Health check before the first class: on")
    await tess.press(view, "🩺 Health check off")
    await tess.expect_edit("Health check before the first class: off")
    assert await requires_screening(db) == [False]


async def test_a_class_made_without_the_flow_does_not_ask(trainer, db, clock):
    tess = await trainer()
    await add_series(db, clock, tess.id)
    assert await requires_screening(db) == [False]
