"""/myclasses: a trainer's series and sessions; rosters, attendance, cancelling and changes."""

from __future__ import annotations

import datetime as dt
from html import escape

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler

from bot.context import BotContext
from bot.i18n import N_, Translator
from bot.models import Attendance, BookingState, Role, SessionState
from bot.services import bookings, buddies, classes, notices, safety, users
from bot.services.errors import InvalidInput
from bot.views.callbacks import pack, pattern, stale_button, unpack
from bot.views.classes import (
    class_attendance_line,
    client_record_line,
    roster_line,
    series_line,
    session_button_label,
    session_state_line,
    trainer_session_line,
)
from bot.views.errors import error_text
from bot.views.formatting import (
    duration,
    long_when,
    short_when,
    wall_time,
    weekdays_text,
    zone_of,
)
from bot.views.keyboards import button, column, grid
from bot.views.safety import screening_line
from handlers import conversation
from handlers.app_buttons import with_app_button
from handlers.guards import command, guard
from handlers.replies import answer_query, edit_or_send, respond

PREFIX = "tc"
AWAITING = "trainer"
SESSIONS_SHOWN = 12
DAYS = 14
# Translators: buttons that choose what of a session changes.
FIELDS = {"time": N_("🕒 Time"), "capacity": N_("👥 Capacity"), "location": N_("📍 Location")}


def _zone(context: BotContext) -> str:
    return zone_of(context.actor, context.deps.settings.default_timezone)


def _home(t: Translator) -> InlineKeyboardMarkup:
    return column(button(t.p_("button", "« My classes"), pack(PREFIX, "home", 0)))


def _back_to_session(t: Translator, session_id: int) -> InlineKeyboardMarkup:
    return column(button(t.p_("button", "« Session"), pack(PREFIX, "s", session_id)))


async def _overview(context: BotContext) -> tuple[str, InlineKeyboardMarkup]:
    t, now, zone = context.t, context.deps.clock.now(), _zone(context)
    async with context.deps.db.reading() as session:
        series_list = await classes.trainer_series(session, context.actor.id)
        upcoming = await classes.upcoming(
            session, now=now, days=DAYS, trainer_id=context.actor.id, include_cancelled=True
        )
        rates = {s.id: await bookings.class_attendance(session, s.id) for s in series_list}
    if not series_list:
        return t._("You have no classes yet. /newclass creates one."), InlineKeyboardMarkup([])
    lines = [t._("🏋️ <b>Your classes</b>"), ""]
    rows = []
    for series in series_list:
        lines.append(series_line(t, series, *rates[series.id]))
        rows.append([button(f"⚙️ {series.title}"[:60], pack(PREFIX, "ser", series.id))])
    lines += [
        "",
        t.n_(
            "<b>Next {n} day</b> (times in {zone})",
            "<b>Next {n} days</b> (times in {zone})",
            DAYS,
            zone=escape(zone),
        ),
    ]
    for info in upcoming[:SESSIONS_SHOWN]:
        lines.append(trainer_session_line(t, info, zone))
        rows.append(
            [
                button(
                    session_button_label(t, info.session.starts_at, info.series.title, zone),
                    pack(PREFIX, "s", info.session.id),
                )
            ]
        )
    if not upcoming:
        lines.append(t._("No sessions in the next two weeks."))
    return "\n".join(lines), InlineKeyboardMarkup(rows)


async def show_my_classes(update: Update, context: BotContext) -> None:
    """/myclasses: series with attendance, and upcoming sessions with their counts."""
    text, keyboard = await _overview(context)
    keyboard = with_app_button(update, context, keyboard, teaching=True)
    await respond(update, context, text, reply_markup=keyboard)


async def _session_view(context: BotContext, session_id: int) -> tuple[str, InlineKeyboardMarkup]:
    t, now, zone = context.t, context.deps.clock.now(), _zone(context)
    async with context.deps.db.reading() as session:
        info, entries = await bookings.roster(session, context.actor, session_id)
    lines = [
        f"<b>{escape(info.series.title)}</b>",
        f"🗓 {long_when(t, info.session.starts_at, zone, info.session.duration_minutes)}",
        f"📍 {escape(info.session.location)}",
        session_state_line(t, info),
        "",
        t._("<b>Roster</b>"),
    ]
    lines += [line for line in (roster_line(t, entry) for entry in entries) if line]
    if not entries:
        lines.append(t._("Nobody has booked yet."))
    rows = []
    upcoming = info.session.state == SessionState.SCHEDULED and info.session.starts_at > now
    for entry in entries:
        if entry.booking.pending_clearance and upcoming:
            label = t.p_("button", "🩺 Cleared: {name}", name=entry.user.first_name)
            rows.append(button(label[:60], pack(PREFIX, "clr", entry.booking.id)))
    markable = (
        info.session.state == SessionState.SCHEDULED
        and info.session.starts_at - bookings.CHECK_IN_BEFORE
        <= now
        <= info.session.ends_at + bookings.ATTENDANCE_EDITABLE
    )
    if markable:
        rows.append(button(t.p_("button", "📋 Mark attendance"), pack(PREFIX, "att", session_id)))
    if upcoming:
        rows.append(button(t.p_("button", "✏️ Change"), pack(PREFIX, "ch", session_id)))
        rows.append(
            button(t.p_("button", "❌ Cancel this session"), pack(PREFIX, "cx", session_id))
        )
    rows.append(button(t.p_("button", "« My classes"), pack(PREFIX, "home", 0)))
    return "\n".join(lines), column(*rows)


async def _attendance_view(
    context: BotContext, session_id: int
) -> tuple[str, InlineKeyboardMarkup]:
    t = context.t
    async with context.deps.db.reading() as session:
        info, entries = await bookings.roster(session, context.actor, session_id)
    booked = [e for e in entries if e.booking.state == BookingState.CONFIRMED]
    lines = [
        t._(
            "📋 <b>Attendance</b>: {title}, {when}",
            title=escape(info.series.title),
            when=short_when(t, info.session.starts_at, _zone(context)),
        ),
        t._("Tap ✅ or ❌ for each person (you can change it for 48 hours)."),
        "",
    ]
    rows = []
    for entry in booked:
        state = {Attendance.ATTENDED: "✅", Attendance.NO_SHOW: "❌"}.get(
            entry.booking.attendance, "·"
        )
        lines.append(f"{state} {escape(entry.user.full_name)}")
        rows.append(
            [
                button(
                    f"✅ {entry.user.first_name}"[:30], pack(PREFIX, "m", entry.booking.id, "a")
                ),
                button(
                    f"❌ {entry.user.first_name}"[:30], pack(PREFIX, "m", entry.booking.id, "n")
                ),
            ]
        )
    if not booked:
        lines.append(t._("Nobody had a place in this session."))
    rows.append([button(t.p_("button", "« Session"), pack(PREFIX, "s", session_id))])
    return "\n".join(lines), InlineKeyboardMarkup(rows)


async def _series_view(context: BotContext, series_id: int) -> tuple[str, InlineKeyboardMarkup]:
    t = context.t
    async with context.deps.db.reading() as session:
        series = await classes.own_series(session, context.actor, series_id)
        attended, marked = await bookings.class_attendance(session, series_id)
        per_client = await bookings.series_attendance(session, series_id, now=None)
        people = await users.users_by_id(session, per_client)
        pairs, connected, answered = await buddies.community_stats(
            session, series_id, now=context.deps.clock.now()
        )
    first = t.day_date_year(series.first_date)
    lines = [
        f"⚙️ <b>{escape(series.title)}</b>",
        t._(
            "🗓 {weekdays} at {time} ({zone}), {duration}",
            weekdays=weekdays_text(t, series),
            time=wall_time(t, series.start_time),
            zone=escape(series.timezone),
            duration=duration(t, series.duration_minutes),
        ),
        t.n_(
            "📍 {location} · 👥 {n} place",
            "📍 {location} · 👥 {n} places",
            series.capacity,
            location=escape(series.location),
        ),
        t._("From {first} until {last}", first=first, last=t.day_date_year(series.last_date))
        if series.last_date
        else t._("From {first}, no end date", first=first),
        "",
    ]
    if marked:
        lines.append(class_attendance_line(t, attended, marked))
        ranking = sorted(per_client.items(), key=lambda item: (-item[1][0], item[0]))
        for user_id, (came, counted, late) in ranking[:15]:
            name = people[user_id].full_name if user_id in people else str(user_id)
            lines.append(client_record_line(t, name, came, counted, late))
    else:
        lines.append(t._("No attendance marked yet."))
    lines.append(screening_line(t, series.requires_screening))
    if pairs:
        # Translators: how buddy pairs of this class went: {pairs} is e.g. "3 pairs";
        # {connected} of the {n} answers to "Did you two connect?" said yes.
        buddies_line = t.n_(
            "🤝 Buddies: {pairs} in 4 weeks; {connected} of {n} answer: connected",
            "🤝 Buddies: {pairs} in 4 weeks; {connected} of {n} answers: connected",
            answered,
            pairs=t.n_("{n} pair", "{n} pairs", pairs),
            connected=connected,
        )
        lines.append(f"\n{buddies_line}")
    return "\n".join(lines), column(
        button(
            t.p_("button", "🩺 Health check off")
            if series.requires_screening
            else t.p_("button", "🩺 Health check on"),
            pack(PREFIX, "scr", series_id),
        ),
        button(t.p_("button", "⏹ End this series"), pack(PREFIX, "end", series_id)),
        button(t.p_("button", "« My classes"), pack(PREFIX, "home", 0)),
    )


@guard(Role.TRAINER, private=True)
async def on_button(update: Update, context: BotContext) -> None:
    """Every /myclasses button; each re-checks that the class is the trainer's own."""
    t = context.t
    args = unpack(update.callback_query.data)[1:]
    if not args or not all(
        part.isdigit() or part in FIELDS or part in ("a", "n", "one", "all") for part in args[1:]
    ):
        raise stale_button()
    action, rest = args[0], args[1:]
    number = int(rest[0]) if rest and rest[0].isdigit() else 0
    now = context.deps.clock.now()
    if action == "home":
        text, keyboard = await _overview(context)
    elif action == "s":
        text, keyboard = await _session_view(context, number)
    elif action == "att":
        text, keyboard = await _attendance_view(context, number)
    elif action == "m" and len(rest) == 2:
        mark = Attendance.ATTENDED if rest[1] == "a" else Attendance.NO_SHOW
        async with context.deps.db.transaction() as session:
            marked, info = await bookings.mark_attendance(
                session, context.actor, number, mark, now=now
            )
            await notices.after_attendance(session, marked.user_id, info.series.id, now=now)
        text, keyboard = await _attendance_view(context, info.session.id)
    elif action == "clr":
        async with context.deps.db.reading() as session:
            booking, info = await safety.held_booking(session, context.actor, number)
            client = await users.require_user(session, booking.user_id)
        text = t._(
            "Mark {name} as cleared for <b>{title}</b>? Do this once you have the OK from "
            "their doctor or therapist: their place is then confirmed and they are told.",
            name=escape(client.full_name),
            title=escape(info.series.title),
        )
        keyboard = column(
            button(t.p_("button", "Yes, cleared"), pack(PREFIX, "clry", number)),
            button(t.p_("button", "Not yet"), pack(PREFIX, "s", info.session.id)),
        )
    elif action == "clry":
        async with context.deps.db.transaction() as session:
            cleared = await safety.clear(session, context.actor, number, now=now)
            await notices.tell_cleared(session, cleared, now=now)
        answered = next(info for booking, info in cleared.confirmed if booking.id == number)
        await answer_query(
            update, context, t._("✅ {name} is cleared.", name=cleared.user.first_name)
        )
        text, keyboard = await _session_view(context, answered.session.id)
    elif action == "scr":
        async with context.deps.db.transaction() as session:
            series = await classes.own_series(session, context.actor, number)
            await classes.set_requires_screening(
                session, context.actor, number, not series.requires_screening, now=now
            )
        text, keyboard = await _series_view(context, number)
    elif action == "ser":
        text, keyboard = await _series_view(context, number)
    elif action == "end":
        async with context.deps.db.reading() as session:
            series = await classes.own_series(session, context.actor, number)
        text = t._(
            "End <b>{title}</b>? Upcoming sessions are cancelled and everyone booked or "
            "waitlisted is told. Past sessions and attendance are kept.",
            title=escape(series.title),
        )
        keyboard = column(
            button(t.p_("button", "Yes, end it"), pack(PREFIX, "endy", number)),
            button(t.p_("button", "No, keep it"), pack(PREFIX, "ser", number)),
        )
    elif action == "endy":
        async with context.deps.db.transaction() as session:
            affected = await classes.end_series(session, context.actor, number, now=now)
            told = await notices.tell_cancelled(session, affected, reason=None, now=now)
        # Translators: {sessions} is e.g. "16 upcoming sessions cancelled".
        text = t.n_(
            "⏹ The series has ended. {sessions}; {n} person will be told.",
            "⏹ The series has ended. {sessions}; {n} people will be told.",
            told,
            sessions=t.n_(
                "{n} upcoming session cancelled",
                "{n} upcoming sessions cancelled",
                len(affected.sessions),
            ),
        )
        keyboard = _home(t)
    elif action == "cx":
        await _ask_cancel(update, context, number)
        return
    elif action == "cxy":
        await _cancel_session(update, context, number, None)
        return
    elif action == "cxr":
        reason = users.held_answer(context.pending, f"cancel:{number}")
        if reason is None:
            text, keyboard = t._(CLOSED), _back_to_session(t, number)
        else:
            await _cancel_session(update, context, number, reason)
            return
    elif action == "chy" and len(rest) == 3 and rest[1] in FIELDS:
        value = users.held_answer(context.pending, f"change:{number}:{rest[1]}:{rest[2]}")
        if value is None:
            text, keyboard = t._(CLOSED), _back_to_session(t, number)
        else:
            await _apply_change(update, context, number, rest[1], rest[2] == "all", value)
            return
    elif action == "ch":
        text = t._("What should change?")
        keyboard = grid(
            [
                button(t._(label), pack(PREFIX, "chf", number, field))
                for field, label in FIELDS.items()
            ],
            per_row=3,
        )
    elif action == "chf" and len(rest) == 2 and rest[1] in FIELDS:
        text = t._("Only this session, or this and all following sessions of the class?")
        keyboard = column(
            button(t.p_("button", "This session"), pack(PREFIX, "chs", number, rest[1], "one")),
            button(
                t.p_("button", "This and all following"),
                pack(PREFIX, "chs", number, rest[1], "all"),
            ),
        )
    elif action == "chs" and len(rest) == 3 and rest[1] in FIELDS:
        await _ask_change(update, context, number, rest[1], rest[2] == "all")
        return
    else:
        raise stale_button()
    await edit_or_send(update, context, text, reply_markup=keyboard)


MAX_REASON = 300


async def _ask_cancel(update: Update, context: BotContext, session_id: int) -> None:
    t = context.t
    async with context.deps.db.transaction() as session:
        info = await bookings.session_belongs(session, context.actor, session_id)
        await users.await_input(
            session,
            context.actor.id,
            f"{AWAITING}:cancel:{session_id}",
            now=context.deps.clock.now(),
        )
    title = escape(info.series.title)
    when = short_when(t, info.session.starts_at, _zone(context))
    booked = info.session.booked_count
    if info.waitlist:
        # Translators: {waiting} is e.g. "1 on the waitlist".
        question = t.n_(
            "Cancel <b>{title}</b> on {when}? {n} booked and {waiting} will be told.",
            "Cancel <b>{title}</b> on {when}? {n} booked and {waiting} will be told.",
            booked,
            title=title,
            when=when,
            waiting=t.n_("{n} on the waitlist", "{n} on the waitlist", info.waitlist),
        )
    else:
        question = t.n_(
            "Cancel <b>{title}</b> on {when}? {n} booked will be told.",
            "Cancel <b>{title}</b> on {when}? {n} booked will be told.",
            booked,
            title=title,
            when=when,
        )
    ask = t._(
        "Send the reason to pass on (you'll see it once more before anyone is told), or "
        "cancel without one."
    )
    await edit_or_send(
        update,
        context,
        f"{question}\n\n{ask}",
        reply_markup=column(
            button(t.p_("button", "Cancel without a reason"), pack(PREFIX, "cxy", session_id)),
            button(t.p_("button", "Keep the session"), pack(PREFIX, "s", session_id)),
        ),
    )


async def _confirm_cancel(update: Update, context: BotContext, session_id: int, typed: str) -> None:
    """A typed reason cancels nothing by itself: it is shown back with the consequence."""
    t = context.t
    reason = " ".join(typed.split())
    if not reason or len(reason) > MAX_REASON:
        await respond(
            update,
            context,
            t._(
                "⚠️ Please send a reason of 1 to {limit} characters, or /cancel to keep the "
                "session.",
                limit=MAX_REASON,
            ),
        )
        return
    async with context.deps.db.transaction() as session:
        info = await bookings.session_belongs(session, context.actor, session_id)
        await users.hold_answer(
            session,
            context.actor.id,
            f"cancel:{session_id}",
            reason,
            now=context.deps.clock.now(),
        )
    told = info.session.booked_count + info.waitlist
    question = t.n_(
        "Cancel <b>{title}</b> on {when} and tell {n} person, with your reason?",
        "Cancel <b>{title}</b> on {when} and tell {n} people, with your reason?",
        told,
        title=escape(info.series.title),
        when=short_when(t, info.session.starts_at, _zone(context)),
    )
    await respond(
        update,
        context,
        f"{question}\n\n«{escape(reason)}»",
        reply_markup=column(
            button(
                t.p_("button", "❌ Yes, cancel and tell {n}", n=told),
                pack(PREFIX, "cxr", session_id),
            ),
            button(t.p_("button", "✏️ Write the reason again"), pack(PREFIX, "cx", session_id)),
            button(t.p_("button", "Keep the session"), pack(PREFIX, "s", session_id)),
        ),
    )


async def _cancel_session(
    update: Update, context: BotContext, session_id: int, reason: str | None
) -> None:
    t, now = context.t, context.deps.clock.now()
    async with context.deps.db.transaction() as session:
        affected = await classes.cancel_session(
            session, context.actor, session_id, reason=reason, now=now
        )
        told = await notices.tell_cancelled(session, affected, reason=reason, now=now)
    if reason:
        text = t.n_(
            "❌ Cancelled. {n} person is being told, with your reason.",
            "❌ Cancelled. {n} people are being told, with your reason.",
            told,
        )
    else:
        text = t.n_(
            "❌ Cancelled. {n} person is being told.",
            "❌ Cancelled. {n} people are being told.",
            told,
        )
    await answer_query(update, context)
    await respond(update, context, text, reply_markup=_home(t))


QUESTIONS = {
    "time": N_(
        "Send the new local start time (e.g. 17:30). You'll see the change once more before "
        "anyone is told."
    ),
    "capacity": N_(
        "Send the new number of places (1 to 500). You'll see the change once more before "
        "anyone is told."
    ),
    "location": N_(
        "Send the new location or online link. You'll see the change once more before anyone "
        "is told."
    ),
}


async def _ask_change(
    update: Update, context: BotContext, session_id: int, field: str, following: bool
) -> None:
    t = context.t
    async with context.deps.db.transaction() as session:
        await bookings.session_belongs(session, context.actor, session_id)
        await users.await_input(
            session,
            context.actor.id,
            f"{AWAITING}:change:{session_id}:{field}:{'all' if following else 'one'}",
            now=context.deps.clock.now(),
        )
    await edit_or_send(
        update,
        context,
        t._(QUESTIONS[field]),
        reply_markup=column(
            button(t.p_("button", "« Keep it as it is"), pack(PREFIX, "s", session_id))
        ),
    )


def _parse_change(field: str, text: str) -> str:
    """The typed value, checked and normalised; InvalidInput with the reason otherwise."""
    if field == "time":
        return classes.parse_time(text).strftime("%H:%M")
    if field == "capacity":
        return str(
            classes.parse_whole_number(
                text, low=classes.MIN_CAPACITY, high=classes.MAX_CAPACITY, what="places"
            )
        )
    return classes.check_location(text)


def _change_question(
    t: Translator,
    info: classes.SessionInfo,
    scope: bookings.ChangeScope,
    *,
    zone: str,
    field: str,
    following: bool,
    value: str,
) -> str:
    """What a change would do, for the trainer to confirm."""
    title = escape(info.series.title)
    when = short_when(t, info.session.starts_at, zone)
    if following and len(scope.sessions) > 1:
        # Translators: the sessions a change applies to, e.g. "Back care from Mon 30 Nov ·
        # 18:00 on (16 sessions)".
        what = t.n_(
            "<b>{title}</b> from {when} on ({n} session)",
            "<b>{title}</b> from {when} on ({n} sessions)",
            len(scope.sessions),
            title=title,
            when=when,
        )
    else:
        what = t._("<b>{title}</b> on {when}", title=title, when=when)
    booked = scope.booked_people
    if field == "capacity":
        question = t._("Set the places of {what} to {value}?", what=what, value=value)
        if scope.waiting_people:
            promote = t._("People on the waitlist get any new places and are told.")
            question = f"{question} {promote}"
        return question
    if field == "time":
        time = wall_time(t, dt.time.fromisoformat(value))
        zone_name = escape(info.series.timezone)
        if booked:
            return t.n_(
                "Move {what} to start at {time} ({zone}) and tell {n} booked person?",
                "Move {what} to start at {time} ({zone}) and tell {n} booked people?",
                booked,
                what=what,
                time=time,
                zone=zone_name,
            )
        return t._(
            "Move {what} to start at {time} ({zone}) (nobody is booked yet, so nobody needs "
            "to be told)?",
            what=what,
            time=time,
            zone=zone_name,
        )
    if booked:
        question = t.n_(
            "Move {what} to a new place and tell {n} booked person?",
            "Move {what} to a new place and tell {n} booked people?",
            booked,
            what=what,
        )
    else:
        question = t._(
            "Move {what} to a new place (nobody is booked yet, so nobody needs to be told)?",
            what=what,
        )
    return f"{question}\n\n📍 «{escape(value)}»"


async def _confirm_change(
    update: Update, context: BotContext, session_id: int, field: str, following: bool, text: str
) -> None:
    """A typed new time, capacity or location changes nothing by itself: it is shown back
    with what it touches and who is told, for the trainer to confirm."""
    t, now = context.t, context.deps.clock.now()
    scope_key = "all" if following else "one"
    try:
        value = _parse_change(field, text)
        async with context.deps.db.transaction() as session:
            scope = await bookings.change_scope(
                session, context.actor, session_id, following=following, now=now
            )
            if field == "capacity":
                bookings.check_capacity(scope.sessions, int(value))
            info = await classes.session_info(session, session_id)
            await users.hold_answer(
                session,
                context.actor.id,
                f"change:{session_id}:{field}:{scope_key}",
                value,
                now=now,
            )
    except InvalidInput as problem:
        await respond(
            update,
            context,
            t._(
                "⚠️ {problem}\n\nPlease send it again, or /cancel.",
                problem=escape(error_text(t, problem)),
            ),
        )
        return
    question = _change_question(
        t, info, scope, zone=_zone(context), field=field, following=following, value=value
    )
    await respond(
        update,
        context,
        question,
        reply_markup=column(
            button(
                t.p_("button", "✅ Yes, change it"),
                pack(PREFIX, "chy", session_id, field, scope_key),
            ),
            button(
                t.p_("button", "✏️ Send it again"), pack(PREFIX, "chs", session_id, field, scope_key)
            ),
            button(t.p_("button", "« Keep it as it is"), pack(PREFIX, "s", session_id)),
        ),
    )


async def on_text(update: Update, context: BotContext, argument: str) -> None:
    """Typed answers: a cancellation reason, or a session's new time, capacity or location.
    Each is shown back for confirmation; nothing changes on the text alone."""
    t = context.t
    text = update.effective_message.text
    parts = argument.split(":")
    if text is None:
        await respond(update, context, t._("Please answer with text, or /cancel."))
        return
    if not context.actor.role.at_least(Role.TRAINER):
        await users_clear(context)
        await respond(update, context, t._("Sorry, only trainers can do that."))
        return
    if parts[0] == "cancel" and len(parts) == 2 and parts[1].isdigit():
        await _confirm_cancel(update, context, int(parts[1]), text)
        return
    if parts[0] == "change" and len(parts) == 4 and parts[1].isdigit() and parts[2] in FIELDS:
        await _confirm_change(update, context, int(parts[1]), parts[2], parts[3] == "all", text)
        return
    await users_clear(context)
    await respond(update, context, t._("That question is no longer open. /myclasses starts again."))


async def users_clear(context: BotContext) -> None:
    """Forget the open question."""
    async with context.deps.db.transaction() as session:
        await users.await_input(session, context.actor.id, None, now=context.deps.clock.now())


CLOSED = N_("That confirmation has closed, so nothing was changed. Open the session to try again.")


async def _apply_change(
    update: Update, context: BotContext, session_id: int, field: str, following: bool, text: str
) -> None:
    t, now = context.t, context.deps.clock.now()
    try:
        async with context.deps.db.transaction() as session:
            if field == "capacity":
                capacity = classes.parse_whole_number(
                    text, low=classes.MIN_CAPACITY, high=classes.MAX_CAPACITY, what="places"
                )
                change = bookings.set_capacity_following if following else bookings.set_capacity
                promotions = await change(session, context.actor, session_id, capacity, now=now)
                await notices.tell_promoted(session, promotions, now=now)
                done = _capacity_done(t, following, capacity, len(promotions))
            elif field == "time":
                new_time = classes.parse_time(text)
                first = await classes.own_session(session, context.actor, session_id)
                targets = (
                    await classes.following_sessions(session, first, now=now)
                    if following
                    else [first]
                )
                before = {target.id: target.starts_at for target in targets}
                affected = await classes.change_time(
                    session, context.actor, session_id, new_time, following=following, now=now
                )
                told = await notices.tell_changed(
                    session, affected, change="time", before=before, now=now
                )
                done = _time_done(t, following, wall_time(t, new_time), told)
            else:
                affected = await classes.change_location(
                    session, context.actor, session_id, text, following=following, now=now
                )
                told = await notices.tell_changed(
                    session, affected, change="location", before={}, now=now
                )
                done = _location_done(t, following, told)
    except InvalidInput as problem:
        scope_key = "all" if following else "one"
        await respond(
            update,
            context,
            t._(
                "⚠️ {problem} Nothing was changed.",
                problem=escape(error_text(t, problem)),
            ),
            reply_markup=column(
                button(
                    t.p_("button", "✏️ Send it again"),
                    pack(PREFIX, "chs", session_id, field, scope_key),
                ),
                button(t.p_("button", "« Session"), pack(PREFIX, "s", session_id)),
            ),
        )
        return
    await answer_query(update, context)
    await respond(update, context, done, reply_markup=_back_to_session(t, session_id))


def _capacity_done(t: Translator, following: bool, capacity: int, promoted: int) -> str:
    """What a capacity change did, and who got a place from the waitlist."""
    if following:
        done = t._(
            "👥 Capacity of this and the following sessions is now {capacity}.",
            capacity=capacity,
        )
    else:
        done = t._("👥 Capacity of this session is now {capacity}.", capacity=capacity)
    if promoted:
        told = t.n_(
            "{n} from the waitlist got a place and is being told.",
            "{n} from the waitlist got a place and are being told.",
            promoted,
        )
        done = f"{done} {told}"
    return done


def _time_done(t: Translator, following: bool, time: str, told: int) -> str:
    """What a time change did, and how many are told."""
    if following:
        return t.n_(
            "🕒 This and the following sessions now start at {time}; {n} booked person is "
            "being told.",
            "🕒 This and the following sessions now start at {time}; {n} booked people are "
            "being told.",
            told,
            time=time,
        )
    return t.n_(
        "🕒 This session now starts at {time}; {n} booked person is being told.",
        "🕒 This session now starts at {time}; {n} booked people are being told.",
        told,
        time=time,
    )


def _location_done(t: Translator, following: bool, told: int) -> str:
    """What a location change did, and how many are told."""
    if following:
        return t.n_(
            "📍 Location of this and the following sessions changed; {n} booked person is "
            "being told.",
            "📍 Location of this and the following sessions changed; {n} booked people are "
            "being told.",
            told,
        )
    return t.n_(
        "📍 Location of this session changed; {n} booked person is being told.",
        "📍 Location of this session changed; {n} booked people are being told.",
        told,
    )


def register(application: Application) -> None:
    """Add /myclasses, its buttons and typed answers."""
    application.add_handler(command("myclasses", show_my_classes))
    application.add_handler(CallbackQueryHandler(on_button, pattern=pattern(PREFIX)))
    conversation.expect(AWAITING, on_text, reopen=N_("/myclasses opens your classes again."))
