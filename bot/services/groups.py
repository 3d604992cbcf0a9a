"""Telegram groups the bot is in: added, removed, upgraded to supergroups."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import insert_ignoring_conflicts
from bot.models import Group
from bot.services import outbox
from bot.services.errors import InvalidInput, NotFound


async def record_membership(
    session: AsyncSession, chat_id: int, title: str, *, present: bool, now: dt.datetime
) -> Group:
    """Record that the bot was added to (present) or removed from a group."""
    await insert_ignoring_conflicts(
        session,
        Group.__table__,
        [{"chat_id": chat_id, "title": title, "created_at": now, "updated_at": now}],
        ["chat_id"],
    )
    group = await session.scalar(
        select(Group).where(Group.chat_id == chat_id).execution_options(populate_existing=True)
    )
    assert group is not None
    group.title = title
    group.bot_removed_at = None if present else (group.bot_removed_at or now)
    group.updated_at = now
    return group


async def migrate(
    session: AsyncSession, old_chat_id: int, new_chat_id: int, *, now: dt.datetime
) -> None:
    """The group became a supergroup with a new id: move it and its queued messages."""
    await outbox.migrate_chat(session, old_chat_id, new_chat_id, now=now)


async def get_group(session: AsyncSession, chat_id: int) -> Group | None:
    """The group with this Telegram chat id, if the bot knows it."""
    return await session.scalar(select(Group).where(Group.chat_id == chat_id))


async def language_of(session: AsyncSession, chat_id: int) -> str | None:
    """The language the bot writes in, in this group (None: not set)."""
    return await session.scalar(select(Group.language).where(Group.chat_id == chat_id))


async def set_language(
    session: AsyncSession, chat_id: int, language: str, *, now: dt.datetime
) -> Group:
    """Set the language of the bot's posts and replies in a group it knows."""
    from bot.i18n import available_languages

    if language not in available_languages():
        raise InvalidInput("language_unknown", language=language)
    group = await get_group(session, chat_id)
    if group is None:
        raise NotFound("group_unknown")
    group.language = language
    group.updated_at = now
    return group
