"""What /metrics reads from the database at scrape time: the inbox and the outbox."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import OutboxMessage, OutboxState
from bot.services import inbox


@dataclass(frozen=True)
class Snapshot:
    """The queues as the database holds them now (the same on every replica)."""

    inbox: inbox.InboxStats
    outbox_by_state: dict[str, int]
    oldest_due_outbox_seconds: float


async def snapshot(session: AsyncSession, *, now: dt.datetime) -> Snapshot:
    """Count the inbox and the outbox; the age of the longest-waiting due message."""
    rows = await session.execute(
        select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
    )
    by_state = {state.value: 0 for state in OutboxState}
    for state, count in rows:
        by_state[OutboxState(state).value] = count
    oldest_due = await session.scalar(
        select(func.min(OutboxMessage.not_before)).where(
            OutboxMessage.state.in_((OutboxState.PENDING, OutboxState.SENDING)),
            OutboxMessage.not_before <= now,
        )
    )
    age = max((now - oldest_due).total_seconds(), 0.0) if oldest_due is not None else 0.0
    return Snapshot(
        inbox=await inbox.stats(session, now=now),
        outbox_by_state=by_state,
        oldest_due_outbox_seconds=age,
    )
