"""The calendar feeds service against a real database: tokens made once, stored hashed,
replaced on reset; what a token serves."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import select

from bot.models import CalendarFeed, Role
from bot.services import classes, feeds, privacy, users

NOW = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)


async def person(db, user_id: int, role: Role = Role.CLIENT, **profile) -> None:
    async with db.transaction() as session:
        user = (
            await users.register_user(
                session,
                users.Profile(id=user_id, first_name=f"U{user_id}", **profile),
                now=NOW,
                admin_ids=(),
            )
        ).user
        user.role = role


async def test_subscribing_makes_one_token_shown_once_and_stored_as_its_hash(db):
    await person(db, 1)
    async with db.transaction() as session:
        token = await feeds.subscribe(session, 1, now=NOW)
    assert token is not None and feeds.looks_like_token(token)
    async with db.transaction() as session:
        assert await feeds.subscribe(session, 1, now=NOW) is None, "shown only once"
        assert await feeds.has_feed(session, 1)
    async with db.reading() as session:
        stored = list(await session.scalars(select(CalendarFeed.token_hash)))
        found = await feeds.feed_for(session, token, now=NOW)
    assert stored == [feeds.token_hash(token)] and token not in stored[0]
    assert found is not None and found.user_id == 1 and not found.teaching


async def test_tokens_are_unguessable_and_per_person(db):
    await person(db, 1)
    await person(db, 2)
    async with db.transaction() as session:
        first = await feeds.subscribe(session, 1, now=NOW)
        second = await feeds.subscribe(session, 2, now=NOW)
    assert first != second
    async with db.reading() as session:
        assert (await feeds.feed_for(session, second, now=NOW)).user_id == 2


async def test_reset_replaces_the_token_and_the_old_one_finds_nothing(db):
    await person(db, 1)
    async with db.transaction() as session:
        old = await feeds.subscribe(session, 1, now=NOW)
    async with db.transaction() as session:
        new = await feeds.reset(session, 1, now=NOW)
    assert new != old
    async with db.reading() as session:
        assert await feeds.feed_for(session, old, now=NOW) is None
        assert (await feeds.feed_for(session, new, now=NOW)).user_id == 1
        assert len(list(await session.scalars(select(CalendarFeed)))) == 1


async def test_reset_without_a_feed_makes_one(db):
    await person(db, 1)
    async with db.transaction() as session:
        token = await feeds.reset(session, 1, now=NOW)
    async with db.reading() as session:
        assert (await feeds.feed_for(session, token, now=NOW)).user_id == 1


async def test_anything_but_a_current_token_finds_nothing(db):
    await person(db, 1)
    async with db.transaction() as session:
        token = await feeds.subscribe(session, 1, now=NOW)
    async with db.reading() as session:
        for other in ("", "short", token[:-1], token + "x", "A" * 43, token.upper()):
            assert await feeds.feed_for(session, other, now=NOW) is None, other


async def test_the_export_tells_a_link_exists_and_a_deleted_account_s_feed_is_gone(db):
    await person(db, 1)
    async with db.reading() as session:
        assert (await privacy.export(session, 1, now=NOW))["calendar_link"] is None
    async with db.transaction() as session:
        token = await feeds.subscribe(session, 1, now=NOW)
    async with db.reading() as session:
        exported = await privacy.export(session, 1, now=NOW)
    assert exported["calendar_link"] == {"created_at": NOW.isoformat()}
    assert token not in str(exported) and feeds.token_hash(token) not in str(exported)
    async with db.transaction() as session:
        await privacy.delete_account(session, 1, now=NOW)
    async with db.reading() as session:
        assert await feeds.feed_for(session, token, now=NOW) is None
        assert list(await session.scalars(select(CalendarFeed))) == []


async def test_a_trainer_s_feed_is_their_teaching_in_their_language(db):
    await person(db, 1, Role.TRAINER, language_code="es")
    async with db.transaction() as session:
        trainer = await users.get_user(session, 1)
        await classes.create_series(
            session,
            trainer,
            classes.SeriesSpec(
                title="Back care",
                location="Studio 2",
                timezone="Europe/Berlin",
                start_time=dt.time(18, 0),
                duration_minutes=60,
                capacity=10,
                first_date=dt.date(2026, 11, 30),
                weekdays=(0,),
            ),
            now=NOW,
        )
        token = await feeds.subscribe(session, 1, now=NOW)
    async with db.reading() as session:
        found = await feeds.feed_for(session, token, now=NOW)
    assert found.teaching and found.app_language == "es"
    assert found.entries and {entry.title for entry in found.entries} == {"Back care"}


async def test_presses_at_once_make_one_link_each_time(db):
    await person(db, 1)

    async def call(action):
        async with db.transaction() as session:
            return await action(session, 1, now=NOW)

    made = await asyncio.gather(*(call(feeds.subscribe) for _ in range(4)))
    assert len([token for token in made if token is not None]) == 1
    renewed = await asyncio.gather(*(call(feeds.reset) for _ in range(4)))
    async with db.reading() as session:
        current = [t for t in renewed if await feeds.feed_for(session, t, now=NOW) is not None]
        assert len(current) == 1, "the last reset wins; the others' links are gone"
        assert len(list(await session.scalars(select(CalendarFeed)))) == 1
