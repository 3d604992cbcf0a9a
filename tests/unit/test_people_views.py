"""People's views in the reader's language: the role message, calendar files, the export."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from icalendar import Calendar

from bot.i18n import translator
from bot.services.calendar import Entry
from bot.views import notices
from bot.views.calendar import file_name, ics
from bot.views.privacy import export_file, export_file_name
from tests.catalogs import written_catalog

NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)

GERMAN = {
    "🎉 You're now a trainer here. Your menu has the trainer commands: /newclass creates a "
    "class, and /help lists everything you can do.": "🎉 Du bist jetzt Trainer. In deinem "
    "Menü stehen die Trainer-Befehle: /newclass legt einen Kurs an, /help zeigt alles.",
    "My exercise classes": "Meine Kurse",
    "My teaching": "Mein Unterricht",
    "With {trainer}.": "Mit {trainer}.",
    "Cancelled: {reason}": "Abgesagt: {reason}",
    ("{booked} of {n} place booked.", "{booked} of {n} places booked."): (
        "{booked} von {n} Platz gebucht.",
        "{booked} von {n} Plätzen gebucht.",
    ),
    ("file name", "classes"): "kurse",
    "Everything this bot stores about you. Times are in UTC.": "Alles, was dieser Bot über "
    "dich speichert. Zeiten in UTC.",
    "Your bookings: each class, when it starts and what became of your place.": "Deine "
    "Buchungen: jeder Kurs, sein Beginn und was aus deinem Platz wurde.",
    ("file name", "my-data"): "meine-daten",
}


@pytest.fixture
def german(tmp_path):
    """German with a few of the people group's strings translated."""
    with written_catalog(tmp_path, "de", GERMAN) as t:
        yield t


def reader(language: str) -> notices.Reader:
    return notices.Reader(t=translator(language), timezone="Europe/Berlin", now=NOW)


def test_the_role_message_is_rendered_in_each_readers_language(german):
    english = notices.render("role_changed", {"role": "trainer"}, reader("en"))
    assert english.text.startswith("🎉 You're now a trainer here.")
    assert "/newclass" in english.text
    assert english.reply_markup is None
    assert notices.render("role_changed", {"role": "trainer"}, reader("de")).text.startswith(
        "🎉 Du bist jetzt Trainer."
    )
    back = notices.render("role_changed", {"role": "client"}, reader("en"))
    assert back.text.startswith("An admin has made you a client again")
    with pytest.raises(notices.RenderError):
        notices.render("role_changed", {}, reader("en"))


def entry(**fields) -> Entry:
    values = {
        "uid": "session-1@test",
        "title": "Back care",
        "start": NOW,
        "end": NOW + dt.timedelta(hours=1),
        "location": "Studio 2",
        "description": "Bring a mat.",
        "cancelled": False,
        "sequence": 0,
    }
    return Entry(**{**values, **fields})


def events(data: bytes) -> tuple[Calendar, list]:
    calendar = Calendar.from_ical(data)
    return calendar, [c for c in calendar.walk() if c.name == "VEVENT"]


@pytest.mark.parametrize(
    ("language", "name", "with_anna", "cancelled", "places", "file"),
    [
        (
            "en",
            "My exercise classes",
            "With Anna.",
            "Cancelled: Anna is ill",
            "3 of 12 places booked.",
            "classes.ics",
        ),
        (
            "de",
            "Meine Kurse",
            "Mit Anna.",
            "Abgesagt: Anna is ill",
            "3 von 12 Plätzen gebucht.",
            "kurse.ics",
        ),
    ],
)
def test_calendar_files_speak_the_readers_language(
    german, language, name, with_anna, cancelled, places, file
):
    t = translator(language)
    client_file = ics(
        t,
        [entry(trainer="Anna"), entry(cancelled=True, trainer="Anna", cancel_reason="Anna is ill")],
        teaching=False,
        now=NOW,
    )
    calendar, found = events(client_file)
    assert str(calendar["x-wr-calname"]) == name
    # The trainer's words stay as written: the title, the place, the description, the reason.
    assert [str(e["summary"]) for e in found] == ["Back care", "Back care"]
    assert str(found[0]["location"]) == "Studio 2"
    assert str(found[0]["description"]) == f"{with_anna}\nBring a mat."
    assert str(found[1]["description"]) == f"{with_anna}\nBring a mat.\n{cancelled}"
    assert [str(e["status"]) for e in found] == ["CONFIRMED", "CANCELLED"]
    assert file_name(t, teaching=False) == file

    _, taught = events(ics(t, [entry(booked=3, capacity=12)], teaching=True, now=NOW))
    assert str(taught[0]["description"]) == f"{places}\nBring a mat."


def test_one_place_reads_in_the_singular():
    _, taught = events(
        ics(translator("en"), [entry(booked=0, capacity=1, description="")], teaching=True, now=NOW)
    )
    assert str(taught[0]["description"]) == "0 of 1 place booked."


def test_the_export_explains_itself_in_the_readers_language(german):
    data = {"exported_at": NOW.isoformat(), "bookings": [{"class": "Back care"}]}
    english = json.loads(export_file(translator("en"), data))
    assert english["about"] == "Everything this bot stores about you. Times are in UTC."
    assert english["contents"]["bookings"].startswith("Your bookings")
    # The data itself is untouched, under its stable English keys.
    assert english["bookings"] == [{"class": "Back care"}]
    assert export_file_name(translator("en")) == "my-data.json"

    deutsch = json.loads(export_file(german, data))
    assert deutsch["about"].startswith("Alles, was dieser Bot über dich speichert.")
    assert deutsch["contents"]["bookings"].startswith("Deine Buchungen")
    assert deutsch["bookings"] == [{"class": "Back care"}]
    assert export_file_name(german) == "meine-daten.json"


def test_a_session_cancelled_by_the_end_of_its_class_says_so():
    _, found = events(
        ics(
            translator("en"),
            [entry(cancelled=True, class_ended=True, description="")],
            teaching=False,
            now=NOW,
        )
    )
    assert str(found[0]["description"]) == "Cancelled: This class has ended."
