"""A new client meets the bot: welcome, consent, time zone; and comes back later."""

from __future__ import annotations

from sqlalchemy import select

from bot.i18n import translator
from bot.models import OnboardingStep, Role, User
from bot.views.timezones import describe_zone
from handlers.onboarding import CONSENT_QUESTION, WELCOME
from tests.fake_telegram.html import parse_html

# The question and the last words of onboarding (handlers/timezone.py).
ZONE_QUESTION = (
    "Which time zone are you in? I show class times and send reminders in your "
    "local time.\n\nPick one below, or type a city, a country or a zone name "
    "(for example <i>Berlin</i>, <i>New York</i> or <i>Europe/Berlin</i>)."
)
ALL_SET = (
    "✅ You're all set! Here is what you can do:\n\n{commands}\n\nYou can change "
    "your answers any time in /settings."
)


def plain(html: str) -> str:
    """A message as its reader sees it: without its HTML tags."""
    return parse_html(html)[0]


async def stored(db, user_id: int) -> User | None:
    async with db.reading() as session:
        return await session.scalar(select(User).where(User.id == user_id))


async def test_onboarding_with_consent_and_a_zone_button(bot, tg, db, clock):
    # Her Telegram app reads German: so does every word, taken here from the German catalog.
    de = translator("de")
    anna = tg.user("Anna", last_name="Berg", username="anna_b", language_code="de")
    await anna.send("/start")

    welcome = await anna.expect()
    assert welcome.text == plain(de._(WELCOME, name="Anna"))
    consent = await anna.expect()
    assert consent.text == plain(de._(CONSENT_QUESTION))
    assert consent.button_texts == [de._("Yes, store my check-ins"), de._("Not now")]

    await anna.press_data(consent, "consent:yes")
    edited = await anna.expect_edit()
    assert edited.message_id == consent.message_id and not edited.buttons
    assert edited.text == de._(
        "✅ Thank you. Your check-ins will be stored; only you (and your trainer, if you "
        "allow it later) can see them."
    )

    question = await anna.expect()
    assert plain(de._(ZONE_QUESTION)) in question.text
    # German-speaking users are offered German-speaking zones first, with their local time,
    # the places named in German (CLDR's names).
    ten = de.time(clock.now(), "Europe/Berlin")
    assert question.button_texts[0] == de._("{place} · {time}", place="Berlin", time=ten)
    assert de._("{place} · {time}", place="Wien", time=ten) in question.button_texts
    assert question.button_texts[-1] == de._("🔎 Type a city or zone name")

    await anna.press(question, "Berlin")
    saved = await anna.expect_edit()
    assert saved.text == de._(
        "🕒 Time zone saved: {zone}.", zone=describe_zone(de, "Europe/Berlin", clock.now())
    )
    assert "Europe/Berlin (UTC+01:00" in saved.text
    done = await anna.expect()
    assert done.text.startswith(plain(de._(ALL_SET, commands="")).split("\n")[0])
    assert "/settings" in done.text and "/help" in done.text
    assert "/trainer" not in done.text

    user = await stored(db, anna.id)
    assert user.timezone == "Europe/Berlin"
    assert user.wellbeing_consent is True
    assert user.consent_given_at == clock.now()
    assert user.onboarding_step == OnboardingStep.DONE
    assert user.role == Role.CLIENT
    assert (user.first_name, user.last_name, user.username, user.language_code) == (
        "Anna",
        "Berg",
        "anna_b",
        "de",
    )


async def test_onboarding_without_consent_and_a_typed_city(bot, tg, db):
    ben = tg.user("Ben")
    await ben.send("/start")
    welcome = await ben.expect("Hi Ben!")
    assert "book group classes" in welcome.text
    assert "reminders" in welcome.text and "tips" in welcome.text and "check in" in welcome.text
    consent = await ben.expect("May I store")
    await ben.press(consent, "Not now")
    await ben.expect_edit("I won't store any check-ins")
    await ben.expect("Which time zone")

    await ben.send("New York")
    await ben.expect("Time zone saved: America/New_York")
    await ben.expect("You're all set!")

    user = await stored(db, ben.id)
    assert user.timezone == "America/New_York"
    assert user.wellbeing_consent is False
    assert user.consent_given_at is None


async def test_typed_names_that_match_nothing_save_nothing_and_ask_again(bot, tg, db):
    cleo = tg.user("Cleo")
    await cleo.send("/start")
    await cleo.expect("Hi Cleo!")
    await cleo.press(await cleo.expect("May I store"), "Yes")
    await cleo.expect_edit("Thank you")
    await cleo.expect("Which time zone")

    # Markup-like input is shown back literally (escaped), not rejected by Telegram.
    await cleo.send("Atlantis <b>")
    await cleo.expect("I couldn't find a time zone for “Atlantis <b>”. Nothing was saved.")
    user = await stored(db, cleo.id)
    assert user.timezone is None
    assert user.onboarding_step == OnboardingStep.TIMEZONE

    await cleo.send("berlin")
    await cleo.expect("Time zone saved: Europe/Berlin")
    await cleo.expect("You're all set!")


async def test_an_ambiguous_name_offers_choices(bot, tg, db):
    dan = tg.user("Dan")
    await dan.send("/start")
    await dan.expect("Hi Dan!")
    await dan.press(await dan.expect("May I store"), "Not now")
    await dan.expect("Which time zone")

    await dan.send("Europe/Berlin")
    await dan.expect("Time zone saved: Europe/Berlin")
    await dan.expect("You're all set!")

    await dan.send("/settings")
    settings = await dan.expect("Your settings")
    await dan.press(settings, "Change time zone")
    await dan.expect("Which time zone")
    await dan.send("Canada")
    choices = await dan.expect("could mean more than one place")
    assert "Toronto" in " ".join(choices.button_texts)
    await dan.press(choices, "Vancouver")
    await dan.expect_edit("Time zone saved: America/Vancouver")
    await dan.expect_nothing()
    assert (await stored(db, dan.id)).timezone == "America/Vancouver"


async def test_start_again_greets_a_known_user_without_repeating_onboarding(bot, tg):
    eve = tg.user("Eve")
    await eve.send("/start")
    await eve.expect("Hi Eve!")
    await eve.press(await eve.expect("May I store"), "Yes")
    await eve.press(await eve.expect("Which time zone"), "London")
    await eve.expect("You're all set!")

    await eve.send("/start")
    again = await eve.expect("Welcome back, Eve!")
    assert "/settings" in again.text
    await eve.expect_nothing()


async def test_start_resumes_an_unfinished_onboarding(bot, tg):
    fay = tg.user("Fay")
    await fay.send("/start")
    await fay.expect("Hi Fay!")
    await fay.expect("May I store")
    await fay.send("/start")
    # No second welcome; the open question is asked again.
    await fay.expect("May I store")
