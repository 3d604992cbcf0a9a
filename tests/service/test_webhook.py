"""Webhook mode end to end: Telegram (the fake) delivers, the bot stores, then answers."""

from __future__ import annotations

import json

from bot.models import InboxState
from tests.harness import eventually, onboard
from tests.service.conftest import HOOK_PATH, SECRET, inbox_states, settled


async def test_updates_arrive_by_webhook_and_are_answered(webhook_bot, tg, db):
    calls = await tg.calls("setWebhook")
    assert calls[-1]["params"]["secret_token"] == SECRET
    assert calls[-1]["params"]["url"].endswith(HOOK_PATH)
    alex = tg.user("Alex")
    await onboard(alex)
    await alex.send("/help")
    await alex.expect("Here is what I can do")
    assert not await tg.calls("getUpdates"), "webhook mode never polls"

    async def four_delivered_and_done() -> bool:
        delivered = (await tg.counters()).get("webhook_delivered")
        return delivered == 4 and await inbox_states(db) == {InboxState.DONE: 4}

    await eventually(four_delivered_and_done, timeout=5)


async def test_refusals_store_nothing_and_the_bot_keeps_serving(webhook_bot, web, tg, db):
    good = {
        "update_id": 999001,
        "message": {
            "message_id": 1,
            "date": 0,
            "text": "x",
            "chat": {"id": 1, "type": "private"},
            "from": {"id": 1, "is_bot": False, "first_name": "A"},
        },
    }
    right = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    assert (await web.post(HOOK_PATH, json=good)).status_code == 403
    wrong = {"X-Telegram-Bot-Api-Secret-Token": SECRET[:-1] + "X"}
    assert (await web.post(HOOK_PATH, json=good, headers=wrong)).status_code == 403
    assert (await web.get(HOOK_PATH, headers=right)).status_code == 405
    huge = json.dumps({**good, "padding": "x" * (2 * 1024 * 1024)})
    response = await web.post(
        HOOK_PATH, content=huge, headers={**right, "Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert (
        await web.post(HOOK_PATH, content=b'{"update_id": 1, ', headers=right)
    ).status_code == 400
    assert (await web.post(HOOK_PATH, json={}, headers=right)).status_code == 400
    assert (await web.post(HOOK_PATH, json={"update_id": 5}, headers=right)).status_code == 400
    assert (await web.post(HOOK_PATH, json=[1, 2], headers=right)).status_code == 400
    assert await inbox_states(db) == {}, "nothing refused was stored"

    alex = tg.user("Alex")
    await alex.send("/help")
    await alex.expect("Send /start to begin")


async def test_a_repeated_delivery_is_handled_once(webhook_bot, web, tg, db):
    alex = tg.user("Alex")
    sent = await tg.call("message", **{"from": alex.profile, "text": "/help"})
    await alex.expect("Send /start to begin")
    again = {"update_id": sent["update_id"], "message": sent["message"]}
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    for _ in range(3):
        assert (await web.post(HOOK_PATH, json=again, headers=headers)).status_code == 200
    await alex.expect_nothing(within=1.0)
    assert await settled(db) == {InboxState.DONE: 1}


async def test_stopping_answers_503_so_telegram_tries_again_later(webhook_bot, web, tg, db):
    runtime = webhook_bot.bot_data["runtime"]
    runtime.intake.accepting = False  # what SIGTERM does first
    update = {
        "update_id": 77,
        "message": {
            "message_id": 1,
            "date": 0,
            "text": "/help",
            "chat": {"id": 5, "type": "private"},
            "from": {"id": 5, "is_bot": False, "first_name": "A"},
        },
    }
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    response = await web.post(HOOK_PATH, json=update, headers=headers)
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert await inbox_states(db) == {}
