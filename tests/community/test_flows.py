"""Check-ins, progress, groups, buddies and privacy through the real bot."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import func, select

from bot.models import Booking, CheckIn, GroupLink, Role, User
from bot.services import users
from tests.classes.conftest import add_series, sessions_of
from tests.harness import book

# The fixtures' clock starts on Friday 27 November 2026 at 09:00 UTC.


async def checkin(person, mood: int, energy: int, pain: int, note: str | None = None):
    await person.send("/checkin")
    # Reminders and invitations may arrive meanwhile (the tests move the clock a lot).
    question = await person.expect_until("How is your mood today?")
    await person.press(question, str(mood))
    question = await person.expect_edit("And your energy?")
    await person.press(question, str(energy))
    question = await person.expect_edit("Any pain right now?")
    await person.press(question, str(pain))
    question = await person.expect_edit("Anything you'd like to add?")
    if note is None:
        await person.press(question, "Skip")
    else:
        await person.send(note)
    return await person.expect_until("check-in is saved")


async def stored(db, user_id: int) -> list[CheckIn]:
    async with db.reading() as session:
        return list(await session.scalars(select(CheckIn).where(CheckIn.user_id == user_id)))


async def link_group(trainer, group) -> None:
    """`trainer` links `group` to their class "Back care" with /linkgroup."""
    await trainer.send("/linkgroup", chat=group)
    await trainer.press(await trainer.expect("Which class", chat=group), "Back care")
    await trainer.expect_edit("Linked", chat=group)


async def make_trainer(db, person) -> None:
    async with db.transaction() as session:
        (await users.get_user(session, person.id)).role = Role.TRAINER


async def test_a_checkin_with_consent_and_a_note(onboarded, db):
    anna = await onboarded("Anna")
    await anna.send("/checkin")
    await anna.expect("How is your mood today?")
    done = await checkin(anna, 4, 3, 2, note="Knees feel better")
    assert "💛" not in done.text
    assert [(c.mood, c.energy, c.pain, c.note) for c in await stored(db, anna.id)] == [
        (4, 3, 2, "Knees feel better")
    ]
    again = await checkin(anna, 5, 4, 1)
    assert "replaces today's earlier one" in again.text
    assert [(c.mood, c.note) for c in await stored(db, anna.id)] == [(5, None)]


async def test_a_note_over_500_characters_is_refused(onboarded, db):
    anna = await onboarded("Anna")
    await anna.send("/checkin")
    await anna.press(await anna.expect("mood"), "3")
    await anna.press(await anna.expect_edit("energy"), "3")
    await anna.press(await anna.expect_edit("pain"), "3")
    await anna.expect_edit("Anything you'd like to add?")
    await anna.send("x" * 501)
    await anna.expect("That note is 501 characters long; the limit is 500.")
    await anna.send("Shorter note")
    await anna.expect("check-in is saved")
    assert [c.note for c in await stored(db, anna.id)] == ["Shorter note"]


async def test_without_consent_nothing_is_stored_until_yes(tg, bot, db):
    from tests.harness import onboard

    ben = tg.user("Ben")
    await onboard(ben, consent=False)
    await ben.send("/checkin")
    why = await ben.expect("They are health data, so I store them only with your consent")
    await ben.press(why, "Not now")
    await ben.expect_edit("nothing is stored")
    assert await stored(db, ben.id) == []
    await ben.send("/checkin")
    why = await ben.expect("only with your consent")
    await ben.press(why, "Yes, store my check-ins")
    await ben.expect_edit("your check-ins will be stored")
    question = await ben.expect("How is your mood today?")
    await ben.press(question, "2")
    await ben.press(await ben.expect_edit("energy"), "2")
    await ben.press(await ben.expect_edit("pain"), "1")
    await ben.press(await ben.expect_edit("add?"), "Skip")
    await ben.expect("check-in is saved")
    assert len(await stored(db, ben.id)) == 1


async def test_care_reply_and_the_trainers_heads_up_only_with_permission(onboarded, db, clock):
    tess = await onboarded("Tess")
    await make_trainer(db, tess)
    series_id = await add_series(db, clock, tess.id)
    target = (await sessions_of(db, series_id))[0]
    sharing, private = await onboarded("Sam"), await onboarded("Pia")
    for person in (sharing, private):
        await book(person, target.id)
    await sharing.send("/settings")
    await sharing.press(await sharing.expect("Your settings"), "Check-in choices")
    menu = await sharing.expect_edit("Check-ins")
    await sharing.press(menu, "My trainer may see my check-ins")
    await sharing.expect_edit("your trainer may see them")

    cared = await checkin(sharing, 3, 3, 8)
    assert cared.text.startswith("💛 Thank you for telling me. Pain of 7 or more")
    assert "call your local emergency number" in cared.text
    heads_up = await tess.expect("💛 Heads-up: Sam's check-in today shows pain 8/10.")
    assert "/clients" in heads_up.text

    cared = await checkin(private, 3, 3, 9)
    assert "Pain of 7 or more" in cared.text
    await tess.expect_nothing(within=1.0)

    await tess.send("/clients")
    view = await tess.expect("Check-ins of clients who share them with you")
    assert "Sam" in view.text and "pain 8/10" in view.text
    assert "Pia" not in view.text
    assert "1 of your clients keeps their check-ins private" in view.text

    await private.send("/clients")
    await private.expect("Sorry, only trainers can do that.")


async def test_progress_explains_then_draws(onboarded, db, clock, tg):
    anna = await onboarded("Anna")
    await anna.send("/progress")
    text = await anna.expect("After two or more check-ins")
    assert "0 sessions in 4 weeks" in text.text
    await checkin(anna, 3, 2, 6)  # mood 3: no low-mood tip in between
    clock.advance(dt.timedelta(days=1))
    await checkin(anna, 4, 4, 3)
    await anna.send("/progress")
    # Drawing the chart takes a while on a busy machine.
    chart = await anna.expect("📈", timeout=60)
    assert chart.method == "sendPhoto"
    image = await tg.file(chart.file_id)
    assert image.startswith(b"\x89PNG\r\n\x1a\n")
    assert "pain down from 6 to 3" in chart.text
    assert "Mood 4/5 and energy 4/5 lately" in chart.text


async def test_linking_a_group_is_for_trainers_and_posts_follow(onboarded, tg, db, clock):
    tess = await onboarded("Tess")
    await make_trainer(db, tess)
    series_id = await add_series(db, clock, tess.id)
    anna = await onboarded("Anna")
    group = tg.group("Back Care Group", id=-5001)
    await tg.call("my_chat_member", **{"from": tess.profile, "chat": group, "status": "member"})

    await anna.send("/linkgroup", chat=group)
    await anna.expect("Sorry, only trainers can do that.", chat=group)
    await tess.send("/linkgroup")
    await tess.expect("works in your class's Telegram group")
    await tess.send("/linkgroup", chat=group)
    choose = await tess.expect("Which class is this group for?", chat=group)
    query = await anna.press(choose, "Back care")  # a client pressing the trainer's buttons
    assert "only trainers" in (await anna.answer(query))["text"]
    await tess.press(choose, "Back care")
    linked = await tess.expect_edit("Linked. This group now belongs to: Back care.", chat=group)
    assert "Nobody's check-in is ever shown here." in linked.text
    async with db.reading() as session:
        assert await session.scalar(select(func.count()).select_from(GroupLink)) == 1

    # Friday noon (UTC class): the invitation to check in privately.
    clock.set(dt.datetime(2026, 11, 27, 12, 0, 30, tzinfo=dt.UTC))
    invite = await tess.expect("How's your week going?", chat=group, timeout=10)
    assert invite.button("Check in privately")["url"].endswith("?start=checkin")
    # Monday 08:00 Berlin: the week's schedule with deep-link Book buttons.
    clock.set(dt.datetime(2026, 11, 30, 7, 0, 30, tzinfo=dt.UTC))
    schedule = await tess.expect("This week's classes", chat=group, timeout=10)
    assert "Mon 30 Nov · 18:00 – Back care, Studio 2" in schedule.text
    first = (await sessions_of(db, series_id))[0]
    assert schedule.buttons[0]["url"].endswith(f"?start=book-{first.id}")
    today = await tess.expect("📣 Today", chat=group, timeout=10)
    assert "Back care" in today.text

    # The deep link continues in private: the session with its Book button.
    await anna.send(f"/start book-{first.id}")
    detail = await anna.expect("Back care")
    assert "✅ Book" in detail.button_texts

    await tess.send("/unlinkgroup", chat=group)
    await tess.expect("Unlinked from 1 class.", chat=group)


async def test_the_weekly_summary_is_anonymous_and_needs_three(onboarded, tg, db, clock):
    tess = await onboarded("Tess")
    await make_trainer(db, tess)
    series_id = await add_series(db, clock, tess.id)
    target = (await sessions_of(db, series_id))[0]
    group = tg.group("Back Care Group", id=-5002)
    await link_group(tess, group)
    people = [await onboarded(name) for name in ("Ann", "Ben", "Cid", "Dee")]
    for person in people:
        await book(person, target.id)
    # Monday: Ann and Ben check in; Sunday evening: only two, so no summary.
    clock.set(dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC))
    for person, energy in zip(people[:2], (2, 3), strict=True):
        await checkin(person, 3, energy, 8)
    clock.set(dt.datetime(2026, 12, 6, 17, 0, 30, tzinfo=dt.UTC))
    events = [e for e in await tg.events(-5002) if "Our week" in (e["message"].get("text") or "")]
    assert events == []
    # The next week three check in: a summary with counts and an average only.
    clock.set(dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC))
    for person, energy in zip(people[:3], (3, 4, 5), strict=True):
        await checkin(person, 3, energy, 8)
    clock.set(dt.datetime(2026, 12, 13, 17, 0, 30, tzinfo=dt.UTC))
    for _ in range(100):
        events = [
            e for e in await tg.events(-5002) if "Our week" in (e["message"].get("text") or "")
        ]
        if events:
            break
        import asyncio

        await asyncio.sleep(0.1)
    assert len(events) == 1
    text = events[0]["message"]["text"]
    assert text.startswith("🌟 Our week: 3 of 4 checked in; average energy 4.0.")
    for name in ("Ann", "Ben", "Cid", "pain", "8"):
        assert name not in text


async def test_new_members_are_welcomed(onboarded, tg, bot):
    group = tg.group("Back Care Group", id=-5003)
    newcomer = tg.user("Nia")
    await tg.call(
        "message",
        **{
            "from": newcomer.profile,
            "chat": group,
            "new_chat_members": [{"id": newcomer.id, "is_bot": False, "first_name": "Nia"}],
        },
    )
    welcome = await newcomer.expect("Welcome, Nia!", chat=group)
    assert welcome.button("Start the bot")["url"] == "https://t.me/TherapyTestBot"


async def test_buddies_are_introduced_and_asked(onboarded, db, clock, tg):
    tess = await onboarded("Tess")
    await make_trainer(db, tess)
    series_id = await add_series(db, clock, tess.id)
    target = (await sessions_of(db, series_id))[0]
    ann = await onboarded("Ann", username="ann_moves")
    ben = await onboarded("Ben")
    for person in (ann, ben):
        await book(person, target.id)
        await person.send("/buddy")
        await person.press(await person.expect("Class buddies"), "Yes, find me a buddy")
        await person.expect_edit("you're in")
    # Monday 09:00 Berlin: pairing.
    clock.set(dt.datetime(2026, 11, 30, 8, 0, 30, tzinfo=dt.UTC))
    intro_ann = await ann.expect_until("Your buddy this week in Back care")
    intro_ben = await ben.expect_until("Your buddy this week in Back care")
    assert f"tg://user?id={ben.id}" in json.dumps(intro_ann.raw)  # Ben has no username
    assert "Ann (@ann_moves)" in intro_ben.text
    # Three days later: did you connect?
    clock.set(dt.datetime(2026, 12, 3, 8, 1, tzinfo=dt.UTC))
    question = await ann.expect_until("Did you and Ben connect this week?")
    await ann.press(question, "Yes")
    await ann.expect_edit("keep it going")
    await ben.expect_until("Did you and Ann connect")

    await tess.send("/myclasses")
    overview = await tess.expect("Your classes")
    await tess.press_data(overview, f"tc:ser:{series_id}")
    stats = await tess.expect_edit("Back care")
    assert "Buddies: 1 pair in 4 weeks; 1 of 1 answer: connected" in stats.text


async def test_two_missed_sessions_bring_a_warm_word_and_a_nudge(onboarded, db, clock, tg):
    tess = await onboarded("Tess")
    await make_trainer(db, tess)
    series_id = await add_series(db, clock, tess.id)
    found = await sessions_of(db, series_id)
    ann, ben = await onboarded("Ann"), await onboarded("Ben")
    for person in (ann, ben):
        await person.send("/buddy")
        await person.press(await person.expect("Class buddies"), "Yes")
        await person.expect_edit()
        for target in found[:3]:
            await book(person, target.id)
    clock.set(dt.datetime(2026, 11, 30, 8, 0, 30, tzinfo=dt.UTC))
    await ann.expect_until("Your buddy this week")
    await ben.expect_until("Your buddy this week")
    async with db.reading() as session:
        ann_bookings = {
            b.session_id: b.id
            for b in await session.scalars(select(Booking).where(Booking.user_id == ann.id))
        }
    await tess.send("/myclasses")
    overview = await tess.expect("Your classes")
    for target in found[:2]:
        clock.set(target.ends_at + dt.timedelta(minutes=5))
        query = await tess.press_data(overview, f"tc:m:{ann_bookings[target.id]}:n")
        await tess.answer(query)
    missed = await ann.expect_until("We missed you at Back care!")
    assert missed.button_texts[0].startswith("Book ")
    nudge = await ben.expect_until("Your buddy Ann hasn't made it to Back care the last two times.")
    assert "friendly hello" in nudge.text


async def test_privacy_export_withdraw_and_delete(onboarded, db, tg, clock):
    tess = await onboarded("Tess")
    await make_trainer(db, tess)
    series_id = await add_series(db, clock, tess.id)
    target = (await sessions_of(db, series_id))[0]
    anna = await onboarded("Anna")
    await book(anna, target.id)
    await checkin(anna, 3, 3, 3, note="feeling ok")

    await anna.send("/privacy")
    menu = await anna.expect("Your data")
    assert "only with your consent" in menu.text
    await anna.press(menu, "Export my data")
    export = await anna.expect("Everything I hold about you.")
    data = json.loads(await tg.file(export.file_id))
    assert data["profile"]["first_name"] == "Anna"
    assert [c["note"] for c in data["checkins"]] == ["feeling ok"]
    assert data["bookings"][0]["class"] == "Back care"

    # Somebody else forging the export button gets their own data, never Anna's.
    eve = await onboarded("Eve")
    await eve.send("/privacy")
    query = await eve.press_data(await eve.expect("Your data"), "prv:export")
    await eve.answer(query)
    eve_export = json.loads(await tg.file((await eve.expect("Everything I hold")).file_id))
    assert eve_export["profile"]["first_name"] == "Eve"
    assert eve_export["checkins"] == []

    await anna.send("/privacy")
    await anna.press(await anna.expect("Your data"), "Withdraw consent")
    await anna.press(await anna.expect_edit("Withdraw your consent?"), "Yes, withdraw")
    await anna.expect_edit("consent withdrawn and your check-ins deleted")
    assert await stored(db, anna.id) == []
    await anna.send("/checkin")
    await anna.expect("only with your consent")

    async with db.reading() as session:
        booked_before = await session.scalar(select(func.count()).select_from(Booking))
    await anna.send("/privacy")
    await anna.press(await anna.expect("Your data"), "Delete my account")
    await anna.press(await anna.expect_edit("Delete your account?"), "Yes, delete everything")
    await anna.expect_edit("Your account is deleted.")
    async with db.reading() as session:
        assert await session.get(User, anna.id) is None
        assert await session.scalar(select(func.count()).select_from(Booking)) == booked_before
        assert await session.scalar(select(func.count()).where(Booking.user_id == anna.id)) == 0
    await anna.send("/classes")
    await anna.expect("send /start in our private chat")


async def test_milestones_private_and_in_the_group_only_if_opted_in(onboarded, db, clock, tg):
    tess = await onboarded("Tess")
    await make_trainer(db, tess)
    series_id = await add_series(db, clock, tess.id)
    target = (await sessions_of(db, series_id))[0]
    group = tg.group("Back Care Group", id=-5004)
    await link_group(tess, group)
    shy, proud = await onboarded("Shy"), await onboarded("Pat")
    await proud.send("/settings")
    await proud.press(await proud.expect("Your settings"), "Check-in choices")
    await proud.press(await proud.expect_edit("Check-ins"), "Announce my milestones")
    shared = await proud.expect_edit("Check-ins")
    assert "✅ Announce my milestones in the group" in shared.button_texts
    for person in (shy, proud):
        await book(person, target.id)
    clock.set(target.starts_at - dt.timedelta(minutes=5))
    for person in (shy, proud):
        await person.send("/mybookings")
        await person.press(await person.expect_until("Your upcoming classes"), "I'm here")
        await person.expect_until("Checked in for Back care")
        await person.expect_until("Congratulations: your first class!")
    await tess.expect_until("🎉 Pat came to their first class! 👏", chat=group)
    group_texts = [e["message"].get("text", "") for e in await tg.events(-5004)]
    assert not any("Shy" in text for text in group_texts)
