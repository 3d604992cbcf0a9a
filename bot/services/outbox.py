"""The outbox: messages queued in the same transaction as their cause, claimed with a lease.

Every message that is not the direct reply to an update goes through here. `enqueue` is what
services call; the rest is the dispatcher's side: claim what is due, then record what became
of each message. A message's `dedupe_key` is unique, so queuing the same notice twice, from
however many places or retries, yields one row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, bindparam, func, null, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import insert_ignoring_conflicts, note_outbox_write
from bot.models import Group, OutboxMessage, OutboxState, OutboxSubject, Priority, User

ERROR_LENGTH = 500
# What stays of a stored message that named someone who deleted their account.
ERASED_TEXT = "(erased: this message named a former member)"


@dataclass(frozen=True)
class Notice:
    """A message to queue: where, what, and the key that makes it unique.

    What is either `text` (HTML sent as it is: words a trainer wrote) or a `template` with
    its `params` (plain JSON values), which the dispatcher renders in the recipient's
    language and time zone as it sends (bot/views/notices.py).
    """

    chat_id: int
    dedupe_key: str
    kind: str
    text: str | None = None  # HTML
    template: str | None = None
    params: dict[str, Any] | None = None
    priority: int = Priority.BACKGROUND
    not_before: dt.datetime | None = None  # None: now
    reply_markup: dict[str, Any] | None = None
    broadcast_id: int | None = None
    topic: str | None = None  # what it is about ("booking:812"), to withdraw it with its cause
    expires_at: dt.datetime | None = None  # dropped if not sent by then
    # The people the text names besides its reader (user ids): deleting one of their
    # accounts erases this message (see `forget_subject`); while queued it is cancelled.
    subjects: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if (self.text is None) == (self.template is None):
            raise ValueError(f"notice {self.dedupe_key!r}: give either text or a template")


@dataclass(frozen=True)
class Claimed:
    """A message a dispatcher holds the lease on, as plain values; a templated one has its
    `text` and `reply_markup` filled in by rendering before it is sent."""

    id: int
    chat_id: int
    text: str | None
    reply_markup: dict[str, Any] | None
    template: str | None
    params: dict[str, Any] | None
    attempts: int
    lease_until: dt.datetime
    broadcast_id: int | None


@dataclass
class Progress:
    """How many messages of a group (a broadcast) are in each state."""

    counts: dict[OutboxState, int] = field(default_factory=dict)

    def __getitem__(self, state: OutboxState) -> int:
        return self.counts.get(state, 0)

    @property
    def total(self) -> int:
        """All messages, whatever their state."""
        return sum(self.counts.values())

    @property
    def open(self) -> int:
        """Messages not yet sent, failed, unreachable or cancelled."""
        return self[OutboxState.PENDING] + self[OutboxState.SENDING]


async def unreachable_chats(session: AsyncSession, chat_ids: Iterable[int]) -> set[int]:
    """Those of `chat_ids` that cannot be messaged: users who blocked the bot, groups it left."""
    ids = set(chat_ids)
    users = [chat_id for chat_id in ids if chat_id > 0]
    groups = [chat_id for chat_id in ids if chat_id < 0]
    blocked: set[int] = set()
    for chunk in _chunks(users):
        rows = await session.scalars(
            select(User.id).where(User.id.in_(chunk), User.blocked_at.is_not(None))
        )
        blocked.update(rows)
    for chunk in _chunks(groups):
        rows = await session.scalars(
            select(Group.chat_id).where(Group.chat_id.in_(chunk), Group.bot_removed_at.is_not(None))
        )
        blocked.update(rows)
    return blocked


async def enqueue(session: AsyncSession, notices: Sequence[Notice], *, now: dt.datetime) -> int:
    """Queue `notices` in the caller's transaction; return how many rows were new.

    Notices to unreachable chats are dropped (nothing is queued for someone who blocked the
    bot), and so are notices naming someone whose account is gone; a notice whose dedupe key
    exists already is ignored. Each row is linked to the people it names. The dispatcher is
    woken when the caller's transaction commits.
    """
    if not notices:
        return 0
    skip = await unreachable_chats(session, {notice.chat_id for notice in notices})
    present = await _hold_subjects(session, {s for notice in notices for s in notice.subjects})
    notices = [
        notice
        for notice in notices
        if notice.chat_id not in skip and present.issuperset(notice.subjects)
    ]
    rows = [
        {
            "dedupe_key": notice.dedupe_key,
            "chat_id": notice.chat_id,
            "kind": notice.kind,
            "text": notice.text,
            "template": notice.template,
            "params": notice.params,
            "reply_markup": notice.reply_markup,
            "priority": int(notice.priority),
            "not_before": notice.not_before or now,
            "state": OutboxState.PENDING.value,
            "attempts": 0,
            "broadcast_id": notice.broadcast_id,
            "topic": notice.topic,
            "expires_at": notice.expires_at,
            "created_at": now,
        }
        for notice in notices
    ]
    inserted = 0
    for chunk in _chunks(rows, 500):
        inserted += await insert_ignoring_conflicts(
            session, OutboxMessage.__table__, chunk, ["dedupe_key"]
        )
    await _link_subjects(session, [notice for notice in notices if notice.subjects])
    if inserted:
        note_outbox_write(session)
    return inserted


async def _hold_subjects(session: AsyncSession, user_ids: set[int]) -> set[int]:
    """Those of `user_ids` whose accounts exist, held (FOR KEY SHARE on PostgreSQL) until the
    caller commits: an account deletion running meanwhile waits for the links, then erases
    them, or finished first and these notices are not queued."""
    present: set[int] = set()
    for chunk in _chunks(user_ids):
        rows = await session.scalars(
            select(User.id).where(User.id.in_(chunk)).with_for_update(read=True, key_share=True)
        )
        present.update(rows)
    return present


async def _link_subjects(session: AsyncSession, notices: Sequence[Notice]) -> None:
    """Link the rows of `notices` (new or queued before under the same key) to the people
    they name."""
    if not notices:
        return
    ids: dict[str, int] = {}
    for chunk in _chunks([notice.dedupe_key for notice in notices]):
        rows = await session.execute(
            select(OutboxMessage.dedupe_key, OutboxMessage.id).where(
                OutboxMessage.dedupe_key.in_(chunk)
            )
        )
        ids.update((key, message_id) for key, message_id in rows)
    links = [
        {"message_id": ids[notice.dedupe_key], "user_id": subject}
        for notice in notices
        for subject in set(notice.subjects)
    ]
    for chunk in _chunks(links, 400):
        await insert_ignoring_conflicts(
            session, OutboxSubject.__table__, chunk, ["message_id", "user_id"]
        )


# Heads-ups a trainer gets only because the client lets them see check-ins: withdrawing
# that (or consent) erases them.
HEALTH_KINDS = ("heads_up", "readiness_heads_up")


async def forget_subject(
    session: AsyncSession,
    user_id: int,
    *,
    kinds: Collection[str] | None = None,
    why: str = "a person it named deleted their account",
) -> int:
    """Erase a person from every stored message that names them (to other people); only
    from messages of `kinds` when given (e.g. HEALTH_KINDS when they withdraw consent).

    Messages not yet sent are cancelled. Every one keeps its delivery record (chat, kind,
    state, attempts, times), so delivery counts stay true; its text becomes `ERASED_TEXT`,
    its buttons (which may hold a t.me link to them) go, and a dedupe key holding their id
    is replaced by one that names the row only. Returns how many messages were erased.
    """
    query = (
        select(OutboxMessage.id, OutboxMessage.dedupe_key)
        .join(OutboxSubject, OutboxSubject.message_id == OutboxMessage.id)
        .where(OutboxSubject.user_id == user_id)
    )
    if kinds is not None:
        query = query.where(OutboxMessage.kind.in_(list(kinds)))
    rows = (await session.execute(query)).all()
    ids = [row.id for row in rows]
    for chunk in _chunks(ids):
        await session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id.in_(chunk),
                OutboxMessage.state.in_([OutboxState.PENDING, OutboxState.SENDING]),
            )
            .values(
                state=OutboxState.CANCELLED,
                last_error=f"withdrawn: {why}",
                lease_owner=None,
                lease_until=None,
            )
        )
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(chunk))
            .values(text=ERASED_TEXT, template=None, params=null(), reply_markup=null())
        )
    # A key holding their id ("missed-buddy:<id>:…") can only recur for them, so the rewrite
    # never lets a notice be queued twice.
    for row in rows:
        if str(user_id) in row.dedupe_key.split(":"):
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row.id)
                .values(dedupe_key=f"erased:{row.id}")
            )
    return len(ids)


async def claim_due(
    session: AsyncSession,
    *,
    owner: str,
    now: dt.datetime,
    lease: dt.timedelta,
    limit: int,
) -> list[Claimed]:
    """Take the lease on up to `limit` due messages, most urgent first.

    Due: pending with `not_before` reached, or claimed by a dispatcher whose lease ran out
    (it crashed). On PostgreSQL, rows another dispatcher is claiming at this moment are
    skipped (FOR UPDATE SKIP LOCKED), so replicas never claim the same row.
    """
    due = and_(
        or_(
            and_(OutboxMessage.state == OutboxState.PENDING, OutboxMessage.not_before <= now),
            and_(OutboxMessage.state == OutboxState.SENDING, OutboxMessage.lease_until < now),
        ),
        or_(OutboxMessage.expires_at.is_(None), OutboxMessage.expires_at > now),
    )
    # Picked once, in a materialised CTE: as a plain subquery PostgreSQL may run the locking
    # SELECT again per row and claim more than `limit` (seen: 10 rows for a limit of 3).
    picked = (
        select(OutboxMessage.id)
        .where(due)
        .order_by(OutboxMessage.priority, OutboxMessage.not_before, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("picked")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    lease_until = now + lease
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(select(picked.c.id)), due)
        .values(
            state=OutboxState.SENDING,
            lease_owner=owner,
            lease_until=lease_until,
            attempts=OutboxMessage.attempts + 1,
        )
        .returning(
            OutboxMessage.id,
            OutboxMessage.chat_id,
            OutboxMessage.text,
            OutboxMessage.template,
            OutboxMessage.params,
            OutboxMessage.reply_markup,
            OutboxMessage.attempts,
            OutboxMessage.broadcast_id,
            OutboxMessage.priority,
            OutboxMessage.not_before,
        )
        .execution_options(synchronize_session=False)
    )
    rows = sorted(result.all(), key=lambda row: (row.priority, row.not_before, row.id))
    return [
        Claimed(
            id=row.id,
            chat_id=row.chat_id,
            text=row.text,
            reply_markup=row.reply_markup,
            template=row.template,
            params=row.params,
            attempts=row.attempts,
            lease_until=lease_until,
            broadcast_id=row.broadcast_id,
        )
        for row in rows
    ]


async def confirm_leases(
    session: AsyncSession, message_ids: Sequence[int], *, owner: str, lease_until: dt.datetime
) -> set[int]:
    """Right before sending: those of `message_ids` still this dispatcher's to send.

    A message is left out when it was cancelled meanwhile (a stopped broadcast) or its lease
    ran out and another dispatcher took it. The lease of the others runs to `lease_until`.
    """
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(message_ids),
            OutboxMessage.state == OutboxState.SENDING,
            OutboxMessage.lease_owner == owner,
        )
        .values(lease_until=lease_until)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    return set(result.scalars())


async def mark_sent(
    session: AsyncSession, sent: Sequence[tuple[int, int]], *, now: dt.datetime
) -> None:
    """Record that Telegram accepted these messages: (outbox id, Telegram message id) pairs.

    A message is marked sent whatever state it reached meanwhile: it did arrive.
    """
    if not sent:
        return
    table = OutboxMessage.__table__
    statement = (
        table.update()
        .where(table.c.id == bindparam("row_id"))
        .values(
            state=OutboxState.SENT.value,
            sent_at=now,
            telegram_message_id=bindparam("message_id"),
            lease_owner=None,
            lease_until=None,
            last_error=None,
        )
    )
    connection = await session.connection()
    await connection.execute(
        statement, [{"row_id": row_id, "message_id": message_id} for row_id, message_id in sent]
    )


async def release(
    session: AsyncSession,
    message_id: int,
    *,
    owner: str,
    not_before: dt.datetime,
    error: str | None = None,
    count_attempt: bool = True,
) -> None:
    """Give the message back to the queue, due at `not_before` (a retry, or not sent at all).

    With `count_attempt=False` the claim does not count as an attempt (a rate-limit pause, a
    shutdown). Only the lease holder can release; a message that meanwhile was cancelled
    stays cancelled.
    """
    values: dict[str, Any] = {
        "state": OutboxState.PENDING,
        "not_before": not_before,
        "lease_owner": None,
        "lease_until": None,
    }
    if error is not None:
        values["last_error"] = error[:ERROR_LENGTH]
    if not count_attempt:
        values["attempts"] = OutboxMessage.attempts - 1
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.state == OutboxState.SENDING,
            OutboxMessage.lease_owner == owner,
        )
        .values(**values)
    )


async def mark_failed(session: AsyncSession, message_id: int, *, error: str) -> None:
    """Give up on the message: a permanent error, or no attempts left."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.state == OutboxState.SENDING)
        .values(
            state=OutboxState.FAILED,
            last_error=error[:ERROR_LENGTH],
            lease_owner=None,
            lease_until=None,
        )
    )


async def mark_unreachable(
    session: AsyncSession, chat_id: int, *, error: str, now: dt.datetime
) -> int:
    """The chat refuses the bot (403): mark the user or group unreachable, drop its queue.

    Every message for the chat not yet sent becomes unreachable; nothing more is queued
    for it until the user comes back (/start) or the bot is added to the group again.
    Returns how many messages were dropped.
    """
    if chat_id > 0:
        await session.execute(
            update(User)
            .where(User.id == chat_id, User.blocked_at.is_(None))
            .values(blocked_at=now, updated_at=now)
        )
    else:
        await session.execute(
            update(Group)
            .where(Group.chat_id == chat_id, Group.bot_removed_at.is_(None))
            .values(bot_removed_at=now, updated_at=now)
        )
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.chat_id == chat_id,
            OutboxMessage.state.in_([OutboxState.PENDING, OutboxState.SENDING]),
        )
        .values(
            state=OutboxState.UNREACHABLE,
            last_error=error[:ERROR_LENGTH],
            lease_owner=None,
            lease_until=None,
        )
    )
    return result.rowcount or 0


async def migrate_chat(
    session: AsyncSession, old_chat_id: int, new_chat_id: int, *, now: dt.datetime
) -> None:
    """A group became a supergroup: move the group and its queued messages to the new id."""
    await session.execute(
        update(Group)
        .where(Group.chat_id == old_chat_id)
        .values(chat_id=new_chat_id, updated_at=now)
    )
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.chat_id == old_chat_id,
            OutboxMessage.state.in_([OutboxState.PENDING, OutboxState.SENDING]),
        )
        .values(chat_id=new_chat_id)
    )


async def withdraw(session: AsyncSession, topics: Sequence[str]) -> int:
    """Cancel unsent messages about these topics (a cancelled booking's reminders)."""
    if not topics:
        return 0
    cancelled = 0
    for chunk in _chunks(list(topics)):
        result = await session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.topic.in_(chunk),
                OutboxMessage.state.in_([OutboxState.PENDING, OutboxState.SENDING]),
            )
            .values(state=OutboxState.CANCELLED, last_error="withdrawn: its cause went away")
        )
        cancelled += result.rowcount or 0
    return cancelled


async def expire(session: AsyncSession, *, now: dt.datetime) -> int:
    """Drop unsent messages whose moment has passed (a reminder after the class began)."""
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.state.in_([OutboxState.PENDING, OutboxState.SENDING]),
            OutboxMessage.expires_at.is_not(None),
            OutboxMessage.expires_at <= now,
        )
        .values(state=OutboxState.CANCELLED, last_error="expired before it could be sent")
    )
    return result.rowcount or 0


async def cancel_pending(session: AsyncSession, *, broadcast_id: int, reason: str) -> int:
    """Cancel a broadcast's messages not yet sent; return how many.

    Claimed ones are cancelled too: a dispatcher confirms its lease right before sending
    (see `confirm_leases`) and skips them. Only requests already in flight still arrive.
    """
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.broadcast_id == broadcast_id,
            OutboxMessage.state.in_([OutboxState.PENDING, OutboxState.SENDING]),
        )
        .values(state=OutboxState.CANCELLED, last_error=reason)
    )
    return result.rowcount or 0


async def progress(session: AsyncSession, broadcast_ids: Iterable[int]) -> dict[int, Progress]:
    """Message counts by state for each broadcast."""
    ids = list(broadcast_ids)
    found: dict[int, Progress] = {broadcast_id: Progress() for broadcast_id in ids}
    if not ids:
        return found
    rows = await session.execute(
        select(OutboxMessage.broadcast_id, OutboxMessage.state, func.count())
        .where(OutboxMessage.broadcast_id.in_(ids))
        .group_by(OutboxMessage.broadcast_id, OutboxMessage.state)
    )
    for broadcast_id, state, count in rows:
        found[broadcast_id].counts[OutboxState(state)] = count
    return found


def _chunks(items: Sequence | set, size: int = 900) -> list[list]:
    """Split into lists of at most `size` (SQLite caps bound parameters per statement)."""
    items = list(items)
    return [items[i : i + size] for i in range(0, len(items), size)]


@dataclass(frozen=True)
class Recipient:
    """Who a message goes to, as rendering needs it: their language and time zone."""

    language: str | None  # chosen (a person) or set (a group); None: not chosen
    app_language: str | None  # a person's Telegram app language
    timezone: str | None


async def recipients(session: AsyncSession, chat_ids: Iterable[int]) -> dict[int, Recipient]:
    """The language and time zone of each chat (people by user id, groups by chat id);
    chats the bot does not know are missing."""
    ids = set(chat_ids)
    found: dict[int, Recipient] = {}
    for chunk in _chunks([i for i in ids if i > 0]):
        rows = await session.execute(
            select(User.id, User.language, User.language_code, User.timezone).where(
                User.id.in_(chunk)
            )
        )
        found.update(
            {row.id: Recipient(row.language, row.language_code, row.timezone) for row in rows}
        )
    for chunk in _chunks([i for i in ids if i < 0]):
        rows = await session.execute(
            select(Group.chat_id, Group.language).where(Group.chat_id.in_(chunk))
        )
        found.update({row.chat_id: Recipient(row.language, None, None) for row in rows})
    return found
