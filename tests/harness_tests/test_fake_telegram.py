"""The fake Bot API answers like Telegram, through PTB's own Bot, and injects faults on demand."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, MenuButtonWebApp, WebAppInfo
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from bot.migrations import PROJECT_ROOT
from tests.fake_telegram import TelegramControl
from tests.harness import TEST_TOKEN, eventually


@pytest.fixture
async def api(tg: TelegramControl):
    bot = Bot(TEST_TOKEN, base_url=tg.api_url, request=HTTPXRequest(read_timeout=10))
    async with bot:
        yield bot


def seconds(value) -> float:
    """RetryAfter.retry_after as seconds (a timedelta: the bot opts in to PTB_TIMEDELTA)."""
    return value.total_seconds()


async def known_user(tg, user_id: int = 501) -> int:
    await tg.call("users", users=[{"id": user_id, "first_name": "Known"}])
    return user_id


async def test_get_me_and_full_message_objects(api, tg):
    assert api.username == "TherapyTestBot"
    chat_id = await known_user(tg)
    message = await api.send_message(chat_id, "<b>Hello</b> &amp; welcome", parse_mode="HTML")
    assert message.text == "Hello & welcome"
    assert message.entities[0].type == "bold"
    assert message.chat.id == chat_id
    assert message.from_user.is_bot
    assert abs(message.date.timestamp() - time.time()) < 5


async def test_errors_look_like_telegrams(api, tg):
    with pytest.raises(BadRequest, match="Chat not found"):
        await api.send_message(999, "hi")
    chat_id = await known_user(tg)
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await api.send_message(chat_id, "a < b", parse_mode="HTML")
    with pytest.raises(BadRequest, match="Message is too long"):
        await api.send_message(chat_id, "x" * 4097)
    with pytest.raises(BadRequest, match="Message text is empty"):
        await api.send_message(chat_id, " ")
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await api.send_message(
            chat_id,
            "x",
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton("b", callback_data="y" * 65)]]
            ),
        )
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{tg.api_url}{TEST_TOKEN}/sendSticker", data={"chat_id": chat_id}
        )
        bad_token = await http.post(f"{tg.api_url}1:wrong/getMe")
    assert response.status_code == 404
    assert response.json()["ok"] is False
    assert response.json()["error_code"] == 404
    assert bad_token.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}


async def test_edits_and_not_modified(api, tg):
    chat_id = await known_user(tg)
    message = await api.send_message(chat_id, "one")
    await api.edit_message_text("two", chat_id, message.message_id)
    with pytest.raises(BadRequest, match="not modified"):
        await api.edit_message_text("two", chat_id, message.message_id)
    with pytest.raises(BadRequest, match="not found"):
        await api.edit_message_text("x", chat_id, 12345)
    # Taking away buttons a message no longer has changes nothing either, as on Telegram.
    with pytest.raises(BadRequest, match="Message is not modified"):
        await api.edit_message_reply_markup(chat_id, message.message_id, reply_markup=None)
    assert await api.delete_message(chat_id, message.message_id)
    kinds = [event["kind"] for event in await tg.events(chat_id)]
    assert kinds == ["message", "edit", "delete"]


async def test_get_updates_honours_offset_and_long_polls(api, tg):
    user = tg.user("Una")
    await user.send("first")
    await user.send("second")
    updates = await api.get_updates(timeout=0)
    assert [u.message.text for u in updates] == ["first", "second"]
    # Confirming with offset drops them.
    assert await api.get_updates(offset=updates[-1].update_id + 1, timeout=0) == ()

    started = time.monotonic()
    assert await api.get_updates(offset=updates[-1].update_id + 1, timeout=1) == ()
    assert time.monotonic() - started >= 0.9

    async def later() -> None:
        await asyncio.sleep(0.3)
        await user.send("/help")

    task = asyncio.create_task(later())
    started = time.monotonic()
    updates = await api.get_updates(offset=updates[-1].update_id + 1, timeout=5)
    await task
    assert time.monotonic() - started < 2
    assert updates[0].message.text == "/help"
    assert updates[0].message.entities[0].type == "bot_command"


async def test_callback_queries_carry_chat_instance_and_are_answered_once(api, tg):
    user = tg.user("Una")
    await user.send("hi")
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go:1")]])
    await api.send_message(user.id, "Press", reply_markup=markup)
    message = await user.expect("Press")
    query_id = await user.press(message, "Go")
    updates = await api.get_updates(timeout=0)
    query = updates[-1].callback_query
    assert query.data == "go:1"
    assert query.chat_instance
    assert query.message.message_id == message.message_id
    await api.answer_callback_query(query_id, "Done", show_alert=True)
    assert (await user.answer(query_id)) == {"text": "Done", "show_alert": True, "url": None}
    with pytest.raises(BadRequest, match="Query is too old"):
        await api.answer_callback_query(query_id)


async def test_rate_limits(api, tg):
    await tg.faults(
        limits={"overall_per_second": 5, "private_per_second": 1, "group_per_minute": 2}
    )
    users = [await known_user(tg, 600 + n) for n in range(6)]
    await api.send_message(users[0], "one")
    with pytest.raises(RetryAfter) as too_fast:
        await api.send_message(users[0], "two")
    assert seconds(too_fast.value.retry_after) == 1
    for chat_id in users[1:5]:
        await api.send_message(chat_id, "fine")
    with pytest.raises(RetryAfter):
        await api.send_message(users[5], "sixth in a second")
    group = tg.group()
    member = tg.user("Gus")
    await member.send("hello group", chat=group)
    await asyncio.sleep(1.05)
    await api.send_message(group["id"], "1")
    await api.send_message(group["id"], "2")
    with pytest.raises(RetryAfter) as per_group:
        await api.send_message(group["id"], "3")
    assert seconds(per_group.value.retry_after) > 50
    counters = await tg.counters()
    assert counters["rate_limited"] == 3
    assert counters["status_429"] == 3


async def test_blocked_kicked_failing_slow_and_migrated_chats(api, tg):
    chat_id = await known_user(tg, 700)
    await tg.faults(block=[chat_id])
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await api.send_message(chat_id, "hi")
    await tg.faults(unblock=[chat_id])
    await api.send_message(chat_id, "hi again")

    await tg.faults(fail={"status": 502, "description": "Bad Gateway", "count": 2})
    for _ in range(2):
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await api.send_message(chat_id, "x")
    await api.send_message(chat_id, "third time lucky")

    await tg.faults(slow={"sendMessage": 1.5})
    slow_bot = Bot(TEST_TOKEN, base_url=tg.api_url, request=HTTPXRequest(read_timeout=0.5))
    async with slow_bot:
        with pytest.raises(TimedOut):
            await slow_bot.send_message(chat_id, "too slow")
    await tg.faults(clear=True)

    group = tg.group()
    await tg.user("Gus").send("hi", chat=group)
    await tg.faults(migrate={"from": group["id"], "to": -1009999})
    with pytest.raises(ChatMigrated) as migrated:
        await api.send_message(group["id"], "x")
    assert migrated.value.new_chat_id == -1009999
    await api.send_message(-1009999, "in the supergroup")

    await tg.faults(kick=[-1009999])
    with pytest.raises(Forbidden, match="kicked"):
        await api.send_message(-1009999, "x")


async def test_a_call_held_past_a_reset_does_not_reach_the_next_test(api, tg):
    # A test's bot replies while sendMessage is slow, and the test ends (its bot killed).
    earlier = tg.user("Alex")
    await earlier.send("/help")
    await tg.faults(slow={"sendMessage": 1.0})
    held = asyncio.create_task(api.send_message(earlier.id, "Send /start to begin."))
    await eventually(lambda: tg.calls("sendMessage"), timeout=5)
    # The next test: a fresh server, and a person with the same id (ids start over).
    await tg.reset()
    later = tg.user("Anna", id=earlier.id)
    await later.send("/tip")
    (outcome,) = await asyncio.gather(held, return_exceptions=True)
    assert [event["kind"] for event in await tg.events(later.id)] == ["user_message"]
    assert isinstance(outcome, NetworkError) and "reset" in str(outcome)


def test_runs_as_its_own_process():
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fake_telegram", "--token", TEST_TOKEN],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        me = httpx.get(f"{url}/bot{TEST_TOKEN}/getMe").json()
        assert me["result"]["username"] == "TherapyTestBot"
    finally:
        process.terminate()
        process.wait(timeout=10)


async def test_documents_photos_actions_and_webhooks(api, tg):
    chat_id = await known_user(tg, 800)
    document = await api.send_document(
        chat_id,
        b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
        filename="classes.ics",
        caption="<i>Yours</i>",
        parse_mode="HTML",
    )
    assert document.document.file_name == "classes.ics"
    assert document.caption == "Yours"
    photo = await api.send_photo(chat_id, b"\x89PNG fake bytes")
    assert photo.photo[-1].file_size == len(b"\x89PNG fake bytes")
    assert await api.send_chat_action(chat_id, "typing")

    events = await tg.events(chat_id)
    assert [event["method"] for event in events] == ["sendDocument", "sendPhoto"]
    assert await tg.file(events[0]["file_id"]) == b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    assert await tg.file(events[1]["file_id"]) == b"\x89PNG fake bytes"

    assert await api.set_webhook("https://example.org/hook")
    with pytest.raises(Exception, match="webhook is active"):
        await api.get_updates(timeout=0)
    assert await api.delete_webhook()
    assert await api.get_updates(timeout=0) == ()


async def test_menu_buttons_and_web_app_buttons_as_telegram_allows_them(api, tg):
    chat_id = await known_user(tg)
    app = WebAppInfo("https://bot.example.org/app")
    opener = InlineKeyboardMarkup([[InlineKeyboardButton("Open", web_app=app)]])
    sent = await api.send_message(chat_id, "x", reply_markup=opener)
    assert sent.reply_markup.inline_keyboard[0][0].web_app.url == app.url
    recorded = (await tg.bot_messages(chat_id))[-1]
    assert recorded.buttons == [{"text": "Open", "web_app": {"url": app.url}}]
    plain_http = InlineKeyboardButton("Open", web_app=WebAppInfo("http://bot.example.org/app"))
    with pytest.raises(BadRequest, match="Button_url_invalid"):
        await api.send_message(chat_id, "x", reply_markup=InlineKeyboardMarkup([[plain_http]]))
    person, group = tg.user("Gus"), tg.group()
    await person.send("hello", chat=group)
    with pytest.raises(BadRequest, match="Button_type_invalid"):
        await api.send_message(group["id"], "x", reply_markup=opener)

    assert await api.set_chat_menu_button(chat_id, MenuButtonWebApp("Timetable", app))
    assert (await api.get_chat_menu_button(chat_id)).text == "Timetable"
    assert (await tg.menu_buttons())[str(chat_id)]["web_app"] == {"url": app.url}
    with pytest.raises(BadRequest, match="Chat not found"):
        await api.set_chat_menu_button(999, MenuButtonWebApp("Timetable", app))
    with pytest.raises(BadRequest, match="Button_url_invalid"):
        await api.set_chat_menu_button(
            chat_id, MenuButtonWebApp("Timetable", WebAppInfo("http://x.org/app"))
        )
