"""Times, places and counts as people read them: always in the reader's own time zone."""

from __future__ import annotations

import datetime as dt
from html import escape
from zoneinfo import ZoneInfo

from bot.models import ClassSeries, User
from bot.services.classes import SessionInfo

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WEEKDAYS_LONG = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def zone_of(user: User | None, default: str) -> str:
    """The reader's time zone, or the practice default until they chose one."""
    return (user.timezone if user and user.timezone else None) or default


def local(moment: dt.datetime, zone: str) -> dt.datetime:
    """`moment` on the wall clock of `zone`."""
    return moment.astimezone(ZoneInfo(zone))


def short_when(moment: dt.datetime, zone: str) -> str:
    """ "Tue 3 Dec · 18:00" in `zone`."""
    at = local(moment, zone)
    return f"{WEEKDAYS[at.weekday()]} {at.day} {at:%b} · {at:%H:%M}"


def long_when(moment: dt.datetime, zone: str, minutes: int | None = None) -> str:
    """ "Tuesday 3 December, 18:00–19:00" in `zone`."""
    at = local(moment, zone)
    text = f"{WEEKDAYS_LONG[at.weekday()]} {at.day} {at:%B}, {at:%H:%M}"
    if minutes:
        text += f"–{local(moment + dt.timedelta(minutes=minutes), zone):%H:%M}"
    return text


def relative_day(moment: dt.datetime, zone: str, now: dt.datetime) -> str:
    """ "today at 18:00", "tomorrow at 18:00" or "on Tue 3 Dec at 18:00" in `zone`."""
    at, today = local(moment, zone), local(now, zone).date()
    if at.date() == today:
        return f"today at {at:%H:%M}"
    if at.date() == today + dt.timedelta(days=1):
        return f"tomorrow at {at:%H:%M}"
    return f"on {WEEKDAYS[at.weekday()]} {at.day} {at:%b} at {at:%H:%M}"


def duration(minutes: int) -> str:
    """ "45 min", "1 h", "1 h 30 min"."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" + (f" {rest} min" if rest else "")


def places(info: SessionInfo) -> str:
    """ "3 places left", "1 place left", or "full · 2 on the waitlist"."""
    left = info.spots_left
    if left:
        return f"{left} place{'s' if left != 1 else ''} left"
    waiting = f" · {info.waitlist} on the waitlist" if info.waitlist else ""
    return f"full{waiting}"


def weekdays_text(series: ClassSeries) -> str:
    """ "Mon, Thu" (or "one-off")."""
    if series.is_one_off:
        return "one-off"
    return ", ".join(WEEKDAYS[day] for day in series.weekday_list)


def session_title(info: SessionInfo) -> str:
    """ "<b>Back care</b> with Anna" (HTML)."""
    return f"<b>{escape(info.series.title)}</b> with {escape(info.trainer.first_name)}"


def session_line(info: SessionInfo, zone: str) -> str:
    """One line for lists: "Tue 3 Dec · 18:00 – Back care with Anna · 3 places left"."""
    return (
        f"{short_when(info.session.starts_at, zone)} – {escape(info.series.title)} with "
        f"{escape(info.trainer.first_name)} · {places(info)}"
    )


def late_window(minutes: int) -> str:
    """ "2 h" or "30 min" for the late-cancel window."""
    return duration(minutes)


def count(number: int, singular: str, plural: str | None = None) -> str:
    """ "1 person", "3 people", "1 session", "2 sessions"."""
    return f"{number} {singular if number == 1 else plural or singular + 's'}"
