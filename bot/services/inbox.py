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
from typing import Any

import asyncpg
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


@dataclass
class Turn:
    """What one worker writes and asks for in one transaction (bot/intake.py's loop)."""

    owner: str
    now: dt.datetime
    lease: dt.timedelta
    stores: list[Received]
    outcomes: list[Outcome]
    given_back: list[int]
    renew: list[int]
    claim: int


@dataclass
class TurnResult:
    """What a turn did: the updates that were new, and those claimed to be handled now
    (updates claimed once too often are failed instead, and listed in `spent`)."""

    new: list[Received]
    claimed: list[Claimed]
    spent: list[Claimed]


GAVE_UP = f"gave up after {MAX_ATTEMPTS} attempts: the process handling it stopped each time"


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


# The statements are built once (building SQLAlchemy constructs costs more CPU than running
# them, and they run for every update) and run on the session's connection (Core), without
# the ORM's per-statement work. Values come as bound parameters.
_T = InboxUpdate.__table__
_C = _T.c
_MINE = and_(_C.lease_owner == bindparam("owner"), _C.state == InboxState.WORKING)
_INSERTS = {
    name: dialect.insert(_T)
    .on_conflict_do_nothing(index_elements=["update_id"])
    .returning(_C.update_id)
    for name, dialect in (("sqlite", sqlite), ("postgresql", postgresql))
}
_NOTIFY = text("SELECT pg_notify(:channel, :by)")


def _claimable():  # noqa: ANN202 - an SQL expression
    return or_(
        _C.state == InboxState.PENDING,
        and_(_C.state == InboxState.WORKING, _C.lease_until < bindparam("now")),
    )


# Materialized: picked once, locked once. (As a plain IN-subquery PostgreSQL may run it again
# per row, and LIMIT would no longer limit.)
_PICKED = (
    select(_C.update_id)
    .where(
        _C.update_id.in_(
            select(func.min(_C.update_id)).where(_C.state.in_(_OPEN)).group_by(_C.chat_id)
        ),
        _claimable(),
    )
    .order_by(_C.update_id)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)
    .cte("picked")
    .prefix_with("MATERIALIZED")
)
_CLAIM = (
    update(_T)
    .where(_C.update_id.in_(select(_PICKED.c.update_id)), _claimable())
    .values(
        state=InboxState.WORKING,
        lease_owner=bindparam("new_owner"),
        lease_until=bindparam("new_until"),
        attempts=_C.attempts + 1,
    )
    .returning(_C.update_id, _C.chat_id, _C.kind, _C.payload, _C.attempts)
)
_EXTEND = (
    update(_T)
    .where(_C.update_id.in_(bindparam("ids", expanding=True)), _MINE)
    .values(lease_until=bindparam("until"))
)
_DONE = (
    update(_T)
    .where(_C.update_id.in_(bindparam("ids", expanding=True)), _MINE)
    .values(
        state=InboxState.DONE,
        handled_at=bindparam("now"),
        lease_until=None,
        payload="",
        chat_id=None,
    )
)
_FAILED = (
    update(_T)
    .where(_C.update_id == bindparam("failed_id"), _MINE)
    .values(
        state=InboxState.FAILED,
        handled_at=bindparam("now"),
        lease_until=None,
        error=bindparam("failure"),
    )
)
_RELEASE = (
    update(_T)
    .where(_C.update_id.in_(bindparam("ids", expanding=True)), _MINE)
    .values(state=InboxState.PENDING, lease_owner=None, lease_until=None)
)


async def store(
    session: AsyncSession, updates: Sequence[Received], *, now: dt.datetime
) -> list[Received]:
    """Insert `updates` in one statement; return those that were new (a repeated
    update_id is stored once). The caller's commit is the acknowledgement."""
    if not updates:
        return []
    unique = list({item.update_id: item for item in updates}.values())
    dialect = session.bind.dialect.name
    result = await (await session.connection()).execute(
        _INSERTS[dialect],
        [
            {
                "update_id": item.update_id,
                "chat_id": item.chat_id,
                "kind": item.kind,
                "payload": item.payload,
                "state": InboxState.PENDING,
                "received_at": now,
                "attempts": 0,
            }
            for item in unique
        ],
    )
    new = {update_id for update_id in result.scalars() if update_id is not None}
    return [item for item in unique if item.update_id in new]


async def announce(session: AsyncSession, *, by: str) -> None:
    """On PostgreSQL, have the commit tell other replicas (NOTIFY_CHANNEL, payload `by`, the
    storing worker) that updates wait, so that they claim at once. SQLite: nothing."""
    if session.bind.dialect.name == "postgresql":
        await (await session.connection()).execute(_NOTIFY, {"channel": NOTIFY_CHANNEL, "by": by})


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
    result = await (await session.connection()).execute(
        _CLAIM, {"now": now, "limit": limit, "new_owner": owner, "new_until": now + lease}
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
    if ids:
        await (await session.connection()).execute(
            _EXTEND, {"ids": ids, "owner": owner, "until": lease_until}
        )


async def finish(
    session: AsyncSession, outcomes: Sequence[Outcome], *, owner: str, now: dt.datetime
) -> None:
    """Record outcomes: handled rows become done, the others failed with their error; the
    row keeps `lease_owner`, which worker handled it. A handled update's payload (names,
    texts) and chat are dropped at once: only its id is needed any more, to refuse a
    repeat.

    Only rows this worker still holds change (a row whose lease ran out and that another
    worker took is left to that worker).
    """
    done = [outcome.update_id for outcome in outcomes if outcome.error is None]
    failed = [outcome for outcome in outcomes if outcome.error is not None]
    if done:
        await (await session.connection()).execute(_DONE, {"ids": done, "owner": owner, "now": now})
    if failed:
        await (await session.connection()).execute(
            _FAILED,
            [
                {
                    "failed_id": outcome.update_id,
                    "failure": outcome.error[:ERROR_LENGTH],
                    "owner": owner,
                    "now": now,
                }
                for outcome in failed
            ],
        )


async def release(session: AsyncSession, update_ids: Iterable[int], *, owner: str) -> None:
    """Give claimed rows back (pending again, no lease), for another worker to take at once."""
    ids = list(update_ids)
    if ids:
        await (await session.connection()).execute(_RELEASE, {"ids": ids, "owner": owner})


async def run_turn(session: AsyncSession, turn: Turn) -> TurnResult:
    """One turn in the caller's transaction: store, record outcomes, give back, renew, claim
    (in that order, so that a finished update's successor can be claimed at once); tell
    other replicas about stored updates this worker does not take."""
    new = await store(session, turn.stores, now=turn.now)
    await finish(session, turn.outcomes, owner=turn.owner, now=turn.now)
    await release(session, turn.given_back, owner=turn.owner)
    await extend(session, turn.renew, owner=turn.owner, lease_until=turn.now + turn.lease)
    claimed = await claim(
        session, owner=turn.owner, now=turn.now, lease=turn.lease, limit=turn.claim
    )
    taken = {row.update_id for row in claimed}
    if any(item.update_id not in taken for item in new):
        await announce(session, by=turn.owner)
    spent = [row for row in claimed if row.attempts > MAX_ATTEMPTS]
    if spent:
        outcomes = [Outcome(row.update_id, GAVE_UP) for row in spent]
        await finish(session, outcomes, owner=turn.owner, now=turn.now)
    return TurnResult(
        new=new, claimed=[row for row in claimed if row.attempts <= MAX_ATTEMPTS], spent=spent
    )


def _sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


# The same turn on PostgreSQL, on the asyncpg connection the worker keeps for it. It runs for
# every update, and what it costs the bot is mostly round trips: SQLAlchemy's layers cost
# about three times the statements' own work (bench/inbox.py), and each statement sent is a
# system call and a wake-up of the server. So the turn is one PL/pgSQL function, called in
# one round trip and one implicit transaction: the same statements, in the same order, each
# seeing what the one before it did. It is a temporary function (pg_temp), created on the
# worker's connection when first called there: each replica runs its own version of it, and
# there is no schema object to migrate (nor to keep in step during a rolling upgrade).
# Rows out: ('new', update_id) for each update stored for the first time; ('claimed', ...)
# and ('spent', ...) for each update claimed, with its chat, kind, payload and attempts.
_PG_TURN_FUNCTION = f"""
CREATE OR REPLACE FUNCTION pg_temp.inbox_turn(
    store_ids bigint[], store_chats bigint[], store_kinds text[], store_payloads text[],
    moment timestamptz, worker text, done_ids bigint[], failed_ids bigint[],
    failed_errors text[], released_ids bigint[], renewed_ids bigint[], lease_end timestamptz,
    wanted int
) RETURNS TABLE (part text, r_id bigint, r_chat bigint, r_kind text, r_payload text,
                 r_attempts int)
LANGUAGE plpgsql AS $turn$
DECLARE
    fresh bigint[] := '{{}}';
    taken bigint[] := '{{}}';
    spent bigint[] := '{{}}';
    claimed_row record;
BEGIN
    IF cardinality(store_ids) > 0 THEN
        WITH stored AS (
            INSERT INTO inbox (update_id, chat_id, kind, payload, state, received_at, attempts)
            SELECT u, c, k, p, 'pending', moment, 0
            FROM unnest(store_ids, store_chats, store_kinds, store_payloads) AS t(u, c, k, p)
            ON CONFLICT (update_id) DO NOTHING
            RETURNING inbox.update_id
        )
        SELECT coalesce(array_agg(stored.update_id), '{{}}') INTO fresh FROM stored;
    END IF;
    IF cardinality(done_ids) > 0 THEN
        UPDATE inbox SET state = 'done', handled_at = moment, lease_until = NULL, payload = '',
            chat_id = NULL
        WHERE update_id = ANY(done_ids) AND lease_owner = worker AND state = 'working';
    END IF;
    IF cardinality(failed_ids) > 0 THEN
        UPDATE inbox AS i SET state = 'failed', handled_at = moment, lease_until = NULL,
            error = f.e
        FROM unnest(failed_ids, failed_errors) AS f(id, e)
        WHERE i.update_id = f.id AND i.lease_owner = worker AND i.state = 'working';
    END IF;
    IF cardinality(released_ids) > 0 THEN
        UPDATE inbox SET state = 'pending', lease_owner = NULL, lease_until = NULL
        WHERE update_id = ANY(released_ids) AND lease_owner = worker AND state = 'working';
    END IF;
    IF cardinality(renewed_ids) > 0 THEN
        UPDATE inbox SET lease_until = lease_end
        WHERE update_id = ANY(renewed_ids) AND lease_owner = worker AND state = 'working';
    END IF;
    IF wanted > 0 THEN
        -- A chat's head only, and only when it is pending or its lease ran out.
        FOR claimed_row IN
            WITH picked AS MATERIALIZED (
                SELECT inbox.update_id FROM inbox
                WHERE inbox.update_id IN (
                    SELECT min(o.update_id) FROM inbox AS o
                    WHERE o.state IN ('pending', 'working') GROUP BY o.chat_id
                ) AND (inbox.state = 'pending'
                       OR (inbox.state = 'working' AND inbox.lease_until < moment))
                ORDER BY inbox.update_id LIMIT wanted
                FOR UPDATE SKIP LOCKED
            )
            UPDATE inbox SET state = 'working', lease_owner = worker, lease_until = lease_end,
                attempts = inbox.attempts + 1
            WHERE inbox.update_id IN (SELECT picked.update_id FROM picked)
                AND (inbox.state = 'pending'
                     OR (inbox.state = 'working' AND inbox.lease_until < moment))
            RETURNING inbox.update_id, inbox.chat_id, inbox.kind, inbox.payload, inbox.attempts
        LOOP
            taken := taken || claimed_row.update_id;
            IF claimed_row.attempts > {MAX_ATTEMPTS} THEN
                spent := spent || claimed_row.update_id;
                part := 'spent';
            ELSE
                part := 'claimed';
            END IF;
            r_id := claimed_row.update_id;
            r_chat := claimed_row.chat_id;
            r_kind := claimed_row.kind;
            r_payload := claimed_row.payload;
            r_attempts := claimed_row.attempts;
            RETURN NEXT;
        END LOOP;
    END IF;
    IF cardinality(spent) > 0 THEN
        UPDATE inbox SET state = 'failed', handled_at = moment, lease_until = NULL,
            error = {_sql_literal(GAVE_UP)}
        WHERE update_id = ANY(spent) AND lease_owner = worker AND state = 'working';
    END IF;
    -- Other replicas are told about stored updates this worker did not take.
    IF EXISTS (SELECT 1 FROM unnest(fresh) AS n(id) WHERE NOT (n.id = ANY(taken))) THEN
        PERFORM pg_notify({_sql_literal(NOTIFY_CHANNEL)}, worker);
    END IF;
    part := 'new';
    r_chat := NULL;
    r_kind := NULL;
    r_payload := NULL;
    r_attempts := NULL;
    FOREACH r_id IN ARRAY fresh LOOP
        RETURN NEXT;
    END LOOP;
END
$turn$"""
_PG_TURN = (
    "SELECT * FROM pg_temp.inbox_turn($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
)


async def run_turn_pg(connection: Any, turn: Turn) -> TurnResult:
    """`run_turn` on a PostgreSQL asyncpg connection: one call of the turn's function, in
    one transaction of its own (the function is created on the connection the first time)."""
    unique = list({item.update_id: item for item in turn.stores}.values())
    failed = [outcome for outcome in turn.outcomes if outcome.error is not None]
    arguments = (
        [item.update_id for item in unique],
        [item.chat_id for item in unique],
        [item.kind for item in unique],
        [item.payload for item in unique],
        turn.now,
        turn.owner,
        [outcome.update_id for outcome in turn.outcomes if outcome.error is None],
        [outcome.update_id for outcome in failed],
        [(outcome.error or "")[:ERROR_LENGTH] for outcome in failed],
        list(turn.given_back),
        list(turn.renew),
        turn.now + turn.lease,
        turn.claim,
    )
    try:
        rows = await connection.fetch(_PG_TURN, *arguments)
    except (asyncpg.UndefinedFunctionError, asyncpg.InvalidSchemaNameError):
        # Not created on this connection yet (no temporary schema yet, or no function).
        await connection.execute(_PG_TURN_FUNCTION)
        rows = await connection.fetch(_PG_TURN, *arguments)
    new_ids = {row[1] for row in rows if row[0] == "new"}
    claimed = sorted(
        (Claimed(row[1], row[2], row[3], row[4], row[5]) for row in rows if row[0] != "new"),
        key=lambda row: row.update_id,
    )
    return TurnResult(
        new=[item for item in unique if item.update_id in new_ids],
        claimed=[row for row in claimed if row.attempts <= MAX_ATTEMPTS],
        spent=[row for row in claimed if row.attempts > MAX_ATTEMPTS],
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
