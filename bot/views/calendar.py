"""Calendar files (.ics) as the reader's calendar app shows them: the calendar's name and
each event's notes in the reader's language; class titles, places and descriptions as the
trainer wrote them."""

from __future__ import annotations

import datetime as dt

from icalendar import Calendar, Event

from bot.i18n import Translator
from bot.services.calendar import Entry


def calendar_name(t: Translator, *, teaching: bool) -> str:
    """The name the calendar app gives the imported calendar."""
    return t._("My teaching") if teaching else t._("My exercise classes")


def file_name(t: Translator, *, teaching: bool) -> str:
    """ "classes.ics" or "teaching.ics", in the reader's language."""
    # Translators: file names without their extension: short, no spaces or slashes.
    name = t.p_("file name", "teaching") if teaching else t.p_("file name", "classes")
    return f"{name}.ics"


def notes(t: Translator, entry: Entry) -> str:
    """An event's notes: who teaches it (or how full it is), the class's description, and
    why it was cancelled; one per line."""
    lines = []
    if entry.trainer is not None:
        lines.append(t._("With {trainer}.", trainer=entry.trainer))
    if entry.booked is not None and entry.capacity is not None:
        lines.append(
            t.n_(
                "{booked} of {n} place booked.",
                "{booked} of {n} places booked.",
                entry.capacity,
                booked=t.number(entry.booked),
            )
        )
    if entry.description:
        lines.append(entry.description)
    if entry.cancel_reason:
        lines.append(t._("Cancelled: {reason}", reason=entry.cancel_reason))
    elif entry.class_ended:
        ended = t._("This class has ended.")
        lines.append(t._("Cancelled: {reason}", reason=ended))
    return "\n".join(lines)


def ics(t: Translator, entries: list[Entry], *, teaching: bool, now: dt.datetime) -> bytes:
    """An iCalendar file with these events, worded for the reader."""
    calendar = Calendar()
    calendar.add("prodid", "-//Exercise therapy bot//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", calendar_name(t, teaching=teaching))
    for entry in entries:
        event = Event()
        event.add("uid", entry.uid)
        event.add("dtstamp", now)
        event.add("dtstart", entry.start)
        event.add("dtend", entry.end)
        event.add("summary", entry.title)
        event.add("location", entry.location)
        description = notes(t, entry)
        if description:
            event.add("description", description)
        event.add("sequence", entry.sequence)
        event.add("status", "CANCELLED" if entry.cancelled else "CONFIRMED")
        calendar.add_component(event)
    return calendar.to_ical()
