"""Broadcasts: a trainer's or admin's message to an audience, delivered through the outbox."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Broadcast, BroadcastState, Priority, Role, User
from bot.services import outbox
from bot.services.errors import InvalidInput, NotAllowed, NotFound

MAX_LENGTH = 4096  # Telegram's limit for one message, in characters after formatting
ALL_CLIENTS = "all_clients"
STOPPED_SETTLING = dt.timedelta(minutes=2)


@dataclass(frozen=True)
class Audience:
    """Who a broadcast can reach: a key for buttons, a label, and how many will get it."""

    key: str
    label: str
    recipients: int
    muted: int  # clients in the audience who muted broadcasts
    unreachable: int  # clients who blocked the bot


def _all_clients(actor: User) -> object:
    return (User.role == Role.CLIENT) & (User.id != actor.id)


async def audiences_for(session: AsyncSession, actor: User) -> list[Audience]:
    """The audiences `actor` may broadcast to, with recipient counts.

    Admins can reach all clients. Trainers reach the clients of their own classes; until
    classes exist that is nobody, and the list is empty.
    """
    if actor.role != Role.ADMIN:
        return []
    return [await _count_audience(session, ALL_CLIENTS, "All clients", _all_clients(actor))]


async def _count_audience(session: AsyncSession, key: str, label: str, who: object) -> Audience:
    row = (
        await session.execute(
            select(
                func.count(),
                func.count().filter(User.broadcasts_muted.is_(True)),
                func.count().filter(User.blocked_at.is_not(None)),
                func.count().filter(User.broadcasts_muted.is_(False) & User.blocked_at.is_(None)),
            ).where(who)
        )
    ).one()
    return Audience(key=key, label=label, recipients=row[3], muted=row[1], unreachable=row[2])


async def _recipients(session: AsyncSession, actor: User, key: str) -> list[int]:
    if key != ALL_CLIENTS or actor.role != Role.ADMIN:
        raise NotAllowed("You can't send to that audience.")
    rows = await session.scalars(
        select(User.id)
        .where(_all_clients(actor), User.broadcasts_muted.is_(False), User.blocked_at.is_(None))
        .order_by(User.id)
    )
    return list(rows)


async def audience(session: AsyncSession, actor: User, key: str) -> Audience:
    """One of `actor`'s audiences by key; NotAllowed if it is not theirs."""
    for candidate in await audiences_for(session, actor):
        if candidate.key == key:
            return candidate
    raise NotAllowed("You can't send to that audience.")


async def draft(
    session: AsyncSession,
    actor: User,
    audience_key: str,
    *,
    html: str,
    body: str,
    length: int,
    now: dt.datetime,
) -> Broadcast:
    """Save a draft. `html` is the message as recipients will see it (heading included),
    `body` the author's text without markup, `length` the whole message's length as Telegram
    counts it. Empty or over-long messages are refused and nothing is saved."""
    if not body.strip():
        raise InvalidInput("The message is empty. Send the text you want your clients to read.")
    if length > MAX_LENGTH:
        raise InvalidInput(
            f"That message is {length} characters long with its heading; Telegram allows "
            f"{MAX_LENGTH}. Please shorten it and send it again."
        )
    await audience(session, actor, audience_key)
    broadcast = Broadcast(
        author_id=actor.id,
        audience=audience_key,
        text=html,
        state=BroadcastState.DRAFT,
        created_at=now,
    )
    session.add(broadcast)
    await session.flush()
    return broadcast


async def _own(session: AsyncSession, actor: User, broadcast_id: int) -> Broadcast:
    broadcast = await session.get(Broadcast, broadcast_id, with_for_update=True)
    if broadcast is None:
        raise NotFound("That broadcast no longer exists.")
    if broadcast.author_id != actor.id and actor.role != Role.ADMIN:
        raise NotAllowed("Only its author or an admin can do that with this broadcast.")
    return broadcast


async def queue(
    session: AsyncSession, actor: User, broadcast_id: int, *, now: dt.datetime
) -> Broadcast:
    """Send a draft: one outbox message per recipient, in this transaction.

    The audience is resolved now (people who muted broadcasts or blocked the bot since the
    preview are left out). Pressing Send twice queues nothing more.
    """
    broadcast = await _own(session, actor, broadcast_id)
    if broadcast.state != BroadcastState.DRAFT:
        raise InvalidInput("This broadcast has already been sent.")
    recipients = await _recipients(session, actor, broadcast.audience)
    notices = [
        outbox.Notice(
            chat_id=user_id,
            text=broadcast.text,
            dedupe_key=f"broadcast:{broadcast.id}:{user_id}",
            kind="broadcast",
            priority=Priority.BROADCAST,
            broadcast_id=broadcast.id,
        )
        for user_id in recipients
    ]
    broadcast.recipient_count = await outbox.enqueue(session, notices, now=now)
    broadcast.state = BroadcastState.QUEUED if broadcast.recipient_count else BroadcastState.DONE
    broadcast.queued_at = now
    if broadcast.state == BroadcastState.DONE:
        broadcast.finished_at = now
    return broadcast


async def attach_status(
    session: AsyncSession, broadcast_id: int, *, chat_id: int, message_id: int
) -> None:
    """Remember the author's status message, which the dispatcher keeps up to date."""
    await session.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id)
        .values(status_chat_id=chat_id, status_message_id=message_id)
    )


async def discard(session: AsyncSession, actor: User, broadcast_id: int) -> str:
    """Throw a draft away; return its audience key. A broadcast already sent is not touched."""
    broadcast = await _own(session, actor, broadcast_id)
    if broadcast.state != BroadcastState.DRAFT:
        raise InvalidInput("This broadcast has already been sent; use its Stop button.")
    await session.delete(broadcast)
    return broadcast.audience


async def stop(session: AsyncSession, actor: User, broadcast_id: int, *, now: dt.datetime) -> int:
    """Stop a running broadcast: what is not yet sent is cancelled. Returns how many.

    Messages already on their way (claimed by a dispatcher) still arrive.
    """
    broadcast = await _own(session, actor, broadcast_id)
    if broadcast.state != BroadcastState.QUEUED:
        raise InvalidInput("This broadcast is not running any more.")
    cancelled = await outbox.cancel_pending(
        session, broadcast_id=broadcast.id, reason="stopped by its author"
    )
    broadcast.state = BroadcastState.STOPPED
    broadcast.finished_at = now
    return cancelled


@dataclass(frozen=True)
class Status:
    """Where a broadcast is, for its author's status message."""

    broadcast_id: int
    audience: str
    state: BroadcastState
    recipients: int
    progress: outbox.Progress
    status_chat_id: int | None
    status_message_id: int | None


async def statuses(
    session: AsyncSession, *, now: dt.datetime, broadcast_ids: list[int] | None = None
) -> list[Status]:
    """Progress of running and just-stopped broadcasts (or of the given ones).

    Marks broadcasts whose messages have all been handled as done.
    """
    query = select(Broadcast)
    if broadcast_ids is None:
        # Recently stopped ones too: messages that were already on their way land after the
        # stop, and the author's count should end up true.
        query = query.where(
            (Broadcast.state == BroadcastState.QUEUED)
            | (
                (Broadcast.state == BroadcastState.STOPPED)
                & (Broadcast.finished_at >= now - STOPPED_SETTLING)
            )
        )
    else:
        query = query.where(Broadcast.id.in_(broadcast_ids))
    found = list(await session.scalars(query))
    counts = await outbox.progress(session, [broadcast.id for broadcast in found])
    result = []
    for broadcast in found:
        current = counts[broadcast.id]
        if broadcast.state == BroadcastState.QUEUED and current.open == 0:
            await session.execute(
                update(Broadcast)
                .where(Broadcast.id == broadcast.id, Broadcast.state == BroadcastState.QUEUED)
                .values(state=BroadcastState.DONE, finished_at=now)
            )
            broadcast.state = BroadcastState.DONE
        result.append(
            Status(
                broadcast_id=broadcast.id,
                audience=broadcast.audience,
                state=broadcast.state,
                recipients=broadcast.recipient_count,
                progress=current,
                status_chat_id=broadcast.status_chat_id,
                status_message_id=broadcast.status_message_id,
            )
        )
    return result
