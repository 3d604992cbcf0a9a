"""Broadcasts: a trainer's or admin's message to an audience, delivered through the outbox."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import (
    Broadcast,
    BroadcastState,
    ClassSeries,
    Priority,
    Role,
    User,
)
from bot.services import outbox
from bot.services.classes import clients_of_trainer
from bot.services.errors import InvalidInput, NotAllowed, NotFound

MAX_LENGTH = 4096  # Telegram's limit for one message, in characters after formatting
ALL_CLIENTS = "all_clients"
MY_CLIENTS = "mine"
SERIES = "series-"
STOPPED_SETTLING = dt.timedelta(minutes=2)


@dataclass(frozen=True)
class Audience:
    """Who a broadcast can reach: a key for buttons (ALL_CLIENTS, MY_CLIENTS or a class's),
    the class's title for a class's clients, and how many will get it.
    bot/views/broadcasts.py `audience_label` names it for the reader."""

    key: str
    title: str | None  # the class, for the clients of one class
    recipients: int
    muted: int  # clients in the audience who muted broadcasts
    unreachable: int  # clients who blocked the bot


def _clients_of(actor: User, series_id: int | None = None) -> object:
    """People who ever had a place or a waitlist spot in the actor's classes (or one class)."""
    return User.id.in_(clients_of_trainer(actor.id, series_id)) & (User.id != actor.id)


async def _who(session: AsyncSession, actor: User, key: str) -> tuple[str | None, object]:
    """The class title (for a class's clients) and the user condition of one of the
    actor's audiences."""
    if key == ALL_CLIENTS and actor.role == Role.ADMIN:
        return None, (User.role == Role.CLIENT) & (User.id != actor.id)
    if key == MY_CLIENTS and actor.role.at_least(Role.TRAINER):
        return None, _clients_of(actor)
    if key.startswith(SERIES) and key[len(SERIES) :].isdigit():
        series = await session.get(ClassSeries, int(key[len(SERIES) :]))
        if series is not None and series.trainer_id == actor.id:
            return series.title, _clients_of(actor, series.id)
    raise NotAllowed("broadcast_audience_unknown")


async def _title(session: AsyncSession, key: str) -> str | None:
    """The class title of a class's audience (None for the others, or a class gone)."""
    series_id = key.removeprefix(SERIES)
    if not key.startswith(SERIES) or not series_id.isdigit():
        return None
    series = await session.get(ClassSeries, int(series_id))
    return series.title if series else None


async def audiences_for(session: AsyncSession, actor: User) -> list[Audience]:
    """The audiences `actor` may broadcast to, with recipient counts.

    Admins can reach all clients. Trainers (and admins who teach) reach the clients of each
    of their classes, or all their clients; audiences nobody is in are left out.
    """
    keys: list[str] = []
    if actor.role == Role.ADMIN:
        keys.append(ALL_CLIENTS)
    if actor.role.at_least(Role.TRAINER):
        running = await session.scalars(
            select(ClassSeries.id)
            .where(ClassSeries.trainer_id == actor.id, ClassSeries.ended_at.is_(None))
            .order_by(ClassSeries.title)
        )
        keys += [MY_CLIENTS, *(f"{SERIES}{series_id}" for series_id in running)]
    found = []
    for key in keys:
        title, who = await _who(session, actor, key)
        counted = await _count_audience(session, key, title, who)
        if counted.recipients or counted.muted or counted.unreachable:
            found.append(counted)
    return found


async def _count_audience(
    session: AsyncSession, key: str, title: str | None, who: object
) -> Audience:
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
    return Audience(key=key, title=title, recipients=row[3], muted=row[1], unreachable=row[2])


async def recipients(session: AsyncSession, actor: User, key: str) -> list[User]:
    """Who a broadcast to this audience reaches now: not muted, not blocked, not the actor."""
    _, who = await _who(session, actor, key)
    rows = await session.scalars(
        select(User)
        .where(who, User.broadcasts_muted.is_(False), User.blocked_at.is_(None))
        .order_by(User.id)
    )
    return list(rows)


async def audience(session: AsyncSession, actor: User, key: str) -> Audience:
    """One of `actor`'s audiences by key; NotAllowed if it is not theirs."""
    for candidate in await audiences_for(session, actor):
        if candidate.key == key:
            return candidate
    raise NotAllowed("broadcast_audience_unknown")


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
        raise InvalidInput("broadcast_empty")
    if length > MAX_LENGTH:
        raise InvalidInput("broadcast_too_long", length=length, limit=MAX_LENGTH)
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
        raise NotFound("broadcast_gone")
    if broadcast.author_id != actor.id and actor.role != Role.ADMIN:
        raise NotAllowed("broadcast_not_yours")
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
        raise InvalidInput("broadcast_already_sent")
    people = await recipients(session, actor, broadcast.audience)
    await _send(session, broadcast, [(user, broadcast.text, None) for user in people], now=now)
    return broadcast


async def queue_personal(
    session: AsyncSession,
    actor: User,
    audience_key: str,
    *,
    preview: str,
    template: str,
    params: dict[str, Any],
    now: dt.datetime,
) -> Broadcast:
    """Queue a broadcast rendered for each recipient as it goes out (the outbox template
    `template` with `params`: their language, times in their own zone), without a draft
    step: `preview` is what the author saw."""
    await audience(session, actor, audience_key)
    broadcast = Broadcast(author_id=actor.id, audience=audience_key, text=preview, created_at=now)
    session.add(broadcast)
    await session.flush()
    people = await recipients(session, actor, audience_key)
    messages = [(user, None, None) for user in people]
    await _send(session, broadcast, messages, template=template, params=params, now=now)
    return broadcast


async def _send(
    session: AsyncSession,
    broadcast: Broadcast,
    messages: list[tuple[User, str | None, dict[str, Any] | None]],
    *,
    template: str | None = None,
    params: dict[str, Any] | None = None,
    now: dt.datetime,
) -> None:
    from bot.services.tips import quiet_until

    # News waits for the end of each recipient's quiet hours.
    notices = [
        outbox.Notice(
            chat_id=user.id,
            text=text,
            template=template,
            params=params,
            dedupe_key=f"broadcast:{broadcast.id}:{user.id}",
            kind="broadcast",
            priority=Priority.BROADCAST,
            broadcast_id=broadcast.id,
            reply_markup=markup,
            not_before=quiet_until(user, now),
        )
        for user, text, markup in messages
    ]
    broadcast.recipient_count = await outbox.enqueue(session, notices, now=now)
    broadcast.state = BroadcastState.QUEUED if broadcast.recipient_count else BroadcastState.DONE
    broadcast.queued_at = now
    if broadcast.state == BroadcastState.DONE:
        broadcast.finished_at = now


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
        raise InvalidInput("broadcast_sent_use_stop")
    await session.delete(broadcast)
    return broadcast.audience


async def stop(session: AsyncSession, actor: User, broadcast_id: int, *, now: dt.datetime) -> int:
    """Stop a running broadcast: what is not yet sent is cancelled. Returns how many.

    Messages already on their way (claimed by a dispatcher) still arrive.
    """
    broadcast = await _own(session, actor, broadcast_id)
    if broadcast.state != BroadcastState.QUEUED:
        raise InvalidInput("broadcast_not_running")
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
    audience: str  # its key (ALL_CLIENTS, MY_CLIENTS or a class's)
    audience_title: str | None  # the class, for a class's clients
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
                audience_title=await _title(session, broadcast.audience),
                state=broadcast.state,
                recipients=broadcast.recipient_count,
                progress=current,
                status_chat_id=broadcast.status_chat_id,
                status_message_id=broadcast.status_message_id,
            )
        )
    return result
