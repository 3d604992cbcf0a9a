"""People's screens in the reader's language, through the real bot: refusals and errors,
settings, the export, and the message a new trainer gets (in their language, not the
admin's)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import update

from bot.models import User
from tests.catalogs import written_catalog

GERMAN = {
    "🎉 You're now a trainer here. Your menu has the trainer commands: /newclass creates a "
    "class, and /help lists everything you can do.": "🎉 Du bist jetzt Trainer. In deinem "
    "Menü stehen die Trainer-Befehle: /newclass legt einen Kurs an, /help zeigt alles.",
    "An admin has made you a client again, so the trainer commands are gone from your menu. "
    "/help shows what you can do. If this is a mistake, please ask an admin of your "
    "practice.": "Ein Admin hat dich wieder zum Kunden gemacht; die Trainer-Befehle sind aus "
    "deinem Menü verschwunden. /help zeigt, was du tun kannst.",
    "Let's do that in our private chat, where only you can see it.": "Lass uns das in "
    "unserem privaten Chat erledigen, wo nur du es sehen kannst.",
    "Message me privately": "Schreib mir privat",
    "Sorry, only admins can do that. If you think you should be able to, please ask an "
    "admin of your practice.": "Das dürfen leider nur Admins. Wenn du meinst, dass du es "
    "können solltest, frag bitte einen Admin deiner Praxis.",
    "'{reference}' is not a user id. Use the number shown in their /settings, or their "
    "@username.": "„{reference}“ ist keine Benutzer-ID. Nimm die Zahl aus ihren /settings "
    "oder ihren @Benutzernamen.",
    "Everything this bot stores about you. Times are in UTC.": "Alles, was dieser Bot über "
    "dich speichert. Zeiten in UTC.",
    ("file name", "my-data"): "meine-daten",
    "📦 Everything I hold about you.": "📦 Alles, was ich über dich gespeichert habe.",
}


@pytest.fixture
def german(tmp_path):
    """German with some of these screens translated (the rest reads in English)."""
    with written_catalog(tmp_path, "de", GERMAN) as t:
        yield t


async def set_language(db, user_id: int, language: str) -> None:
    async with db.transaction() as session:
        await session.execute(update(User).where(User.id == user_id).values(language=language))


async def test_a_new_trainer_is_told_in_their_language_not_the_admins(
    german, onboarded, admin_id, db
):
    admin = await onboarded("Ada", id=admin_id)
    tom = await onboarded("Tom")
    # Tom chose German (his app says English); the admin reads English.
    await set_language(db, tom.id, "de")

    await admin.send(f"/trainer add {tom.id}")
    await admin.expect(f"Tom ({tom.id}) is now a trainer.")
    told = await tom.expect("🎉 Du bist jetzt Trainer.")
    assert "/newclass" in told.text

    await admin.send(f"/trainer remove {tom.id}")
    await admin.expect("is no longer a trainer.")
    await tom.expect("Ein Admin hat dich wieder zum Kunden gemacht")


async def test_refusals_and_errors_come_in_the_readers_language(german, onboarded, tg, admin_id):
    jana = await onboarded("Jana", language_code="de")
    group = tg.group("Rückenkurs")
    await jana.send("/settings", chat=group)
    refusal = await jana.expect("Lass uns das in unserem privaten Chat erledigen", chat=group)
    assert refusal.button("Schreib mir privat")["url"].endswith("?start=settings")

    await jana.send("/trainer list")
    await jana.expect("Das dürfen leider nur Admins.")

    admin = await onboarded("Ada", id=admin_id, language_code="de")
    await admin.send("/trainer add tom")
    await admin.expect("„tom“ ist keine Benutzer-ID.")
    # The same refusal reads in English for an English reader.
    english = await onboarded("Eve", id=admin_id + 1)
    await english.send("/trainer list")
    await english.expect("Sorry, only admins can do that.")


async def test_settings_use_the_readers_weekdays_times_dates_and_lists(german, onboarded):
    jana = await onboarded("Jana", language_code="de")
    await jana.send("/settings")
    view = await jana.expect("Your settings")
    # Lists, dates and times come from CLDR in the reader's language.
    assert "Reminders: 24 h und 1 h before each booked class" in view.text
    # (The date pattern is the English one: this test's catalog does not translate it.)
    assert "stored, you agreed on 27 Nov. 2026 (invitation Mo. 09:00;" in view.text
    assert "Language: Deutsch" in view.text

    await jana.press(view, "Check-in choices")
    choices = await jana.expect_edit("Check-ins")
    assert choices.button_texts[:7] == ["✅ Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So."]
    await jana.press(choices, "Fr.")
    chosen = await jana.expect_edit("invitation Fr. 09:00")
    assert chosen.button_texts[4] == "✅ Fr."


async def test_the_export_is_explained_in_the_readers_language(german, onboarded, tg):
    jana = await onboarded("Jana", language_code="de")
    await jana.send("/privacy")
    await jana.press(await jana.expect("Your data"), "Export my data")
    export = await jana.expect("📦 Alles, was ich über dich gespeichert habe.")
    assert export.raw["document"]["file_name"] == "meine-daten.json"
    data = json.loads(await tg.file(export.file_id))
    assert data["about"] == "Alles, was dieser Bot über dich speichert. Zeiten in UTC."
    # Every part of the file is explained; the data keeps its stable English keys.
    parts = set(data) - {"about", "contents"}
    assert set(data["contents"]) == parts
    assert {"profile", "bookings", "checkins"} <= parts
    assert data["profile"]["first_name"] == "Jana"
    assert data["profile"]["language_code"] == "de"


async def test_a_failure_after_the_press_was_answered_still_reaches_the_person(
    german, onboarded, monkeypatch
):
    import handlers.privacy

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    # The export answers the press ("Here it is.") before it writes the file.
    monkeypatch.setattr(handlers.privacy, "export_file", broken)
    jana = await onboarded("Jana", language_code="de")
    await jana.send("/privacy")
    query = await jana.press(await jana.expect("Your data"), "Export my data")
    assert (await jana.answer(query))["text"] == "Here it is."
    # The apology comes as a message, since a press can be answered only once.
    await jana.expect("Sorry, something went wrong on my side and nothing was changed")
