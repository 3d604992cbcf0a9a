"""The users service against a real database."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import func, inspect, select

from bot.models import OnboardingStep, Role, User
from bot.services import users
from bot.services.errors import InvalidInput, NotAllowed, NotFound

NOW = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)


def profile(user_id: int, **fields) -> users.Profile:
    return users.Profile(id=user_id, first_name=fields.pop("first_name", f"U{user_id}"), **fields)


async def register(db, user_id: int, admin_ids=(), **fields) -> users.Registration:
    async with db.transaction() as session:
        return await users.register_user(
            session, profile(user_id, **fields), now=NOW, admin_ids=admin_ids
        )


async def test_first_registration_creates_a_client_waiting_for_consent(db):
    registration = await register(db, 1, username="ann", language_code="de")
    assert registration.is_new
    user = registration.user
    assert user.role == Role.CLIENT
    assert user.onboarding_step == OnboardingStep.CONSENT
    assert user.created_at == user.updated_at == NOW
    assert not user.wellbeing_consent


async def test_registering_again_refreshes_the_profile_and_reachability(db):
    await register(db, 1, username="old")
    async with db.transaction() as session:
        await users.set_blocked(session, 1, True, now=NOW)
    later = NOW + dt.timedelta(days=3)
    async with db.transaction() as session:
        registration = await users.register_user(
            session, profile(1, username="new", first_name="Ann"), now=later, admin_ids=()
        )
    assert not registration.is_new
    assert registration.user.username == "new"
    assert registration.user.first_name == "Ann"
    assert registration.user.blocked_at is None
    assert registration.user.created_at == NOW
    assert registration.user.updated_at == later


async def test_concurrent_registrations_neither_fail_nor_duplicate(db):
    await asyncio.gather(
        *(register(db, 1) for _ in range(10)), *(register(db, n) for n in range(2, 30))
    )
    async with db.reading() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 29


async def test_admin_ids_make_admins(db):
    registration = await register(db, 5, admin_ids={5})
    assert registration.user.role == Role.ADMIN


async def test_sync_admins_promotes_listed_and_demotes_others(db):
    await register(db, 1, admin_ids={1})
    await register(db, 2)
    async with db.transaction() as session:
        await users.sync_admins(session, {2}, now=NOW)
    async with db.reading() as session:
        roles = dict((await session.execute(select(User.id, User.role))).all())
    assert roles == {1: Role.CLIENT, 2: Role.ADMIN}
    async with db.transaction() as session:
        await users.sync_admins(session, set(), now=NOW)
    async with db.reading() as session:
        assert set((await session.scalars(select(User.role))).all()) == {Role.CLIENT}


async def test_consent_records_when_given_and_withdrawn_and_moves_onboarding_on(db):
    await register(db, 1)
    async with db.transaction() as session:
        user = await users.record_consent(session, 1, True, now=NOW)
    assert user.wellbeing_consent
    assert user.consent_given_at == NOW
    assert user.onboarding_step == OnboardingStep.TIMEZONE
    assert user.awaiting_input == users.AWAITING_TIMEZONE
    later = NOW + dt.timedelta(hours=1)
    async with db.transaction() as session:
        user = await users.record_consent(session, 1, False, now=later)
    assert not user.wellbeing_consent
    assert user.consent_withdrawn_at == later
    assert user.consent_given_at == NOW
    # Answering "not now" when nothing was given withdraws nothing.
    await register(db, 2)
    async with db.transaction() as session:
        user = await users.record_consent(session, 2, False, now=NOW)
    assert user.consent_withdrawn_at is None


async def test_set_timezone_completes_onboarding_and_refuses_unknown_zones(db):
    await register(db, 1)
    async with db.transaction() as session:
        await users.record_consent(session, 1, False, now=NOW)
    with pytest.raises(InvalidInput):
        async with db.transaction() as session:
            await users.set_timezone(session, 1, "Mars/Olympus", now=NOW)
    async with db.transaction() as session:
        user = await users.set_timezone(session, 1, "Asia/Tokyo", now=NOW)
    assert user.timezone == "Asia/Tokyo"
    assert user.awaiting_input is None
    assert user.is_onboarded


async def test_the_guards_read_of_a_person_is_all_of_them_and_changes_nothing(db):
    await register(db, 1, username="ann", language_code="de")
    async with db.transaction() as session:
        await users.record_consent(session, 1, True, now=NOW)
        await users.set_timezone(session, 1, "Asia/Tokyo", now=NOW)
        asked = await users.await_input(session, 1, "note", now=NOW)
        users.set_draft(asked, "note", {"text": "half"})
    copy = await users.read_user(db, 1)
    assert await users.read_user(db, 404) is None
    async with db.reading() as session:
        loaded = await users.get_user(session, 1)
        columns = [column.key for column in inspect(User).column_attrs]
        assert {key: getattr(copy, key) for key in columns} == {
            key: getattr(loaded, key) for key in columns
        }
    assert copy.timezone == "Asia/Tokyo" and copy.role == Role.CLIENT
    assert copy.consent_given_at == NOW and copy.consent_given_at.tzinfo is not None
    assert copy.awaiting_input == "note" and users.draft_of(copy, "note") == {"text": "half"}
    assert inspect(copy).detached, "as the guard's copy always was: its session is gone"
    copy.first_name = "Changed"
    async with db.transaction() as session:
        assert (await users.get_user(session, 1)).first_name == "U1"


async def test_unknown_users_are_not_found(db):
    with pytest.raises(NotFound):
        async with db.transaction() as session:
            await users.record_consent(session, 404, True, now=NOW)


async def test_trainer_role_changes(db):
    await register(db, 1, username="Tess")
    await register(db, 9, admin_ids={9})
    async with db.transaction() as session:
        user, changed = await users.make_trainer(session, "@tess", now=NOW)
    assert (user.role, changed) == (Role.TRAINER, True)
    async with db.transaction() as session:
        _, changed = await users.make_trainer(session, "1", now=NOW)
    assert changed is False
    with pytest.raises(NotAllowed):
        async with db.transaction() as session:
            await users.make_trainer(session, "9", now=NOW)
    with pytest.raises(NotFound):
        async with db.transaction() as session:
            await users.make_trainer(session, "@nobody", now=NOW)
    with pytest.raises(InvalidInput):
        async with db.transaction() as session:
            await users.make_trainer(session, "tess", now=NOW)
    async with db.reading() as session:
        staff = await users.list_staff(session)
    assert [(u.id, u.role) for u in staff] == [(9, Role.ADMIN), (1, Role.TRAINER)]
    async with db.transaction() as session:
        user = await users.remove_trainer(session, "1", now=NOW)
    assert user.role == Role.CLIENT
    with pytest.raises(InvalidInput):
        async with db.transaction() as session:
            await users.remove_trainer(session, "1", now=NOW)
    with pytest.raises(NotAllowed):
        async with db.transaction() as session:
            await users.remove_trainer(session, "9", now=NOW)


async def refusal(coroutine_factory, db) -> str:
    """The English sentence a person reads for the error the call raises."""
    from bot.i18n import translator
    from bot.services.errors import DomainError
    from bot.views.errors import error_text

    with pytest.raises(DomainError) as raised:
        async with db.transaction() as session:
            await coroutine_factory(session)
    return error_text(translator("en"), raised.value)


async def test_every_refusal_reads_as_a_sentence_with_its_details(db):
    await register(db, 1, first_name="Tess", username="tess")
    await register(db, 9, first_name="Ada", admin_ids={9})
    cases = [
        (lambda s: users.require_user(s, 404), "I don't know you yet. Send /start to begin."),
        (
            lambda s: users.set_timezone(s, 1, "Mars/Olympus", now=NOW),
            "Mars/Olympus is not a time zone I know.",
        ),
        (
            lambda s: users.set_checkin_choices(s, 1, weekday=7, now=NOW),
            "Weekdays go from Monday to Sunday.",
        ),
        (lambda s: users.set_checkin_choices(s, 1, hour=24, now=NOW), "from 0 to 23"),
        (lambda s: users.make_trainer(s, "tess", now=NOW), "'tess' is not a user id."),
        (lambda s: users.make_trainer(s, "@nobody", now=NOW), "@nobody hasn't started the bot"),
        (lambda s: users.make_trainer(s, "9", now=NOW), "Ada is an admin and can already"),
        (lambda s: users.remove_trainer(s, "9", now=NOW), "Ada is an admin. Admins are set in"),
        (lambda s: users.remove_trainer(s, "1", now=NOW), "Tess is not a trainer."),
        (lambda s: users.set_language(s, 1, "xx", now=NOW), "I don't speak that language yet."),
    ]
    for call, expected in cases:
        assert expected in await refusal(call, db)
