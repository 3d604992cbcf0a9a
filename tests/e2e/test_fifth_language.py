"""A practice adds a language without touching the code: a catalog in EXTRA_LOCALES_DIR.
What it translates reads in that language; everything else falls back to English, never to
an empty message or a msgid."""

from __future__ import annotations

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from bot import i18n
from tests import harness

FRENCH = {
    "Yes, store my check-ins": "Oui, enregistrez mes suivis",
    "🌐 Language: {language}": "🌐 Langue : {language}",
}


async def test_a_french_catalog_in_the_practices_folder(tg, database_url, db, clock, tmp_path):
    catalog = Catalog(locale="fr", domain=i18n.DOMAIN)
    for msgid, msgstr in FRENCH.items():
        catalog.add(msgid, msgstr)
    catalog.add("Not now", "")  # there, but not translated yet
    folder = tmp_path / "fr" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "messages.po").open("wb") as target:
        write_po(target, catalog)
    settings = harness.test_settings(tg.api_url, database_url, extra_locales_dir=tmp_path)
    shipped = list(i18n._locale_dirs)
    try:
        async with harness.running_bot(settings, db, clock):
            assert "fr" in i18n.available_languages()
            marie = tg.user("Marie", language_code="fr-FR")
            await marie.send("/start")
            welcome = await marie.expect("Hi Marie!")  # not translated: English
            assert welcome.button_texts == ["🌐 Langue : Français"]
            consent = await marie.expect("May I store your wellbeing check-ins")
            assert consent.button_texts == ["Oui, enregistrez mes suivis", "Not now"]
            # The language is offered to everyone, by its own name.
            await marie.press(welcome, "Langue")
            picker = await marie.expect_edit()
            assert "✅ Français" in picker.button_texts
            assert {"English", "Deutsch", "Español", "Русский"} <= set(picker.button_texts)
    finally:
        i18n._locale_dirs[:] = shipped
        i18n.reload_catalogs()
