"""A client's bookings as they read about them: reminders and the buttons under them."""

from __future__ import annotations

from html import escape
from typing import Any

from bot.views.callbacks import pack
from bot.views.formatting import duration, relative_day
from bot.views.keyboards import button, grid
from bot.views.notices import Reader, Rendered, rendered, template, when

# Callback prefix of the buttons about one booking (handled in handlers/classes.py).
BOOKING = "bk"


@template("reminder")
def reminder(reader: Reader, params: dict[str, Any]) -> Rendered:
    """The reminder before a booked class, with I'll be there / Can't make it.

    params: booking (id), title, trainer (first name), starts_at (ISO), minutes, location.
    """
    t = reader.t
    start = when(params, "starts_at")
    text = t._(
        "⏰ Reminder: <b>{title}</b> with {trainer} {when} ({duration}).\n📍 {location}",
        title=escape(params["title"]),
        trainer=escape(params["trainer"]),
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
