"""The inbox: every incoming update, stored before it is acknowledged, then claimed and handled.

Plain values in and out (an update is its JSON text and a few fields read from it); the
workers that run updates through the handlers live in bot/intake.py.

Ordering: a chat's open updates (pending or working) form a queue in `update_id` order, and
only its head may be claimed, and only when it is pending or its lease ran out. So one
chat's updates are handled one at a time and in order, by whichever replica claims the head,
while different chats' heads are claimed in the same statement and run in parallel.

Why `FOR UPDATE SKIP LOCKED` (PostgreSQL): replicas claiming at the same moment each lock the
heads they take and skip the ones another replica is taking, instead of queuing behind each
other's transactions; the claim's WHERE is checked again on the locked row, so a head that
another replica claimed (or finished) meanwhile is not taken twice, and a chat's next
update only becomes a head once its predecessor's outcome is committed. No advisory lock per
chat and no lock held while a handler runs: the lease in the row is what a handler holds, and
it survives the claiming transaction. SQLite has one writer (one process per file, BEGIN
IMMEDIATE), so the same statements need no row locks there.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, delete, func, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import InboxState, InboxUpdate

ERROR_LENGTH = 500
# A worker that died this many times on one update (the update crashes the process?) gives up.
MAX_ATTEMPTS = 3
# The PostgreSQL channel a replica notifies after storing updates, so that the others claim
# at once instead of at their next tick.
NOTIFY_CHANNEL = "bot_inbox"

_OPEN = (InboxState.PENDING, InboxState.WORKING)
# Update fields holding a message-like object with a "chat".
_CHAT_HOLDERS = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_message",
    "edited_business_message",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "message_reaction",
    "message_reaction_count",
    "chat_boost",
    "removed_chat_boost",
)


class NotAnUpdate(ValueError):
    """The JSON is not a Telegram update (no integer update_id, or nothing in it)."""


@dataclass(frozen=True)
class Received:
    """An update as it arrived: its id, the chat that orders it, its kind and its JSON."""

    update_id: int
    chat_id: int | None
    kind: str
    payload: str


@dataclass(frozen=True)
class Claimed:
    """An update a worker holds the lease on."""

    update_id: int
    chat_id: int | None
    kind: str
    payload: str
    attempts: int


@dataclass(frozen=True)
class Outcome:
    """What became of a claimed update: handled (error None) or failed with `error`."""

    update_id: int
    error: str | None = None


@dataclass(frozen=True)
class InboxStats:
    """The inbox at a glance: open updates, the oldest one's age, failures kept."""

    open: int
    oldest_open_seconds: float
    failed: int


def received(update: dict, payload: str | None = None) -> Received:
    """Read what the inbox needs from an update's parsed JSON (and keep `payload` verbatim).

    Raises NotAnUpdate for anything that is not an update: Telegram's updates have an
    integer `update_id` and exactly one other field, an object.
    """
    if not isinstance(update, dict):
        raise NotAnUpdate("not a JSON object")
    update_id = update.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool) or update_id < 0:
        raise NotAnUpdate("no update_id")
    kinds = [key for key, value in update.items() if key != "update_id" and isinstance(value, dict)]
    if not kinds:
        raise NotAnUpdate("nothing in it")
    kind = kinds[0][:32]
    return Received(
        update_id=update_id,
        chat_id=chat_key(update),
        kind=kind,
        payload=payload if payload is not None else json.dumps(update, separators=(",", ":")),
    )


def chat_key(update: dict) -> int | None:
    """The chat whose updates must be handled in order: the chat, else the user; None if
    the update has neither (such updates are ordered among themselves)."""
    for field in _CHAT_HOLDERS:
        holder = update.get(field)
        if isinstance(holder, dict):
            chat = holder.get("chat")
            if isinstance(chat, dict) and isinstance(chat.get("id"), int):
                return chat["id"]
    query = update.get("callback_query")
    if isinstance(query, dict):
        message = query.get("message")
        if isinstance(message, dict) and isinstance(message.get("chat"), dict):
            chat_id = message["chat"].get("id")
            if isinstance(chat_id, int):
                return chat_id
    for value in update.values():
        if isinstance(value, dict):
            person = value.get("from") or value.get("user")
            if isinstance(person, dict) and isinstance(person.get("id"), int):
                return person["id"]
    return None


async def store(
    session: AsyncSession, updates: Sequence[Received], *, now: dt.datetime, by: str = ""
) -> list[Received]:
    """Insert `updates` in one statement; return those that were new (a repeated
    update_id is stored once). The caller's commit is the acknowledgement.

    On PostgreSQL the commit also notifies NOTIFY_CHANNEL, with `by` (the storing worker) as
    the payload, so that other replicas claim at once.
    """
    if not updates:
        return []
    unique = list({item.update_id: item for item in updates}.values())
    dialect = sqlite if session.bind.dialect.name == "sqlite" else postgresql
    statement = (
        dialect.insert(InboxUpdate.__table__)
        .values(
            [
                {
                    "update_id": item.update_id,
                    "chat_id": item.chat_id,
                    "kind": item.kind,
                    "payload": item.payload,
                    "state": InboxState.PENDING.value,
                    "received_at": now,
                    "attempts": 0,
                }
                for item in unique
            ]
        )
        .on_conflict_do_nothing(index_elements=["update_id"])
        .returning(InboxUpdate.update_id)
    )
    new = set((await session.execute(statement)).scalars())
    if new and session.bind.dialect.name == "postgresql":
        await session.execute(
            text("SELECT pg_notify(:channel, :by)"), {"channel": NOTIFY_CHANNEL, "by": by}
        )
    return [item for item in unique if item.update_id in new]


def _claimable(now: dt.datetime):  # noqa: ANN202 - an SQL expression
    return or_(
        InboxUpdate.state == InboxState.PENDING,
        and_(InboxUpdate.state == InboxState.WORKING, InboxUpdate.lease_until < now),
    )


async def claim(
    session: AsyncSession,
    *,
    owner: str,
    now: dt.datetime,
    lease: dt.timedelta,
    limit: int,
) -> list[Claimed]:
    """Take the lease on up to `limit` chat heads, oldest first (see the module doc).

    A head is claimable when pending, or when the replica that claimed it let its lease run
    out (it died). Each claim counts an attempt.
    """
    if limit <= 0:
        return []
    heads = (
        select(func.min(InboxUpdate.update_id))
        .where(InboxUpdate.state.in_(_OPEN))
        .group_by(InboxUpdate.chat_id)
    )
    # Materialized: picked once, locked once. (As a plain IN-subquery PostgreSQL may run it
    # again per row, and LIMIT would no longer limit.)
    picked = (
        select(InboxUpdate.update_id)
        .where(InboxUpdate.update_id.in_(heads), _claimable(now))
        .order_by(InboxUpdate.update_id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("picked")
        .prefix_with("MATERIALIZED")
    )
    result = await session.execute(
        update(InboxUpdate)
        .where(InboxUpdate.update_id.in_(select(picked.c.update_id)), _claimable(now))
        .values(
            state=InboxState.WORKING,
            lease_owner=owner,
            lease_until=now + lease,
            attempts=InboxUpdate.attempts + 1,
        )
        .returning(
            InboxUpdate.update_id,
            InboxUpdate.chat_id,
            InboxUpdate.kind,
            InboxUpdate.payload,
            InboxUpdate.attempts,
        )
        .execution_options(synchronize_session=False)
    )
    rows = sorted(result.all(), key=lambda row: row.update_id)
    return [
        Claimed(
            update_id=row.update_id,
            chat_id=row.chat_id,
            kind=row.kind,
            payload=row.payload,
            attempts=row.attempts,
        )
        for row in rows
    ]


async def extend(
    session: AsyncSession, update_ids: Iterable[int], *, owner: str, lease_until: dt.datetime
) -> None:
    """Renew this worker's leases on `update_ids` (handlers still running)."""
    ids = list(update_ids)
    if not ids:
        return
    await session.execute(
        update(InboxUpdate)
        .where(
            InboxUpdate.update_id.in_(ids),
            InboxUpdate.lease_owner == owner,
            InboxUpdate.state == InboxState.WORKING,
        )
        .values(lease_until=lease_until)
        .execution_options(synchronize_session=False)
    )


async def finish(
    session: AsyncSession, outcomes: Sequence[Outcome], *, owner: str, now: dt.datetime
) -> None:
    """Record outcomes: handled rows become done, the others failed with their error; the
    row keeps `lease_owner`, which worker handled it.

    Only rows this worker still holds change (a row whose lease ran out and that another
    worker took is left to that worker).
    """
    done = [outcome.update_id for outcome in outcomes if outcome.error is None]
    failed = [outcome for outcome in outcomes if outcome.error is not None]
    mine = and_(InboxUpdate.lease_owner == owner, InboxUpdate.state == InboxState.WORKING)
    if done:
        await session.execute(
            update(InboxUpdate)
            .where(InboxUpdate.update_id.in_(done), mine)
            .values(state=InboxState.DONE, handled_at=now, lease_until=None)
            .execution_options(synchronize_session=False)
        )
    if failed:
        await session.execute(
            update(InboxUpdate.__table__)
            .where(
                InboxUpdate.__table__.c.update_id == bindparam("failed_id"),
                InboxUpdate.__table__.c.lease_owner == owner,
                InboxUpdate.__table__.c.state == InboxState.WORKING.value,
            )
            .values(
                state=InboxState.FAILED.value,
                handled_at=now,
                lease_until=None,
                error=bindparam("failure"),
            ),
            [
                {"failed_id": outcome.update_id, "failure": outcome.error[:ERROR_LENGTH]}
                for outcome in failed
            ],
        )


async def release(session: AsyncSession, update_ids: Iterable[int], *, owner: str) -> None:
    """Give claimed rows back (pending again, no lease), for another worker to take at once."""
    ids = list(update_ids)
    if not ids:
        return
    await session.execute(
        update(InboxUpdate)
        .where(
            InboxUpdate.update_id.in_(ids),
            InboxUpdate.lease_owner == owner,
            InboxUpdate.state == InboxState.WORKING,
        )
        .values(state=InboxState.PENDING, lease_owner=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )


async def prune(session: AsyncSession, *, handled_before: dt.datetime) -> int:
    """Delete handled and failed updates older than `handled_before`; return how many."""
    result = await session.execute(
        delete(InboxUpdate).where(
            InboxUpdate.state.in_((InboxState.DONE, InboxState.FAILED)),
            InboxUpdate.handled_at < handled_before,
        )
    )
    return max(result.rowcount or 0, 0)


async def stats(session: AsyncSession, *, now: dt.datetime) -> InboxStats:
    """How many updates are open, how long the oldest has waited, how many failed."""
    row = (
        await session.execute(
            select(func.count(), func.min(InboxUpdate.received_at)).where(
                InboxUpdate.state.in_(_OPEN)
            )
        )
    ).one()
    failed = await session.scalar(
        select(func.count()).where(InboxUpdate.state == InboxState.FAILED)
    )
    oldest = row[1]
    age = max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
    return InboxStats(open=row[0], oldest_open_seconds=age, failed=failed or 0)
