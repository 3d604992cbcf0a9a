"""Times, places and counts as people read them: in the reader's language and their own
time zone. Every function takes the reader's `Translator` first."""

from __future__ import annotations

import datetime as dt
from html import escape
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.numbers import format_percent

from bot.i18n import Translator
from bot.models import ClassSeries, User
from bot.services.classes import ListedSession, SessionInfo


def zone_of(user: User | None, default: str) -> str:
    """The reader's time zone, or the practice default until they chose one."""
    return (user.timezone if user and user.timezone else None) or default


def local(moment: dt.datetime, zone: str) -> dt.datetime:
    """`moment` on the wall clock of `zone`."""
    return moment.astimezone(ZoneInfo(zone))


def short_when(t: Translator, moment: dt.datetime, zone: str) -> str:
    """ "Tue 3 Dec · 18:00" in `zone`."""
    return t.short_when(moment, zone)


def long_when(t: Translator, moment: dt.datetime, zone: str, minutes: int | None = None) -> str:
    """ "Tuesday 3 December, 18:00–19:00" in `zone`."""
    start = t.time(moment, zone)
    if minutes:
        end = t.time(moment + dt.timedelta(minutes=minutes), zone)
        return t._("{date}, {start}–{end}", date=t.long_date(moment, zone), start=start, end=end)
    return t._("{date}, {start}", date=t.long_date(moment, zone), start=start)


def day_label(t: Translator, day: dt.date) -> str:
    """A calendar day without a time: "Tue 3 Dec"."""
    return t.short_date(dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC), "UTC")


def day_label_year(t: Translator, day: dt.date) -> str:
    """A calendar day with its weekday and year: "Thu 31 Dec 2026"."""
    # Translators: a CLDR date pattern (https://cldr.unicode.org/translation/date-time),
    # short weekday, day, short month and year, e.g. German "EEE d. MMM y".
    return format_date(day, t.p_("date format", "EEE d MMM y"), locale=t.locale)


def wall_time(t: Translator, at: dt.time) -> str:
    """A wall-clock time of day (a class's local start time), as the reader writes times:
    "18:00"."""
    return t.time(dt.datetime.combine(dt.date(2000, 1, 3), at, tzinfo=dt.UTC), "UTC")


def percent(t: Translator, part: int, whole: int) -> str:
    """`part` of `whole` as a whole percentage in the reader's notation: "75%", "75 %"."""
    return format_percent(part / whole if whole else 0, locale=t.locale)


def capitalised(text: str) -> str:
    """`text` with its first letter upper case and the rest as it is (for a phrase that
    starts a line: "Full · 2 on the waitlist")."""
    return text[:1].upper() + text[1:]


def relative_day(t: Translator, moment: dt.datetime, zone: str, now: dt.datetime) -> str:
    """ "today at 18:00", "tomorrow at 18:00" or "on Tue 3 Dec at 18:00" in `zone`."""
    at, today = local(moment, zone), local(now, zone).date()
    time = t.time(moment, zone)
    if at.date() == today:
        return t._("today at {time}", time=time)
    if at.date() == today + dt.timedelta(days=1):
        return t._("tomorrow at {time}", time=time)
    return t._("on {date} at {time}", date=t.short_date(moment, zone), time=time)


def duration(t: Translator, minutes: int) -> str:
    """ "45 min", "1 h", "1 h 30 min"."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return t._("{minutes} min", minutes=rest)
    if not rest:
        return t._("{hours} h", hours=hours)
    return t._("{hours} h {minutes} min", hours=hours, minutes=rest)


def places(t: Translator, info: SessionInfo | ListedSession) -> str:
    """ "3 places left", "1 place left", or "full · 2 on the waitlist"."""
    left = info.spots_left
    if left:
        return t.n_("{n} place left", "{n} places left", left)
    if info.waitlist:
        return t.n_("full · {n} on the waitlist", "full · {n} on the waitlist", info.waitlist)
    return t._("full")


def weekday_names(t: Translator, days: list[int] | tuple[int, ...]) -> str:
    """ "Mon, Thu" for the weekdays 0 and 3, in the reader's language."""
    return t._(", ").join(t.weekday(day) for day in sorted(days))


def weekdays_text(t: Translator, series: ClassSeries) -> str:
    """ "Mon, Thu" (or "one-off")."""
    if series.is_one_off:
        return t._("one-off")
    return weekday_names(t, series.weekday_list)


def session_title(t: Translator, info: SessionInfo) -> str:
    """ "<b>Back care</b> with Anna" (HTML)."""
    return t._(
        "<b>{title}</b> with {trainer}",
        title=escape(info.series.title),
        trainer=escape(info.trainer.first_name),
    )


def session_line(t: Translator, item: ListedSession, zone: str) -> str:
    """One line of a client's timetable (HTML): "Tue 3 Dec · 18:00 – <b>Back care</b> with
    Anna · 3 places left"."""
    return t._(
        "{when} – <b>{title}</b> with {trainer} · {places}",
        when=short_when(t, item.starts_at, zone),
        title=escape(item.title),
        trainer=escape(item.trainer_name),
        places=places(t, item),
    )
