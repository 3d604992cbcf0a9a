"""Calendar feeds: a private URL per person that serves their calendar (.ics), always current.

The URL carries an unguessable token (secrets.token_urlsafe(32)); only its SHA-256 hash is
stored, so the URL is shown to its owner once, when it is made, and cannot be rebuilt from
the database. Resetting replaces the token: the old URL then finds nothing. A person has at
most one feed; deleting the account deletes it (bot/services/privacy.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import insert_ignoring_conflicts
from bot.models import CalendarFeed, Role, User
from bot.services import calendar

# Where the web app serves a feed (web/feeds.py), below PUBLIC_BASE_URL.
FEED_PATH = "/calendar/{token}.ics"
TOKEN_BYTES = 32
# token_urlsafe(32) gives 43 characters of [A-Za-z0-9_-]; anything else is not a token.
TOKEN_LENGTH = 43
_TOKEN_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


@dataclass(frozen=True)
class Feed:
    """What a feed URL serves: whose calendar, in which language, and its events."""

    user_id: int
    language: str | None  # the language the owner chose (None: their app's)
    app_language: str | None  # the owner's Telegram app language
    teaching: bool  # a trainer's (or admin's) teaching schedule, else the client's bookings
    entries: list[calendar.Entry]


def token_hash(token: str) -> str:
    """The SHA-256 of a token, as 64 hex digits: what is stored and looked up."""
    return hashlib.sha256(token.encode()).hexdigest()


def feed_path(token: str) -> str:
    """The path of the feed with this token, below PUBLIC_BASE_URL."""
    return FEED_PATH.format(token=token)


def looks_like_token(text: str) -> bool:
    """True if `text` has the shape of a feed token (so that nothing else reaches the
    database)."""
    return len(text) == TOKEN_LENGTH and set(text) <= _TOKEN_ALPHABET


async def has_feed(session: AsyncSession, user_id: int) -> bool:
    """True if the person has a feed URL (made earlier, still valid)."""
    return await session.get(CalendarFeed, user_id) is not None


async def subscribe(session: AsyncSession, user_id: int, *, now: dt.datetime) -> str | None:
    """Make the person's feed token and return it, the only time it can be read; None if
    they already have one (it stays valid: `reset` replaces it)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    # The database decides, so two presses at once cannot make two links.
    made = await insert_ignoring_conflicts(
        session,
        CalendarFeed.__table__,
        [{"user_id": user_id, "token_hash": token_hash(token), "created_at": now}],
        ["user_id"],
    )
    return token if made else None


async def reset(session: AsyncSession, user_id: int, *, now: dt.datetime) -> str:
    """Replace the person's feed token with a new one (made if they had none) and return it;
    the old URL stops working at once."""
    # The person's row is locked first, so that two resets at once follow one another.
    await session.get(User, user_id, with_for_update=True)
    await session.execute(delete(CalendarFeed).where(CalendarFeed.user_id == user_id))
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(CalendarFeed(user_id=user_id, token_hash=token_hash(token), created_at=now))
    await session.flush()
    return token


async def feed_for(session: AsyncSession, token: str, *, now: dt.datetime) -> Feed | None:
    """The calendar behind a feed token, as of `now`; None for anything that is not a
    current token (never made, reset since, or its owner's account deleted)."""
    if not looks_like_token(token):
        return None
    owner = await session.scalar(
        select(User)
        .join(CalendarFeed, CalendarFeed.user_id == User.id)
        .where(CalendarFeed.token_hash == token_hash(token))
    )
    if owner is None:
        return None
    teaching = owner.role.at_least(Role.TRAINER)
    if teaching:
        entries = await calendar.trainer_entries(session, owner, now=now)
    else:
        entries = await calendar.client_entries(session, owner.id, now=now)
    return Feed(
        user_id=owner.id,
        language=owner.language,
        app_language=owner.language_code,
        teaching=teaching,
        entries=entries,
    )
