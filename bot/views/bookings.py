"""A client's bookings as they read about them: the messages the bot sends about them on its
own (reminders, a place from the waitlist, a cancelled or changed session), rendered when
they go out, and the buttons under them."""

from __future__ import annotations

from html import escape
from typing import Any

from bot.i18n import Translator
from bot.views.callbacks import pack
from bot.views.formatting import duration, long_when, relative_day, short_when
from bot.views.keyboards import button, column, grid
from bot.views.notices import Reader, Rendered, rendered, template, when

# Callback prefix of the buttons about one booking (handled in handlers/classes.py).
BOOKING = "bk"


def _class(params: dict[str, Any]) -> dict[str, str]:
    """The class a message is about, as placeholders: its title and trainer (escaped)."""
    return {"title": escape(params["title"]), "trainer": escape(params["trainer"])}


@template("reminder")
def reminder(reader: Reader, params: dict[str, Any]) -> Rendered:
    """The reminder before a booked class, with I'll be there / Can't make it.

    params: booking (id), title, trainer (first name), starts_at (ISO), minutes, location.
    """
    t = reader.t
    start = when(params, "starts_at")
    text = t._(
        "⏰ Reminder: <b>{title}</b> with {trainer} {when} ({duration}).\n📍 {location}",
        **_class(params),
        when=relative_day(t, start, reader.timezone, reader.now),
        duration=duration(t, params["minutes"]),
        location=escape(params["location"]),
    )
    keyboard = grid(
        [
            button(t._("👍 I'll be there"), pack(BOOKING, "ok", params["booking"])),
            button(t._("Can't make it"), pack(BOOKING, "x", params["booking"])),
        ]
    )
    return rendered(text, keyboard)


@template("promoted")
def promoted(reader: Reader, params: dict[str, Any]) -> Rendered:
    """ "You're in!" for a person promoted from the waitlist, with Give my place back.

    params: booking (id), title, trainer (first name), starts_at (ISO), location, held
    (optional: the place waits for the trainer's clearance).
    """
    t = reader.t
    text = t._(
        "🎉 You're in! A place opened up in <b>{title}</b> with {trainer} {when} "
        "({location}).\n\nCan't come after all? Give the place back so the next person gets it.",
        **_class(params),
        when=relative_day(t, when(params, "starts_at"), reader.timezone, reader.now),
        location=escape(params["location"]),
    )
    if params.get("held"):
        # The place waits for the trainer's clearance after the health check (issue 12).
        text += "\n\n" + t._(
            "🩺 Your place is held until your trainer confirms it: they need the OK from your "
            "doctor or therapist first."
        )
    keyboard = column(button(t._("Give my place back"), pack(BOOKING, "x", params["booking"])))
    return rendered(text, keyboard)


@template("session_cancelled")
def session_cancelled(reader: Reader, params: dict[str, Any]) -> Rendered:
    """A booked or waitlisted session was cancelled, with the trainer's reason if any.

    params: title, trainer (first name), starts_at (ISO), reason (the trainer's words, or
    None), ended (true when the class ended).
    """
    t = reader.t
    head = t._(
        "❌ <b>{title}</b> with {trainer} on {when} is cancelled.",
        **_class(params),
        when=short_when(t, when(params, "starts_at"), reader.timezone),
    )
    reason = params.get("reason") or (t._("This class has ended.") if params.get("ended") else "")
    if reason:
        head += "\n" + t._("Reason: {reason}", reason=escape(reason))
    rest = t._(
        "Your place is cancelled too; there is nothing else to do. /classes shows other sessions."
    )
    return rendered(f"{head}\n\n{rest}")


@template("session_moved")
def session_moved(reader: Reader, params: dict[str, Any]) -> Rendered:
    """A booked session starts at another time now, with Can't make it.

    params: booking (id), title, trainer (first name), starts_at and was (ISO), minutes.
    """
    t, zone = reader.t, reader.timezone
    text = t._(
        "🔄 <b>{title}</b> with {trainer} has moved: it is now on {when} (it was {was}).",
        **_class(params),
        when=long_when(t, when(params, "starts_at"), zone, params["minutes"]),
        was=short_when(t, when(params, "was"), zone),
    )
    return _changed(t, text, params["booking"])


@template("session_relocated")
def session_relocated(reader: Reader, params: dict[str, Any]) -> Rendered:
    """A booked session takes place somewhere else now, with Can't make it.

    params: booking (id), title, trainer (first name), starts_at (ISO), location.
    """
    t = reader.t
    text = t._(
        "📍 <b>{title}</b> with {trainer} on {when} now takes place at: {location}.",
        **_class(params),
        when=short_when(t, when(params, "starts_at"), reader.timezone),
        location=escape(params["location"]),
    )
    return _changed(t, text, params["booking"])


def _changed(t: Translator, text: str, booking: int) -> Rendered:
    """A change notice: what changed, that the place stands, and Can't make it."""
    stands = t._("Your place stands. If you can't make it now, let us know.")
    keyboard = column(button(t._("Can't make it"), pack(BOOKING, "x", booking)))
    return rendered(f"{text}\n\n{stands}", keyboard)
