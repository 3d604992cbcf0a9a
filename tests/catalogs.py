"""A test catalog: a shipped language's catalog with a few more translations, read ahead of
the shipped one for the length of a test, so a test can show that a message is looked up
in the reader's catalog (and its placeholders and plural forms filled in there)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

from bot import i18n

# msgid -> msgstr; a plural entry: (singular, plural) -> (form, form, ...).
Entries = dict[str | tuple[str, str], str | tuple[str, ...]]


@pytest.fixture
def catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable]:
    """`catalog("de", {"Hello": "Hallo"})`: German reads these translations too."""
    folder = tmp_path / "locales"

    def install(language: str, entries: Entries) -> None:
        shipped = i18n.LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"
        with shipped.open("rb") as source:
            found = read_po(source, locale=language)
        for msgid, msgstr in entries.items():
            found.add(msgid, msgstr)
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
