"""/broadcast as a trainer or admin uses it: audience, text, preview, send, status, stop."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from bot.models import Broadcast, OutboxMessage, OutboxState
from tests.delivery.conftest import received
from tests.harness import eventually


async def outbox_count(db) -> int:
    async with db.reading() as session:
        return await session.scalar(select(func.count()).select_from(OutboxMessage))


async def test_admin_broadcasts_to_all_clients_and_watches_it_finish(
    onboarded, admin_id, clients, tg, db
):
    admin = await onboarded("Ada", last_name="Lovelace", id=admin_id)
    recipients = await clients(12)

    await admin.send("/broadcast")
    choose = await admin.expect("Who should receive your message?")
    assert choose.button_texts == ["All clients (12)", "✖️ Cancel"]
    await admin.press(choose, "All clients")
    await admin.expect_edit("Send me the message for All clients: 12 people will get it.")

    message = await admin.control.call(
        "message",
        **{
            "from": admin.profile,
            "text": "Class moved to the big hall! See you there",
            "entities": [{"type": "bold", "offset": 6, "length": 5}],
        },
    )
    assert message["message"]["entities"]
    await admin.expect("Preview: this is what 12 people in All clients will receive.")
    preview = await admin.expect("📣 Ada Lovelace\n\nClass moved to the big hall! See you there")
    assert {"type": "bold", "offset": 23, "length": 5} in preview.raw["entities"]
    assert preview.button_texts == ["✅ Send to 12", "✏️ Write it again", "✖️ Cancel"]
    assert await outbox_count(db) == 0  # nothing is queued before Send

    await admin.press(preview, "Send to 12")
    status = await admin.expect("Broadcast to All clients: 12 recipients")
    assert "⏹ Stop" in status.button_texts
    final = await admin.expect_edit_until("✅ Finished.", timeout=15)
    assert "Queued 0 · Sent 12 · Failed 0 · Unreachable 0" in final.text
    assert not final.buttons

    counts = await received(tg, recipients, "Class moved to the big hall!")
    assert counts == dict.fromkeys(recipients, 1)
    # Formatting is kept for the recipients too.
    first = (await tg.bot_messages(recipients[0]))[0]
    assert {"type": "bold", "offset": 23, "length": 5} in first.raw["entities"]
    # The admin is not a client: the preview was their only copy.
    assert await received(tg, [admin.id], "Class moved") == {admin.id: 1}


async def test_pressing_send_twice_sends_once(onboarded, admin_id, clients, tg, db):
    admin = await onboarded("Ada", id=admin_id)
    recipients = await clients(3)
    await admin.send("/broadcast")
    await admin.press(await admin.expect("Who should"), "All clients")
    await admin.send("Hello all")
    await admin.expect("Preview")
    preview = await admin.expect("Hello all")
    await admin.press(preview, "Send to 3")
    await admin.expect("Broadcast to All clients")
    again = await admin.press(preview, "Send to 3")
    assert "already been sent" in (await admin.answer(again))["text"]
    await eventually(lambda: received(tg, recipients, "Hello all"))
    await admin.expect_edit_until("Finished", timeout=10)
    assert await received(tg, recipients, "Hello all") == dict.fromkeys(recipients, 1)
    assert await outbox_count(db) == 3


async def test_bad_messages_are_refused_and_nothing_is_queued(onboarded, admin_id, clients, db):
    admin = await onboarded("Ada", id=admin_id)
    await clients(2)
    await admin.send("/broadcast")
    await admin.press(await admin.expect("Who should"), "All clients")
    await admin.expect_edit("Send me the message")

    await admin.send_other(
        {"photo": [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]}
    )
    await admin.expect("I can only broadcast text for now.")
    await admin.send("   ")
    await admin.expect("The message is empty.")
    await admin.send("x" * 4090)
    await admin.expect(
        "That message is 4098 characters long with its heading; Telegram allows 4096."
    )
    assert await outbox_count(db) == 0
    async with db.reading() as session:
        assert await session.scalar(select(func.count()).select_from(Broadcast)) == 0

    # Still waiting for the text: a good one now works.
    await admin.send("Short and sweet")
    await admin.expect("Preview")
    preview = await admin.expect("Short and sweet")
    await admin.press(preview, "Cancel")
    await admin.expect("Cancelled. Nothing was sent.")
    assert await outbox_count(db) == 0


async def test_write_again_and_cancel(onboarded, admin_id, clients, tg):
    admin = await onboarded("Ada", id=admin_id)
    recipients = await clients(2)
    await admin.send("/broadcast")
    await admin.press(await admin.expect("Who should"), "All clients")
    await admin.expect_edit("Send me the message")
    await admin.send("Frist draft")
    await admin.expect("Preview")
    preview = await admin.expect("Frist draft")
    await admin.press(preview, "Write it again")
    kept = await admin.expect_edit("Frist draft")  # the old preview stays, without buttons
    assert not kept.buttons
    await admin.expect("Send me the message for All clients")
    await admin.send("First draft, fixed")
    await admin.expect("Preview")
    await admin.press(await admin.expect("First draft, fixed"), "Send to 2")
    await admin.expect("Broadcast to All clients")
    await eventually(lambda: received(tg, recipients, "First draft, fixed"))
    assert await received(tg, recipients, "Frist") == {}

    await admin.send("/broadcast")
    await admin.press(await admin.expect("Who should"), "All clients")
    await admin.send("/cancel")
    await admin.expect("OK, cancelled.")
    await admin.send("this is just chat now")
    await admin.expect("I'm not sure what you mean.")


async def test_trainers_without_classes_have_no_audience_and_clients_are_refused(
    onboarded, admin_id
):
    admin = await onboarded("Ada", id=admin_id)
    trainer = await onboarded("Tess")
    client = await onboarded("Cara")
    await admin.send(f"/trainer add {trainer.id}")
    await admin.expect("is now a trainer")

    await trainer.send("/broadcast")
    await trainer.expect("You have no audience yet")
    await client.send("/broadcast")
    await client.expect("Sorry, only trainers can do that.")


async def test_a_client_cannot_press_a_trainers_buttons(onboarded, admin_id, clients, db):
    admin = await onboarded("Ada", id=admin_id)
    await clients(2)
    client = await onboarded("Cara")
    await admin.send("/broadcast")
    choose = await admin.expect("Who should")
    # A forged press on the admin's message, or crafted data in the client's own chat.
    query = await client.press_data(choose, "bc:to:all_clients")
    assert "only trainers" in (await client.answer(query))["text"]
    await admin.press(choose, "All clients")
    await admin.send("Draft")
    await admin.expect("Preview")
    preview = await admin.expect("Draft")
    async with db.reading() as session:
        draft_id = await session.scalar(select(Broadcast.id))
    await client.send("/settings")
    own = await client.expect("Your settings")
    query = await client.press_data(own, f"bc:send:{draft_id}")
    assert "only trainers" in (await client.answer(query))["text"]
    assert await outbox_count(db) == 0
    assert preview.buttons


async def test_stop_cancels_what_is_not_sent(
    onboarded, admin_id, clients, tg, db, bot, bot_settings
):
    admin = await onboarded("Ada", id=admin_id)
    recipients = await clients(40)
    # Slow delivery down so that there is something left to stop.
    bot.bot_data["dispatcher"].limiter.spacing = 0.2
    await admin.send("/broadcast")
    await admin.press(await admin.expect("Who should"), "All clients")
    await admin.send("Long news")
    await admin.expect("Preview")
    await admin.press(await admin.expect("Long news"), "Send to 40")
    status = await admin.expect("Broadcast to All clients")
    await eventually(lambda: received(tg, recipients, "Long news"))
    before_stop = sum((await received(tg, recipients, "Long news")).values())
    await admin.press(status, "Stop")
    stopped = await admin.expect_edit_until("⏹ Stopped:")
    assert not stopped.buttons

    # Messages already on their way (at most DELIVERY_CONCURRENCY) still land; the status
    # message follows them to the true count.
    async def settled() -> bool:
        async with db.reading() as session:
            rows = await session.execute(
                select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
            )
            current = dict(rows.all())
        sent = sum((await received(tg, recipients, "Long news")).values())
        return current.get(OutboxState.SENT, 0) == sent and current

    states = await eventually(settled, timeout=5)
    sent = states[OutboxState.SENT]
    assert 0 < sent < 40
    assert states[OutboxState.CANCELLED] == 40 - sent
    assert sent - before_stop <= bot_settings.delivery_concurrency

    async def final_status() -> str | None:
        last = [e for e in await tg.events(admin.id) if e["kind"] == "edit"][-1]
        text = last["message"]["text"]
        return text if f"Sent {sent} ·" in text else None

    # The status edits are paced like any message to the author's chat (1 a second).
    final = await eventually(final_status, timeout=5)
    assert f"{40 - sent} will not be sent" in final


async def test_muted_clients_get_no_broadcasts_but_urgent_notices(
    onboarded, admin_id, tg, db, clock
):
    from bot.models import Priority
    from bot.services import outbox

    admin = await onboarded("Ada", id=admin_id)
    quiet = await onboarded("Quinn")
    loud = await onboarded("Lou")
    await quiet.send("/settings")
    view = await quiet.expect("Your settings")
    assert "Trainer news: on" in view.text
    await quiet.press(view, "Mute trainer news")
    muted = await quiet.expect_edit("Trainer news: muted")
    assert "🔔 Unmute trainer news" in muted.button_texts

    await admin.send("/broadcast")
    choose = await admin.expect("Who should")
    assert choose.button_texts[0] == "All clients (1)"
    await admin.press(choose, "All clients")
    await admin.expect_edit("1 person will get it (1 muted broadcasts)")
    await admin.send("Newsletter")
    await admin.expect("Preview")
    await admin.press(await admin.expect("Newsletter"), "Send to 1")
    await admin.expect_edit_until("Finished", timeout=10)
    assert await received(tg, [loud.id], "Newsletter") == {loud.id: 1}
    assert await received(tg, [quiet.id], "Newsletter") == {}

    async with db.transaction() as session:
        await outbox.enqueue(
            session,
            [
                outbox.Notice(
                    chat_id=quiet.id,
                    text="Tonight's class is cancelled",
                    dedupe_key="urgent:1",
                    kind="session_cancelled",
                    priority=Priority.URGENT,
                )
            ],
            now=clock.now(),
        )
    await quiet.expect("Tonight's class is cancelled")


async def test_news_waits_for_the_end_of_quiet_hours(onboarded, admin_id, tg, db, clock):
    admin = await onboarded("Ada", id=admin_id)
    early = tg.user("Nina")
    from tests.harness import onboard

    await onboard(early, zone="New York")  # 04:00 there: inside the 21:00-08:00 quiet hours
    await admin.send("/broadcast")
    await admin.press(await admin.expect("Who should"), "All clients")
    await admin.send("Good morning news")
    await admin.expect("Preview")
    await admin.press(await admin.expect("Good morning news"), "Send to 1")
    await admin.expect("Broadcast to All clients")
    await early.expect_nothing(within=1.0)
    clock.advance(dt.timedelta(hours=4, minutes=1))  # 08:01 in New York
    await early.expect("Good morning news", timeout=10)
