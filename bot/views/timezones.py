"""Time zones as a reader sees them: the place in their language and its time now."""

from __future__ import annotations

import datetime as dt

from babel.dates import get_timezone_location

from bot.i18n import Translator
from bot.services.timezones import place_name, utc_offset


def place(t: Translator, zone: str) -> str:
    """The city a zone is named after, in the reader's language ("Wien" for Europe/Vienna in
    German, CLDR's names); tzdata's own spelling where CLDR has none."""
    try:
        return get_timezone_location(zone, locale=t.locale, return_city=True)
    except LookupError:
        return place_name(zone)


def zone_label(t: Translator, zone: str, now: dt.datetime) -> str:
    """A short button label: the place and its local time now, "Berlin · 18:05"."""
    # Translators: a button label, keep it short: a city and its local time now.
    return t._("{place} · {time}", place=place(t, zone), time=t.time(now, zone))


def _offset(zone: str, now: dt.datetime) -> str:
    """ "+01:00", "-05:00", "+05:30"."""
    minutes = int(utc_offset(zone, now).total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{rest:02d}"


def describe_zone(t: Translator, zone: str, now: dt.datetime) -> str:
    """The zone in full for messages: "Europe/Berlin (UTC+01:00, now 18:05)" (plain text)."""
    # Translators: {zone} is an IANA zone name such as Europe/Berlin (keep it as it is),
    # {offset} its distance from UTC such as +01:00, {time} its local time now.
    return t._(
        "{zone} (UTC{offset}, now {time})",
        zone=zone,
        offset=_offset(zone, now),
        time=t.time(now, zone),
    )
