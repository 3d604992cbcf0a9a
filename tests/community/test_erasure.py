"""Deleting an account reaches every stored copy of the person: a client and a trainer go
through every flow, delete their account, and then no column of any table holds their name,
username, check-in note or Telegram id."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select, text

from bot.clock import ManualClock
from bot.context import Deps
from bot.i18n import translator
from bot.models import (
    Attendance,
    Base,
    Booking,
    ClassSeries,
    InboxState,
    InboxUpdate,
    OutboxMessage,
    OutboxState,
    OutboxSubject,
    Role,
    TipDelivery,
    User,
)
from bot.services import (
    bookings,
    broadcasts,
    buddies,
    checkins,
    classes,
    community,
    outbox,
    privacy,
    tips,
    users,
)
from bot.services.errors import InvalidInput
from bot.services.notices import after_attendance, tell_cancelled
from bot.services.tip_library import load_library
from bot.services.users import Profile
from bot.views import notices
from handlers.broadcasts import heading
from handlers.checkins import heads_up
from jobs.community import run_community
from jobs.reminders import queue_due_reminders
from jobs.tips import queue_due_tips
from tests import harness
from tests.classes.conftest import add_series, sessions_of
from tests.community.test_flows import checkin

MONDAY = dt.datetime(2026, 11, 2, 7, 0, tzinfo=dt.UTC)
GROUP_CHAT = -6001
NOTE = "my left knee clicks on the stairs"

TESS = Profile(id=5550009, first_name="Tessaly", last_name="Quorndon", username="tess_q_trains")
PAVEL = Profile(id=5550001, first_name="Pavlito", last_name="Zbrzezny", username="pavlito_moves")
ANN = Profile(id=5550002, first_name="Annika", username="annika_m")
BEN = Profile(id=5550003, first_name="Benedek")


def needles(profile: Profile, *extra: str) -> list[str]:
    """What must not survive the person's deletion: names, username, their own words."""
    names = [profile.first_name, profile.last_name, profile.username]
    return [word for word in (*names, *extra) if word]


async def findings(db, words: list[str], user_id: int) -> set[tuple[str, str, str]]:
    """(table, column, what) for each stored value, in any column of any table, that holds
    one of `words` (case-insensitive) or the user's Telegram id."""
    lowered = [word.lower() for word in words]
    id_pattern = re.compile(rf"(?<!\d){user_id}(?!\d)")
    found: set[tuple[str, str, str]] = set()
    async with db.reading() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).mappings():
                for column in table.columns:
                    value = row[column.name]
                    if isinstance(value, bool) or value is None:
                        continue
                    if isinstance(value, int):
                        if value == user_id:
                            found.add((table.name, column.name, "id"))
                        continue
                    if isinstance(value, dict | list):
                        value = json.dumps(value, ensure_ascii=False)
                    if not isinstance(value, str):
                        continue  # dates and times
                    found.update(
                        (table.name, column.name, word) for word in lowered if word in value.lower()
                    )
                    if id_pattern.search(value):
                        found.add((table.name, column.name, "id"))
    return found


@dataclass
class World:
    """A class with a linked group, a trainer, and three clients who did everything."""

    deps: Deps
    clock: ManualClock
    series_id: int
    session_ids: list[int]


async def register(db, profile: Profile, **fields) -> None:
    async with db.transaction() as session:
        user = (await users.register_user(session, profile, now=MONDAY, admin_ids=())).user
        user.timezone = "UTC"
        user.onboarded_at = MONDAY
        user.wellbeing_consent = True
        for name, value in fields.items():
            setattr(user, name, value)


async def deliver(db, now: dt.datetime) -> int:
    """What a dispatcher would do at `now`: every due message reaches Telegram."""
    async with db.transaction() as session:
        claimed = await outbox.claim_due(
            session, owner="test", now=now, lease=dt.timedelta(minutes=1), limit=1000
        )
        await outbox.mark_sent(session, [(c.id, 10_000 + c.id) for c in claimed], now=now)
    return len(claimed)


async def mark(db, world: World, client: int, index: int, attendance: Attendance) -> None:
    """The trainer marks a client's booking of the index-th session, with what follows."""
    async with db.transaction() as session:
        trainer = await session.get(User, TESS.id)
        booking = await session.scalar(
            select(Booking).where(
                Booking.user_id == client, Booking.session_id == world.session_ids[index]
            )
        )
        await bookings.mark_attendance(
            session, trainer, booking.id, attendance, now=world.clock.now()
        )
        await after_attendance(session, client, world.series_id, now=world.clock.now())


@pytest.fixture
async def world(db, database_url) -> World:
    """Monday 2 November to Monday 9 November 2026, every flow once, messages delivered as
    they fall due except the last ones (still queued when the account is deleted)."""
    clock = ManualClock(MONDAY)
    deps = Deps(
        settings=harness.test_settings("http://127.0.0.1:9/bot", database_url),
        db=db,
        clock=clock,
        library=load_library(),
    )
    await register(db, TESS, role=Role.TRAINER)
    await register(db, PAVEL, trainer_sees_checkins=True, share_milestones=True, buddy_opt_in=True)
    await register(db, ANN, buddy_opt_in=True)
    await register(db, BEN, buddy_opt_in=True)
    clock.set(MONDAY + dt.timedelta(minutes=30))
    # Mondays and Thursdays at 18:00 UTC.
    series_id = await add_series(db, clock, TESS.id, timezone="UTC", first_date=MONDAY.date())
    first_four = [target.id for target in (await sessions_of(db, series_id))[:4]]
    async with db.transaction() as session:
        trainer = await session.get(User, TESS.id)
        for profile in (PAVEL, ANN, BEN):
            client = await session.get(User, profile.id)
            for session_id in first_four:
                await bookings.book(session, client, session_id, now=clock.now())
        await community.link(
            session,
            trainer,
            chat_id=GROUP_CHAT,
            title="Back care group",
            series_id=series_id,
            now=clock.now(),
        )
        await tips.add_trainer_tip(
            session,
            trainer,
            title="Walk after class",
            text="A short walk after class helps the muscles cool down.",
            category="physical",
            source="https://example.org/walking",
            language="en",
            now=clock.now(),
        )
    world = World(deps, clock, series_id, first_four)
    await queue_due_reminders(deps)  # the first tick only starts the reminder window

    # Monday 09:30: buddies (a trio), introduced with names, usernames and links.
    clock.set(MONDAY + dt.timedelta(hours=2, minutes=30))
    assert await run_community(deps, "TherapyTestBot")
    await deliver(db, clock.now())
    # 10:00: Pavel's check-in with a note; his trainer may see it, so a heads-up.
    clock.set(MONDAY + dt.timedelta(hours=3))
    async with db.transaction() as session:
        pavel = await session.get(User, PAVEL.id)
        saved = await checkins.save(
            session, pavel, mood=2, energy=2, pain=8, note=NOTE, prompt="self", now=clock.now()
        )
        await heads_up(session, pavel.first_name, saved, now=clock.now())
    await deliver(db, clock.now())
    # 17:30: reminders for tonight's class (they name the trainer).
    clock.set(MONDAY + dt.timedelta(hours=10, minutes=30))
    assert await queue_due_reminders(deps)
    await deliver(db, clock.now())
    # 19:10: Pavel attended his first class: congratulated, and announced in the group.
    clock.set(MONDAY + dt.timedelta(hours=12, minutes=10))
    await mark(db, world, PAVEL.id, 0, Attendance.ATTENDED)
    async with db.reading() as session:
        trainer = await session.get(User, TESS.id)
        _, roster = await bookings.roster(session, trainer, world.session_ids[0])
        assert PAVEL.first_name in {entry.user.first_name for entry in roster}
        assert (await privacy.export(session, PAVEL.id, now=clock.now()))["checkins"]
    await deliver(db, clock.now())
    # Tuesday 10:05: his first tip.
    clock.set(MONDAY + dt.timedelta(days=1, hours=3, minutes=5))
    assert await queue_due_tips(deps)
    await deliver(db, clock.now())
    # Thursday 09:30: "Did you connect?".
    clock.set(MONDAY + dt.timedelta(days=3, hours=2, minutes=30))
    assert await run_community(deps, "TherapyTestBot")
    await deliver(db, clock.now())
    # He missed Thursday's and the next Monday's class: a nudge for his buddies, still queued.
    clock.set(MONDAY + dt.timedelta(days=3, hours=12, minutes=10))
    await mark(db, world, PAVEL.id, 1, Attendance.NO_SHOW)
    clock.set(MONDAY + dt.timedelta(days=7, hours=12, minutes=10))
    await mark(db, world, PAVEL.id, 2, Attendance.NO_SHOW)
    return world


async def inbox_idle(db) -> bool:
    async with db.reading() as session:
        open_updates = await session.scalar(
            select(func.count())
            .select_from(InboxUpdate)
            .where(InboxUpdate.state.in_([InboxState.PENDING, InboxState.WORKING]))
        )
    return open_updates == 0


async def linked_messages(db, user_id: int) -> dict[int, tuple[int, str, OutboxState]]:
    async with db.reading() as session:
        rows = await session.execute(
            select(OutboxMessage.id, OutboxMessage.chat_id, OutboxMessage.kind, OutboxMessage.state)
            .join(OutboxSubject, OutboxSubject.message_id == OutboxMessage.id)
            .where(OutboxSubject.user_id == user_id)
        )
        return {row.id: (row.chat_id, row.kind, row.state) for row in rows}


async def test_a_deleted_client_is_nowhere(db, world):
    words = needles(PAVEL, NOTE)
    before = await findings(db, words, PAVEL.id)
    # The flows did store him: the scan sees him where he was, including others' messages.
    assert {"users", "checkins", "outbox"} <= {table for table, _, _ in before}
    about_him = await linked_messages(db, PAVEL.id)
    kinds = {kind for chat, kind, _ in about_him.values()}
    assert {"buddy", "heads_up", "milestone_group"} <= kinds
    assert {chat for chat, _, _ in about_him.values()} == {ANN.id, BEN.id, TESS.id, GROUP_CHAT}
    queued = {key for key, (_, _, state) in about_him.items() if state == OutboxState.PENDING}
    assert queued, "the buddy nudges are still queued when he leaves"
    async with db.reading() as session:
        booked_before = len(list(await session.scalars(select(Booking))))

    async with db.transaction() as session:
        await privacy.delete_account(session, PAVEL.id, now=world.clock.now())

    assert await findings(db, words, PAVEL.id) == set()
    async with db.reading() as session:
        kept = {
            row.id: row
            for row in await session.scalars(
                select(OutboxMessage).where(OutboxMessage.id.in_(list(about_him)))
            )
        }
        assert len(list(await session.scalars(select(Booking)))) == booked_before
    # Each message about him is still on record (delivery counts stay true), without him.
    assert set(kept) == set(about_him)
    for message_id, (chat, kind, state) in about_him.items():
        row = kept[message_id]
        assert (row.chat_id, row.kind) == (chat, kind)
        assert row.text == outbox.ERASED_TEXT and row.reply_markup is None
        assert row.state == (OutboxState.CANCELLED if message_id in queued else state)
    # Nothing still queued names him, so nothing more about him goes out.
    assert await deliver(db, world.clock.now() + dt.timedelta(hours=1)) == 0


async def test_a_deleted_trainer_is_nowhere(db, world):
    clock = world.clock
    async with db.transaction() as session:
        trainer = await session.get(User, TESS.id)
        # A broadcast, headed with her name as the handler heads it.
        draft = await broadcasts.draft(
            session,
            trainer,
            broadcasts.MY_CLIENTS,
            html=heading(trainer.full_name) + "Studio 2 is warm again, see you there!",
            body="Studio 2 is warm again, see you there!",
            length=60,
            now=clock.now(),
        )
        await broadcasts.queue(session, trainer, draft.id, now=clock.now())
        # Ann has seen every library tip this round, so her next one is Tessaly's own.
        for tip in world.deps.library.tips:
            session.add(
                TipDelivery(
                    user_id=ANN.id,
                    tip_id=tip.id,
                    category=tip.category,
                    slot=f"seen:{tip.id}",
                    reason="scheduled",
                    cycle=0,
                    sent_at=MONDAY,
                )
            )
    await deliver(db, clock.now())
    clock.set(MONDAY + dt.timedelta(days=8, hours=3, minutes=5))  # Tuesday 10:05
    assert await queue_due_tips(world.deps)
    await deliver(db, clock.now())
    async with db.reading() as session:
        tip_texts = [
            stored_words(row)
            for row in await session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.chat_id == ANN.id, OutboxMessage.kind == "tip"
                )
            )
        ]
    assert any(f"Tip from your trainer {TESS.first_name}" in text for text in tip_texts)

    with pytest.raises(InvalidInput, match="account_still_teaching"):
        async with db.transaction() as session:
            await privacy.delete_account(session, TESS.id, now=clock.now())
    async with db.transaction() as session:
        trainer = await session.get(User, TESS.id)
        affected = await classes.end_series(session, trainer, world.series_id, now=clock.now())
        assert await tell_cancelled(session, affected, reason=None, now=clock.now())
    words = needles(TESS)
    before = await findings(db, words, TESS.id)
    assert {"users", "outbox", "broadcasts"} <= {table for table, _, _ in before}
    about_her = await linked_messages(db, TESS.id)
    assert {"reminder", "tip", "session_cancelled"} <= {k for _, k, _ in about_her.values()}

    async with db.transaction() as session:
        await privacy.delete_account(session, TESS.id, now=clock.now())

    assert await findings(db, words, TESS.id) == set()
    async with db.reading() as session:
        # Her ended class stays for its clients' records, taught by nobody in particular.
        teacher = await session.scalar(
            select(User.first_name)
            .join(ClassSeries, ClassSeries.trainer_id == User.id)
            .where(ClassSeries.id == world.series_id)
        )
    assert teacher == privacy.DELETED_NAME


def _naming(profile: Profile, key: str) -> outbox.Notice:
    return outbox.Notice(
        chat_id=ANN.id,
        text=f"🤝 A note naming {profile.first_name}",
        dedupe_key=key,
        kind="buddy",
        subjects=(profile.id,),
    )


async def test_nothing_is_queued_about_someone_who_left(db, world):
    async with db.transaction() as session:
        await privacy.delete_account(session, PAVEL.id, now=world.clock.now())
    async with db.transaction() as session:
        queued = await outbox.enqueue(
            session,
            [_naming(PAVEL, "late-about-pavel"), _naming(BEN, "about-ben")],
            now=world.clock.now(),
        )
    assert queued == 1
    assert await linked_messages(db, BEN.id) != {}


async def test_did_you_connect_names_only_buddies_still_here(db, world):
    """In the trio, Ann and Ben are asked about each other; a pair left with one member is
    not asked at all."""
    async with db.transaction() as session:
        await privacy.delete_account(session, PAVEL.id, now=world.clock.now())
    async with db.reading() as session:
        week_later = await buddies.due_questions(
            session, now=MONDAY + dt.timedelta(days=3, hours=2, minutes=30)
        )
    asked = {item.user.id: [b.id for b in item.buddies] for item in week_later}
    assert asked == {ANN.id: [BEN.id], BEN.id: [ANN.id]}

    async with db.transaction() as session:
        await privacy.delete_account(session, BEN.id, now=world.clock.now())
    async with db.reading() as session:
        alone = await buddies.due_questions(
            session, now=MONDAY + dt.timedelta(days=3, hours=2, minutes=30)
        )
    assert alone == []


async def _someone_waits_for_a_lock(db) -> bool:
    async with db.reading() as session:
        waiting = await session.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
    return bool(waiting)


async def test_a_notice_queued_while_the_account_is_deleted_never_survives(db, world):
    """PostgreSQL runs both at once: whichever transaction comes first, the other waits."""
    if db.is_sqlite:
        pytest.skip("SQLite runs one write transaction at a time: nothing can interleave")
    now = world.clock.now()

    async def delete(profile: Profile) -> None:
        async with db.transaction() as session:
            await privacy.delete_account(session, profile.id, now=now)

    async def enqueue(notice: outbox.Notice) -> int:
        async with db.transaction() as session:
            return await outbox.enqueue(session, [notice], now=now)

    # The notice is being queued when the deletion starts: the deletion erases it.
    async with db.transaction() as session:
        assert await outbox.enqueue(session, [_naming(PAVEL, "race-1")], now=now) == 1
        deletion = asyncio.create_task(delete(PAVEL))
        await harness.eventually(lambda: _someone_waits_for_a_lock(db))
    await deletion
    async with db.reading() as session:
        row = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.dedupe_key == "race-1")
        )
    assert (row.text, row.state) == (outbox.ERASED_TEXT, OutboxState.CANCELLED)

    # The deletion is under way when a notice about him is queued: it is not queued.
    async with db.transaction() as session:
        await privacy.delete_account(session, BEN.id, now=now)
        queuing = asyncio.create_task(enqueue(_naming(BEN, "race-2")))
        await harness.eventually(lambda: _someone_waits_for_a_lock(db))
    assert await queuing == 0
    assert await findings(db, needles(BEN), BEN.id) == set()


# --------------------------------------------------------------------- through the bot


async def test_after_deleting_their_account_buddies_are_not_asked_about_them(onboarded, db, clock):
    tess = await onboarded("Tess")
    async with db.transaction() as session:
        (await users.get_user(session, tess.id)).role = Role.TRAINER
    target = (await sessions_of(db, await add_series(db, clock, tess.id)))[0]
    pavel = await onboarded("Pavel", id=5550101, last_name="Novak", username="pavel_moves")
    others = [await onboarded(name) for name in ("Ann", "Ben", "Cid")]
    for person in (pavel, *others):
        await harness.book(person, target.id)
        await person.send("/buddy")
        await person.press(await person.expect("Class buddies"), "Yes, find me a buddy")
        await person.expect_edit("you're in")
    await pavel.send("/settings")
    await pavel.press(await pavel.expect("Your settings"), "Check-in choices")
    await pavel.press(await pavel.expect_edit("Check-ins"), "My trainer may see my check-ins")
    await pavel.expect_edit("your trainer may see them")
    await checkin(pavel, 2, 2, 8, note=NOTE)
    await tess.expect_until("Heads-up: Pavel's check-in today shows pain 8/10")
    # Monday 09:00 Berlin: two pairs, introduced to each other.
    clock.set(dt.datetime(2026, 11, 30, 8, 0, 30, tzinfo=dt.UTC))
    intro = await pavel.expect_until("Your buddy this week in Back care")
    [buddy] = [person for person in others if person.profile["first_name"] in intro.text]
    first, second = [person for person in others if person is not buddy]
    told = await buddy.expect_until("Your buddy this week in Back care")
    assert "Pavel (@pavel_moves)" in told.text
    for person in (first, second):
        await person.expect_until("Your buddy this week in Back care")

    await pavel.send("/privacy")
    await pavel.press(await pavel.expect_until("Your data"), "Delete my account")
    await pavel.press(await pavel.expect_edit("Delete your account?"), "Yes, delete everything")
    await pavel.expect_edit("Your account is deleted.")
    await harness.eventually(lambda: inbox_idle(db), timeout=10)  # the press is recorded
    words = needles(Profile(pavel.id, "Pavel", "Novak", "pavel_moves"), NOTE)
    assert await findings(db, words, pavel.id) == set()

    # Three days later the other pair is asked about each other; Pavel's buddy, whose buddy
    # is gone, is not asked (the same tick would have queued it with theirs).
    clock.set(dt.datetime(2026, 12, 3, 8, 1, tzinfo=dt.UTC))
    await first.expect_until(f"Did you and {second.profile['first_name']} connect this week?")
    await second.expect_until(f"Did you and {first.profile['first_name']} connect this week?")
    async with db.reading() as session:
        to_buddy = list(
            await session.scalars(select(OutboxMessage).where(OutboxMessage.chat_id == buddy.id))
        )
    assert to_buddy and not [row for row in to_buddy if "connect" in stored_words(row)]
    assert await findings(db, words, pavel.id) == set()


async def heads_up_texts(db, user_id: int) -> list[str]:
    """The heads-ups naming the user, as their trainer reads them (or what erasure left)."""
    async with db.reading() as session:
        rows = await session.scalars(
            select(OutboxMessage)
            .join(OutboxSubject, OutboxSubject.message_id == OutboxMessage.id)
            .where(OutboxSubject.user_id == user_id, OutboxMessage.kind == "heads_up")
        )
        return [stored_words(row) for row in rows]


def stored_words(row: OutboxMessage) -> str:
    """What a stored message says: its text, or its template rendered in English."""
    if row.template is None:
        return row.text
    reader = notices.Reader(t=translator("en"), timezone="UTC", now=MONDAY)
    return notices.render(row.template, row.params, reader).text


@pytest.mark.parametrize("how", ["withdraw consent", "stop sharing with the trainer"])
async def test_heads_ups_go_when_consent_or_sharing_ends(db, world, how):
    """A trainer's heads-up quotes the client's pain and mood: when the client withdraws
    consent, or stops letting the trainer see check-ins, the stored copy goes too."""
    before = await heads_up_texts(db, PAVEL.id)
    assert before and all(PAVEL.first_name in text and "pain 8/10" in text for text in before)
    async with db.transaction() as session:
        if how == "withdraw consent":
            await users.record_consent(session, PAVEL.id, False, now=world.clock.now())
        else:
            await users.set_checkin_choices(
                session, PAVEL.id, trainer_sees=False, now=world.clock.now()
            )
    after = await heads_up_texts(db, PAVEL.id)
    assert len(after) == len(before)
    assert all(text == outbox.ERASED_TEXT for text in after)
    # Other messages about him (buddy introductions) are not touched by this.
    async with db.reading() as session:
        kept = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .join(OutboxSubject, OutboxSubject.message_id == OutboxMessage.id)
            .where(
                OutboxSubject.user_id == PAVEL.id,
                OutboxMessage.kind != "heads_up",
                OutboxMessage.template.is_not(None),
            )
        )
    assert kept > 0
