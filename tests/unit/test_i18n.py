"""The translator: languages, fallbacks, plurals, dates and numbers in the reader's language."""

from __future__ import annotations

import datetime as dt

import pytest

from bot import i18n

MONDAY_18_BERLIN = dt.datetime(2026, 11, 30, 17, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("de", "de"),
        ("de-AT", "de"),
        ("DE_ch", "de"),
        ("es-419", "es"),
        ("ru", "ru"),
        ("en-GB", "en"),
        ("fr", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_telegram_language_codes_resolve_to_a_shipped_language(code, expected):
    assert i18n.resolve_language(code, ("en", "de", "es", "ru")) == expected


def test_the_shipped_languages_are_found_from_their_catalogs():
    assert i18n.available_languages()[0] == "en"
    assert {"de", "es", "ru"} <= set(i18n.available_languages())


def test_english_is_the_msgids_themselves():
    t = i18n.translator("en")
    assert t._("Hello {name}!", name="Ann") == "Hello Ann!"
    assert t.n_("{n} place left", "{n} places left", 1) == "1 place left"
    assert t.n_("{n} place left", "{n} places left", 3) == "3 places left"


def test_an_unknown_language_reads_english():
    assert i18n.translator("xx").language == "en"
    assert i18n.translator(None).language == "en"


def test_dates_follow_the_language_and_the_readers_zone():
    zone = "Europe/Berlin"
    assert i18n.translator("en").short_when(MONDAY_18_BERLIN, zone) == "Mon 30 Nov · 18:00"
    assert i18n.translator("en").long_date(MONDAY_18_BERLIN, zone) == "Monday 30 November"
    de = i18n.translator("de")
    assert "30." in de.short_date(MONDAY_18_BERLIN, zone)
    assert "Montag" in de.long_date(MONDAY_18_BERLIN, zone)
    assert "noviembre" in i18n.translator("es").long_date(MONDAY_18_BERLIN, zone)
    # Russian months in the genitive, as a date is written.
    assert "ноября" in i18n.translator("ru").long_date(MONDAY_18_BERLIN, zone)
    assert i18n.translator("ru").time(MONDAY_18_BERLIN, "America/New_York") == "12:00"


def test_numbers_follow_the_language():
    assert i18n.translator("en").number(3.5, digits=1) == "3.5"
    assert i18n.translator("de").number(3.5, digits=1) == "3,5"
    assert i18n.translator("ru").number(3.5, digits=1) == "3,5"


def test_weekday_names_come_from_cldr():
    assert i18n.translator("en").weekday(0) == "Mon"
    assert i18n.translator("de").weekday(6, short=False) == "Sonntag"


def test_native_names_of_languages():
    assert i18n.native_name("de") == "Deutsch"
    assert i18n.native_name("ru") == "Русский"
    assert i18n.native_name("fr") == "Français"


@pytest.fixture
def french(tmp_path, monkeypatch):
    """A fifth language added at test time: a French catalog with one translated string."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    catalog = Catalog(locale="fr", domain=i18n.DOMAIN)
    catalog.add("Not now", "Pas maintenant")
    catalog.add("Set up or show the main menu", "")  # present but untranslated
    folder = tmp_path / "fr" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / f"{i18n.DOMAIN}.po").open("wb") as target:
        write_po(target, catalog)
    monkeypatch.setattr(i18n, "_locale_dirs", list(i18n._locale_dirs))
    i18n.add_locales_dir(tmp_path)
    yield i18n.translator("fr")
    monkeypatch.undo()
    i18n.reload_catalogs()


def test_a_fifth_language_falls_back_to_english_where_untranslated(french):
    assert "fr" in i18n.available_languages()
    assert i18n.resolve_language("fr-CA") == "fr"
    assert french._("Not now") == "Pas maintenant"
    # Untranslated and missing strings read in English, never empty, never a msgid key.
    assert french._("Set up or show the main menu") == "Set up or show the main menu"
    assert french._("Hello {name}!", name="Ann") == "Hello Ann!"
    assert french.n_("{n} place left", "{n} places left", 2) == "2 places left"
    # Dates and numbers come from CLDR for any language Babel knows.
    assert "lundi" in french.long_date(MONDAY_18_BERLIN, "Europe/Berlin")
    assert french.number(3.5, digits=1) == "3,5"
