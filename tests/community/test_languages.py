"""Check-in, progress, group and buddy messages in the reader's language: every template
rendered for an English reader and for readers of other languages (looked up in their
catalog, with their dates, numbers, lists and plural forms), and scheduled messages that go
out in the language their recipient reads when they are sent."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from bot.i18n import translator
from bot.models import Group, User
from bot.services import users
from bot.views import notices
from tests.classes.conftest import add_series, sessions_of
from tests.community.test_flows import checkin, link_group, make_trainer
from tests.harness import book

NOW = dt.datetime(2026, 11, 30, 7, 0, tzinfo=dt.UTC)  # Monday, 08:00 in Berlin
MONDAY_18_BERLIN = dt.datetime(2026, 11, 30, 17, 0, tzinfo=dt.UTC)


def reader(language: str, zone: str = "Europe/Berlin") -> notices.Reader:
    return notices.Reader(t=translator(language), timezone=zone, now=NOW)


def render(name: str, params: dict, language: str, zone: str = "Europe/Berlin"):
    return notices.render(name, params, reader(language, zone))


def buttons(shown) -> list[dict]:
    return [b for row in (shown.reply_markup or {}).get("inline_keyboard", []) for b in row]


# --------------------------------------------------------------------- check-ins


def test_the_checkin_invitation(catalog):
    weekly = render("checkin_prompt", {"kind": "weekly", "title": None}, "en")
    assert weekly.text.startswith("📝 How are you doing this week? A 20-second check-in")
    assert [b["callback_data"] for b in buttons(weekly)] == ["ci:start:weekly"]
    after = render("checkin_prompt", {"kind": "class", "title": "Back & neck"}, "en")
    assert after.text.startswith("📝 How do you feel after Back &amp; neck? A quick check-in")

    catalog(
        "de",
        {
            "📝 How do you feel after {title}? A quick check-in helps you see what the classes "
            "do for you.": "📝 Wie fühlen Sie sich nach {title}? Ein kurzer Check-in zeigt "
            "Ihnen, was die Kurse bewirken.",
            "📝 Check in now": "📝 Jetzt einchecken",
            # Left untranslated here, whatever the shipped catalog holds.
            "📝 How are you doing this week? A 20-second check-in (mood, energy, pain) helps "
            "you see your progress.": "",
        },
    )
    de = render("checkin_prompt", {"kind": "class", "title": "Rücken"}, "de")
    assert de.text.startswith("📝 Wie fühlen Sie sich nach Rücken?")
    assert [b["text"] for b in buttons(de)] == ["📝 Jetzt einchecken"]
    # Not yet translated: the English words, never an empty message or a msgid key.
    assert render("checkin_prompt", {"kind": "weekly", "title": None}, "de").text == weekly.text


def test_the_heads_up_lists_its_reasons_the_readers_way(catalog):
    params = {"name": "Sam", "pain": 8, "reasons": ["high_pain", "low_mood_twice"]}
    english = render("heads_up", params, "en")
    assert english.text.startswith(
        "💛 Heads-up: Sam's check-in today shows pain 8/10 and very low mood twice in a row. "
    )
    catalog(
        "de",
        {
            "💛 Heads-up: {name}'s check-in today shows {what}. They agreed that you may see "
            "their check-ins; you may want to reach out before their next session. /clients "
            "has the details.": "💛 Hinweis: Der Check-in von {name} zeigt heute {what}. "
            "/clients hat die Einzelheiten.",
            "pain {pain}/10": "Schmerz {pain}/10",
            "very low mood twice in a row": "zweimal in Folge sehr gedrückte Stimmung",
        },
    )
    de = render("heads_up", params, "de")
    assert de.text == (
        "💛 Hinweis: Der Check-in von Sam zeigt heute Schmerz 8/10 und zweimal in Folge sehr "
        "gedrückte Stimmung. /clients hat die Einzelheiten."
    )


def test_milestones_take_the_plural_form_of_the_readers_language(catalog):
    assert render("milestone", {"kind": "classes-1"}, "en").text.startswith(
        "🎉 Congratulations: your first class!"
    )
    assert render("milestone", {"kind": "classes-10"}, "en").text.startswith(
        "🎉 Congratulations: 10 classes!"
    )
    assert render("milestone", {"kind": "weeks-4"}, "en").text.startswith(
        "🎉 Congratulations: 4 weeks in a row!"
    )
    group = render("milestone_group", {"kind": "classes-5", "name": "Pat"}, "en")
    assert group.text == "🎉 Pat reached 5 classes! 👏"
    catalog(
        "ru",
        {
            (
                "🎉 {name} reached {n} class! 👏",
                "🎉 {name} reached {n} classes! 👏",
            ): (
                "🎉 {name}: уже {n} занятие! 👏",
                "🎉 {name}: уже {n} занятия! 👏",
                "🎉 {name}: уже {n} занятий! 👏",
            ),
        },
    )
    for kind, expected in (("classes-5", "5 занятий"), ("classes-50", "50 занятий")):
        shown = render("milestone_group", {"kind": kind, "name": "Пётр"}, "ru")
        assert shown.text == f"🎉 Пётр: уже {expected}! 👏"


# --------------------------------------------------------------------- groups


SESSIONS = {
    "bot": "TherapyTestBot",
    "zone": "Europe/Berlin",
    "sessions": [
        {
            "id": 41,
            "title": "Back care",
            "location": "Studio 2",
            "starts_at": MONDAY_18_BERLIN.isoformat(),
        }
    ],
}


def test_the_weeks_schedule_in_the_groups_language_and_the_classes_zone(catalog):
    english = render("group_schedule", SESSIONS, "en", zone="UTC")
    assert english.text.split("\n") == [
        "🗓 <b>This week's classes</b>",
        "(times in Europe/Berlin)",
        "",
        "• Mon 30 Nov · 18:00 – Back care, Studio 2",
        "",
        "See you there! Booking continues in a private chat with me.",
    ]
    [book_button] = buttons(english)
    assert book_button == {
        "text": "Book Mon 30 Nov · 18:00 Back care",
        "url": "https://t.me/TherapyTestBot?start=book-41",
    }
    catalog(
        "de",
        {
            "🗓 <b>This week's classes</b>": "🗓 <b>Die Kurse dieser Woche</b>",
            "Book {when} {title}": "{title} am {when} buchen",
        },
    )
    de = render("group_schedule", SESSIONS, "de", zone="UTC")
    assert de.text.startswith("🗓 <b>Die Kurse dieser Woche</b>\n")
    assert "• Mo., 30. Nov. · 18:00 – Back care, Studio 2" in de.text
    assert buttons(de)[0]["text"] == "Back care am Mo., 30. Nov. · 18:00 buchen"
    today = render("group_class_day", SESSIONS, "ru", zone="UTC")
    assert today.text.startswith(translator("ru")._("📣 <b>Today</b>") + "\n")
    assert "• пн, 30 нояб. · 18:00 – Back care, Studio 2" in today.text


def test_the_friday_invitation_links_to_a_private_checkin():
    english = render("group_checkin", {"bot": "TherapyTestBot"}, "en")
    assert english.text.startswith("💬 <b>How's your week going?</b>")
    assert buttons(english) == [
        {"text": "📝 Check in privately", "url": "https://t.me/TherapyTestBot?start=checkin"}
    ]
    spanish = render("group_checkin", {"bot": "TherapyTestBot"}, "es")
    assert spanish.text.startswith("💬 <b>¿Qué tal va la semana?</b>")
    assert buttons(spanish) == [
        {"text": "📝 Registro en privado", "url": "https://t.me/TherapyTestBot?start=checkin"}
    ]


def test_the_weekly_summary_says_how_energy_moved(catalog):
    base = {"members": 4, "checked_in": 3}
    said = {
        None: "average energy 4.0.",
        3.25: "average energy up from 3.2 to 4.0.",
        4.75: "average energy down from 4.8 to 4.0.",
        4.04: "average energy steady at 4.0.",
    }
    for before, words in said.items():
        shown = render("group_summary", {**base, "energy_now": 4.0, "energy_before": before}, "en")
        assert shown.text.startswith(f"🌟 <b>Our week</b>: 3 of 4 checked in; {words}")
    german = render("group_summary", {**base, "energy_now": 3.5, "energy_before": 2.5}, "de")
    assert "2,5" in german.text and "3,5" in german.text


# --------------------------------------------------------------------- buddies


def test_a_buddy_introduction_names_each_buddy_and_a_starter(catalog):
    params = {
        "title": "Back care",
        "buddies": [
            {"id": 7, "name": "Ann", "username": "ann_moves"},
            {"id": 8, "name": "Ben", "username": None},
        ],
        "starter": 3,
    }
    english = render("buddy_intro", params, "en")
    assert english.text == (
        "🤝 Your buddies this week in <b>Back care</b>: Ann (@ann_moves) and "
        '<a href="tg://user?id=8">Ben</a> (tap to message).\n\n'
        "Say hello! A conversation starter: <i>Coffee or tea after class?</i>"
    )
    catalog("de", {"Coffee or tea after class?": "Kaffee oder Tee nach dem Kurs?"})
    de = render("buddy_intro", params, "de")
    assert "Ann (@ann_moves) und <a" in de.text
    assert "<i>Kaffee oder Tee nach dem Kurs?</i>" in de.text
    one = render("buddy_intro", {**params, "buddies": params["buddies"][:1]}, "en")
    assert one.text.startswith("🤝 Your buddy this week in <b>Back care</b>: Ann (@ann_moves).")


def test_did_you_connect(catalog):
    params = {"pair": 12, "buddies": ["Ann", "Ben"]}
    english = render("buddy_question", params, "en")
    assert english.text == "🤝 Did you and Ann and Ben connect this week?"
    assert [b["callback_data"] for b in buttons(english)] == ["bud:yes:12", "bud:notyet:12"]
    catalog(
        "ru",
        {
            "🤝 Did you and {names} connect this week?": (
                "🤝 Вы с {names} пообщались на этой неделе?"
            ),
            "Not yet": "Пока нет",
        },
    )
    russian = render("buddy_question", {"pair": 12, "buddies": ["Аня", "Боря"]}, "ru")
    assert russian.text == "🤝 Вы с Аня и Боря пообщались на этой неделе?"
    assert buttons(russian)[1]["text"] == "Пока нет"


def test_we_missed_you_offers_the_next_session_in_the_readers_zone():
    params = {"title": "Back care", "session": 41, "starts_at": MONDAY_18_BERLIN.isoformat()}
    english = render("missed", params, "en", zone="America/New_York")
    assert english.text.startswith("💛 We missed you at Back care! No pressure")
    assert buttons(english) == [{"text": "Book Mon 30 Nov · 12:00", "callback_data": "cl:b:41"}]
    german = render("missed", params, "de")
    assert buttons(german)[0]["text"].endswith("Mo., 30. Nov. · 18:00")
    ended = render("missed", {"title": None}, "en")
    assert ended.text.startswith("💛 We missed you in class!")
    assert ended.reply_markup is None
    nudge = render("missed_buddy", {"name": "Ann", "title": "Back care"}, "en")
    assert nudge.text.startswith("🤝 Your buddy Ann hasn't made it to Back care the last two")


# --------------------------------------------------------------------- through the bot


async def test_group_posts_go_out_in_the_groups_language(onboarded, tg, db, clock):
    tess = await onboarded("Tess")
    await make_trainer(db, tess)
    await add_series(db, clock, tess.id)
    group = tg.group("Rückengruppe", id=-7001)
    await link_group(tess, group)
    # The group was linked in English (Tess's language); it now reads German.
    async with db.transaction() as session:
        await session.execute(update(Group).where(Group.chat_id == -7001).values(language="de"))
    clock.set(NOW + dt.timedelta(seconds=30))  # Monday 08:00 in Berlin: the week's schedule
    post = await tess.expect_until("Back care, Studio 2", chat=group, timeout=15)
    assert "Mo., 30. Nov. · 18:00" in post.text
    assert "Mon 30 Nov" not in post.text


async def test_a_heads_up_goes_out_in_the_trainers_language(onboarded, db, clock, catalog):
    catalog(
        "de",
        {
            "💛 Heads-up: {name}'s check-in today shows {what}. They agreed that you may see "
            "their check-ins; you may want to reach out before their next session. /clients "
            "has the details.": "💛 Hinweis: Der Check-in von {name} zeigt heute {what}.",
            "pain {pain}/10": "Schmerz {pain}/10",
        },
    )
    tess = await onboarded("Tess")
    await make_trainer(db, tess)
    series_id = await add_series(db, clock, tess.id)
    sam = await onboarded("Sam")
    await book(sam, (await sessions_of(db, series_id))[0].id)
    async with db.transaction() as session:
        await users.set_checkin_choices(session, sam.id, trainer_sees=True, now=clock.now())
        # Tess reads German: the heads-up is worded in her language as it goes out.
        (await session.get(User, tess.id)).language = "de"
    await checkin(sam, 3, 3, 8)
    told = await tess.expect_until("Hinweis")
    assert told.text == "💛 Hinweis: Der Check-in von Sam zeigt heute Schmerz 8/10."
