"""The translation catalogs: in step with the code, complete in every shipped language, and
each translation fit to show (same placeholders, balanced HTML, short buttons, valid date
patterns)."""

from __future__ import annotations

import datetime as dt
import re
import string
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from babel.dates import format_datetime
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from bot import i18n

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ("de", "es", "ru")
TEMPLATE = i18n.LOCALES_DIR / "messages.pot"
# Longest label a button may have: a phone shows about this much of a button in a row.
BUTTON_LIMIT = 32
TAG = re.compile(r"</?([a-z]+)[^>]*>")


def catalog(language: str) -> Catalog:
    path = i18n.LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as source:
        return read_po(source, locale=language)


def entries(language: str) -> list[Message]:
    return [message for message in catalog(language) if message.id]


def forms(message: Message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple | list) else [message.string]


def ids(message: Message) -> list[str]:
    return list(message.id) if isinstance(message.id, tuple | list) else [message.id]


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def label(message: Message) -> str:
    return f"{message.context or ''}|{ids(message)[0][:60]}"


def test_every_shipped_language_has_a_catalog():
    assert set(SHIPPED) <= set(i18n.available_languages())


def test_the_catalogs_hold_exactly_what_the_code_says(tmp_path):
    """`make messages` has been run: the template is what the code marks today, and every
    catalog holds every msgid of it (nothing missing, nothing left over)."""
    extracted = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from babel.messages.frontend import main; main()",
            "--quiet",
            "extract",
            "-F",
            "babel.cfg",
            "--no-default-keywords",
            *("-k", "_", "-k", "n_:1,2", "-k", "p_:1c,2", "-k", "N_"),
            "-o",
            str(extracted),
            ".",
        ],
        cwd=ROOT,
        check=True,
    )

    def keys(path: Path) -> set[tuple[str | None, str]]:
        with path.open("rb") as source:
            return {(m.context, ids(m)[0]) for m in read_po(source) if m.id}

    in_code = keys(extracted)
    assert keys(TEMPLATE) == in_code, "run `make messages`"
    for language in SHIPPED:
        assert {(m.context, ids(m)[0]) for m in entries(language)} == in_code, language


@pytest.mark.parametrize("language", SHIPPED)
def test_every_message_is_translated(language):
    missing = [
        label(m) for m in entries(language) if m.fuzzy or not all(f.strip() for f in forms(m))
    ]
    assert not missing, f"{len(missing)} untranslated or fuzzy in {language}: {missing[:20]}"


@pytest.mark.parametrize("language", SHIPPED)
def test_translations_keep_the_placeholders(language):
    """The same named placeholders, so that nothing is lost or breaks formatting. The count
    may stay implicit in a singular form only where that form means exactly one."""
    one_means_one = language in ("de", "es")
    wrong = []
    for message in entries(language):
        wanted = set().union(*(placeholders(text) for text in ids(message)))
        for index, text in enumerate(forms(message)):
            if not text or message.fuzzy:
                continue  # untranslated or unused: its own test says so
            found = placeholders(text)
            allowed = [wanted, wanted - {"n"}] if index == 0 and one_means_one else [wanted]
            if found not in allowed:
                wrong.append((label(message), index, sorted(found ^ wanted)))
    assert not wrong, wrong


@pytest.mark.parametrize("language", SHIPPED)
def test_translations_keep_the_html(language):
    """The same tags as the English, opened and closed in order (Telegram refuses a message
    with broken HTML)."""
    wrong = []
    for message in entries(language):
        wanted = Counter(TAG.findall(ids(message)[0]))
        for text in forms(message):
            if not text or message.fuzzy:
                continue  # untranslated or unused: its own test says so
            stack: list[str] = []
            balanced = True
            for tag in re.finditer(r"<(/?)([a-z]+)[^>]*>", text):
                if not tag.group(1):
                    stack.append(tag.group(2))
                elif not stack or stack.pop() != tag.group(2):
                    balanced = False
            if not balanced or stack or Counter(TAG.findall(text)) != wanted:
                wrong.append(label(message))
    assert not wrong, wrong


@pytest.mark.parametrize("language", SHIPPED)
def test_buttons_fit_on_a_phone(language):
    long = [
        (label(m), f)
        for m in entries(language)
        if m.context == "button"
        for f in forms(m)
        if len(f.format_map(_Blank())) > max(BUTTON_LIMIT, len(ids(m)[0]))
    ]
    assert not long, long


@pytest.mark.parametrize("language", SHIPPED)
def test_date_patterns_are_valid(language):
    moment = dt.datetime(2026, 11, 30, 17, 0, tzinfo=dt.UTC)
    for message in entries(language):
        if message.context in ("date format", "time format"):
            assert format_datetime(moment, message.string, locale=language), label(message)


@pytest.mark.parametrize("language", SHIPPED)
def test_messages_stay_within_telegram_limits(language):
    """No single translation comes near Telegram's 4,096 characters (whole messages are
    checked by the fake Bot API in the end-to-end tests, in every language)."""
    assert all(len(f) < 3000 for m in entries(language) for f in forms(m))


class _Blank(dict):
    """Placeholders as empty text, to measure a label's own words."""

    def __missing__(self, key: str) -> str:
        return ""
