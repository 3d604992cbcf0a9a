"""A client's whole journey in each shipped language, through the real bot: onboarding from
their Telegram app's language, booking, a reminder, a tip, a check-in with a care reply, and a
post in their class's group (in the group's language). And a language chosen in /settings
decides the words of the next scheduled message, even one queued before the change.

Expected words come from the shipped catalogs through the translator, never written out
here; for German, Spanish and Russian each phrase must also differ from the English, so that
a language whose catalog is not translated fails here instead of reading English. Dates are
checked against Babel's names of weekdays and months in the reader's language."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from babel.dates import format_datetime
from sqlalchemy import select

from bot.i18n import DEFAULT_LANGUAGE, native_name, translator
from bot.models import OutboxMessage, TipDelivery
from bot.services.tip_library import load_library
from bot.views.bookings import BOOKING
from bot.views.callbacks import pack
from bot.views.checkins import CARE_TEXT, CHECKIN, EMERGENCY
from bot.views.classes import LIST
from bot.views.formatting import duration, relative_day
from bot.views.tips import SAFETY
from handlers import community as community_handlers
from handlers import language as language_handlers
from handlers import settings as settings_handlers
from handlers.onboarding import CONSENT, WELCOME
from handlers.timezone import PREFIX as TIMEZONE
from tests import harness
from tests.classes.conftest import add_series, sessions_of
from tests.community.test_flows import make_trainer
from tests.fake_telegram.html import parse_html
from tests.harness import eventually, onboard

LIBRARY = load_library()
ENGLISH = translator(DEFAULT_LANGUAGE)


@pytest.fixture
def bot_settings(tg, database_url, admin_id):
    """The bot under test, with group posts (the community tick) running fast."""
    return harness.test_settings(
        tg.api_url, database_url, admin_ids=frozenset({admin_id}), tip_tick_seconds=0.2
    )


def plain(html: str) -> str:
    """What a reader sees of an HTML message: the text without its tags."""
    return parse_html(html)[0]


@dataclass(frozen=True)
class Reading:
    """A reader's language in a test: phrases from its catalog, which must be translated."""

    language: str

    @property
    def t(self):
        return translator(self.language)

    def _checked(self, translated: str, english: str, what: str) -> str:
        if self.language != DEFAULT_LANGUAGE:
            assert translated != english, f"not translated into {self.language}: {what!r}"
        return plain(translated)

    def _(self, msgid: str, **params: object) -> str:
        """The sentence as this reader reads it (plain text), translated."""
        return self._checked(self.t._(msgid, **params), ENGLISH._(msgid, **params), msgid)

    def p_(self, context: str, msgid: str, **params: object) -> str:
        """A sentence with a context (a button label), translated."""
        return self._checked(
            self.t.p_(context, msgid, **params), ENGLISH.p_(context, msgid, **params), msgid
        )

    def date_names(self, moment: dt.datetime, zone: str) -> tuple[str, str]:
        """Babel's abbreviated weekday and month of `moment` in this language."""
        names = format_datetime(moment, "EEE|MMM", tzinfo=zone, locale=self.t.locale)
        weekday, month = names.split("|")
        return weekday, month


# (Telegram language_code, the bot's language, the zone button the client picks, its zone)
JOURNEYS = [
    ("en-GB", "en", "London", "Europe/London"),
    ("de-AT", "de", "Wien", "Europe/Vienna"),
    ("es", "es", "Madrid", "Europe/Madrid"),
    ("ru", "ru", "Москва", "Europe/Moscow"),
]


@pytest.mark.parametrize(
    ("language_code", "language", "place", "zone"), JOURNEYS, ids=[j[1] for j in JOURNEYS]
)
async def test_a_clients_week_in_their_language(
    tg, bot, db, clock, language_code, language, place, zone
):
    r = Reading(language)
    tess = tg.user("Tess", language_code="en")
    await onboard(tess, zone="Berlin")
    await make_trainer(db, tess)
    monday = (await sessions_of(db, await add_series(db, clock, tess.id)))[0]

    # Onboarding in the language of her Telegram app.
    lena = tg.user("Lena", language_code=language_code)
    await lena.send("/start")
    welcome = await lena.expect()
    assert welcome.text == r._(WELCOME, name="Lena")
    consent = await lena.expect_buttons(f"{CONSENT}:")
    assert consent.button_texts == [r._("Yes, store my check-ins"), r._("Not now")]
    await lena.press_data(consent, f"{CONSENT}:yes")
    zones = await lena.expect_buttons(f"{TIMEZONE}:")
    [button] = [b for b in zones.buttons if b["text"].startswith(f"{place} ·")]
    await lena.press_data(zones, button["callback_data"])
    await lena.expect_until("/help")

    # A reminder two days ahead too, so that it names the day.
    await lena.send("/settings")
    view = await lena.expect_buttons(f"{settings_handlers.PREFIX}:")
    await lena.press_data(view, pack(settings_handlers.PREFIX, "rem"))
    reminders = await lena.expect_edit()
    await lena.press_data(reminders, pack(settings_handlers.PREFIX, "rem", 48 * 60))
    chosen = await lena.expect_edit()
    offsets = r.t.list(duration(r.t, minutes) for minutes in (48 * 60, 24 * 60, 60))
    assert r._("{offsets} before each booked class", offsets=offsets) in chosen.text

    # Booking, from /classes.
    await lena.send("/classes")
    listing = await lena.expect()
    press = await lena.press_data(listing, pack(LIST, "b", monday.id))
    when = r.t.short_when(monday.starts_at, zone)
    assert (await lena.answer(press))["text"] == r._("✅ Booked! See you on {when}.", when=when)
    booked = await lena.expect_edit()
    assert r._("✅ <b>You're booked.</b>") in booked.text

    # A tip, worded from the library's translation.
    await lena.send("/tip")
    tip = await lena.expect("💡")
    async with db.reading() as session:
        tip_id = await session.scalar(
            select(TipDelivery.tip_id).where(TipDelivery.user_id == lena.id)
        )
    entry = LIBRARY.tip(tip_id)
    title, words = LIBRARY.wording(entry, language)
    if language != DEFAULT_LANGUAGE:
        assert (title, words) != (entry.title, entry.text), f"tip {tip_id} not in {language}"
    assert tip.text.startswith(f"💡 {title}\n\n{words}\n\n{r._(SAFETY)}\n\n")
    assert tip.button_texts == [r._("👍 Helpful"), r._("🙅 Not for me")]

    # A check-in whose pain earns a care reply.
    await lena.send("/checkin")
    question = await lena.expect_buttons(f"{CHECKIN}:")
    mood = "📝 <b>Check-in</b> 1/4 · How is your mood today?\n1 = very low · 5 = great"
    assert question.text == r._(mood)
    for answer in ("m:3", "e:3", "p:8"):
        await lena.press_data(question, f"{CHECKIN}:{answer}")
        question = await lena.expect_edit()
    await lena.press_data(question, f"{CHECKIN}:skip")
    cared = await lena.expect()
    care = " ".join([r._("💛 Thank you for telling me."), r._(CARE_TEXT["high_pain"])])
    assert cared.text.startswith(f"{care}\n\n{r._(EMERGENCY)}\n\n")

    # Her class's group reads her language: Tess links it and chooses the language.
    group = tg.group("Lena's class", id=-8001)
    await tess.send("/linkgroup", chat=group)
    which = await tess.expect_buttons(f"{community_handlers.PREFIX}:link:", chat=group)
    await tess.press_data(which, pack(community_handlers.PREFIX, "link", monday.series_id))
    await tess.expect_edit(chat=group)
    await tess.send("/grouplanguage", chat=group)
    picker = await tess.expect_buttons(f"{language_handlers.GROUP_PREFIX}:", chat=group)
    await tess.press_data(picker, pack(language_handlers.GROUP_PREFIX, "set", language, "g"))
    told = await tess.expect_edit(chat=group)
    assert told.text == r._(
        "🌐 I'll post in {language} in this group.", language=native_name(language)
    )

    # Saturday: the reminder two days ahead names Monday in her language, in her zone.
    clock.set(monday.starts_at - dt.timedelta(hours=48) + dt.timedelta(seconds=5))
    day = relative_day(r.t, monday.starts_at, zone, clock.now())
    expected = r._(
        "⏰ Reminder: <b>{title}</b> with {trainer} {when} ({duration}).\n📍 {location}",
        title="Back care",
        trainer="Tess",
        when=day,
        duration=duration(r.t, 60),
        location="Studio 2",
    )
    reminder = await lena.expect_until(expected.split("\n")[0], timeout=15)
    assert reminder.text == expected
    weekday, month = r.date_names(monday.starts_at, zone)
    assert weekday in reminder.text and month in reminder.text
    if language != DEFAULT_LANGUAGE:
        english_weekday, _ = Reading(DEFAULT_LANGUAGE).date_names(monday.starts_at, zone)
        assert english_weekday not in reminder.text
    assert reminder.button_texts == [r._("👍 I'll be there"), r._("Can't make it")]

    # Monday morning in Berlin: the week's classes, posted in the group's language.
    clock.set(dt.datetime(2026, 11, 30, 7, 0, 30, tzinfo=dt.UTC))
    heading = r._("🗓 <b>This week's classes</b>")
    post = await tess.expect_until(heading, chat=group, timeout=15)
    berlin_when = r.t.short_when(monday.starts_at, "Europe/Berlin")
    assert f"{berlin_when} – Back care, Studio 2" in post.text
    weekday, month = r.date_names(monday.starts_at, "Europe/Berlin")
    assert weekday in post.text and month in post.text


async def test_a_reminder_queued_in_english_arrives_in_the_language_chosen_meanwhile(
    tg, bot, db, clock
):
    spanish = Reading("es")
    tess = tg.user("Tess", language_code="en")
    await onboard(tess, zone="Berlin")
    await make_trainer(db, tess)
    monday = (await sessions_of(db, await add_series(db, clock, tess.id)))[0]
    ana = tg.user("Ana", language_code="en")
    await onboard(ana)
    await ana.send("/classes")
    await ana.press_data(await ana.expect("Classes"), pack(LIST, "b", monday.id))
    await ana.expect_edit("You're booked")

    # The reminder is due, but Telegram fails its first attempt: it waits in the outbox,
    # in no language yet, for its retry.
    await tg.faults(
        fail={"status": 502, "description": "Bad Gateway", "chat_id": ana.id, "count": 1}
    )
    clock.set(monday.starts_at - dt.timedelta(hours=24) + dt.timedelta(seconds=5))

    async def tried() -> bool:
        async with db.reading() as session:
            row = await session.scalar(select(OutboxMessage).where(OutboxMessage.chat_id == ana.id))
        return row is not None and row.attempts >= 1 and row.sent_at is None

    await eventually(tried, message="the reminder was never tried")
    await ana.expect_nothing()

    # Meanwhile she chooses Spanish in /settings.
    await ana.send("/settings")
    view = await ana.expect("Your settings")
    await ana.press(view, "Change language")
    picker = await ana.expect_edit()
    await ana.press(picker, "Español")
    await ana.expect_edit(
        spanish._("🌐 From now on I'll write to you in {language}.", language="Español")
    )
    await ana.expect()  # her settings again, in Spanish

    # The retry goes out in Spanish.
    clock.advance(dt.timedelta(seconds=30))
    reminder = await ana.expect(timeout=10)
    assert reminder.text.startswith(
        spanish._(
            "⏰ Reminder: <b>{title}</b> with {trainer} {when} ({duration}).\n📍 {location}",
            title="Back care",
            trainer="Tess",
            when=relative_day(spanish.t, monday.starts_at, "Europe/London", clock.now()),
            duration=duration(spanish.t, 60),
            location="Studio 2",
        )
    )
    assert reminder.button_texts == [spanish._("👍 I'll be there"), spanish._("Can't make it")]
    assert BOOKING in reminder.buttons[0]["callback_data"]
