"""Helpers for delivery tests: many clients at once, and counting what arrived."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from bot.models import OnboardingStep
from bot.services import users
from tests.catalogs import catalog  # noqa: F401 (a fixture for the tests here)


async def seed_clients(
    db, tg, count: int, *, first_id: int = 200000, now=None, quiet_hours: bool = True
) -> list[int]:
    """`count` onboarded clients, known to the fake Bot API (as if each had opened the chat);
    with `quiet_hours=False` they keep none, so news reaches them at any time of day (for
    bots in other processes, which run on the wall clock)."""
    now = now or dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)
    ids = list(range(first_id, first_id + count))
    async with db.transaction() as session:
        for user_id in ids:
            registration = await users.register_user(
                session,
                users.Profile(id=user_id, first_name=f"Client{user_id}"),
                now=now,
                admin_ids=(),
            )
            registration.user.onboarding_step = OnboardingStep.DONE
            registration.user.timezone = "Europe/Berlin"
            if not quiet_hours:
                registration.user.quiet_start = registration.user.quiet_end = 0
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        await tg.call("users", users=[{"id": i, "first_name": f"Client{i}"} for i in chunk])
    return ids


async def received(tg, chat_ids, fragment: str) -> Counter:
    """How many bot messages containing `fragment` each chat received."""
    wanted = set(chat_ids)
    counts: Counter = Counter()
    for event in await tg.events():
        if event["kind"] == "message" and event["chat_id"] in wanted:
            text = event["message"].get("text") or ""
            if fragment in text:
                counts[event["chat_id"]] += 1
    return counts


@pytest.fixture
def clients(db, tg):
    """A factory: `await clients(300)` seeds that many clients."""

    async def make(count: int, **kwargs) -> list[int]:
        return await seed_clients(db, tg, count, **kwargs)

    return make
