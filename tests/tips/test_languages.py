"""Tips in the reader's language: library tips worded from their translation as they go out,
a trainer's own tip as written, the footer's study names as published."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import select

from bot.i18n import translator
from bot.models import TipDelivery, TrainerTip
from bot.services import tips, users
from bot.services.tip_library import Library, TipTranslation, load_library
from bot.views import notices
from tests.fake_telegram.html import parse_html
from tests.tips.footers import check_footer
from tests.tips.test_tips_flow import make_trainer

LIBRARY = load_library()
NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


def german(library: Library) -> Library:
    """The library with every tip translated into German (as a translator would leave it)."""
    entries = {
        tip.id: TipTranslation(
            id=tip.id,
            translated=True,
            title=f"Tipp {number}: gemeinsam in Bewegung",
            text=f"Der {number}. Tipp auf Deutsch: Bewegung tut gut, Schritt für Schritt.",
        )
        for number, tip in enumerate(library.tips, start=1)
    }
    return dataclasses.replace(library, translations={**library.translations, "de": entries})


def reader(language: str) -> notices.Reader:
    return notices.Reader(t=translator(language), timezone="Europe/Berlin", now=NOW)


@pytest.fixture
def german_library(monkeypatch) -> Library:
    """The bot (started after this fixture) and messages rendered as they go out read this
    library, German translated."""
    library = german(LIBRARY)
    monkeypatch.setattr("bot.views.tips.shipped_library", lambda: library)
    monkeypatch.setattr("bot.app.load_library", lambda: library)
    return library


def test_a_scheduled_tip_is_worded_in_each_readers_language(german_library):
    entry = next(tip for tip in LIBRARY.tips if LIBRARY.references[tip.reference].doi)
    params = {"tip": entry.id}
    english = notices.render("tip", params, reader("en"))
    text, entities = parse_html(english.text)
    assert text.startswith(f"💡 {entry.title}\n\n{entry.text}\n\n")
    check_footer(text, entities, LIBRARY.references[entry.reference])
    assert [b["callback_data"] for b in english.reply_markup["inline_keyboard"][0]] == [
        f"tip:h:{entry.id}",
        f"tip:n:{entry.id}",
    ]

    de = notices.render("tip", params, reader("de"))
    title, words = german_library.wording(entry, "de")
    assert de.text.startswith(f"💡 <b>{title}</b>\n\n{words}\n\n")
    assert entry.title not in de.text
    # The study is named as published, whatever the reader's language.
    reference = LIBRARY.references[entry.reference]
    assert f"{reference.authors} ({reference.year}). {reference.title}." in de.text
    assert de.text.endswith(f"\nhttps://doi.org/{reference.doi}")


def test_a_language_without_translations_reads_the_english_tip(german_library, monkeypatch):
    # Spanish as it was before its translator came: no translated tips at all.
    untranslated = dataclasses.replace(
        german_library,
        translations={k: v for k, v in german_library.translations.items() if k != "es"},
    )
    monkeypatch.setattr("bot.views.tips.shipped_library", lambda: untranslated)
    entry = LIBRARY.tips[0]
    spanish = notices.render("tip", {"tip": entry.id}, reader("es"))
    assert spanish.text.startswith(f"💡 <b>{entry.title}</b>\n\n{entry.text}\n\n")


def test_the_group_tip_is_worded_in_the_groups_language(german_library):
    entry = next(tip for tip in LIBRARY.tips if tip.category == "social")
    english = notices.render("group_tip", {"tip": entry.id}, reader("en"))
    assert parse_html(english.text)[0].startswith(f"🤝 Why we move together: {entry.title}\n\n")
    de = notices.render("group_tip", {"tip": entry.id}, reader("de"))
    title, words = german_library.wording(entry, "de")
    assert f"{title}</b>\n\n{words}\n\n" in de.text


def test_a_trainers_tip_is_shown_as_written_in_any_language():
    own = tips.ChosenTip(
        tip_id="trainer-4",
        category="physical",
        title="Ausatmen bei der Anstrengung",
        text="Beim Heben ausatmen, beim Senken einatmen: das beruhigt jede Bewegung.",
        source=tips.TrainerSource(trainer_name="Tess", link="https://example.org/atmen"),
    )
    from bot.views.tips import tip_params

    for language in ("en", "de", "ru"):
        shown = notices.render("tip", tip_params(own), reader(language))
        text, _ = parse_html(shown.text)
        assert "Ausatmen bei der Anstrengung" in text
        assert "Beim Heben ausatmen" in text
        assert text.endswith("Tess\nhttps://example.org/atmen")


def test_a_tip_the_library_lost_is_not_sent_half_made(german_library):
    with pytest.raises(notices.RenderError):
        notices.render("tip", {"tip": "no-such-tip"}, reader("en"))


async def test_a_scheduled_tip_goes_out_in_the_language_the_client_reads_then(
    onboarded, db, clock, german_library
):
    # Onboarded in English on Friday; she picks German before Saturday's 10:00 tip.
    anna = await onboarded("Anna")
    async with db.transaction() as session:
        (await users.get_user(session, anna.id)).language = "de"
    clock.set(dt.datetime(2026, 11, 28, 10, 0, 30, tzinfo=dt.UTC))
    tip = await anna.expect("💡", timeout=10)
    async with db.reading() as session:
        tip_id = await session.scalar(
            select(TipDelivery.tip_id).where(TipDelivery.user_id == anna.id)
        )
    entry = LIBRARY.tip(tip_id)
    title, words = german_library.wording(entry, "de")
    assert tip.text.startswith(f"💡 {title}\n\n{words}\n\n")
    assert entry.text not in tip.text


async def test_addtip_stores_the_language_it_was_written_in(onboarded, db, tg):
    tess = await onboarded("Tess", language_code="de")
    await make_trainer(db, tess)
    await tess.send("/addtip")
    await tess.expect("💡")
    await tess.send("Ausatmen bei der Anstrengung")
    await tess.expect()
    await tess.send("Beim Heben ausatmen, beim Senken einatmen: das beruhigt jede Bewegung.")
    category = await tess.expect()
    await tess.press_data(category, "addtip:category:physical")
    await tess.expect()
    await tess.send("https://example.org/atmen")
    preview = await tess.expect("Ausatmen bei der Anstrengung")
    await tess.press_data(preview, "addtip:confirm:save")
    saved = await tess.expect("Deutsch")
    assert "✅" in saved.text
    async with db.reading() as session:
        found = list(await session.scalars(select(TrainerTip)))
    assert [(tip.title, tip.language) for tip in found] == [("Ausatmen bei der Anstrengung", "de")]


async def test_tip_now_in_german_with_its_footer_from_the_catalog(
    german_library, onboarded, catalog
):
    catalog(
        "de",
        {
            "General information, not medical advice: your own plan comes from your "
            "therapist.": "Allgemeine Information, keine ärztliche Beratung: Ihren Plan "
            "macht Ihre Therapeutin oder Ihr Therapeut.",
            "📚 Research: {authors} ({year}). {title}. {journal}.": (
                "📚 Forschung: {authors} ({year}). {title}. {journal}."
            ),
            "💬 Encouragement from our practice, inspired by {source}": (
                "💬 Ermutigung aus unserer Praxis, angeregt durch {source}"
            ),
            "an ISSA article": "einen Artikel der ISSA",
            "👍 Helpful": "👍 Hilfreich",
        },
    )
    anna = await onboarded("Anna", language_code="de")
    seen: set[str] = set()
    for _ in range(len(LIBRARY.tips)):
        await anna.send("/tip")
        tip = await anna.expect("💡 Tipp ")  # the library's German wording
        assert "Allgemeine Information, keine ärztliche Beratung" in tip.text
        assert tip.button_texts[0] == "👍 Hilfreich"
        footer = tip.text.rsplit("\n\n", 1)[1]
        seen.add(footer.split(":")[0].split(",")[0])
        if footer.startswith("💬"):
            assert (
                footer == "💬 Ermutigung aus unserer Praxis, angeregt durch einen Artikel der ISSA"
            )
            assert {e.get("url") for e in tip.raw["entities"] if e["type"] == "text_link"} == {
                LIBRARY.references["issa2024"].link
            }
        if {"📚 Forschung", "💬 Ermutigung aus unserer Praxis"} <= seen:
            break
    assert {"📚 Forschung", "💬 Ermutigung aus unserer Praxis"} <= seen
