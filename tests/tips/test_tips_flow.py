"""Tips through the real bot: /tip, the buttons, scheduled tips, /tipstats, /addtip, settings."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.models import Role, TipDelivery, TipFeedback, TrainerTip
from bot.services import users
from bot.services.tip_library import load_library
from tests.tips.footers import check_footer

LIBRARY = load_library()


async def make_trainer(db, person) -> None:
    async with db.transaction() as session:
        (await users.get_user(session, person.id)).role = Role.TRAINER


async def test_tip_now_ends_with_the_footer_of_its_source(onboarded, db):
    anna = await onboarded("Anna")
    await anna.send("/tip")
    tip = await anna.expect("💡")
    delivered = await _deliveries(db, anna.id)
    entry = LIBRARY.tip(delivered[0].tip_id)
    assert entry.title in tip.text
    assert entry.text in tip.text
    check_footer(tip.text, tip.raw.get("entities", []), LIBRARY.references[entry.reference])
    assert "not medical advice" in tip.text
    assert tip.button_texts == ["👍 Helpful", "🙅 Not for me"]
    assert delivered[0].reason == "on_demand"

    await anna.send("/tip")
    await anna.expect("💡")
    ids = [d.tip_id for d in await _deliveries(db, anna.id)]
    assert len(set(ids)) == 2  # /tip counts as seen: no repeat


async def _deliveries(db, user_id):
    async with db.reading() as session:
        return list(
            await session.scalars(
                select(TipDelivery).where(TipDelivery.user_id == user_id).order_by(TipDelivery.id)
            )
        )


async def test_feedback_is_recorded_once_and_can_change(onboarded, db):
    anna = await onboarded("Anna")
    await anna.send("/tip")
    tip = await anna.expect("💡")
    query = await anna.press(tip, "Helpful")
    assert "Glad it helped" in (await anna.answer(query))["text"]
    query = await anna.press(tip, "Helpful")
    await anna.answer(query)
    query = await anna.press(tip, "Not for me")
    assert "fewer tips like this" in (await anna.answer(query))["text"]
    async with db.reading() as session:
        answers = list(await session.scalars(select(TipFeedback)))
    assert [(a.user_id, a.helpful) for a in answers] == [(anna.id, False)]

    query = await anna.press_data(tip, "tip:h:no-such-tip")
    assert "no longer exists" in (await anna.answer(query))["text"]


async def test_a_scheduled_tip_arrives_at_the_chosen_hour(onboarded, db, clock):
    # Onboarded on Friday 27 Nov at 09:00 UTC (London): weekly tips from Saturday at 10:00.
    anna = await onboarded("Anna")
    clock.set(dt.datetime(2026, 11, 28, 9, 59, tzinfo=dt.UTC))
    await anna.expect_nothing(within=0.6)
    clock.set(dt.datetime(2026, 11, 28, 10, 0, 30, tzinfo=dt.UTC))
    tip = await anna.expect("💡", timeout=10)
    entry = LIBRARY.tip((await _deliveries(db, anna.id))[0].tip_id)
    check_footer(tip.text, tip.raw.get("entities", []), LIBRARY.references[entry.reference])
    await anna.expect_nothing(within=0.6)  # however often the tick runs in the slot


async def test_tip_settings(onboarded, db, clock):
    anna = await onboarded("Anna")
    await anna.send("/settings")
    view = await anna.expect("Your settings")
    assert "Tips: weekly at 10:00; quiet hours 21:00–08:00" in view.text
    await anna.press(view, "Change tips")
    menu = await anna.expect_edit("Tips: weekly at 10:00.")
    await anna.press(menu, "Daily")
    menu = await anna.expect_edit("Tips: daily at 10:00.")
    await anna.press(menu, "18:00")
    menu = await anna.expect_edit("Tips: daily at 18:00.")
    await anna.press(menu, "22:00–07:00")
    menu = await anna.expect_edit("Quiet hours: 22:00–07:00")
    await anna.press(menu, "Off")
    menu = await anna.expect_edit("Tips: off.")
    await anna.press(menu, "Done")
    await anna.expect_edit("Tips: off; quiet hours 22:00–07:00")
    async with db.reading() as session:
        user = await users.get_user(session, anna.id)
    assert (user.tip_frequency, user.tip_hour, user.quiet_start, user.quiet_end) == (
        "off",
        18,
        22,
        7,
    )


async def test_addtip_requires_a_source_and_tipstats_counts(onboarded, db, tg):
    tess = await onboarded("Tess")
    await make_trainer(db, tess)
    await tess.send("/addtip")
    await tess.expect("A short title?")
    await tess.send("Breathe out on the effort")
    await tess.expect("The tip itself")
    await tess.send("Too short")
    await tess.expect("The tip needs 20 to 500 characters (9 now).")
    await tess.send("Breathe out as you lift and in as you lower: it steadies every movement.")
    category = await tess.expect("Which category?")
    await tess.send("physical")
    await tess.expect("Please choose one of the buttons above.")
    await tess.press(category, "Physical health")
    await tess.expect("The source it rests on")
    await tess.send("my own experience")
    await tess.expect("A tip needs its source: send a link starting with https://")
    async with db.reading() as session:
        assert list(await session.scalars(select(TrainerTip))) == []
    await tess.send("https://example.org/breathing")
    preview = await tess.expect("Preview: your clients will see")
    assert "Tip from your trainer Tess: Breathe out on the effort" in preview.text
    assert preview.text.endswith("🔗 Source chosen by Tess\nhttps://example.org/breathing")
    await tess.press(preview, "Save")
    await tess.expect("Saved.")
    async with db.reading() as session:
        saved = list(await session.scalars(select(TrainerTip)))
    assert [(t.title, t.source_url) for t in saved] == [
        ("Breathe out on the effort", "https://example.org/breathing")
    ]

    await tess.send("/tipstats")
    stats = await tess.expect("Tips among your clients")
    assert "Mental health: 0 · 0 · 0" in stats.text
    assert "Breathe out on the effort: 0 · 0 · 0" in stats.text
    assert "No tips have gone out yet." in stats.text


async def test_tipstats_counts_sent_and_answers_of_the_trainers_clients(
    onboarded, db, clock, admin_id
):
    admin = await onboarded("Ada", id=admin_id)
    anna, ben = await onboarded("Anna"), await onboarded("Ben")
    for person in (anna, ben):
        await person.send("/tip")
        tip = await person.expect("💡")
        query = await person.press(tip, "Helpful" if person is anna else "Not for me")
        await person.answer(query)
    await admin.send("/tipstats")
    stats = await admin.expect("Tips among all clients")
    sent = [line for line in stats.text.split("\n") if line.endswith(("· 1 · 0", "· 0 · 1"))]
    assert len(sent) >= 2
    assert any("100% helpful" in line or "0% helpful" in line for line in stats.text.split("\n"))


async def test_clients_cannot_use_trainer_tip_commands(onboarded):
    anna = await onboarded("Anna")
    for command in ("/addtip", "/tipstats"):
        await anna.send(command)
        await anna.expect("Sorry, only trainers can do that.")
