"""When tips come and which: schedules in each zone, quiet hours, cycles, moments, weights."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.models import Attendance, Role, TipDelivery, User
from bot.services import bookings, classes, tips, users
from bot.services.tip_library import load_library
from tests.classes.conftest import add_series, sessions_of

LIBRARY = load_library()


async def client(db, user_id: int, *, zone: str, onboarded: dt.datetime, **prefs) -> User:
    async with db.transaction() as session:
        user = (
            await users.register_user(
                session,
                users.Profile(id=user_id, first_name=f"C{user_id}"),
                now=onboarded,
                admin_ids=(),
            )
        ).user
        user.timezone = zone
        user.onboarded_at = onboarded
        for name, value in prefs.items():
            setattr(user, name, value)
        return user


async def tick(db, now: dt.datetime) -> list[tips.DueTip]:
    async with db.transaction() as session:
        return await tips.due_tips(session, LIBRARY, now=now)


async def deliveries(db, user_id: int) -> list[TipDelivery]:
    async with db.reading() as session:
        rows = await session.scalars(
            select(TipDelivery).where(TipDelivery.user_id == user_id).order_by(TipDelivery.id)
        )
        return list(rows)


def local(day: dt.date, hour: int, zone: str, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)


@pytest.mark.parametrize(
    ("zone", "onboarded_on", "expected"),
    [
        # Berlin springs forward on 29 March, New York on 8 March.
        ("Europe/Berlin", dt.date(2026, 3, 19), ["Fri 20 Mar", "Fri 27 Mar", "Fri 03 Apr"]),
        ("America/New_York", dt.date(2026, 3, 5), ["Fri 06 Mar", "Fri 13 Mar", "Fri 20 Mar"]),
    ],
)
async def test_weekly_tips_at_ten_local_across_the_march_change(db, zone, onboarded_on, expected):
    # Onboarded on a Thursday afternoon: weekly tips on Fridays, the first the next day.
    onboarded = local(onboarded_on, 15, zone)
    user = await client(db, 1, zone=zone, onboarded=onboarded)
    sent_at = []
    moment = onboarded
    while moment < onboarded + dt.timedelta(days=20):
        moment += dt.timedelta(minutes=30)
        found = await tick(db, moment)
        sent_at += [moment for _ in found]
    assert [t.astimezone(ZoneInfo(zone)).strftime("%a %d %b %H:%M") for t in sent_at] == [
        f"{day} 10:00" for day in expected
    ]
    offsets = {t.astimezone(ZoneInfo(zone)).utcoffset() for t in sent_at}
    assert len(offsets) == 2  # the same 10:00 on both sides of the change
    assert {d.reason for d in await deliveries(db, user.id)} == {"scheduled"}


async def test_daily_and_twice_weekly_and_off(db):
    start = local(dt.date(2026, 11, 2), 12, "UTC")  # Monday
    daily = await client(db, 1, zone="UTC", onboarded=start, tip_frequency="daily")
    twice = await client(db, 2, zone="UTC", onboarded=start, tip_frequency="twice_weekly")
    await client(db, 3, zone="UTC", onboarded=start, tip_frequency="off")
    moment = start
    while moment < start + dt.timedelta(days=14):
        moment += dt.timedelta(hours=1)
        await tick(db, moment)
    assert len(await deliveries(db, daily.id)) == 14
    days = [dt.date.fromisoformat(d.slot).strftime("%a") for d in await deliveries(db, twice.id)]
    assert days == ["Tue", "Fri", "Tue", "Fri"]
    assert await deliveries(db, 3) == []


async def test_quiet_hours_move_a_slot_and_hold_everything(db):
    start = local(dt.date(2026, 11, 2), 12, "Europe/Berlin")
    late = await client(
        db, 1, zone="Europe/Berlin", onboarded=start, tip_frequency="daily", tip_hour=22
    )
    # 22:00 is inside 21:00-08:00: the tip waits for 08:00 the next morning.
    assert tips.slot_time(late, dt.date(2026, 11, 3)) == local(
        dt.date(2026, 11, 4), 8, "Europe/Berlin"
    )
    assert await tick(db, local(dt.date(2026, 11, 3), 22, "Europe/Berlin", 30)) == []
    found = await tick(db, local(dt.date(2026, 11, 4), 8, "Europe/Berlin", 5))
    assert [d.slot for d in found] == ["2026-11-03"]
    assert tips.in_quiet_hours(23, 0, 21, 8)
    assert tips.in_quiet_hours(7, 59, 21, 8)
    assert not tips.in_quiet_hours(8, 0, 21, 8)
    assert tips.in_quiet_hours(13, 0, 12, 14)
    assert not tips.in_quiet_hours(3, 0, 0, 0)


async def test_the_tick_run_twice_sends_one_tip_per_slot(db):
    start = local(dt.date(2026, 11, 2), 12, "UTC")
    user = await client(db, 1, zone="UTC", onboarded=start)
    due = local(dt.date(2026, 11, 3), 10, "UTC", 1)
    first = await tick(db, due)
    second = await tick(db, due)
    third = await tick(db, due + dt.timedelta(minutes=5))
    assert (len(first), len(second), len(third)) == (1, 0, 0)
    assert len(await deliveries(db, user.id)) == 1


async def test_a_slot_missed_for_long_is_skipped(db):
    start = local(dt.date(2026, 11, 2), 12, "UTC")
    user = await client(db, 1, zone="UTC", onboarded=start)
    assert await tick(db, local(dt.date(2026, 11, 3), 23, "UTC")) == []  # 13 h late
    assert await deliveries(db, user.id) == []


async def test_no_repeats_until_the_whole_library_was_seen(db):
    start = local(dt.date(2026, 1, 1), 12, "UTC")
    user = await client(db, 1, zone="UTC", onboarded=start, tip_frequency="daily")
    size = len(LIBRARY.tips)
    for day in range(1, size + 6):
        await tick(db, local(dt.date(2026, 1, 1) + dt.timedelta(days=day), 10, "UTC", 1))
    sent = await deliveries(db, user.id)
    first_cycle = [d.tip_id for d in sent[:size]]
    assert len(set(first_cycle)) == size
    assert {d.cycle for d in sent[:size]} == {0}
    assert {d.cycle for d in sent[size:]} == {1}
    assert len({d.tip_id for d in sent[size:]}) == len(sent[size:])


async def test_not_for_me_twice_lowers_a_category(db):
    start = local(dt.date(2026, 11, 2), 12, "UTC")
    user = await client(db, 1, zone="UTC", onboarded=start)
    social = [tip.id for tip in LIBRARY.tips if tip.category == "social"]
    async with db.transaction() as session:
        await tips.answer(session, user.id, social[0], False, LIBRARY, now=start)
        weights = await tips.category_weights(session, user.id)
    assert weights["social"] == 1.0
    async with db.transaction() as session:
        await tips.answer(session, user.id, social[1], False, LIBRARY, now=start)
        # Changing one's mind on the first one counts: a second press changes the answer.
        weights = await tips.category_weights(session, user.id)
    assert weights["social"] == tips.LOWERED_WEIGHT
    assert weights["mental"] == 1.0
    async with db.transaction() as session:
        await tips.answer(session, user.id, social[1], True, LIBRARY, now=start)
        assert (await tips.category_weights(session, user.id))["social"] == 1.0


async def test_the_day_after_the_first_attended_class_brings_a_social_tip(db):
    start = local(dt.date(2026, 11, 2), 12, "Europe/Berlin")  # Monday; tips on Tuesdays
    trainer = await client(db, 9, zone="Europe/Berlin", onboarded=start)
    async with db.transaction() as session:
        (await session.get(User, 9)).role = Role.TRAINER
    person = await client(db, 1, zone="Europe/Berlin", onboarded=start, tip_frequency="weekly")
    async with db.transaction() as session:
        owner = await session.get(User, trainer.id)
        series = await classes.create_series(
            session,
            owner,
            classes.SeriesSpec(
                title="Back care",
                location="Studio",
                timezone="Europe/Berlin",
                start_time=dt.time(18, 0),
                duration_minutes=60,
                capacity=5,
                first_date=dt.date(2026, 11, 5),
                weekdays=(3,),
            ),
            now=start,
        )
        target = (await classes.upcoming(session, now=start, series_id=series.id))[0]
        booked = await bookings.book(
            session, await session.get(User, person.id), target.session.id, now=start
        )
    after_class = target.session.starts_at + dt.timedelta(minutes=70)
    async with db.transaction() as session:
        await bookings.mark_attendance(
            session, owner, booked.booking.id, Attendance.ATTENDED, now=after_class
        )
    # Friday 6 November at 10:00: not a weekly slot (Tuesdays), but the moment's day.
    found = await tick(db, local(dt.date(2026, 11, 6), 10, "Europe/Berlin", 1))
    assert [(d.reason, d.tip.category) for d in found] == [("first_class", "social")]
    assert await tick(db, local(dt.date(2026, 11, 6), 11, "Europe/Berlin")) == []


async def test_low_mood_is_in_the_rule_table(db):
    assert tips.MOMENT_RULES["low_mood"].category == "mental"
    start = local(dt.date(2026, 11, 2), 12, "UTC")
    user = await client(db, 1, zone="UTC", onboarded=start)
    async with db.transaction() as session:
        await tips.record_moment(
            session, user.id, "low_mood", now=local(dt.date(2026, 11, 4), 7, "UTC")
        )
    found = await tick(db, local(dt.date(2026, 11, 4), 10, "UTC", 1))
    assert [(d.reason, d.tip.category) for d in found] == [("low_mood", "mental")]


async def test_trainer_tips_reach_only_their_own_clients(db):
    start = local(dt.date(2026, 11, 2), 12, "UTC")
    tess = await client(db, 9, zone="UTC", onboarded=start)
    async with db.transaction() as session:
        trainer = await session.get(User, 9)
        trainer.role = Role.TRAINER
        own = await tips.add_trainer_tip(
            session,
            trainer,
            title="Breathe out on effort",
            text="Breathe out as you lift, in as you lower. It steadies the movement.",
            category="physical",
            source="https://example.org/breathing",
            language="en",
            now=start,
        )
        series = await classes.create_series(
            session,
            trainer,
            classes.SeriesSpec(
                title="Back care",
                location="Studio",
                timezone="UTC",
                start_time=dt.time(18),
                duration_minutes=60,
                capacity=5,
                first_date=dt.date(2026, 11, 5),
                weekdays=(3,),
            ),
            now=start,
        )
        target = (await classes.upcoming(session, now=start, series_id=series.id))[0]
    mine = await client(db, 1, zone="UTC", onboarded=start)
    other = await client(db, 2, zone="UTC", onboarded=start)
    async with db.transaction() as session:
        await bookings.book(session, await session.get(User, mine.id), target.session.id, now=start)
        pool_mine = {t.tip_id for t in await tips._pool(session, mine.id, LIBRARY, "en")}
        pool_other = {t.tip_id for t in await tips._pool(session, other.id, LIBRARY, "en")}
        # Her own clients who read another language do not get a tip they could not read.
        pool_mine_de = {t.tip_id for t in await tips._pool(session, mine.id, LIBRARY, "de")}
    assert tips.trainer_tip_id(own) in pool_mine
    assert tips.trainer_tip_id(own) not in pool_other
    assert tips.trainer_tip_id(own) not in pool_mine_de
    assert {tip.id for tip in LIBRARY.tips} <= pool_mine_de
    assert tess.id == 9


async def test_a_trainers_tip_goes_to_clients_reading_its_language(db):
    """Written in German, a trainer's tip reaches her clients who read German (chosen, or
    their Telegram app's language) and never those who read English."""
    start = local(dt.date(2026, 11, 2), 12, "UTC")
    tess = await client(db, 9, zone="UTC", onboarded=start, role=Role.TRAINER)
    german = await client(db, 1, zone="UTC", onboarded=start, language="de")
    app_german = await client(db, 2, zone="UTC", onboarded=start, language_code="de-AT")
    english = await client(db, 3, zone="UTC", onboarded=start, language_code="de", language="en")
    async with db.transaction() as session:
        own = await tips.add_trainer_tip(
            session,
            await session.get(User, tess.id),
            title="Ausatmen bei der Anstrengung",
            text="Beim Heben ausatmen, beim Senken einatmen: das beruhigt jede Bewegung.",
            category="physical",
            source="https://example.org/atmen",
            language="de",
            now=start,
        )
    series_id = await add_series(
        db, ManualClock(start), tess.id, timezone="UTC", first_date=dt.date(2026, 11, 5)
    )
    first = (await sessions_of(db, series_id))[0]
    async with db.transaction() as session:
        for person in (german, app_german, english):
            await bookings.book(session, await session.get(User, person.id), first.id, now=start)
    got: dict[int, set[str]] = {german.id: set(), app_german.id: set(), english.id: set()}
    async with db.transaction() as session:
        for person in got:
            for number in range(len(LIBRARY.tips) + 1):
                tip = await tips.tip_now(
                    session,
                    await session.get(User, person),
                    LIBRARY,
                    now=start + dt.timedelta(minutes=number),
                )
                got[person].add(tip.tip_id)
    mine = tips.trainer_tip_id(own)
    assert mine in got[german.id] and mine in got[app_german.id]
    assert mine not in got[english.id]


@pytest.mark.parametrize(
    ("title", "text", "source", "message"),
    [
        ("Breathe", "Breathe out as you lift and in as you lower.", "", "needs its source"),
        (
            "Breathe",
            "Breathe out as you lift and in as you lower.",
            "www.example.org",
            "needs its source",
        ),
        ("Breathe", "Too short", "https://example.org", "needs 20 to 500 characters (9 now)"),
        ("Breathe", "x" * 501, "https://example.org", "needs 20 to 500 characters (501 now)"),
        ("B", "Breathe out as you lift and in as you lower.", "https://example.org", "title needs"),
        ("<b>Breathe</b>", "Breathe out as you lift and in.", "https://example.org", "plain text"),
    ],
)
def test_trainer_tips_pass_the_same_checks(title, text, source, message):
    from bot.i18n import translator
    from bot.services.errors import InvalidInput
    from bot.views.errors import error_text

    with pytest.raises(InvalidInput) as refused:
        tips.check_trainer_tip(title, text, "physical", source)
    assert message in error_text(translator("en"), refused.value)
