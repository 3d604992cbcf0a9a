"""Classes and sessions as people read about them: a session's details and places, lines of
listings and rosters, a class's attendance; shared by the chat handlers, the jobs and the
coming web pages. And the week's schedule a trainer sends their clients (a template: each
client reads it in their language and time zone, when it goes out).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from html import escape
from typing import Any

from telegram import InlineKeyboardMarkup

from bot.i18n import Translator
from bot.models import Attendance, BookingState, ClassSeries, SessionState
from bot.services import safety
from bot.services.bookings import RosterEntry
from bot.services.classes import ListedSession, SessionInfo
from bot.views.callbacks import pack
from bot.views.formatting import (
    capitalised,
    duration,
    long_when,
    percent,
    places,
    session_line,
    session_title,
    short_when,
    wall_time,
    weekdays_text,
)
from bot.views.keyboards import button
from bot.views.notices import Reader, Rendered, rendered, template, when

# Callback prefix of /classes: paging, a session's details, Book (handlers/classes.py).
LIST = "cl"
# The schedule a trainer sends (handlers/schedule.py): its template and its Book buttons.
SCHEDULE = "schedule"
SCHEDULE_BUTTONS = 10
BUTTON_LENGTH = 60


def cancelled_reason(t: Translator, info: SessionInfo) -> str | None:
    """Why a cancelled session was cancelled, as its reader reads it: the trainer's reason as
    they wrote it (not escaped), "This class has ended." for a session cancelled by its class's
    end, or None."""
    if info.session.cancel_reason:
        return info.session.cancel_reason
    if info.series.ended_at is not None:
        return t._("This class has ended.")
    return None


def session_details(t: Translator, info: SessionInfo, zone: str) -> str:
    """A session's title, time in `zone`, place and description (HTML)."""
    lines = [
        session_title(t, info),
        f"🗓 {long_when(t, info.session.starts_at, zone, info.session.duration_minutes)}",
        f"📍 {escape(info.session.location)}",
    ]
    if info.series.description:
        lines.append(f"\n{escape(info.series.description)}")
    return "\n".join(lines)


def places_line(t: Translator, info: SessionInfo) -> str:
    """ "👥 3 places left (of 10)", or "👥 Full · 2 on the waitlist (of 10)"."""
    return t._(
        "👥 {places} (of {capacity})",
        places=capitalised(places(t, info)),
        capacity=info.session.capacity,
    )


def late_cancel_note(t: Translator, series: ClassSeries) -> str | None:
    """What counts as a late cancel for the class, or None when it has no window."""
    if not series.late_cancel_minutes:
        return None
    return t._(
        "Cancelling less than {duration} before the start counts as a late cancel.",
        duration=duration(t, series.late_cancel_minutes),
    )


# How a client's list marks the sessions they have a place in, or wait for.
_MARKERS = {BookingState.CONFIRMED: "✅ ", BookingState.WAITLISTED: "⏳ "}


def listing_line(t: Translator, item: ListedSession, zone: str) -> str:
    """A session in a client's list, marked ✅ when they have a place and ⏳ when waiting."""
    return _MARKERS.get(item.mine, "") + session_line(t, item, zone)


def session_button_label(
    t: Translator,
    starts_at: dt.datetime,
    title: str,
    zone: str,
    booking: BookingState | None = None,
) -> str:
    """A button naming a session: "✅ Mon 30 Nov · 18:00 Back care" (cut to fit), marked as
    in `listing_line`."""
    label = f"{short_when(t, starts_at, zone)} {title}"
    return (_MARKERS.get(booking, "") + label)[:BUTTON_LENGTH]


def booked_of_capacity(t: Translator, info: SessionInfo) -> str:
    """ "2/10 booked"."""
    return t._(
        "{booked}/{capacity} booked",
        booked=info.session.booked_count,
        capacity=info.session.capacity,
    )


def trainer_session_line(t: Translator, info: SessionInfo, zone: str) -> str:
    """A session in its trainer's list: "Mon 30 Nov · 18:00 · Back care · 2/2 booked,
    1 waiting", marked when cancelled."""
    line = t._(
        "{when} · {title} · {booked}",
        when=short_when(t, info.session.starts_at, zone),
        title=escape(info.series.title),
        booked=booked_of_capacity(t, info),
    )
    if info.waitlist:
        # Translators: {line} is a session's line in a trainer's list; {n} people wait.
        line = t.n_("{line}, {n} waiting", "{line}, {n} waiting", info.waitlist, line=line)
    if info.session.state == SessionState.CANCELLED:
        line = t._("{line} ❌ cancelled", line=line)
    return line


def session_state_line(t: Translator, info: SessionInfo) -> str:
    """For the trainer: "❌ Cancelled: reason", or "👥 2/10 booked · 8 places left"."""
    if info.session.state == SessionState.CANCELLED:
        reason = cancelled_reason(t, info)
        if reason:
            return t._("❌ Cancelled: {reason}", reason=escape(reason))
        return t._("❌ Cancelled")
    return f"👥 {booked_of_capacity(t, info)} · {places(t, info)}"


def roster_line(t: Translator, entry: RosterEntry) -> str | None:
    """One person on a session's roster (HTML): a place with their record in the class and
    this session's attendance mark, a waitlist place, or a cancelled place. None for someone
    who only ever waited and left."""
    name = escape(entry.user.full_name)
    state = entry.booking.state
    if state == BookingState.WAITLISTED:
        return t._("⏳ #{position} {name}", position=entry.position, name=name)
    if state == BookingState.CANCELLED:
        if entry.booking.confirmed_at is None:
            return None
        if entry.booking.late_cancel:
            return t._("✖️ {name}: cancelled late", name=name)
        return t._("✖️ {name}: cancelled", name=name)
    if entry.booking.pending_clearance:
        return t._(
            "🩺 {name}: waiting for clearance (OK from their doctor or therapist)", name=name
        )
    line = t._("✅ {name}", name=name)
    if entry.booking.readiness_flag in ("rest", "stop") and safety.trainer_may_see(entry.user):
        # The client lets the trainer see check-ins: today's readiness check advised rest.
        line = t._("{line} ⚠️", line=line)
    if entry.booked:
        # Translators: {line} is a person on a roster; they came to {attended} of the
        # {booked} sessions of this class they were booked on.
        line = t._(
            "{line} (came {attended} of {booked})",
            line=line,
            attended=entry.attended,
            booked=entry.booked,
        )
    if entry.late_cancels:
        line = t.n_(
            "{line}, {n} late cancel", "{line}, {n} late cancels", entry.late_cancels, line=line
        )
    if entry.booking.attendance == Attendance.ATTENDED:
        line = t._("{line} · ✅ attended", line=line)
    elif entry.booking.attendance == Attendance.NO_SHOW:
        line = t._("{line} · ❌ no-show", line=line)
    return line


def series_when(t: Translator, series: ClassSeries) -> str:
    """ "Mon, Thu 18:00 (Europe/Berlin)": a class's days and local start time."""
    return t._(
        "{weekdays} {time} ({zone})",
        weekdays=weekdays_text(t, series),
        time=wall_time(t, series.start_time),
        zone=escape(series.timezone),
    )


def series_line(t: Translator, series: ClassSeries, attended: int, marked: int) -> str:
    """A class in its trainer's list: "• <b>Back care</b> – Mon, Thu 18:00 (Europe/Berlin),
    10 places · attendance 80% (8/10)"."""
    line = t.n_(
        "• <b>{title}</b> – {when}, {n} place",
        "• <b>{title}</b> – {when}, {n} places",
        series.capacity,
        title=escape(series.title),
        when=series_when(t, series),
    )
    if marked:
        line = t._(
            "{line} · attendance {percent} ({attended}/{marked})",
            line=line,
            percent=percent(t, attended, marked),
            attended=attended,
            marked=marked,
        )
    return line


def class_attendance_line(t: Translator, attended: int, marked: int) -> str:
    """ "<b>Attendance</b>: 8 of 10 marked places (80%)"."""
    return t.n_(
        "<b>Attendance</b>: {attended} of {n} marked place ({percent})",
        "<b>Attendance</b>: {attended} of {n} marked places ({percent})",
        marked,
        attended=attended,
        percent=percent(t, attended, marked),
    )


def client_record_line(t: Translator, name: str, came: int, counted: int, late: int) -> str:
    """A client's record in a class: "• Ann: came 3 of 4, 1 late cancel" (`name` as typed)."""
    line = t._("• {name}: came {came} of {counted}", name=escape(name), came=came, counted=counted)
    if late:
        line = t.n_("{line}, {n} late cancel", "{line}, {n} late cancels", late, line=line)
    return line


# --------------------------------------------------------------------- the week's schedule


def schedule_params(trainer: str, week: int, sessions: Sequence[SessionInfo]) -> dict[str, Any]:
    """The parameters of the schedule template: the trainer's first name, the week (0 this
    one, 1 the next) and each session's id, title, start (ISO) and place."""
    return {
        "trainer": trainer,
        "week": week,
        "sessions": [
            {
                "id": info.session.id,
                "title": info.series.title,
                "starts_at": info.session.starts_at.isoformat(),
                "location": info.session.location,
            }
            for info in sessions
        ],
    }


@template(SCHEDULE)
def schedule(reader: Reader, params: dict[str, Any]) -> Rendered:
    """A trainer's sessions of one week as one client reads them: times in their zone, a
    Book button per session (the first ten). params: see `schedule_params`."""
    t, zone = reader.t, reader.timezone
    trainer, shown_zone = escape(params["trainer"]), escape(zone)
    if params["week"] == 0:
        head = t._(
            "🗓 <b>{trainer}'s classes this week</b> (times in {zone})",
            trainer=trainer,
            zone=shown_zone,
        )
    else:
        head = t._(
            "🗓 <b>{trainer}'s classes next week</b> (times in {zone})",
            trainer=trainer,
            zone=shown_zone,
        )
    lines, rows = [head, ""], []
    for item in params["sessions"]:
        start = when(item, "starts_at")
        moment = short_when(t, start, zone)
        lines.append(
            t._(
                "• {when} – <b>{title}</b>, {location}",
                when=moment,
                title=escape(item["title"]),
                location=escape(item["location"]),
            )
        )
        if len(rows) < SCHEDULE_BUTTONS:
            label = t.p_("button", "Book {when} {title}", when=moment, title=item["title"])
            rows.append([button(label[:BUTTON_LENGTH], pack(LIST, "b", item["id"]))])
    lines.append(
        "\n" + t._("Tap a class to book it (or join its waitlist). /classes shows everything.")
    )
    return rendered("\n".join(lines), InlineKeyboardMarkup(rows) if rows else None)
