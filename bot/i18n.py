"""Words in the reader's language: gettext catalogs (managed with Babel) and Babel's dates,
numbers and plurals.

Every sentence a person reads is one msgid in English with named placeholders, translated
by a `Translator` bound to the reader's language. There is no global "current language":
whoever renders a message asks for the reader's translator (`translator("de")`) and passes
it along, so two updates handled at once can never swap languages.

The catalogs are `bot/locales/<language>/LC_MESSAGES/messages.po`. They are compiled in
memory when first used (no generated files to commit or to forget); a language is supported
when its catalog exists. A message missing from a catalog (or marked fuzzy) falls back to
the English msgid, never to an empty string.

Marking strings (what `pybabel extract` looks for, see babel.cfg and the Makefile):
- `t._("Hello {name}!", name=...)`: a sentence;
- `t.n_("{n} place left", "{n} places left", n)`: a sentence with a count (the count is
  also passed as the placeholder `n`);
- `t.p_("button", "Book")`: a sentence with a context, for short words whose translation
  depends on where they stand;
- `N_("...")`: a msgid defined in one place and translated later (tables of labels).
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import logging
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

log = logging.getLogger(__name__)

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
DOMAIN = "messages"
DEFAULT_LANGUAGE = "en"
# Each language's own name, for the language buttons (not translated: a reader looks for
# their own language's name).
NATIVE_NAMES = {"en": "English", "de": "Deutsch", "es": "Español", "ru": "Русский"}


def N_(msgid: str) -> str:  # noqa: N802 (the name gettext tools know)
    """Mark `msgid` for extraction without translating it here; translate it with `t._`."""
    return msgid


# Where catalogs are looked for: a practice's own folder (EXTRA_LOCALES_DIR) first, then
# the shipped ones.
_locale_dirs: list[Path] = [LOCALES_DIR]


def add_locales_dir(path: Path) -> None:
    """Also read catalogs from `path` (`<language>/LC_MESSAGES/messages.po`), ahead of the
    shipped ones: how a practice adds or overrides a language without changing the code."""
    if path not in _locale_dirs:
        _locale_dirs.insert(0, path)
    reload_catalogs()


def reload_catalogs() -> None:
    """Forget the compiled catalogs and the language list (after a catalog changed)."""
    available_languages.cache_clear()
    _translations.cache_clear()
    translator.cache_clear()


def _catalog_path(language: str) -> Path | None:
    for folder in _locale_dirs:
        path = folder / language / "LC_MESSAGES" / f"{DOMAIN}.po"
        if path.exists():
            return path
    return None


@functools.cache
def available_languages() -> tuple[str, ...]:
    """English (the msgids' language) and every language with a catalog, English first."""
    found = sorted(
        {
            path.parent.parent.name
            for folder in _locale_dirs
            for path in folder.glob(f"*/LC_MESSAGES/{DOMAIN}.po")
            if path.parent.parent.name != DEFAULT_LANGUAGE
        }
    )
    return (DEFAULT_LANGUAGE, *found)


def native_name(language: str) -> str:
    """A language's name in that language ("Deutsch"), from Babel for any not listed."""
    if language in NATIVE_NAMES:
        return NATIVE_NAMES[language]
    try:
        return Locale.parse(language).get_display_name(language).capitalize()
    except (UnknownLocaleError, ValueError):
        return language


def resolve_language(code: str | None, available: Iterable[str] | None = None) -> str:
    """The supported language for a Telegram `language_code` ("de", "de-AT", "pt-br"):
    the exact one if there is a catalog for it, else its base language, else English."""
    languages = tuple(available) if available is not None else available_languages()
    if not code:
        return DEFAULT_LANGUAGE
    normal = code.replace("-", "_").strip()
    for candidate in (normal, normal.split("_")[0].lower()):
        for language in languages:
            if language.lower() == candidate.lower():
                return language
    return DEFAULT_LANGUAGE


def reader_language(chosen: str | None, app_code: str | None) -> str:
    """The language to address a person in: the one they chose if it is still shipped,
    else their Telegram app's (resolved), else English."""
    available = available_languages()
    if chosen in available:
        return chosen
    return resolve_language(app_code, available)


@functools.cache
def _translations(language: str) -> NullTranslations:
    """The compiled catalog of `language` (compiled in memory once per process)."""
    path = _catalog_path(language)
    if language == DEFAULT_LANGUAGE or path is None:
        return NullTranslations()
    with path.open("rb") as source:
        catalog = read_po(source, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


class Translator:
    """Sentences, dates, numbers and plurals in one reader's language."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.locale = Locale.parse(language)
        self._catalog = _translations(language)

    def __repr__(self) -> str:
        return f"Translator({self.language!r})"

    def _(self, msgid: str, /, **params: object) -> str:
        """The translation of `msgid`, with its named placeholders filled in."""
        text = self._catalog.gettext(msgid)
        return text.format(**params) if params else text

    def n_(self, singular: str, plural: str, n: int, /, **params: object) -> str:
        """The form of the sentence for the count `n` (also available as `{n}`)."""
        text = self._catalog.ngettext(singular, plural, n)
        return text.format(n=self.number(n), **params)

    def p_(self, context: str, msgid: str, /, **params: object) -> str:
        """The translation of `msgid` in `context` (e.g. "button"), placeholders filled in."""
        text = self._catalog.pgettext(context, msgid)
        return text.format(**params) if params else text

    # ------------------------------------------------------------------ dates and numbers

    def _format(self, moment: dt.datetime, pattern: str, zone: str) -> str:
        return _formatted(self.locale, moment, pattern, zone)

    def time(self, moment: dt.datetime, zone: str) -> str:
        """The wall-clock time in `zone`: "18:00"."""
        return self._format(moment, self.p_("time format", "HH:mm"), zone)

    def short_date(self, moment: dt.datetime, zone: str) -> str:
        """A short date in `zone`: "Mon 30 Nov" (CLDR pattern from the catalog)."""
        # Translators: a CLDR date pattern (https://cldr.unicode.org/translation/date-time),
        # short weekday, day and short month, e.g. German "EEE d. MMM".
        return self._format(moment, self.p_("date format", "EEE d MMM"), zone)

    def long_date(self, moment: dt.datetime, zone: str) -> str:
        """A full date in `zone`: "Monday 30 November"."""
        # Translators: a CLDR date pattern, full weekday, day and full month name,
        # e.g. German "EEEE, d. MMMM", Spanish "EEEE d 'de' MMMM".
        return self._format(moment, self.p_("date format", "EEEE d MMMM"), zone)

    def day_date_year(self, day: dt.date) -> str:
        """A calendar date with its year: "30 Nov 2026"."""
        moment = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
        # Translators: a CLDR date pattern with day, short month and year.
        return self._format(moment, self.p_("date format", "d MMM y"), "UTC")

    def short_when(self, moment: dt.datetime, zone: str) -> str:
        """ "Mon 30 Nov · 18:00" in `zone`."""
        return self._(
            "{date} · {time}", date=self.short_date(moment, zone), time=self.time(moment, zone)
        )

    def weekday(self, index: int, *, short: bool = True) -> str:
        """The name of a weekday (0 = Monday), abbreviated unless `short` is False."""
        names = self.locale.days["format"]["abbreviated" if short else "wide"]
        return names[index]

    def list(self, items: Iterable[str]) -> str:
        """Items joined as the language joins a list: "Ann, Ben and Cid" (empty: "")."""
        items = [str(item) for item in items]
        return format_list(items, locale=self.locale) if items else ""

    def number(self, value: int | float | Decimal, *, digits: int | None = None) -> str:
        """A number in the reader's notation ("3.5" / "3,5"); `digits` after the point."""
        if digits is None and type(value) is int and 0 <= value < 1000:
            # No grouping, no sign, the same digits in every language: Babel not needed.
            return str(value)
        if digits is not None:
            return format_decimal(value, format=f"#,##0.{'0' * digits}", locale=self.locale)
        return format_decimal(value, locale=self.locale)


@functools.lru_cache(maxsize=8192)
def _formatted(locale: Locale, moment: dt.datetime, pattern: str, zone: str) -> str:
    # A timetable names the same few sessions to everyone, twice per screen (the line and
    # its button): Babel's formatting is pure, and costs more than the rest of a line.
    return format_datetime(moment, pattern, tzinfo=ZoneInfo(zone), locale=locale)


@functools.cache
def translator(language: str | None) -> Translator:
    """The translator for a supported language (English for None or an unknown one)."""
    if not language or language not in available_languages():
        language = DEFAULT_LANGUAGE
    return Translator(language)


def check_catalogs() -> list[str]:
    """Load every catalog; return a line per problem (an unreadable catalog stops the bot
    at start with the file named, as a broken tip library does)."""
    problems = []
    for language in available_languages():
        try:
            translator(language)
        except Exception as exc:
            problems.append(f"{_catalog_path(language)}: {exc}")
    return problems
