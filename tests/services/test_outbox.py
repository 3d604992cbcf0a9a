"""The outbox service against a real database: dedupe, claiming, leases, concurrency."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import func, select

from bot.db import Database
from bot.models import OutboxMessage, OutboxState, Priority
from bot.services import outbox, users

NOW = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(seconds=30)


def notice(chat_id: int, key: str, **kwargs) -> outbox.Notice:
    return outbox.Notice(chat_id=chat_id, text="hi", dedupe_key=key, kind="test", **kwargs)


async def enqueue(db, notices, now=NOW) -> int:
    async with db.transaction() as session:
        return await outbox.enqueue(session, notices, now=now)


async def claim(db, owner="a", now=NOW, limit=100) -> list[outbox.Claimed]:
    async with db.transaction() as session:
        return await outbox.claim_due(session, owner=owner, now=now, lease=LEASE, limit=limit)


async def test_dedupe_keys_make_queuing_idempotent(db):
    assert await enqueue(db, [notice(1, "k1"), notice(2, "k2")]) == 2
    assert await enqueue(db, [notice(1, "k1"), notice(3, "k3")]) == 1
    results = await asyncio.gather(*(enqueue(db, [notice(9, "same")]) for _ in range(10)))
    assert sum(results) == 1
    async with db.reading() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 4


async def test_a_write_wakes_the_listeners_after_commit_only(db):
    woken: list[str] = []
    db.outbox_listeners.append(lambda: woken.append("now"))
    try:
        await enqueue(db, [notice(1, "a")])
        assert woken == ["now"]
        await enqueue(db, [notice(1, "a")])  # nothing new: no wake-up
        assert woken == ["now"]
        try:
            async with db.transaction() as session:
                await outbox.enqueue(session, [notice(1, "b")], now=NOW)
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        assert woken == ["now"]
    finally:
        db.outbox_listeners.clear()


async def test_claims_take_due_messages_most_urgent_first(db):
    await enqueue(
        db,
        [
            notice(1, "later", not_before=NOW + dt.timedelta(seconds=10)),
            notice(2, "tip", priority=Priority.BACKGROUND),
            notice(3, "urgent", priority=Priority.URGENT),
            notice(4, "reminder", priority=Priority.REMINDER),
        ],
    )
    claimed = await claim(db)
    assert [c.chat_id for c in claimed] == [3, 4, 2]
    assert all(c.attempts == 1 for c in claimed)
    assert await claim(db, owner="b") == []  # leased
    later = await claim(db, owner="b", now=NOW + dt.timedelta(seconds=11))
    assert [c.chat_id for c in later] == [1]


async def test_a_claim_takes_no_more_than_its_limit(db):
    await enqueue(db, [notice(n, f"k{n}") for n in range(1, 11)])
    first = await claim(db, limit=3)
    assert [c.chat_id for c in first] == [1, 2, 3]
    async with db.reading() as session:
        leased = await session.scalar(
            select(func.count()).where(OutboxMessage.state == OutboxState.SENDING)
        )
    assert leased == 3
    assert [c.chat_id for c in await claim(db, owner="b", limit=100)] == list(range(4, 11))


async def test_an_expired_lease_is_claimed_again(db):
    await enqueue(db, [notice(1, "x")])
    (first,) = await claim(db, owner="crashed")
    assert await claim(db, owner="b", now=NOW + dt.timedelta(seconds=29)) == []
    (again,) = await claim(db, owner="b", now=NOW + dt.timedelta(seconds=31))
    assert again.id == first.id
    assert again.attempts == 2
    # The crashed owner can no longer confirm or release it.
    async with db.transaction() as session:
        assert (
            await outbox.confirm_leases(session, [first.id], owner="crashed", lease_until=NOW)
            == set()
        )
        assert await outbox.confirm_leases(
            session, [first.id], owner="b", lease_until=NOW + LEASE
        ) == {first.id}


async def test_concurrent_claims_never_share_a_message(fresh_database_url, database_url, db):
    await enqueue(db, [notice(n, f"m{n}") for n in range(1, 301)])
    # Separate engines: separate connections, as separate processes would have.
    others = [Database(database_url) for _ in range(4)]
    try:
        batches = await asyncio.gather(
            *(
                claim(other, owner=f"d{i}", limit=50)
                for i, other in enumerate(others)
                for _ in range(2)
            )
        )
    finally:
        for other in others:
            await other.dispose()
    ids = [c.id for batch in batches for c in batch]
    assert len(ids) == len(set(ids)) == 300


async def test_outcomes(db):
    async with db.transaction() as session:
        await users.register_user(
            session, users.Profile(id=7, first_name="B"), now=NOW, admin_ids=()
        )
    await enqueue(db, [notice(7, "a"), notice(7, "b"), notice(8, "c"), notice(8, "d")])
    ids = sorted(claimed.id for claimed in await claim(db))
    async with db.transaction() as session:
        await outbox.mark_sent(session, [(ids[2], 55)], now=NOW)
        await outbox.release(
            session, ids[3], owner="a", not_before=NOW + LEASE, error="502", count_attempt=True
        )
        dropped = await outbox.mark_unreachable(session, 7, error="blocked", now=NOW)
    assert dropped == 2
    async with db.reading() as session:
        rows = {row.id: row for row in await session.scalars(select(OutboxMessage))}
        blocked = await users.get_user(session, 7)
    assert rows[ids[0]].state == rows[ids[1]].state == OutboxState.UNREACHABLE
    assert rows[ids[2]].state == OutboxState.SENT
    assert rows[ids[2]].telegram_message_id == 55
    assert rows[ids[3]].state == OutboxState.PENDING
    assert rows[ids[3]].last_error == "502"
    assert rows[ids[3]].lease_owner is None
    assert blocked.blocked_at == NOW
    assert await enqueue(db, [notice(7, "e")]) == 0
