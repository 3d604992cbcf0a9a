"""Catalogs written at test time, so a test can show which language a message was rendered
in (and that placeholders and plural forms are filled in from the reader's catalog),
whatever the shipped catalogs hold.

- `written_catalog(folder, "de", {...})`: a catalog holding only these entries, hiding the
  shipped one for the length of a `with` block;
- the `catalog` fixture: `catalog("de", {"Hello": "Hallo"})` adds these translations to the
  shipped catalog for the length of a test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from bot import i18n

# A msgid, a (context, msgid) pair, or a (singular, plural) pair with a tuple of forms.
Entries = Mapping[str | tuple[str, str], str | tuple[str, ...]]


@contextmanager
def written_catalog(folder: Path, language: str, entries: Entries) -> Iterator[i18n.Translator]:
    """Use a catalog of `language` holding only `entries` (it hides a shipped one of that
    language) until the block ends; yields the language's translator. Strings it does not
    hold read in English, as any untranslated string does."""
    catalog = Catalog(locale=language, domain=i18n.DOMAIN)
    for key, translation in entries.items():
        if isinstance(translation, tuple):
            catalog.add(key, translation)
        elif isinstance(key, tuple):
            catalog.add(key[1], translation, context=key[0])
        else:
            catalog.add(key, translation)
    target = folder / language / "LC_MESSAGES"
    target.mkdir(parents=True)
    with (target / f"{i18n.DOMAIN}.po").open("wb") as po:
        write_po(po, catalog)
    shipped = list(i18n._locale_dirs)
    i18n.add_locales_dir(folder)
    try:
        yield i18n.translator(language)
    finally:
        i18n._locale_dirs[:] = shipped
        i18n.reload_catalogs()


@pytest.fixture
def catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable]:
    """`catalog("de", {"Hello": "Hallo"})`: German reads these translations too."""
    folder = tmp_path / "locales"

    def install(language: str, entries: Entries) -> None:
        shipped = i18n.LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"
        with shipped.open("rb") as source:
            found = read_po(source, locale=language)
        for msgid, msgstr in entries.items():
            context, key = (
                msgid
                if isinstance(msgid, tuple) and isinstance(msgstr, str)
                else (
                    None,
                    msgid,
                )
            )
            existing = found.get(key[0] if isinstance(key, tuple) else key, context=context)
            if existing is None:
                found.add(key, msgstr, context=context)
            else:  # the shipped entry (perhaps still empty or fuzzy) takes these words
                existing.string = msgstr
                existing.flags.discard("fuzzy")
        target = folder / language / "LC_MESSAGES" / "messages.po"
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as out:
            write_po(out, found)
        # A copy of the folder list, so that the test's folder is gone again afterwards.
        monkeypatch.setattr(i18n, "_locale_dirs", list(i18n._locale_dirs))
        i18n.add_locales_dir(folder)

    yield install
    monkeypatch.undo()
    i18n.reload_catalogs()
