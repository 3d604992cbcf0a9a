"""The client's own data: an export of everything held about them, and deleting it."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import (
    Booking,
    Broadcast,
    BuddyMember,
    CalendarFeed,
    CheckIn,
    ClassSeries,
    ClassSession,
    GroupLink,
    InboxState,
    InboxUpdate,
    Milestone,
    OnboardingStep,
    OutboxMessage,
    Role,
    Screening,
    SignInLink,
    TipDelivery,
    TipFeedback,
    TipMoment,
    User,
)
from bot.services import outbox
from bot.services.errors import InvalidInput

DELETED_NAME = "Deleted user"


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if hasattr(value, "value"):
        return value.value
    return value


def _row(obj: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        column.key: _plain(getattr(obj, column.key))
        for column in obj.__table__.columns
        if column.key not in skip
    }


async def export(session: AsyncSession, user_id: int, *, now: dt.datetime) -> dict[str, Any]:
    """Everything the bot holds about the user, as plain JSON-ready data under stable English
    keys (what each part means is said in the reader's language by bot/views/privacy.py)."""
    user = await session.get(User, user_id)
    feed = await session.get(CalendarFeed, user_id)
    bookings = (
        await session.execute(
            select(Booking, ClassSession.starts_at, ClassSeries.title)
            .join(ClassSession, Booking.session_id == ClassSession.id)
            .join(ClassSeries, ClassSession.series_id == ClassSeries.id)
            .where(Booking.user_id == user_id)
            .order_by(ClassSession.starts_at)
        )
    ).all()

    async def rows(model: Any, order: Any) -> list[dict[str, Any]]:
        found = await session.scalars(select(model).where(model.user_id == user_id).order_by(order))
        return [_row(item, skip=("user_id",)) for item in found]

    return {
        "exported_at": now.isoformat(),
        "profile": _row(user, skip=("draft", "awaiting_input")),
        "bookings": [
            {**_row(b, skip=("user_id",)), "class": title, "starts_at": starts.isoformat()}
            for b, starts, title in bookings
        ],
        "checkins": await rows(CheckIn, CheckIn.day),
        "screenings": await rows(Screening, Screening.taken_at),
        "tips_received": await rows(TipDelivery, TipDelivery.sent_at),
        "tip_answers": await rows(TipFeedback, TipFeedback.answered_at),
        "milestones": await rows(Milestone, Milestone.reached_at),
        "buddy_pairs": [
            {"pair": member.pair_id, "connected": member.connected}
            for member in await session.scalars(
                select(BuddyMember).where(BuddyMember.user_id == user_id)
            )
        ],
        # Only that a link exists: its token is not stored, and its hash is no use to anyone.
        "calendar_link": {"created_at": feed.created_at.isoformat()} if feed else None,
    }


async def delete_account(session: AsyncSession, user_id: int, *, now: dt.datetime) -> None:
    """Erase the user's personal data (check-ins, screenings and class-day readiness answers
    among it), and every stored copy of a message that names them.

    Their bookings stay, detached from them (to an anonymous stand-in), so that class counts
    remain true; so do the ended classes a former trainer taught and the groups they linked.
    Messages to other people that name them are cancelled if not yet sent and erased (text
    and buttons; the delivery record stays); their own broadcasts go with their deliveries.
    Trainers who still run classes must end them first.
    """
    # Locked first: a notice naming them that another transaction is queuing right now
    # either lands before this (and is erased below) or finds them gone (outbox.enqueue).
    user = await session.get(User, user_id, with_for_update=True)
    if user is None:
        return
    if user.role != Role.CLIENT:
        teaching = await session.scalar(
            select(func.count()).where(
                ClassSeries.trainer_id == user_id, ClassSeries.ended_at.is_(None)
            )
        )
        if teaching:
            raise InvalidInput("account_still_teaching")
    # A stand-in with an id no Telegram user can have keeps the bookings counted.
    stand_in = -(10**12 + secrets.randbelow(10**12))
    session.add(
        User(
            id=stand_in,
            first_name=DELETED_NAME,
            role=Role.CLIENT,
            onboarding_step=OnboardingStep.DONE,
            wellbeing_consent=False,
            created_at=now,
            updated_at=now,
        )
    )
    await session.flush()
    # The bookings stay for the counts; their class-day readiness answers (health data) go.
    await session.execute(
        update(Booking)
        .where(Booking.user_id == user_id)
        .values(
            user_id=stand_in,
            readiness_flag=None,
            readiness_pain=None,
            readiness_new=None,
            readiness_at=None,
            updated_at=now,
        )
    )
    # A trainer who cleared someone's screening: the clearance stays, without their name.
    await session.execute(
        update(Screening).where(Screening.cleared_by == user_id).values(cleared_by=None)
    )
    await session.execute(
        update(ClassSeries)
        .where(ClassSeries.trainer_id == user_id)
        .values(trainer_id=stand_in, updated_at=now)
    )
    await session.execute(
        update(GroupLink).where(GroupLink.linked_by == user_id).values(linked_by=stand_in)
    )
    await outbox.forget_subject(session, user_id)
    # A broadcast carries its author's name: it goes, and its messages with it (cascade).
    await session.execute(delete(Broadcast).where(Broadcast.author_id == user_id))
    # Their calendar feed goes too: its URL answers 404 from now on; and their sign-in links.
    models = (
        CheckIn,
        Screening,
        TipDelivery,
        TipFeedback,
        TipMoment,
        Milestone,
        BuddyMember,
        CalendarFeed,
        SignInLink,
    )
    for model in models:
        await session.execute(delete(model).where(model.user_id == user_id))
    # Queued and past messages to the person go too (they hold their chat id and texts).
    await session.execute(delete(OutboxMessage).where(OutboxMessage.chat_id == user_id))
    # Updates from their private chat kept because handling failed still hold what Telegram
    # sent (their name, their words): only the id stays. (Handled ones keep nothing else;
    # ones still waiting are handled as they come, e.g. a new /start.)
    await session.execute(
        update(InboxUpdate)
        .where(InboxUpdate.chat_id == user_id, InboxUpdate.state == InboxState.FAILED)
        .values(payload="", chat_id=None)
    )
    await session.delete(user)
