"""Finding a user's IANA time zone from a button or from a typed city, country or zone name."""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import re
import unicodedata
from dataclasses import dataclass, field
from importlib import resources
from zoneinfo import ZoneInfo, available_timezones

from babel import Locale, UnknownLocaleError

# Areas whose zones are real places; "Etc/GMT+3" and the like are offsets, not places.
_PLACE_AREAS = (
    "Africa",
    "America",
    "Antarctica",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)

# Places people type that are neither a zone's city nor a country with one main zone
# (tzdata's own tables cover those).
_ALIASES: dict[str, tuple[str, ...]] = {
    "gmt": ("UTC",),
    "munich": ("Europe/Berlin",),
    "munchen": ("Europe/Berlin",),
    "hamburg": ("Europe/Berlin",),
    "frankfurt": ("Europe/Berlin",),
    "cologne": ("Europe/Berlin",),
    "koln": ("Europe/Berlin",),
    "germany": ("Europe/Berlin",),
    "deutschland": ("Europe/Berlin",),
    "wien": ("Europe/Vienna",),
    "geneva": ("Europe/Zurich",),
    "bern": ("Europe/Zurich",),
    "uk": ("Europe/London",),
    "england": ("Europe/London",),
    "scotland": ("Europe/London",),
    "wales": ("Europe/London",),
    "britain": ("Europe/London",),
    "united_kingdom": ("Europe/London",),
    "manchester": ("Europe/London",),
    "edinburgh": ("Europe/London",),
    "lyon": ("Europe/Paris",),
    "marseille": ("Europe/Paris",),
    "spain": ("Europe/Madrid",),
    "barcelona": ("Europe/Madrid",),
    "valencia": ("Europe/Madrid",),
    "portugal": ("Europe/Lisbon",),
    "porto": ("Europe/Lisbon",),
    "milan": ("Europe/Rome",),
    "milano": ("Europe/Rome",),
    "roma": ("Europe/Rome",),
    "holland": ("Europe/Amsterdam",),
    "rotterdam": ("Europe/Amsterdam",),
    "krakow": ("Europe/Warsaw",),
    "czechia": ("Europe/Prague",),
    "ukraine": ("Europe/Kyiv",),
    "kiev": ("Europe/Kyiv",),
    "russia": ("Europe/Moscow",),
    "st_petersburg": ("Europe/Moscow",),
    "saint_petersburg": ("Europe/Moscow",),
    "санкт_петербург": ("Europe/Moscow",),
    "tel_aviv": ("Asia/Jerusalem",),
    "mumbai": ("Asia/Kolkata",),
    "delhi": ("Asia/Kolkata",),
    "new_delhi": ("Asia/Kolkata",),
    "bangalore": ("Asia/Kolkata",),
    "bengaluru": ("Asia/Kolkata",),
    "osaka": ("Asia/Tokyo",),
    "china": ("Asia/Shanghai",),
    "beijing": ("Asia/Shanghai",),
    "korea": ("Asia/Seoul",),
    "singapore": ("Asia/Singapore",),
    "uae": ("Asia/Dubai",),
    "brazil": ("America/Sao_Paulo",),
    "rio": ("America/Sao_Paulo",),
    "rio_de_janeiro": ("America/Sao_Paulo",),
    "argentina": ("America/Argentina/Buenos_Aires",),
    "mexico": ("America/Mexico_City",),
    "san_francisco": ("America/Los_Angeles",),
    "seattle": ("America/Los_Angeles",),
    "san_diego": ("America/Los_Angeles",),
    "portland": ("America/Los_Angeles",),
    "las_vegas": ("America/Los_Angeles",),
    "california": ("America/Los_Angeles",),
    "boston": ("America/New_York",),
    "washington": ("America/New_York",),
    "washington_dc": ("America/New_York",),
    "philadelphia": ("America/New_York",),
    "miami": ("America/New_York",),
    "atlanta": ("America/New_York",),
    "nyc": ("America/New_York",),
    "dallas": ("America/Chicago",),
    "houston": ("America/Chicago",),
    "austin": ("America/Chicago",),
    "minneapolis": ("America/Chicago",),
    "montreal": ("America/Toronto",),
    "ottawa": ("America/Toronto",),
    "calgary": ("America/Edmonton",),
    "australia": (
        "Australia/Sydney",
        "Australia/Melbourne",
        "Australia/Brisbane",
        "Australia/Perth",
    ),
    "canada": ("America/Toronto", "America/Vancouver", "America/Edmonton", "America/Halifax"),
    "usa": ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"),
    "us": ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"),
    "united_states": (
        "America/New_York",
        "America/Chicago",
        "America/Denver",
        "America/Los_Angeles",
    ),
    "eastern": ("America/New_York",),
    "est": ("America/New_York",),
    "edt": ("America/New_York",),
    "central": ("America/Chicago",),
    "cst": ("America/Chicago",),
    "cdt": ("America/Chicago",),
    "mountain": ("America/Denver",),
    "mst": ("America/Denver",),
    "mdt": ("America/Denver",),
    "pacific": ("America/Los_Angeles",),
    "pst": ("America/Los_Angeles",),
    "pdt": ("America/Los_Angeles",),
    "cet": ("Europe/Berlin", "Europe/Paris"),
    "cest": ("Europe/Berlin", "Europe/Paris"),
    "new_zealand": ("Pacific/Auckland",),
    "wellington": ("Pacific/Auckland",),
    "cape_town": ("Africa/Johannesburg",),
}

# A few likely zones per language, for the buttons offered first.
_LIKELY_BY_LANGUAGE: dict[str, tuple[str, ...]] = {
    "en": ("Europe/London", "America/New_York", "America/Chicago", "America/Los_Angeles"),
    "en-gb": ("Europe/London", "Europe/Dublin"),
    "en-us": ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"),
    "en-au": ("Australia/Sydney", "Australia/Melbourne", "Australia/Brisbane", "Australia/Perth"),
    "de": ("Europe/Berlin", "Europe/Vienna", "Europe/Zurich"),
    "fr": ("Europe/Paris", "Europe/Brussels", "Europe/Zurich", "America/Toronto"),
    "es": (
        "Europe/Madrid",
        "America/Mexico_City",
        "America/Bogota",
        "America/Argentina/Buenos_Aires",
    ),
    "pt": ("Europe/Lisbon", "America/Sao_Paulo"),
    "pt-br": ("America/Sao_Paulo", "America/Manaus", "America/Fortaleza"),
    "it": ("Europe/Rome",),
    "nl": ("Europe/Amsterdam", "Europe/Brussels"),
    "pl": ("Europe/Warsaw",),
    "cs": ("Europe/Prague",),
    "sk": ("Europe/Bratislava",),
    "hu": ("Europe/Budapest",),
    "ro": ("Europe/Bucharest",),
    "bg": ("Europe/Sofia",),
    "el": ("Europe/Athens",),
    "sv": ("Europe/Stockholm",),
    "da": ("Europe/Copenhagen",),
    "nb": ("Europe/Oslo",),
    "no": ("Europe/Oslo",),
    "fi": ("Europe/Helsinki",),
    "et": ("Europe/Tallinn",),
    "lv": ("Europe/Riga",),
    "lt": ("Europe/Vilnius",),
    "uk": ("Europe/Kyiv",),
    "ru": ("Europe/Moscow", "Asia/Yekaterinburg", "Asia/Novosibirsk", "Asia/Almaty"),
    "tr": ("Europe/Istanbul",),
    "he": ("Asia/Jerusalem",),
    "ar": ("Asia/Riyadh", "Africa/Cairo", "Asia/Dubai", "Africa/Casablanca"),
    "fa": ("Asia/Tehran",),
    "hi": ("Asia/Kolkata",),
    "id": ("Asia/Jakarta", "Asia/Makassar"),
    "ms": ("Asia/Kuala_Lumpur",),
    "th": ("Asia/Bangkok",),
    "vi": ("Asia/Ho_Chi_Minh",),
    "ja": ("Asia/Tokyo",),
    "ko": ("Asia/Seoul",),
    "zh": ("Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Singapore"),
    "zh-hans": ("Asia/Shanghai", "Asia/Singapore"),
    "zh-hant": ("Asia/Taipei", "Asia/Hong_Kong"),
}

MAX_CHOICES = 6


@dataclass(frozen=True)
class TimezoneMatch:
    """The outcome of looking up a typed name.

    `zone` is set when the name identifies one zone. Otherwise `candidates` holds the zones
    it could mean (several places of that name) or close spellings (a typo), possibly none.
    """

    zone: str | None = None
    candidates: list[str] = field(default_factory=list)


def _normalise(text: str) -> str:
    """The key a typed name is looked up by: case, accents and separators do not count, so
    "Bogotá", "BOGOTA" and "bogota" are one key, as are "Zürich" and "Zurich", "São Paulo"
    and "sao-paulo" (other scripts keep their letters: "Москва" → "москва")."""
    text = unicodedata.normalize("NFKD", text.strip()).casefold()
    text = "".join(char for char in text if not unicodedata.combining(char))
    text = re.sub(r"[\s\-.,'’]+", "_", text)
    return unicodedata.normalize("NFC", text).strip("_")


def _localised_places(zones: set[str]) -> dict[str, list[str]]:
    """Cities named in each language the bot speaks (CLDR's names: "Москва", "Wien",
    "Nueva York"), so a reader may type their own language's name for a place."""
    from bot.i18n import available_languages

    places: dict[str, list[str]] = {}
    for language in available_languages():
        try:
            names = Locale.parse(language).time_zones
        except (UnknownLocaleError, ValueError):
            continue
        for zone in sorted(zones):
            city = names.get(zone, {}).get("city")
            if city:
                found = places.setdefault(_normalise(city), [])
                if zone not in found:
                    found.append(zone)
    return places


def _tab_rows(name: str) -> list[list[str]]:
    text = resources.files("tzdata").joinpath("zoneinfo", name).read_text(encoding="utf-8")
    return [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]


@functools.cache
def _zone_index() -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """Map normalised zone names to zones, and normalised place names to the zones they mean.

    Places are the last part of each zone name ("new_york") and the country names of tzdata's
    iso3166.tab ("japan"). Canonical zones (those in zone.tab) come before old link names.
    """
    canonical_by_country: dict[str, list[str]] = {}
    for row in _tab_rows("zone.tab"):
        canonical_by_country.setdefault(row[0], []).append(row[2])
    canonical = {zone for zones in canonical_by_country.values() for zone in zones}

    by_name: dict[str, str] = {}
    by_place: dict[str, list[str]] = {}
    for zone in sorted(available_timezones(), key=lambda zone: (zone not in canonical, zone)):
        by_name[_normalise(zone)] = zone
        if zone.split("/", 1)[0] in _PLACE_AREAS and "/" in zone:
            by_place.setdefault(_normalise(zone.rsplit("/", 1)[1]), []).append(zone)
    for row in _tab_rows("iso3166.tab"):
        code, country = row[0], row[1]
        zones = canonical_by_country.get(code, [])
        if zones:
            by_place.setdefault(_normalise(country), []).extend(zones)
    # A name in a reader's language counts where it is not already an English place name.
    for place, zones in _localised_places(canonical).items():
        if place not in by_place and place not in by_name:
            by_place[place] = zones
    for place, zones in by_place.items():
        # A place that a canonical zone names does not also mean an old link's target.
        preferred = [zone for zone in zones if zone in canonical]
        by_place[place] = preferred or zones
    return by_name, {place: tuple(zones) for place, zones in by_place.items()}


def is_valid_timezone(name: str) -> bool:
    """True when `name` is an IANA zone this machine knows."""
    return name in available_timezones()


def resolve_timezone(text: str) -> TimezoneMatch:
    """Find the zone a user means by `text`: "Europe/Berlin", "berlin", "New York", "Japan".

    Returns one zone when the text names exactly one; several candidates when it names more
    (a country with several zones); close spellings for a typo; nothing when nothing fits.
    """
    key = _normalise(text)
    if not key:
        return TimezoneMatch()
    by_name, by_place = _zone_index()
    exact = by_name.get(key)
    if exact and ("/" in exact or exact == "UTC"):
        return TimezoneMatch(zone=exact)
    zones = _ALIASES.get(key) or by_place.get(key)
    if zones:
        if len(zones) == 1:
            return TimezoneMatch(zone=zones[0])
        return TimezoneMatch(candidates=list(zones[:MAX_CHOICES]))
    if exact:  # an old top-level name such as "GB" or "Japan" that names no place above
        return TimezoneMatch(zone=exact)
    close = difflib.get_close_matches(key, [*by_place, *_ALIASES], n=MAX_CHOICES, cutoff=0.85)
    candidates: list[str] = []
    for name in close:
        for zone in _ALIASES.get(name) or by_place.get(name, ()):
            if zone not in candidates:
                candidates.append(zone)
    return TimezoneMatch(candidates=candidates[:MAX_CHOICES])


def likely_timezones(language_code: str | None, default_zone: str) -> list[str]:
    """The few zones a user with this Telegram language most likely lives in, default last."""
    code = (language_code or "").lower()
    zones = list(_LIKELY_BY_LANGUAGE.get(code) or _LIKELY_BY_LANGUAGE.get(code.split("-")[0], ()))
    if default_zone not in zones:
        zones.append(default_zone)
    return zones[:MAX_CHOICES]


def place_name(zone: str) -> str:
    """The place a zone is named after, as tzdata spells it: "New York" for America/New_York."""
    return zone.rsplit("/", 1)[-1].replace("_", " ")


def utc_offset(zone: str, now: dt.datetime) -> dt.timedelta:
    """How far the wall clock of `zone` is ahead of UTC at `now` (negative: behind)."""
    return now.astimezone(ZoneInfo(zone)).utcoffset() or dt.timedelta(0)
