"""Signing in to the Mini App: Telegram's signed init data, and one-time sign-in links.

Init data is checked as Telegram's Mini Apps documentation specifies: the secret key is
HMAC-SHA256 of the bot token keyed with "WebAppData", and the `hash` field is the hex
HMAC-SHA256, under that key, of the other fields as sorted `key=value` lines. Only the
user's id is taken from it; who they are (their role, language, zone) is read from the
database, never from the client.

A sign-in link (/dashboard, for a trainer at a desktop browser) holds a random token that is
stored only as its SHA-256; it works once, for ten minutes, for the trainer it was made for.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qsl

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import SignInLink

LINK_VALID = dt.timedelta(minutes=10)


class BadInitData(Exception):
    """Init data that is malformed, wrongly signed, or too old; `reason` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class InitData:
    """What signed init data vouches for: the Telegram user and when Telegram signed it."""

    user_id: int
    auth_date: dt.datetime


def _secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def sign_init_data(fields: dict[str, str], bot_token: str) -> str:
    """The query string Telegram would send with `fields` (for tests and the benchmark:
    the same computation the check below makes, done by the one holding the token)."""
    from urllib.parse import urlencode

    check = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    digest = hmac.new(_secret_key(bot_token), check.encode(), hashlib.sha256).hexdigest()
    return urlencode({**fields, "hash": digest})


def verify_init_data(
    raw: str, bot_token: str, *, now: dt.datetime, max_age: dt.timedelta
) -> InitData:
    """The user vouched for by `raw` (the `initData` query string), or BadInitData when it
    is malformed, its signature is wrong (compared in constant time), or it was signed more
    than `max_age` ago (or in the future, beyond a minute of clock skew)."""
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, strict_parsing=True)
    except ValueError as error:
        raise BadInitData("malformed") from error
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise BadInitData("malformed")
    given = fields.pop("hash", "")
    check = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    expected = hmac.new(_secret_key(bot_token), check.encode(), hashlib.sha256).hexdigest()
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
        raise BadInitData("signature")
    try:
        signed_at = dt.datetime.fromtimestamp(int(fields["auth_date"]), dt.UTC)
        user_id = int(json.loads(fields["user"])["id"])
    except (KeyError, ValueError, TypeError) as error:
        raise BadInitData("malformed") from error
    if now - signed_at > max_age or signed_at - now > dt.timedelta(minutes=1):
        raise BadInitData("expired")
    return InitData(user_id=user_id, auth_date=signed_at)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_link(session: AsyncSession, user_id: int, *, now: dt.datetime) -> str:
    """A new one-time sign-in token for `user_id`, valid for ten minutes (only its hash is
    stored). Links of the user that expired are cleared on the way."""
    await session.execute(
        delete(SignInLink).where(SignInLink.user_id == user_id, SignInLink.expires_at < now)
    )
    token = secrets.token_urlsafe(32)
    session.add(
        SignInLink(
            token_hash=_hash(token),
            user_id=user_id,
            created_at=now,
            expires_at=now + LINK_VALID,
            used_at=None,
        )
    )
    await session.flush()
    return token


async def redeem_link(session: AsyncSession, token: str, *, now: dt.datetime) -> int | None:
    """The user a sign-in token was made for, marking it used; None when the token is
    unknown, used or expired. One conditional UPDATE: two tabs racing get one sign-in."""
    return await session.scalar(
        update(SignInLink)
        .where(
            SignInLink.token_hash == _hash(token),
            SignInLink.used_at.is_(None),
            SignInLink.expires_at > now,
        )
        .values(used_at=now)
        .returning(SignInLink.user_id)
        .execution_options(synchronize_session=False)
    )
