"""The inbox on the database: stored once, one update of a chat at a time, leases, pruning."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import asyncpg
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from bot.models import InboxState, InboxUpdate
from bot.services import inbox
from tests.harness import eventually

NOW = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(seconds=60)


def message(update_id: int, chat_id: int, text: str = "hi") -> inbox.Received:
    return inbox.received(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 0,
                "chat": {"id": chat_id, "type": "private"},
                "from": {"id": chat_id, "is_bot": False, "first_name": "A"},
                "text": text,
            },
        }
    )


async def stored(db, *items: inbox.Received) -> list[int]:
    async with db.transaction() as session:
        return [item.update_id for item in await inbox.store(session, list(items), now=NOW)]


async def claim(db, owner: str = "w1", *, now=NOW, limit: int = 10) -> list[int]:
    async with db.transaction() as session:
        rows = await inbox.claim(session, owner=owner, now=now, lease=LEASE, limit=limit)
    return [row.update_id for row in rows]


async def finish(db, *outcomes: inbox.Outcome, owner: str = "w1", now=NOW) -> None:
    async with db.transaction() as session:
        await inbox.finish(session, list(outcomes), owner=owner, now=now)


async def states(db) -> dict[int, InboxState]:
    async with db.reading() as session:
        rows = await session.execute(select(InboxUpdate.update_id, InboxUpdate.state))
        return dict(rows.all())


def test_what_is_read_from_an_update():
    item = message(7, 42, "hello")
    assert (item.update_id, item.chat_id, item.kind) == (7, 42, "message")
    assert json.loads(item.payload)["message"]["text"] == "hello"
    press = inbox.received(
        {
            "update_id": 8,
            "callback_query": {
                "id": "1",
                "from": {"id": 5, "is_bot": False, "first_name": "A"},
                "chat_instance": "c",
                "message": {"message_id": 3, "date": 0, "chat": {"id": -100, "type": "group"}},
                "data": "x",
            },
        }
    )
    assert (press.chat_id, press.kind) == (-100, "callback_query")
    inline = inbox.received({"update_id": 9, "inline_query": {"id": "q", "from": {"id": 77}}})
    assert inline.chat_id == 77
    raw = '{"update_id": 10, "poll": {"id": "p"}}'
    assert inbox.received(json.loads(raw), payload=raw).payload == raw
    assert inbox.received(json.loads(raw)).chat_id is None
    for bad in ({}, {"update_id": 1}, {"update_id": "1", "message": {}}, [], {"message": {}}):
        with pytest.raises(inbox.NotAnUpdate):
            inbox.received(bad)


async def test_a_repeated_update_is_stored_once(db):
    assert await stored(db, message(1, 10), message(2, 10)) == [1, 2]
    assert await stored(db, message(2, 10), message(3, 11)) == [3]
    assert await stored(db, message(3, 11), message(3, 11)) == []
    assert await states(db) == dict.fromkeys([1, 2, 3], InboxState.PENDING)


async def test_only_the_head_of_each_chat_is_claimed(db):
    await stored(db, message(1, 10), message(2, 10), message(3, 11), message(4, 10))
    assert await claim(db) == [1, 3]
    assert await claim(db, "w2") == [], "both chats have an update in progress"
    await finish(db, inbox.Outcome(1))
    assert await claim(db, "w2") == [2]
    await finish(db, inbox.Outcome(3), inbox.Outcome(2, "RuntimeError: boom"), owner="w1")
    assert await claim(db) == [], "2 belongs to w2: w1's outcome for it is ignored"
    await finish(db, inbox.Outcome(2, "RuntimeError: boom"), owner="w2")
    assert await claim(db) == [4], "a failed update does not hold up its chat"
    async with db.reading() as session:
        failed = await session.get(InboxUpdate, 2)
    assert (failed.state, failed.error) == (InboxState.FAILED, "RuntimeError: boom")
    assert failed.handled_at == NOW


async def test_claims_are_oldest_first_and_limited(db):
    await stored(db, *(message(n, 100 + n) for n in range(1, 8)))
    assert await claim(db, limit=3) == [1, 2, 3]
    assert await claim(db, limit=3) == [4, 5, 6]
    assert await claim(db, limit=0) == []


async def test_a_dead_workers_update_is_taken_again_after_its_lease(db):
    await stored(db, message(1, 10), message(2, 10))
    assert await claim(db, "dead") == [1]
    assert await claim(db, "alive", now=NOW + LEASE - dt.timedelta(seconds=1)) == []
    later = NOW + LEASE + dt.timedelta(seconds=1)
    async with db.transaction() as session:
        again = await inbox.claim(session, owner="alive", now=later, lease=LEASE, limit=10)
    assert [(row.update_id, row.attempts) for row in again] == [(1, 2)]
    await finish(db, inbox.Outcome(1), owner="dead", now=later)
    assert (await states(db))[1] == InboxState.WORKING, "the dead worker no longer owns it"
    await finish(db, inbox.Outcome(1), owner="alive", now=later)
    assert await claim(db, "alive", now=later) == [2]


async def test_renewed_leases_keep_an_update(db):
    await stored(db, message(1, 10))
    assert await claim(db, "slow") == [1]
    async with db.transaction() as session:
        await inbox.extend(session, [1], owner="slow", lease_until=NOW + 3 * LEASE)
    assert await claim(db, "other", now=NOW + 2 * LEASE) == []


async def test_given_back_updates_are_claimed_at_once(db):
    await stored(db, message(1, 10), message(2, 10))
    assert await claim(db, "stopping") == [1]
    async with db.transaction() as session:
        await inbox.release(session, [1], owner="stopping")
    assert await claim(db, "other") == [1]


async def test_pruning_keeps_open_and_recent_updates(db):
    await stored(db, message(1, 10), message(2, 11), message(3, 12), message(4, 13))
    assert await claim(db) == [1, 2, 3, 4]
    old = NOW - dt.timedelta(hours=50)
    await finish(db, inbox.Outcome(1), inbox.Outcome(2, "ValueError: x"), now=old)
    await finish(db, inbox.Outcome(3))
    async with db.transaction() as session:
        pruned = await inbox.prune(session, handled_before=NOW - dt.timedelta(hours=48))
    assert pruned == 2
    assert await states(db) == {3: InboxState.DONE, 4: InboxState.WORKING}


async def test_stats(db):
    async with db.transaction() as session:
        await inbox.store(session, [message(1, 10)], now=NOW - dt.timedelta(seconds=30))
        await inbox.store(session, [message(2, 11), message(3, 12)], now=NOW)
    assert await claim(db, limit=1) == [1]
    await finish(db, inbox.Outcome(1, "RuntimeError: x"))
    async with db.reading() as session:
        found = await inbox.stats(session, now=NOW + dt.timedelta(seconds=5))
    assert found == inbox.InboxStats(open=2, oldest_open_seconds=5.0, failed=1)


async def test_replicas_claiming_at_once_never_share_a_chat(db):
    """Many claimers at the same moment (separate transactions, on PostgreSQL truly
    concurrent): each chat's head goes to exactly one of them, and only the head."""
    await stored(db, *(message(n, 1000 + n % 40) for n in range(1, 201)))

    async def claimer(name: str) -> list[int]:
        return await claim(db, name, limit=15)

    results = await asyncio.gather(*(claimer(f"w{n}") for n in range(6)))
    taken = [update_id for result in results for update_id in result]
    assert len(taken) == len(set(taken)), "an update was claimed twice"
    assert sorted(taken) == list(range(1, 41)), "exactly the 40 chat heads"


async def turn(db, **fields) -> inbox.TurnResult:
    """A worker's turn, the way bot/intake.py runs it on this database."""
    values = {
        "owner": "w1",
        "now": NOW,
        "lease": LEASE,
        "stores": [],
        "outcomes": [],
        "given_back": [],
        "renew": [],
        "claim": 10,
    }
    values.update(fields)
    if db.is_sqlite:
        async with db.transaction() as session:
            return await inbox.run_turn(session, inbox.Turn(**values))
    url = make_url(db.url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(url)
    try:
        return await inbox.run_turn_pg(connection, inbox.Turn(**values))
    finally:
        await connection.close()


async def test_a_workers_turn_stores_records_and_claims_in_order(db):
    first = await turn(db, stores=[message(1, 10), message(2, 10), message(3, 11)])
    assert [item.update_id for item in first.new] == [1, 2, 3]
    assert [row.update_id for row in first.claimed] == [1, 3]
    again = await turn(db, stores=[message(3, 11)])
    assert again.new == [] and again.claimed == [], "a repeat is stored once"
    # 1 failed: its chat's next update is claimed in the same turn.
    second = await turn(db, outcomes=[inbox.Outcome(1, "RuntimeError: x"), inbox.Outcome(3)])
    assert [row.update_id for row in second.claimed] == [2]
    third = await turn(db, given_back=[2], claim=0)
    assert third.claimed == []
    later = NOW + 2 * LEASE
    fourth = await turn(db, owner="w2", now=later, renew=[2])
    assert [(row.update_id, row.attempts) for row in fourth.claimed] == [(2, 2)]
    async with db.reading() as session:
        rows = {
            row.update_id: (row.state, row.error, row.lease_owner)
            for row in (await session.execute(select(InboxUpdate))).scalars()
        }
    assert rows == {
        1: (InboxState.FAILED, "RuntimeError: x", "w1"),
        2: (InboxState.WORKING, None, "w2"),
        3: (InboxState.DONE, None, "w1"),
    }


async def test_an_update_that_keeps_killing_its_worker_is_given_up(db):
    await turn(db, stores=[message(1, 10), message(2, 10)], claim=0)
    moment = NOW
    for attempt in range(inbox.MAX_ATTEMPTS):
        result = await turn(db, owner=f"w{attempt}", now=moment)
        assert [row.update_id for row in result.claimed] == [1]
        moment += LEASE + dt.timedelta(seconds=1)  # that worker died
    last = await turn(db, owner="survivor", now=moment)
    assert [row.update_id for row in last.spent] == [1]
    assert [row.update_id for row in last.claimed] == [], "2 waits for the next turn"
    async with db.reading() as session:
        given_up = await session.get(InboxUpdate, 1)
    assert given_up.state == InboxState.FAILED
    assert given_up.error == inbox.GAVE_UP
    assert [row.update_id for row in (await turn(db, owner="survivor", now=moment)).claimed] == [2]


async def test_turns_at_once_never_share_a_chat_and_announce_what_they_leave(db):
    """PostgreSQL's turn (one function call): replicas' turns at the same moment each take
    other chat heads, and a turn that stores updates it does not take tells the others."""
    if db.is_sqlite:
        pytest.skip("SQLite has one process per file; runs on the PostgreSQL pass")
    url = make_url(db.url).set(drivername="postgresql").render_as_string(hide_password=False)
    listener = await asyncpg.connect(url)
    heard: list[str] = []
    await listener.add_listener(inbox.NOTIFY_CHANNEL, lambda *args: heard.append(args[-1]))
    try:
        first = await turn(db, owner="w0", stores=[message(1, 10)])
        assert [row.update_id for row in first.claimed] == [1]
        await asyncio.sleep(0.2)
        assert heard == [], "it took all it stored: nobody else needs waking"
        many = [message(n, 1000 + n % 40) for n in range(2, 202)]
        second = await turn(db, owner="w0", stores=many, claim=5)
        assert len(second.new) == 200
        assert [row.update_id for row in second.claimed] == [2, 3, 4, 5, 6]
        await eventually(lambda: heard == ["w0"], timeout=5)
        results = await asyncio.gather(*(turn(db, owner=f"w{n}", claim=15) for n in range(1, 7)))
        taken = [row.update_id for result in results for row in result.claimed]
        assert len(taken) == len(set(taken)), "an update was claimed twice"
        assert sorted(taken) == list(range(7, 42)), "the other 35 chat heads, each once"
    finally:
        await listener.close()
