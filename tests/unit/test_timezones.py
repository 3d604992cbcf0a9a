"""Typed time-zone names and the zones offered by language."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.i18n import translator
from bot.services.timezones import TimezoneMatch, likely_timezones, resolve_timezone
from bot.views.timezones import describe_zone, zone_label

EN, DE, RU = translator("en"), translator("de"), translator("ru")


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("europe/berlin", "Europe/Berlin"),
        ("berlin", "Europe/Berlin"),
        ("  Berlin ", "Europe/Berlin"),
        ("New York", "America/New_York"),
        ("new-york", "America/New_York"),
        ("São Paulo", "America/Sao_Paulo"),
        ("Buenos Aires", "America/Argentina/Buenos_Aires"),
        ("Japan", "Asia/Tokyo"),
        ("Kenya", "Africa/Nairobi"),
        ("Germany", "Europe/Berlin"),
        ("Munich", "Europe/Berlin"),
        ("UTC", "UTC"),
        ("gmt", "UTC"),
        ("Kiev", "Europe/Kyiv"),
        ("pacific", "America/Los_Angeles"),
    ],
)
def test_names_that_mean_one_zone(typed, zone):
    assert resolve_timezone(typed).zone == zone


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("Bogotá", "America/Bogota"),
        ("bogota", "America/Bogota"),
        ("BOGOTÁ", "America/Bogota"),
        ("Berlín", "Europe/Berlin"),
        ("Zürich", "Europe/Zurich"),
        ("Zurich", "Europe/Zurich"),
        ("zürich", "Europe/Zurich"),
        ("São Paulo", "America/Sao_Paulo"),
        ("Sao Paulo", "America/Sao_Paulo"),
        ("sao-paulo", "America/Sao_Paulo"),
        ("Kraków", "Europe/Warsaw"),
        ("Köln", "Europe/Berlin"),
        ("Reykjavík", "Atlantic/Reykjavik"),
        ("Ciudad de México", "America/Mexico_City"),
    ],
)
def test_accents_and_case_do_not_matter(typed, zone):
    assert resolve_timezone(typed) == TimezoneMatch(zone=zone)


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        # CLDR's names of places in the languages the bot speaks.
        ("Москва", "Europe/Moscow"),
        ("москва", "Europe/Moscow"),
        ("Санкт-Петербург", "Europe/Moscow"),
        ("Нью-Йорк", "America/New_York"),
        ("Wien", "Europe/Vienna"),
        ("Nueva York", "America/New_York"),
        ("Londres", "Europe/London"),
    ],
)
def test_places_typed_in_the_readers_language(typed, zone):
    assert resolve_timezone(typed) == TimezoneMatch(zone=zone)


def test_a_country_with_several_zones_offers_them():
    match = resolve_timezone("Canada")
    assert match.zone is None
    assert "America/Toronto" in match.candidates and "America/Vancouver" in match.candidates


def test_a_typo_offers_close_spellings():
    match = resolve_timezone("Berln")
    assert match.zone is None
    assert "Europe/Berlin" in match.candidates


@pytest.mark.parametrize("typed", ["", "   ", "Atlantis", "<script>", "x" * 500, "../../etc"])
def test_names_that_match_nothing(typed):
    match = resolve_timezone(typed)
    assert match.zone is None
    assert match.candidates == []


def test_likely_zones_follow_the_language_and_end_with_the_default():
    assert likely_timezones("de", "UTC") == [
        "Europe/Berlin",
        "Europe/Vienna",
        "Europe/Zurich",
        "UTC",
    ]
    assert likely_timezones("pt-br", "UTC")[0] == "America/Sao_Paulo"
    assert likely_timezones("en-GB", "Europe/London") == ["Europe/London", "Europe/Dublin"]
    assert likely_timezones(None, "Europe/Paris") == ["Europe/Paris"]
    assert likely_timezones("xx", "UTC") == ["UTC"]


def test_labels_show_local_time_across_daylight_saving():
    winter = dt.datetime(2026, 1, 15, 17, 0, tzinfo=dt.UTC)
    summer = dt.datetime(2026, 7, 15, 16, 0, tzinfo=dt.UTC)
    assert zone_label(EN, "Europe/Berlin", winter) == "Berlin · 18:00"
    assert zone_label(EN, "Europe/Berlin", summer) == "Berlin · 18:00"
    assert zone_label(EN, "America/New_York", winter) == "New York · 12:00"
    assert describe_zone(EN, "Asia/Kolkata", winter) == "Asia/Kolkata (UTC+05:30, now 22:30)"
    assert describe_zone(EN, "America/St_Johns", winter).startswith(
        "America/St_Johns (UTC-03:30, now 13:30)"
    )


def test_places_on_zone_buttons_are_named_in_the_readers_language():
    winter = dt.datetime(2026, 1, 15, 17, 0, tzinfo=dt.UTC)
    assert zone_label(DE, "Europe/Vienna", winter) == "Wien · 18:00"
    assert zone_label(RU, "America/New_York", winter) == "Нью-Йорк · 12:00"
    # A zone without a city keeps its own name.
    assert zone_label(DE, "UTC", winter) == "UTC · 17:00"
