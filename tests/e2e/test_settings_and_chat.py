"""/settings, commands in groups, messages the bot cannot use, blocking, and failures."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import select

from bot.models import User
from bot.services import users
from tests.fake_telegram import BOT_USERNAME


async def stored(db, user_id: int) -> User:
    async with db.reading() as session:
        return await session.scalar(select(User).where(User.id == user_id))


async def test_settings_show_and_change_consent(onboarded, db, clock):
    anna = await onboarded("Anna")
    await anna.send("/settings")
    view = await anna.expect("Your settings")
    assert "Language: English" in view.text
    assert "Time zone: Europe/London (UTC+00:00, now 09:00)" in view.text
    assert "Wellbeing check-ins: stored, you agreed on 27 Nov 2026" in view.text
    assert f"Your user id is {anna.id}" in view.text
    assert "Reminders: 24 h and 1 h before each booked class" in view.text
    assert view.button_texts == [
        "🌐 Change language",
        "🕒 Change time zone",
        "⏰ Change reminders",
        "💡 Change tips",
        "📝 Check-in choices",
        "🚫 Stop storing check-ins",
        "🔕 Mute trainer news",
        "🌤 Readiness check off",
        "🩺 My health changed",
    ]
    assert "Readiness check before a class: on" in view.text

    clock.advance(dt.timedelta(days=1))
    await anna.press(view, "Stop storing")
    confirm = await anna.expect_edit("Stop storing your wellbeing check-ins?")
    # Thinking better of it changes nothing.
    await anna.press(confirm, "Keep storing them")
    await anna.expect_edit("stored, you agreed on 27 Nov 2026")
    assert (await stored(db, anna.id)).wellbeing_consent is True

    await anna.press(view, "Stop storing")
    confirm = await anna.expect_edit("Stop storing")
    await anna.press(confirm, "Yes, stop and delete")
    after = await anna.expect_edit("Wellbeing check-ins: not stored")
    assert "✅ Allow check-ins" in after.button_texts
    user = await stored(db, anna.id)
    assert user.wellbeing_consent is False
    assert user.consent_withdrawn_at == clock.now()

    await anna.press(after, "Allow check-ins")
    await anna.expect_edit("stored, you agreed on 28 Nov 2026")
    assert (await stored(db, anna.id)).consent_given_at == clock.now()


async def test_settings_change_time_zone_by_button_and_bad_name(onboarded, db):
    ben = await onboarded("Ben")
    await ben.send("/settings")
    await ben.press(await ben.expect("Your settings"), "Change time zone")
    await ben.expect("Which time zone")
    await ben.send("Nowhere-in-particular")
    await ben.expect("I couldn't find a time zone")
    assert (await stored(db, ben.id)).timezone == "Europe/London"
    await ben.send("Tokyo")
    await ben.expect("Time zone saved: Asia/Tokyo (UTC+09:00, now 18:00)")
    # A finished onboarding is not announced again.
    await ben.expect_nothing()
    assert (await stored(db, ben.id)).timezone == "Asia/Tokyo"


async def test_settings_before_start_asks_to_start(bot, tg):
    stranger = tg.user("Sam")
    await stranger.send("/settings")
    await stranger.expect("send /start in our private chat")


async def test_private_commands_in_a_group_answer_with_a_deep_link(onboarded, tg, admin_id):
    anna = await onboarded("Anna")
    group = tg.group("Knee Class Tuesday")
    for command in ("/settings", "/start", f"/settings@{BOT_USERNAME}"):
        await anna.send(command, chat=group)
        reply = await anna.expect("Let's do that in our private chat", chat=group)
        link = reply.button("Message me privately")["url"]
        assert link.startswith(f"https://t.me/{BOT_USERNAME}?start=")

    # /help works in groups, and says what happens in private.
    await anna.send("/help", chat=group)
    reply = await anna.expect("In this group:", chat=group)
    assert "/help" in reply.text
    assert "/settings" not in reply.text
    assert reply.button("Open private chat")["url"] == f"https://t.me/{BOT_USERNAME}"

    # Admin-only commands in a group reveal nothing there either.
    admin = await onboarded("Ada", id=admin_id)
    await admin.send("/trainer list", chat=group)
    await admin.expect("Let's do that in our private chat", chat=group)

    # Chatter in the group is not the bot's business.
    await anna.send("see you all on Tuesday!", chat=group)
    await anna.expect_nothing(chat=group)


async def test_unknown_commands_text_and_stickers_get_a_pointer(onboarded, tg):
    anna = await onboarded("Anna")
    await anna.send("/dance")
    await anna.expect("I don't know /dance. /help lists the commands I understand.")
    await anna.send("hello there")
    await anna.expect("I'm not sure what you mean. /help shows what I can do for you.")
    sticker = {
        "file_id": "s1",
        "file_unique_id": "s1",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    }
    await anna.send_other({"sticker": sticker})
    await anna.expect("I can only read text messages and button presses.")

    stranger = tg.user("Sam")
    await stranger.send("hi")
    await stranger.expect("Send /start to set things up.")


async def test_blocking_and_unblocking_the_bot_is_recorded(onboarded, tg, db, clock):
    anna = await onboarded("Anna")
    await tg.call("my_chat_member", **{"from": anna.profile, "status": "kicked"})
    for _ in range(100):
        if (await stored(db, anna.id)).blocked_at is not None:
            break
        await asyncio.sleep(0.05)
    assert (await stored(db, anna.id)).blocked_at == clock.now()

    # Coming back with /start makes them reachable again.
    await tg.call("my_chat_member", **{"from": anna.profile, "status": "member"})
    await anna.send("/start")
    await anna.expect("Welcome back, Anna!")
    assert (await stored(db, anna.id)).blocked_at is None


async def test_an_unexpected_failure_gets_an_apology_and_changes_nothing(
    onboarded, db, monkeypatch, caplog
):
    anna = await onboarded("Anna")

    async def broken(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(users, "record_consent", broken)
    await anna.send("/settings")
    view = await anna.expect("Your settings")
    await anna.press(view, "Stop storing")
    confirm = await anna.expect_edit("Stop storing")
    query = await anna.press(confirm, "Yes, stop and delete")
    answer = await anna.answer(query)
    assert answer["show_alert"] is True
    assert "Sorry, something went wrong on my side and nothing was changed" in answer["text"]
    assert (await stored(db, anna.id)).wellbeing_consent is True
    failure = [r for r in caplog.records if r.name == "handlers.errors"]
    assert failure, "the failure was not logged"
    assert f"user {anna.id}" in failure[-1].getMessage()
    assert "button 'set:consent:off:yes'" in failure[-1].getMessage()
    assert failure[-1].exc_info is not None


@pytest.mark.parametrize("data", ["set:bogus", "tz:Mars/Olympus", "consent", "tz:"])
async def test_forged_or_stale_buttons_are_harmless(onboarded, db, data):
    anna = await onboarded("Anna")
    await anna.send("/settings")
    view = await anna.expect("Your settings")
    before = await stored(db, anna.id)
    query = await anna.press_data(view, data)
    await anna.answer(query)
    after = await stored(db, anna.id)
    assert (after.timezone, after.wellbeing_consent) == (before.timezone, before.wellbeing_consent)


async def test_the_deep_link_from_a_group_opens_what_was_asked_for(onboarded, tg):
    anna = await onboarded("Anna")
    group = tg.group()
    await anna.send("/settings", chat=group)
    link = (await anna.expect("private chat", chat=group)).button("Message me privately")["url"]
    payload = link.split("?start=")[1]
    assert payload == "settings"
    # Telegram sends "/start <payload>" when the link is opened.
    await anna.send(f"/start {payload}")
    await anna.expect("Your settings")
