"""Clients: /classes (browse, details, book), /mybookings (cancel, check in), and the
buttons under reminders and notices."""

from __future__ import annotations

from html import escape

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler

from bot.context import BotContext
from bot.models import BookingState, SessionState
from bot.services import bookings, classes
from bot.views.callbacks import pack, pattern, stale_button, unpack
from bot.views.formatting import duration, places, short_when, zone_of
from bot.views.keyboards import button, column
from handlers import notices
from handlers.guards import command, guard
from handlers.myclasses import after_attendance
from handlers.replies import answer_query, edit_or_send, respond

LIST = "cl"
BOOKING = notices.BOOKING
PAGE_SIZE = 6
DAYS = 14


def _zone(context: BotContext) -> str:
    return zone_of(context.actor, context.deps.settings.default_timezone)


async def _listing(context: BotContext, page: int) -> tuple[str, InlineKeyboardMarkup]:
    now = context.deps.clock.now()
    zone = _zone(context)
    async with context.deps.db.reading() as session:
        total = await classes.count_upcoming(session, now=now, days=DAYS)
        pages = max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)
        page = max(0, min(page, pages - 1))
        shown = await classes.upcoming(
            session, now=now, days=DAYS, offset=page * PAGE_SIZE, limit=PAGE_SIZE
        )
        mine = {
            b.info.session.id: b
            for b in await bookings.upcoming_bookings(
                session, context.actor.id, now=now, session_ids=[i.session.id for i in shown]
            )
        }
    if not shown:
        return (
            "📅 There are no classes in the next two weeks yet. Please check again soon.",
            InlineKeyboardMarkup([]),
        )
    lines = [f"📅 <b>Classes in the next {DAYS} days</b> (times in {escape(zone)})", ""]
    buttons = []
    for info in shown:
        marker = ""
        if info.session.id in mine:
            marker = (
                "✅ " if mine[info.session.id].booking.state == BookingState.CONFIRMED else "⏳ "
            )
        when = short_when(context.t, info.session.starts_at, zone)
        lines.append(
            f"{marker}{when} – "
            f"<b>{escape(info.series.title)}</b> with {escape(info.trainer.first_name)} · "
            f"{places(context.t, info)}"
        )
        buttons.append(
            [
                button(
                    f"{marker}{when} {info.series.title}"[:60],
                    pack(LIST, "s", info.session.id),
                )
            ]
        )
    navigation = []
    if page > 0:
        navigation.append(button("« Earlier", pack(LIST, "p", page - 1)))
    if page < pages - 1:
        navigation.append(button("Later »", pack(LIST, "p", page + 1)))
    if navigation:
        buttons.append(navigation)
    if pages > 1:
        lines.append(f"\nPage {page + 1} of {pages}.")
    lines.append("Choose a class for details and booking.")
    return "\n".join(lines), InlineKeyboardMarkup(buttons)


async def show_classes(update: Update, context: BotContext) -> None:
    """/classes: upcoming sessions of the next two weeks, in the client's time zone."""
    text, keyboard = await _listing(context, 0)
    await respond(update, context, text, reply_markup=keyboard)


async def _detail(
    context: BotContext, session_id: int, session: AsyncSession | None = None
) -> tuple[str, InlineKeyboardMarkup]:
    """A session's detail view for the reader; inside `session` when given."""
    if session is None:
        async with context.deps.db.reading() as reading:
            return await _detail(context, session_id, reading)
    now = context.deps.clock.now()
    zone = _zone(context)
    info = await classes.session_info(session, session_id)
    mine = next(
        iter(
            await bookings.upcoming_bookings(
                session, context.actor.id, now=now, session_ids=[session_id]
            )
        ),
        None,
    )
    lines = [notices.session_info_text(info, zone)]
    if info.session.state == SessionState.CANCELLED:
        lines.append("\n❌ This session is cancelled.")
    else:
        lines.append(f"👥 {places(context.t, info).capitalize()} (of {info.session.capacity})")
        if info.series.late_cancel_minutes:
            lines.append(
                f"Cancelling less than {duration(context.t, info.series.late_cancel_minutes)} "
                "before the start counts as a late cancel."
            )
    rows = []
    if mine is not None and mine.booking.state == BookingState.CONFIRMED:
        lines.append("\n✅ <b>You're booked.</b>")
        if bookings.can_check_in(info, now):
            rows.append(button("✋ I'm here", pack(BOOKING, "here", mine.booking.id)))
        rows.append(button("Cancel my place", pack(BOOKING, "x", mine.booking.id)))
    elif mine is not None:
        lines.append(f"\n⏳ <b>You're #{mine.position} on the waitlist.</b>")
        rows.append(button("Leave the waitlist", pack(BOOKING, "x", mine.booking.id)))
    elif info.session.state == SessionState.SCHEDULED and info.session.starts_at > now:
        label = "✅ Book" if info.spots_left else "⏳ Join the waitlist"
        rows.append(button(label, pack(LIST, "b", session_id)))
    rows.append(button("« All classes", pack(LIST, "p", 0)))
    return "\n".join(lines), column(*rows)


@guard(private=True)
async def on_list_button(update: Update, context: BotContext) -> None:
    """Paging, details and Book under /classes (and Book buttons in schedules)."""
    args = unpack(update.callback_query.data)[1:]
    if len(args) != 2 or not args[1].isdigit():
        raise stale_button()
    action, number = args[0], int(args[1])
    if action == "p":
        text, keyboard = await _listing(context, number)
        await edit_or_send(update, context, text, reply_markup=keyboard)
    elif action == "s":
        text, keyboard = await _detail(context, number)
        await edit_or_send(update, context, text, reply_markup=keyboard)
    elif action == "b":
        await _book(update, context, number)
    else:
        raise stale_button()


async def _book(update: Update, context: BotContext, session_id: int) -> None:
    now = context.deps.clock.now()
    zone = _zone(context)
    async with context.deps.db.transaction() as session:
        result = await bookings.book(session, context.actor, session_id, now=now)
        text, keyboard = await _detail(context, session_id, session)
    when = short_when(context.t, result.info.session.starts_at, zone)
    notes = {
        "confirmed": f"✅ Booked! See you on {when}.",
        "waitlisted": (
            f"⏳ The class is full, so you're #{result.position} on the waitlist. "
            "I'll tell you as soon as a place opens up."
        ),
        "already_confirmed": "You're already booked for this class.",
        "already_waitlisted": f"You're already on the waitlist (#{result.position}).",
    }
    note = notes[result.status]
    await answer_query(update, context, note)
    await edit_or_send(update, context, text, reply_markup=keyboard)


# --------------------------------------------------------------------- my bookings


async def _my_bookings(context: BotContext) -> tuple[str, InlineKeyboardMarkup]:
    now = context.deps.clock.now()
    zone = _zone(context)
    async with context.deps.db.reading() as session:
        mine = await bookings.upcoming_bookings(session, context.actor.id, now=now)
    if not mine:
        return (
            "You have no upcoming bookings. /classes shows what's on.",
            InlineKeyboardMarkup([]),
        )
    lines = [f"🗓 <b>Your upcoming classes</b> (times in {escape(zone)})", ""]
    rows = []
    for item in mine:
        when = short_when(context.t, item.info.session.starts_at, zone)
        title = escape(item.info.series.title)
        if item.booking.state == BookingState.CONFIRMED:
            lines.append(f"✅ {when} – <b>{title}</b>, {escape(item.info.session.location)}")
            if bookings.can_check_in(item.info, now):
                rows.append(
                    button(f"✋ I'm here: {title}"[:60], pack(BOOKING, "here", item.booking.id))
                )
            rows.append(button(f"Cancel {when}"[:60], pack(BOOKING, "x", item.booking.id)))
        else:
            lines.append(f"⏳ {when} – <b>{title}</b>: #{item.position} on the waitlist")
            rows.append(button(f"Leave waitlist {when}"[:60], pack(BOOKING, "x", item.booking.id)))
    return "\n".join(lines), column(*rows)


async def show_my_bookings(update: Update, context: BotContext) -> None:
    """/mybookings: upcoming confirmed and waitlisted sessions, each with Cancel."""
    text, keyboard = await _my_bookings(context)
    await respond(update, context, text, reply_markup=keyboard)


@guard(private=True)
async def on_booking_button(update: Update, context: BotContext) -> None:
    """Cancel (ask, then confirm), I'm here, I'll be there, and back to the list."""
    args = unpack(update.callback_query.data)[1:]
    if args == ["list"]:
        text, keyboard = await _my_bookings(context)
        await edit_or_send(update, context, text, reply_markup=keyboard)
        return
    if len(args) != 2 or not args[1].isdigit():
        raise stale_button()
    action, booking_id = args[0], int(args[1])
    now = context.deps.clock.now()
    zone = _zone(context)
    user_id = context.actor.id
    if action == "x":
        async with context.deps.db.reading() as session:
            booking, info, late = await bookings.cancel_preview(
                session, user_id, booking_id, now=now
            )
        when = short_when(context.t, info.session.starts_at, zone)
        if booking.state == BookingState.WAITLISTED:
            question = f"Leave the waitlist for <b>{escape(info.series.title)}</b> on {when}?"
            yes = "Yes, leave the waitlist"
        else:
            question = f"Cancel your place in <b>{escape(info.series.title)}</b> on {when}?"
            yes = "Yes, cancel my place"
        if late:
            question += (
                f"\n\n⚠️ It starts in less than "
                f"{duration(context.t, info.series.late_cancel_minutes)}, so this counts as a "
                "late cancel."
            )
        await respond(
            update,
            context,
            question,
            reply_markup=column(
                button(yes, pack(BOOKING, "xy", booking_id)),
                button("Keep it", pack(BOOKING, "keep", booking_id)),
            ),
        )
    elif action == "xy":
        async with context.deps.db.transaction() as session:
            result = await bookings.cancel(session, user_id, booking_id, now=now)
            await notices.tell_promoted(
                session,
                result.promotions,
                default_zone=context.deps.settings.default_timezone,
                now=now,
            )
        if result.was_confirmed:
            text = "Cancelled. Thanks for letting us know: your place goes to someone else."
        else:
            text = "Done: you're off the waitlist."
        if result.late:
            text += "\nIt was recorded as a late cancel."
        await edit_or_send(update, context, text)
    elif action == "keep":
        await edit_or_send(update, context, "Good: nothing changed. See you there!")
    elif action == "here":
        async with context.deps.db.transaction() as session:
            info = await bookings.check_in(session, user_id, booking_id, now=now)
            await after_attendance(session, user_id, info.series.id, now=now)
        await answer_query(update, context, "✋ Thanks, you're checked in!")
        await respond(
            update,
            context,
            f"✋ Checked in for <b>{escape(info.series.title)}</b>. Enjoy the class!",
        )
    elif action == "ok":
        async with context.deps.db.reading() as session:
            booking, info, _ = await bookings.cancel_preview(session, user_id, booking_id, now=now)
        if booking.state != BookingState.CONFIRMED:
            raise stale_button()
        await answer_query(update, context, "👍 Great, see you there!")
        await update.callback_query.edit_message_reply_markup(None)
    else:
        raise stale_button()


async def show_session(update: Update, context: BotContext, session_id: int) -> None:
    """A session's detail view as a new message (from a deep link in a group post)."""
    text, keyboard = await _detail(context, session_id)
    await respond(update, context, text, reply_markup=keyboard)


def register(application: Application) -> None:
    """Add /classes, /mybookings and their buttons."""
    application.add_handler(command("classes", show_classes))
    application.add_handler(command("mybookings", show_my_bookings))
    application.add_handler(CallbackQueryHandler(on_list_button, pattern=pattern(LIST)))
    application.add_handler(CallbackQueryHandler(on_booking_button, pattern=pattern(BOOKING)))
