"""The dispatcher against the fake Bot API: limits, 429 storms, 403s, 5xx, 400s, migrations."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from collections import defaultdict

from sqlalchemy import func, select

from bot.models import Group, OutboxMessage, OutboxState, Priority, User
from bot.services import groups, outbox
from tests.delivery.conftest import received
from tests.harness import eventually, running_bot


def notice(chat_id: int, text: str, key: str, **kwargs) -> outbox.Notice:
    return outbox.Notice(chat_id=chat_id, text=text, dedupe_key=key, kind="test", **kwargs)


async def queue(db, clock, notices) -> int:
    async with db.transaction() as session:
        return await outbox.enqueue(session, notices, now=clock.now())


async def states(db) -> dict[OutboxState, int]:
    async with db.reading() as session:
        rows = await session.execute(
            select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
        )
        return {OutboxState(state): count for state, count in rows}


async def rows_for(db, chat_id: int) -> list[OutboxMessage]:
    async with db.reading() as session:
        found = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.chat_id == chat_id).order_by(OutboxMessage.id)
        )
        return list(found)


async def all_settled(db) -> bool:
    current = await states(db)
    return current.get(OutboxState.PENDING, 0) + current.get(OutboxState.SENDING, 0) == 0


async def test_300_recipients_under_telegram_limits_arrive_with_no_429(bot, clients, tg, db, clock):
    await tg.faults(
        limits={"overall_per_second": 30, "private_per_second": 1, "group_per_minute": 20}
    )
    recipients = await clients(300)
    notices = [notice(chat, "News for everyone", f"news:{chat}") for chat in recipients]
    # Twenty people also get a second message: it must not follow the first within a second.
    notices += [
        notice(chat, "And a reminder", f"reminder:{chat}", priority=Priority.REMINDER)
        for chat in recipients[:20]
    ]
    assert await queue(db, clock, notices) == 320

    # 13 s at 25 a second; the time-out leaves room for a machine busy with other work.
    await eventually(lambda: all_settled(db), timeout=90, interval=0.5)
    assert await states(db) == {OutboxState.SENT: 320}
    assert await received(tg, recipients, "News for everyone") == dict.fromkeys(recipients, 1)
    assert await received(tg, recipients, "And a reminder") == dict.fromkeys(recipients[:20], 1)
    counters = await tg.counters()
    assert counters.get("status_429", 0) == 0
    arrivals: dict[int, list[float]] = defaultdict(list)
    for event in await tg.events():
        if event["kind"] == "message":
            arrivals[event["chat_id"]].append(event["at"])
    gaps = [b - a for times in arrivals.values() for a, b in itertools.pairwise(times)]
    assert len(gaps) == 20
    assert min(gaps) >= 1.0


async def test_a_429_storm_delays_but_loses_and_doubles_nothing(
    bot_settings, clients, tg, db, clock
):
    recipients = await clients(30)
    await tg.faults(
        fail={
            "status": 429,
            "description": "Too Many Requests: retry after 1",
            "count": 6,
            "retry_after": 1,
            "methods": ["sendMessage"],
        }
    )
    # One request at a time, so that every request after a 429 leaves after the bot heard
    # of it (with more in flight, those already on their way land inside the pause however
    # idle the machine: a slow answer must not fail this test).
    settings = bot_settings.model_copy(update={"delivery_concurrency": 1})
    async with running_bot(settings, db, clock):
        await queue(db, clock, [notice(chat, "Storm test", f"storm:{chat}") for chat in recipients])
        await eventually(lambda: all_settled(db), timeout=30, interval=0.2)
    assert await received(tg, recipients, "Storm test") == dict.fromkeys(recipients, 1)
    calls = await tg.calls("sendMessage")
    refused = [call for call in calls if call["status"] == 429]
    assert len(refused) == 6
    # After each 429 the bot waited retry_after before sending anything else.
    for call in refused:
        later = [c["at"] for c in calls if c["at"] > call["at"] and c["status"] != 429]
        assert not later or min(later) - call["at"] >= 0.95
    async with db.reading() as session:
        attempts = await session.scalars(select(OutboxMessage.attempts))
        assert set(attempts) == {1}  # a 429 is not an attempt


async def test_blocked_users_become_unreachable_and_everyone_else_is_served(
    bot, clients, tg, db, clock
):
    recipients = await clients(20)
    blocked = recipients[:5]
    await tg.faults(block=blocked)
    later = clock.now() + dt.timedelta(minutes=5)
    await queue(
        db,
        clock,
        [notice(chat, "First", f"first:{chat}") for chat in recipients]
        + [notice(chat, "Second", f"second:{chat}", not_before=later) for chat in recipients],
    )
    await eventually(
        lambda: received(tg, recipients[5:], "First"), timeout=15, message="first round"
    )
    await eventually(lambda: _count_state(db, OutboxState.UNREACHABLE, 10), timeout=15)
    async with db.reading() as session:
        marked = set(await session.scalars(select(User.id).where(User.blocked_at.is_not(None))))
    assert marked == set(blocked)
    clock.advance(dt.timedelta(minutes=6))
    await eventually(lambda: all_settled(db), timeout=15)
    assert await received(tg, recipients, "Second") == dict.fromkeys(recipients[5:], 1)
    assert await states(db) == {OutboxState.SENT: 30, OutboxState.UNREACHABLE: 10}
    # Only one request per blocked chat: the first 403 dropped the rest of their queue.
    calls = await tg.calls("sendMessage")
    assert sum(1 for c in calls if c["params"]["chat_id"] in blocked) == 5

    # Nothing more is queued for them ...
    assert await queue(db, clock, [notice(blocked[0], "Third", "third")]) == 0
    # ... until they come back.
    await tg.faults(unblock=[blocked[0]])
    person = tg.user(f"Client{blocked[0]}", id=blocked[0])
    await person.send("/start")
    await person.expect("Welcome back")
    assert await queue(db, clock, [notice(blocked[0], "Third", "third")]) == 1
    await person.expect("Third")


async def _count_state(db, state: OutboxState, expected: int) -> bool:
    return (await states(db)).get(state, 0) == expected


async def test_transient_errors_are_retried_with_backoff(bot, clients, tg, db, clock):
    (chat,) = await clients(1)
    await tg.faults(fail={"status": 502, "description": "Bad Gateway", "count": 3, "chat_id": chat})
    await queue(db, clock, [notice(chat, "Eventually", "eventually")])

    async def delivered() -> bool:
        clock.advance(dt.timedelta(seconds=5))  # move past each backoff
        return bool(await received(tg, [chat], "Eventually"))

    await eventually(delivered, timeout=15, interval=0.3)
    # Telegram has it; the dispatcher records that a moment later.
    await eventually(lambda: _count_state(db, OutboxState.SENT, 1), timeout=5)
    (row,) = await rows_for(db, chat)
    assert row.attempts == 4
    calls = [c for c in await tg.calls("sendMessage") if c["params"]["chat_id"] == chat]
    assert [c["status"] for c in calls] == [502, 502, 502, 200]


async def test_out_of_attempts_fails_with_the_last_error(bot, clients, tg, db, clock):
    (chat,) = await clients(1)
    await tg.faults(fail={"status": 500, "description": "Internal Server Error", "count": 50})
    await queue(db, clock, [notice(chat, "Doomed", "doomed")])

    async def failed() -> bool:
        clock.advance(dt.timedelta(minutes=1))
        return await _count_state(db, OutboxState.FAILED, 1)

    await eventually(failed, timeout=20, interval=0.3)
    (row,) = await rows_for(db, chat)
    assert row.attempts == 5
    assert "Internal Server Error" in row.last_error
    assert len(await tg.calls("sendMessage")) == 5


async def test_permanent_errors_fail_at_once(bot, tg, db, clock):
    await queue(db, clock, [notice(424242, "To nobody", "nobody")])
    await eventually(lambda: _count_state(db, OutboxState.FAILED, 1), timeout=10)
    (row,) = await rows_for(db, 424242)
    assert row.attempts == 1
    assert "Chat not found" in row.last_error or "chat not found" in row.last_error
    clock.advance(dt.timedelta(hours=1))
    await asyncio.sleep(0.5)
    assert len(await tg.calls("sendMessage")) == 1


async def test_the_same_notice_queued_twice_is_sent_once(bot, clients, tg, db, clock):
    (chat,) = await clients(1)
    first = await queue(db, clock, [notice(chat, "Once", "reminder:812:60")])
    second = await queue(db, clock, [notice(chat, "Once", "reminder:812:60")])
    assert (first, second) == (1, 0)
    await eventually(lambda: all_settled(db), timeout=10)
    await asyncio.sleep(0.5)
    assert await received(tg, [chat], "Once") == {chat: 1}


async def test_group_messages_follow_a_migration_and_stop_when_kicked(bot, tg, db, clock):
    group = tg.group("Back Care Tuesday", id=-4001)
    member = tg.user("Gus")
    await tg.call("my_chat_member", **{"from": member.profile, "chat": group, "status": "member"})
    await eventually(lambda: _group(db, -4001), timeout=5)
    await tg.faults(migrate={"from": -4001, "to": -1004001})
    await queue(db, clock, [notice(-4001, "Hello group", "group:hello")])
    await member.expect("Hello group", chat={"id": -1004001}, timeout=10)
    assert (await _group(db, -1004001)).title == "Back Care Tuesday"
    assert await _group(db, -4001) is None

    await tg.faults(kick=[-1004001])
    await queue(db, clock, [notice(-1004001, "Anyone?", "group:anyone")])
    await eventually(lambda: _count_state(db, OutboxState.UNREACHABLE, 1), timeout=10)
    assert (await _group(db, -1004001)).bot_removed_at is not None
    assert await queue(db, clock, [notice(-1004001, "Again", "group:again")]) == 0


async def _group(db, chat_id: int) -> Group | None:
    async with db.reading() as session:
        return await groups.get_group(session, chat_id)


async def test_replies_are_not_queued_behind_a_broadcast(bot, onboarded, clients, tg, db, clock):
    anna = await onboarded("Anna")
    recipients = await clients(100)
    # 10 a second: the broadcast lasts 10 s, far longer than an answer takes on a busy machine.
    bot.bot_data["dispatcher"].limiter.spacing = 0.1
    await queue(db, clock, [notice(chat, "Big news", f"big:{chat}") for chat in recipients])
    await eventually(lambda: received(tg, recipients, "Big news"), timeout=5)
    await anna.send("/help")
    await anna.expect("Here is what I can do for you", timeout=8)
    # The answer came while the broadcast was still going.
    delivered = sum((await received(tg, recipients, "Big news")).values())
    assert delivered < 100
    await eventually(lambda: all_settled(db), timeout=30)
