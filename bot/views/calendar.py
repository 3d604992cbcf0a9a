"""Calendar files (.ics) as the reader's calendar app shows them: the calendar's name and
each event's notes in the reader's language; class titles, places and descriptions as the
trainer wrote them."""

from __future__ import annotations

import datetime as dt
from html import escape

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


# ---------------------------------------------------------------------- subscription links


def feed_urls(base_url: str, path: str) -> tuple[str, str]:
    """The feed's https:// URL (or http:// on localhost) and its webcal:// twin, which phones
    open as "subscribe to this calendar"."""
    url = f"{base_url}{path}"
    return url, "webcal://" + url.split("://", 1)[1]


def subscribe_label(t: Translator) -> str:
    """The label of the button that shows the subscription link."""
    return t.p_("button", "📅 Subscribe")


def reset_label(t: Translator) -> str:
    """The label of the button that replaces the subscription link."""
    return t.p_("button", "Reset link")


def confirm_reset_label(t: Translator) -> str:
    """The label of the button that confirms replacing the link."""
    return t.p_("button", "Yes, make a new link")


def keep_link_label(t: Translator) -> str:
    """The label of the button that keeps the current link."""
    return t.p_("button", "Keep my link")


def feed_link(t: Translator, url: str, webcal: str, *, teaching: bool, new: bool) -> str:
    """The subscription link with how to add it on a phone or computer (HTML)."""
    if teaching:
        heading = t._("📅 <b>Your teaching calendar link</b>")
    else:
        heading = t._("📅 <b>Your calendar link</b>")
    intro = (
        t._("Here is your new link. The old one no longer works: remove it from your calendar.")
        if new
        else t._(
            "Your calendar app can subscribe to this private link and keep itself up to date: "
            "changes appear by themselves, and cancelled sessions are marked as cancelled."
        )
    )
    how_to = t._(
        "<b>iPhone or iPad:</b> tap the webcal link to copy it; in the Calendar app choose "
        "Calendars, Add Calendar, Add Subscription Calendar, and paste it.\n"
        "<b>Google Calendar:</b> on a computer, open calendar.google.com, choose + beside "
        "Other calendars, then From URL, and paste the https link; your Android phone follows.\n"
        "<b>Outlook:</b> choose Add calendar, Subscribe from web, and paste the https link."
    )
    links = f"<code>{escape(webcal)}</code>\n\n{escape(url)}"
    warning = t._(
        "Keep this link to yourself: anyone who has it can see these sessions. I show it only "
        "now; if it gets out or you lose it, use Reset link to make a new one."
    )
    return "\n\n".join([heading, intro, links, how_to, warning])


def feed_exists(t: Translator) -> str:
    """Answer to Subscribe for someone who already has a link (it is shown only once)."""
    return t._(
        "📅 You already have a calendar link: I sent it in this chat when you subscribed, and "
        "for your privacy I keep no copy of it. If you can't find it, reset it to get a new "
        "one (the old one then stops working)."
    )


def confirm_reset(t: Translator) -> str:
    """The question before the link is replaced."""
    return t._(
        "Make a new calendar link? The current one stops working at once, so every calendar "
        "subscribed to it stops updating until you subscribe again with the new link."
    )


def link_kept(t: Translator) -> str:
    """After "Keep my link"."""
    return t._("👍 Your calendar link stays as it is.")


def feeds_unavailable(t: Translator) -> str:
    """A Subscribe or Reset button pressed while this bot offers no calendar links."""
    return t._("Calendar links are not available on this bot at the moment.")
