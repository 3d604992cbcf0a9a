"""/myclasses: a trainer's series and sessions; rosters, attendance, cancelling and changes."""

from __future__ import annotations

import datetime as dt
from html import escape

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler

from bot.context import BotContext
from bot.models import Attendance, BookingState, Role, SessionState
from bot.services import bookings, buddies, classes, outbox, progress, users
from bot.services.errors import InvalidInput
from bot.views.callbacks import pack, pattern, stale_button, unpack
from bot.views.errors import error_text
from bot.views.formatting import (
    count,
    duration,
    long_when,
    places,
    short_when,
    weekdays_text,
    zone_of,
)
from bot.views.keyboards import button, column, grid
from handlers import conversation, notices
from handlers.guards import command, guard
from handlers.replies import answer_query, edit_or_send, respond

PREFIX = "tc"
AWAITING = "trainer"
SESSIONS_SHOWN = 12
FIELDS = {"time": "🕒 Time", "capacity": "👥 Capacity", "location": "📍 Location"}


def _zone(context: BotContext) -> str:
    return zone_of(context.actor, context.deps.settings.default_timezone)


async def _overview(context: BotContext) -> tuple[str, InlineKeyboardMarkup]:
    now = context.deps.clock.now()
    zone = _zone(context)
    async with context.deps.db.reading() as session:
        series_list = await classes.trainer_series(session, context.actor.id)
        upcoming = await classes.upcoming(
            session, now=now, days=14, trainer_id=context.actor.id, include_cancelled=True
        )
        rates = {s.id: await bookings.class_attendance(session, s.id) for s in series_list}
    if not series_list:
        return "You have no classes yet. /newclass creates one.", InlineKeyboardMarkup([])
    lines = ["🏋️ <b>Your classes</b>", ""]
    rows = []
    for series in series_list:
        attended, marked = rates[series.id]
        rate = (
            f" · attendance {round(100 * attended / marked)}% ({attended}/{marked})"
            if marked
            else ""
        )
        lines.append(
            f"• <b>{escape(series.title)}</b> – {weekdays_text(context.t, series)} "
            f"{series.start_time:%H:%M} ({escape(series.timezone)}), {series.capacity} places{rate}"
        )
        rows.append([button(f"⚙️ {series.title}"[:60], pack(PREFIX, "ser", series.id))])
    lines += ["", f"<b>Next 14 days</b> (times in {escape(zone)})"]
    for info in upcoming[:SESSIONS_SHOWN]:
        state = " ❌ cancelled" if info.session.state == SessionState.CANCELLED else ""
        waiting = f", {info.waitlist} waiting" if info.waitlist else ""
        lines.append(
            f"{short_when(context.t, info.session.starts_at, zone)} · "
            f"{escape(info.series.title)} · "
            f"{info.session.booked_count}/{info.session.capacity} booked{waiting}{state}"
        )
        rows.append(
            [
                button(
                    f"{short_when(context.t, info.session.starts_at, zone)} {info.series.title}"[
                        :60
                    ],
                    pack(PREFIX, "s", info.session.id),
                )
            ]
        )
    if not upcoming:
        lines.append("No sessions in the next two weeks.")
    return "\n".join(lines), InlineKeyboardMarkup(rows)


async def show_my_classes(update: Update, context: BotContext) -> None:
    """/myclasses: series with attendance, and upcoming sessions with their counts."""
    text, keyboard = await _overview(context)
    await respond(update, context, text, reply_markup=keyboard)


async def _session_view(context: BotContext, session_id: int) -> tuple[str, InlineKeyboardMarkup]:
    now = context.deps.clock.now()
    zone = _zone(context)
    async with context.deps.db.reading() as session:
        info, entries = await bookings.roster(session, context.actor, session_id)
    lines = [
        f"<b>{escape(info.series.title)}</b>",
        f"🗓 {long_when(context.t, info.session.starts_at, zone, info.session.duration_minutes)}",
        f"📍 {escape(info.session.location)}",
    ]
    if info.session.state == SessionState.CANCELLED:
        reason = f": {escape(info.session.cancel_reason)}" if info.session.cancel_reason else ""
        lines.append(f"❌ Cancelled{reason}")
    else:
        lines.append(
            f"👥 {info.session.booked_count}/{info.session.capacity} booked · "
            f"{places(context.t, info)}"
        )
    lines += ["", "<b>Roster</b>"]
    marks = {Attendance.ATTENDED: " · ✅ attended", Attendance.NO_SHOW: " · ❌ no-show"}
    for entry in entries:
        name = escape(entry.user.full_name)
        record = f" (came {entry.attended} of {entry.booked})" if entry.booked else ""
        late_count = (
            f", {entry.late_cancels} late cancel{'s' if entry.late_cancels != 1 else ''}"
            if entry.late_cancels
            else ""
        )
        if entry.booking.state == BookingState.CONFIRMED:
            mark = marks.get(entry.booking.attendance, "") if entry.booking.attendance else ""
            lines.append(f"✅ {name}{record}{late_count}{mark}")
        elif entry.booking.state == BookingState.WAITLISTED:
            lines.append(f"⏳ #{entry.position} {name}")
        elif entry.booking.confirmed_at is not None:
            lines.append(f"✖️ {name}: cancelled{' late' if entry.booking.late_cancel else ''}")
    if not entries:
        lines.append("Nobody has booked yet.")
    rows = []
    upcoming = info.session.state == SessionState.SCHEDULED and info.session.starts_at > now
    markable = (
        info.session.state == SessionState.SCHEDULED
        and info.session.starts_at - bookings.CHECK_IN_BEFORE
        <= now
        <= info.session.ends_at + bookings.ATTENDANCE_EDITABLE
    )
    if markable:
        rows.append(button("📋 Mark attendance", pack(PREFIX, "att", session_id)))
    if upcoming:
        rows.append(button("✏️ Change", pack(PREFIX, "ch", session_id)))
        rows.append(button("❌ Cancel this session", pack(PREFIX, "cx", session_id)))
    rows.append(button("« My classes", pack(PREFIX, "home", 0)))
    return "\n".join(lines), column(*rows)


async def _attendance_view(
    context: BotContext, session_id: int
) -> tuple[str, InlineKeyboardMarkup]:
    zone = _zone(context)
    async with context.deps.db.reading() as session:
        info, entries = await bookings.roster(session, context.actor, session_id)
    booked = [e for e in entries if e.booking.state == BookingState.CONFIRMED]
    lines = [
        f"📋 <b>Attendance</b>: {escape(info.series.title)}, "
        f"{short_when(context.t, info.session.starts_at, zone)}",
        "Tap ✅ or ❌ for each person (you can change it for 48 hours).",
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
        lines.append("Nobody had a place in this session.")
    rows.append([button("« Session", pack(PREFIX, "s", session_id))])
    return "\n".join(lines), InlineKeyboardMarkup(rows)


async def _series_view(context: BotContext, series_id: int) -> tuple[str, InlineKeyboardMarkup]:
    async with context.deps.db.reading() as session:
        series = await classes.own_series(session, context.actor, series_id)
        attended, marked = await bookings.class_attendance(session, series_id)
        per_client = await bookings.series_attendance(session, series_id, now=None)
        people = await users.users_by_id(session, per_client)
        pairs, connected, answered = await buddies.community_stats(
            session, series_id, now=context.deps.clock.now()
        )
    lines = [
        f"⚙️ <b>{escape(series.title)}</b>",
        f"🗓 {weekdays_text(context.t, series)} at {series.start_time:%H:%M} "
        f"({escape(series.timezone)}), "
        f"{duration(context.t, series.duration_minutes)}",
        f"📍 {escape(series.location)} · 👥 {series.capacity} places",
        f"From {series.first_date:%d %b %Y}"
        + (f" until {series.last_date:%d %b %Y}" if series.last_date else ", no end date"),
        "",
    ]
    if marked:
        lines.append(
            f"<b>Attendance</b>: {attended} of {marked} marked places "
            f"({round(100 * attended / marked)}%)"
        )
        ranking = sorted(per_client.items(), key=lambda item: (-item[1][0], item[0]))
        for user_id, (came, counted, late) in ranking[:15]:
            name = escape(people[user_id].full_name) if user_id in people else str(user_id)
            late_text = f", {late} late cancel{'s' if late != 1 else ''}" if late else ""
            lines.append(f"• {name}: came {came} of {counted}{late_text}")
    else:
        lines.append("No attendance marked yet.")
    if pairs:
        lines.append(
            f"\n🤝 Buddies: {count(pairs, 'pair')} in 4 weeks; {connected} of "
            f"{count(answered, 'answer')}: connected"
        )
    return "\n".join(lines), column(
        button("⏹ End this series", pack(PREFIX, "end", series_id)),
        button("« My classes", pack(PREFIX, "home", 0)),
    )


@guard(Role.TRAINER, private=True)
async def on_button(update: Update, context: BotContext) -> None:
    """Every /myclasses button; each re-checks that the class is the trainer's own."""
    args = unpack(update.callback_query.data)[1:]
    if not args or not all(
        part.isdigit() or part in FIELDS or part in ("a", "n", "one", "all") for part in args[1:]
    ):
        raise stale_button()
    action, rest = args[0], args[1:]
    number = int(rest[0]) if rest and rest[0].isdigit() else 0
    now = context.deps.clock.now()
    default_zone = context.deps.settings.default_timezone
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
            await after_attendance(session, marked.user_id, info.series.id, now=now)
        text, keyboard = await _attendance_view(context, info.session.id)
    elif action == "ser":
        text, keyboard = await _series_view(context, number)
    elif action == "end":
        async with context.deps.db.reading() as session:
            series = await classes.own_series(session, context.actor, number)
        text = (
            f"End <b>{escape(series.title)}</b>? Upcoming sessions are cancelled and everyone "
            "booked or waitlisted is told. Past sessions and attendance are kept."
        )
        keyboard = column(
            button("Yes, end it", pack(PREFIX, "endy", number)),
            button("No, keep it", pack(PREFIX, "ser", number)),
        )
    elif action == "endy":
        async with context.deps.db.transaction() as session:
            affected = await classes.end_series(session, context.actor, number, now=now)
            told = await notices.tell_cancelled(
                session,
                affected,
                reason="This class has ended.",
                default_zone=default_zone,
                now=now,
            )
        text = (
            f"⏹ The series has ended. {count(len(affected.sessions), 'upcoming session')} "
            f"cancelled; {count(told, 'person', 'people')} will be told."
        )
        keyboard = column(button("« My classes", pack(PREFIX, "home", 0)))
    elif action == "cx":
        await _ask_cancel(update, context, number)
        return
    elif action == "cxy":
        await _cancel_session(update, context, number, None)
        return
    elif action == "cxr":
        reason = users.held_answer(context.pending, f"cancel:{number}")
        if reason is None:
            text, keyboard = CLOSED, column(button("« Session", pack(PREFIX, "s", number)))
        else:
            await _cancel_session(update, context, number, reason)
            return
    elif action == "chy" and len(rest) == 3 and rest[1] in FIELDS:
        value = users.held_answer(context.pending, f"change:{number}:{rest[1]}:{rest[2]}")
        if value is None:
            text, keyboard = CLOSED, column(button("« Session", pack(PREFIX, "s", number)))
        else:
            await _apply_change(update, context, number, rest[1], rest[2] == "all", value)
            return
    elif action == "ch":
        text = "What should change?"
        keyboard = grid(
            [button(label, pack(PREFIX, "chf", number, field)) for field, label in FIELDS.items()],
            per_row=3,
        )
    elif action == "chf" and len(rest) == 2 and rest[1] in FIELDS:
        text = "Only this session, or this and all following sessions of the class?"
        keyboard = column(
            button("This session", pack(PREFIX, "chs", number, rest[1], "one")),
            button("This and all following", pack(PREFIX, "chs", number, rest[1], "all")),
        )
    elif action == "chs" and len(rest) == 3 and rest[1] in FIELDS:
        await _ask_change(update, context, number, rest[1], rest[2] == "all")
        return
    else:
        raise stale_button()
    await edit_or_send(update, context, text, reply_markup=keyboard)


MAX_REASON = 300


async def _ask_cancel(update: Update, context: BotContext, session_id: int) -> None:
    async with context.deps.db.transaction() as session:
        info = await bookings.session_belongs(session, context.actor, session_id)
        await users.await_input(
            session,
            context.actor.id,
            f"{AWAITING}:cancel:{session_id}",
            now=context.deps.clock.now(),
        )
    waiting = f" and {info.waitlist} on the waitlist" if info.waitlist else ""
    await edit_or_send(
        update,
        context,
        f"Cancel <b>{escape(info.series.title)}</b> on "
        f"{short_when(context.t, info.session.starts_at, _zone(context))}? "
        f"{info.session.booked_count} "
        f"booked{waiting} will be told.\n\nSend the reason to pass on (you'll see it once "
        "more before anyone is told), or cancel without one.",
        reply_markup=column(
            button("Cancel without a reason", pack(PREFIX, "cxy", session_id)),
            button("Keep the session", pack(PREFIX, "s", session_id)),
        ),
    )


async def _confirm_cancel(update: Update, context: BotContext, session_id: int, typed: str) -> None:
    """A typed reason cancels nothing by itself: it is shown back with the consequence."""
    reason = " ".join(typed.split())
    if not reason or len(reason) > MAX_REASON:
        await respond(
            update,
            context,
            f"⚠️ Please send a reason of 1 to {MAX_REASON} characters, or /cancel to keep "
            "the session.",
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
    await respond(
        update,
        context,
        f"Cancel <b>{escape(info.series.title)}</b> on "
        f"{short_when(context.t, info.session.starts_at, _zone(context))} and tell "
        f"{count(told, 'person', 'people')}, with your reason?\n\n«{escape(reason)}»",
        reply_markup=column(
            button(f"❌ Yes, cancel and tell {told}", pack(PREFIX, "cxr", session_id)),
            button("✏️ Write the reason again", pack(PREFIX, "cx", session_id)),
            button("Keep the session", pack(PREFIX, "s", session_id)),
        ),
    )


async def _cancel_session(
    update: Update, context: BotContext, session_id: int, reason: str | None
) -> None:
    now = context.deps.clock.now()
    async with context.deps.db.transaction() as session:
        affected = await classes.cancel_session(
            session, context.actor, session_id, reason=reason, now=now
        )
        told = await notices.tell_cancelled(
            session,
            affected,
            reason=reason,
            default_zone=context.deps.settings.default_timezone,
            now=now,
        )
    await answer_query(update, context)
    await respond(
        update,
        context,
        f"❌ Cancelled. {count(told, 'person is', 'people are')} being told"
        + (", with your reason." if reason else "."),
        reply_markup=column(button("« My classes", pack(PREFIX, "home", 0))),
    )


QUESTIONS = {
    "time": "Send the new local start time (e.g. 17:30).",
    "capacity": "Send the new number of places (1 to 500).",
    "location": "Send the new location or online link.",
}


async def _ask_change(
    update: Update, context: BotContext, session_id: int, field: str, following: bool
) -> None:
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
        QUESTIONS[field] + " You'll see the change once more before anyone is told.",
        reply_markup=column(button("« Keep it as it is", pack(PREFIX, "s", session_id))),
    )


def _parse_change(field: str, text: str) -> str:
    """The typed value, checked and normalised; InvalidInput with the reason otherwise."""
    if field == "time":
        return classes.parse_time(text).strftime("%H:%M")
    if field == "capacity":
        return str(classes.parse_whole_number(text, low=1, high=500, what="number of places"))
    return classes.check_location(text)


async def _confirm_change(
    update: Update, context: BotContext, session_id: int, field: str, following: bool, text: str
) -> None:
    """A typed new time, capacity or location changes nothing by itself: it is shown back
    with what it touches and who is told, for the trainer to confirm."""
    now = context.deps.clock.now()
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
            f"⚠️ {escape(error_text(context.t, problem))}\n\nPlease send it again, or /cancel.",
        )
        return
    when = short_when(context.t, info.session.starts_at, _zone(context))
    what = f"<b>{escape(info.series.title)}</b> on {when}"
    if following and len(scope.sessions) > 1:
        what = (
            f"<b>{escape(info.series.title)}</b> from {when} on "
            f"({count(len(scope.sessions), 'session')})"
        )
    booked = scope.booked_people
    tell = (
        f"and tell {count(booked, 'booked person', 'booked people')}"
        if booked
        else "(nobody is booked yet, so nobody needs to be told)"
    )
    if field == "time":
        question = f"Move {what} to start at {value} ({escape(info.series.timezone)}) {tell}?"
    elif field == "location":
        question = f"Move {what} to a new place {tell}?\n\n📍 «{escape(value)}»"
    else:
        promote = (
            " People on the waitlist get any new places and are told."
            if scope.waiting_people
            else ""
        )
        question = f"Set the places of {what} to {value}?{promote}"
    await respond(
        update,
        context,
        question,
        reply_markup=column(
            button("✅ Yes, change it", pack(PREFIX, "chy", session_id, field, scope_key)),
            button("✏️ Send it again", pack(PREFIX, "chs", session_id, field, scope_key)),
            button("« Keep it as it is", pack(PREFIX, "s", session_id)),
        ),
    )


async def on_text(update: Update, context: BotContext, argument: str) -> None:
    """Typed answers: a cancellation reason, or a session's new time, capacity or location.
    Each is shown back for confirmation; nothing changes on the text alone."""
    text = update.effective_message.text
    parts = argument.split(":")
    if text is None:
        await respond(update, context, "Please answer with text, or /cancel.")
        return
    if not context.actor.role.at_least(Role.TRAINER):
        await users_clear(context)
        await respond(update, context, "Sorry, only trainers can do that.")
        return
    if parts[0] == "cancel" and len(parts) == 2 and parts[1].isdigit():
        await _confirm_cancel(update, context, int(parts[1]), text)
        return
    if parts[0] == "change" and len(parts) == 4 and parts[1].isdigit() and parts[2] in FIELDS:
        await _confirm_change(update, context, int(parts[1]), parts[2], parts[3] == "all", text)
        return
    await users_clear(context)
    await respond(update, context, "That question is no longer open. /myclasses starts again.")


async def users_clear(context: BotContext) -> None:
    """Forget the open question."""
    async with context.deps.db.transaction() as session:
        await users.await_input(session, context.actor.id, None, now=context.deps.clock.now())


CLOSED = "That confirmation has closed, so nothing was changed. Open the session to try again."


async def _apply_change(
    update: Update, context: BotContext, session_id: int, field: str, following: bool, text: str
) -> None:
    now = context.deps.clock.now()
    default_zone = context.deps.settings.default_timezone
    scope = "this and the following sessions" if following else "this session"
    try:
        async with context.deps.db.transaction() as session:
            if field == "capacity":
                capacity = classes.parse_whole_number(
                    text, low=1, high=500, what="number of places"
                )
                change = bookings.set_capacity_following if following else bookings.set_capacity
                promotions = await change(session, context.actor, session_id, capacity, now=now)
                await notices.tell_promoted(session, promotions, default_zone=default_zone, now=now)
                done = f"👥 Capacity of {scope} is now {capacity}."
                if promotions:
                    done += f" {len(promotions)} from the waitlist got a place and are being told."
            elif field == "time":
                new_time = classes.parse_time(text)
                first = await classes.own_session(session, context.actor, session_id)
                targets = (
                    await classes.following_sessions(session, first, now=now)
                    if following
                    else [first]
                )
                before = {t.id: t.starts_at for t in targets}
                affected = await classes.change_time(
                    session, context.actor, session_id, new_time, following=following, now=now
                )
                told = await notices.tell_changed(
                    session,
                    affected,
                    change="time",
                    before=before,
                    default_zone=default_zone,
                    now=now,
                )
                done = (
                    f"🕒 {scope.capitalize()} now start{'' if following else 's'} at "
                    f"{new_time:%H:%M}; {count(told, 'booked person is', 'booked people are')} "
                    "being told."
                )
            else:
                affected = await classes.change_location(
                    session, context.actor, session_id, text, following=following, now=now
                )
                told = await notices.tell_changed(
                    session,
                    affected,
                    change="location",
                    before={},
                    default_zone=default_zone,
                    now=now,
                )
                done = (
                    f"📍 Location of {scope} changed; "
                    f"{count(told, 'booked person is', 'booked people are')} being told."
                )
    except InvalidInput as problem:
        scope_key = "all" if following else "one"
        await respond(
            update,
            context,
            f"⚠️ {escape(error_text(context.t, problem))} Nothing was changed.",
            reply_markup=column(
                button("✏️ Send it again", pack(PREFIX, "chs", session_id, field, scope_key)),
                button("« Session", pack(PREFIX, "s", session_id)),
            ),
        )
        return
    await answer_query(update, context)
    await respond(
        update,
        context,
        done,
        reply_markup=column(button("« Session", pack(PREFIX, "s", session_id))),
    )


async def after_attendance(
    session: AsyncSession, user_id: int, series_id: int, *, now: dt.datetime
) -> None:
    """What a new attendance mark may bring: milestones, or after two no-shows in a row a
    warm word for the client and a nudge for their buddy."""
    from handlers.buddies import missed_twice_notices
    from handlers.community import tell_milestones

    await tell_milestones(
        session, user_id, await progress.new_milestones(session, user_id, now=now), now=now
    )
    await outbox.enqueue(
        session, await missed_twice_notices(session, user_id, series_id, now=now), now=now
    )


def register(application: Application) -> None:
    """Add /myclasses, its buttons and typed answers."""
    application.add_handler(command("myclasses", show_my_classes))
    application.add_handler(CallbackQueryHandler(on_button, pattern=pattern(PREFIX)))
    conversation.expect(AWAITING, on_text, reopen="/myclasses opens your classes again.")
