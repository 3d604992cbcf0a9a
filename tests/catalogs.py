"""Catalogs written at test time: a language whose translations a test chooses, so that it can
show which language a message was rendered in, whatever the shipped catalogs hold."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

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
