"""Clients: /classes (browse, details, book), /mybookings (cancel, check in), and the
buttons under reminders and notices."""

from __future__ import annotations

from html import escape

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler

from bot.context import BotContext
from bot.models import BookingState, SessionState
from bot.services import bookings, classes, notices, safety
from bot.services.notices import after_attendance
from bot.views.bookings import BOOKING
from bot.views.callbacks import pack, pattern, stale_button, unpack
from bot.views.classes import (
    LIST,
    late_cancel_note,
    listing_line,
    places_line,
    session_button_label,
    session_details,
)
from bot.views.formatting import duration, short_when, zone_of
from bot.views.keyboards import button, column
from bot.views.safety import pending_line
from handlers.app_buttons import with_app_button
from handlers.guards import command, guard
from handlers.replies import answer_query, edit_or_send, remove_buttons, respond

PAGE_SIZE = 6
DAYS = 14


def _zone(context: BotContext) -> str:
    return zone_of(context.actor, context.deps.settings.default_timezone)


async def _listing(context: BotContext, page: int) -> tuple[str, InlineKeyboardMarkup]:
    t, now, zone = context.t, context.deps.clock.now(), _zone(context)
    found = await classes.listing(
        context.deps.db, context.actor.id, now=now, days=DAYS, page=page, page_size=PAGE_SIZE
    )
    shown, page = found.sessions, found.page
    pages = max(1, (found.total + PAGE_SIZE - 1) // PAGE_SIZE)
    if not shown:
        return (
            t._("📅 There are no classes in the next two weeks yet. Please check again soon."),
            InlineKeyboardMarkup([]),
        )
    lines = [
        t.n_(
            "📅 <b>Classes in the next {n} day</b> (times in {zone})",
            "📅 <b>Classes in the next {n} days</b> (times in {zone})",
            DAYS,
            zone=escape(zone),
        ),
        "",
    ]
    buttons = []
    for item in shown:
        lines.append(listing_line(t, item, zone))
        label = session_button_label(t, item.starts_at, item.title, zone, item.mine)
        buttons.append([button(label, pack(LIST, "s", item.id))])
    navigation = []
    if page > 0:
        navigation.append(button(t.p_("button", "« Earlier"), pack(LIST, "p", page - 1)))
    if page < pages - 1:
        navigation.append(button(t.p_("button", "Later »"), pack(LIST, "p", page + 1)))
    if navigation:
        buttons.append(navigation)
    if pages > 1:
        lines.append("\n" + t._("Page {page} of {pages}.", page=page + 1, pages=pages))
    lines.append(t._("Choose a class for details and booking."))
    return "\n".join(lines), InlineKeyboardMarkup(buttons)


async def show_classes(update: Update, context: BotContext) -> None:
    """/classes: upcoming sessions of the next two weeks, in the client's time zone."""
    text, keyboard = await _listing(context, 0)
    keyboard = with_app_button(update, context, keyboard, teaching=False)
    await respond(update, context, text, reply_markup=keyboard)


async def _detail(
    context: BotContext,
    session_id: int,
    session: AsyncSession | None = None,
    mine: bookings.MyBooking | None = None,
) -> tuple[str, InlineKeyboardMarkup]:
    """A session's detail view for the reader; inside `session` when given. `mine`, when
    given, is the reader's booking of it with the session as it is now (known after a Book
    press), else both are looked up."""
    if session is None:
        async with context.deps.db.reading() as reading:
            return await _detail(context, session_id, reading)
    t, now, zone = context.t, context.deps.clock.now(), _zone(context)
    if mine is None:
        info = await classes.session_info(session, session_id)
        mine = await bookings.booking_of(session, context.actor.id, info, now=now)
    else:
        info = mine.info
    lines = [session_details(t, info, zone)]
    if info.session.state == SessionState.CANCELLED:
        lines.append("\n" + t._("❌ This session is cancelled."))
    else:
        lines.append(places_line(t, info))
        note = late_cancel_note(t, info.series)
        if note:
            lines.append(note)
    rows = []
    if mine is not None and mine.booking.pending_clearance:
        lines.append("\n" + pending_line(t))
        rows.append(button(t.p_("button", "Cancel my place"), pack(BOOKING, "x", mine.booking.id)))
    elif mine is not None and mine.booking.state == BookingState.CONFIRMED:
        lines.append("\n" + t._("✅ <b>You're booked.</b>"))
        if bookings.can_check_in(info, now):
            rows.append(
                button(t.p_("button", "✋ I'm here"), pack(BOOKING, "here", mine.booking.id))
            )
        rows.append(button(t.p_("button", "Cancel my place"), pack(BOOKING, "x", mine.booking.id)))
    elif mine is not None:
        lines.append(
            "\n" + t._("⏳ <b>You're #{position} on the waitlist.</b>", position=mine.position)
        )
        rows.append(
            button(t.p_("button", "Leave the waitlist"), pack(BOOKING, "x", mine.booking.id))
        )
    elif info.session.state == SessionState.SCHEDULED and info.session.starts_at > now:
        label = (
            t.p_("button", "✅ Book") if info.spots_left else t.p_("button", "⏳ Join the waitlist")
        )
        rows.append(button(label, pack(LIST, "b", session_id)))
    rows.append(button(t.p_("button", "« All classes"), pack(LIST, "p", 0)))
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


def booking_note(context: BotContext, result: bookings.BookingResult) -> str:
    """What a Book press did, in a sentence: booked, held for clearance, waitlisted, or
    nothing new."""
    t = context.t
    if result.status == "confirmed":
        when = short_when(t, result.info.session.starts_at, _zone(context))
        return t._("✅ Booked! See you on {when}.", when=when)
    if result.status == "pending_clearance":
        return pending_line(t)
    if result.status == "waitlisted":
        return t._(
            "⏳ The class is full, so you're #{position} on the waitlist. I'll tell you as soon "
            "as a place opens up.",
            position=result.position,
        )
    if result.status == "already_confirmed":
        return t._("You're already booked for this class.")
    return t._("You're already on the waitlist (#{position}).", position=result.position)


async def _book(update: Update, context: BotContext, session_id: int) -> None:
    now = context.deps.clock.now()
    try:
        async with context.deps.db.transaction() as session:
            result = await notices.book(
                session,
                context.actor,
                session_id,
                hold_hours=context.deps.settings.clearance_hold_hours,
                now=now,
            )
            mine = bookings.MyBooking(result.booking, result.info, result.position)
            text, keyboard = await _detail(context, session_id, session, mine)
    except safety.ScreeningNeeded:
        from handlers.safety import offer_screening

        await offer_screening(update, context, session_id)
        return
    # A held place is said in the view (the pop-up cannot show its emphasis).
    held = result.status == "pending_clearance"
    await answer_query(update, context, None if held else booking_note(context, result))
    await edit_or_send(update, context, text, reply_markup=keyboard)


# --------------------------------------------------------------------- my bookings


async def _my_bookings(context: BotContext) -> tuple[str, InlineKeyboardMarkup]:
    t, now, zone = context.t, context.deps.clock.now(), _zone(context)
    async with context.deps.db.reading() as session:
        mine = await bookings.upcoming_bookings(session, context.actor.id, now=now)
    if not mine:
        return (
            t._("You have no upcoming bookings. /classes shows what's on."),
            InlineKeyboardMarkup([]),
        )
    lines = [t._("🗓 <b>Your upcoming classes</b> (times in {zone})", zone=escape(zone)), ""]
    rows = []
    for item in mine:
        when = short_when(t, item.info.session.starts_at, zone)
        title = escape(item.info.series.title)
        booking_id = item.booking.id
        if item.booking.state == BookingState.CONFIRMED:
            lines.append(
                t._(
                    "✅ {when} – <b>{title}</b>, {location}",
                    when=when,
                    title=title,
                    location=escape(item.info.session.location),
                )
            )
            if item.booking.pending_clearance:
                lines.append("   " + pending_line(t))
            elif bookings.can_check_in(item.info, now):
                label = t.p_("button", "✋ I'm here: {title}", title=item.info.series.title)
                rows.append(button(label[:60], pack(BOOKING, "here", booking_id)))
            label = t.p_("button", "Cancel {when}", when=when)
            rows.append(button(label[:60], pack(BOOKING, "x", booking_id)))
        else:
            lines.append(
                t._(
                    "⏳ {when} – <b>{title}</b>: #{position} on the waitlist",
                    when=when,
                    title=title,
                    position=item.position,
                )
            )
            label = t.p_("button", "Leave waitlist {when}", when=when)
            rows.append(button(label[:60], pack(BOOKING, "x", booking_id)))
    return "\n".join(lines), column(*rows)


async def show_my_bookings(update: Update, context: BotContext) -> None:
    """/mybookings: upcoming confirmed and waitlisted sessions, each with Cancel."""
    text, keyboard = await _my_bookings(context)
    await respond(update, context, text, reply_markup=keyboard)


async def _ask_cancel(update: Update, context: BotContext, booking_id: int) -> None:
    """Cancel (or leave the waitlist)? With the late-cancel warning when it applies."""
    t = context.t
    async with context.deps.db.reading() as session:
        booking, info, late = await bookings.cancel_preview(
            session, context.actor.id, booking_id, now=context.deps.clock.now()
        )
    title = escape(info.series.title)
    when = short_when(t, info.session.starts_at, _zone(context))
    if booking.state == BookingState.WAITLISTED:
        question = t._("Leave the waitlist for <b>{title}</b> on {when}?", title=title, when=when)
        yes = t.p_("button", "Yes, leave the waitlist")
    else:
        question = t._("Cancel your place in <b>{title}</b> on {when}?", title=title, when=when)
        yes = t.p_("button", "Yes, cancel my place")
    if late:
        warning = t._(
            "⚠️ It starts in less than {duration}, so this counts as a late cancel.",
            duration=duration(t, info.series.late_cancel_minutes),
        )
        question = f"{question}\n\n{warning}"
    await respond(
        update,
        context,
        question,
        reply_markup=column(
            button(yes, pack(BOOKING, "xy", booking_id)),
            button(t.p_("button", "Keep it"), pack(BOOKING, "keep", booking_id)),
        ),
    )


@guard(private=True)
async def on_booking_button(update: Update, context: BotContext) -> None:
    """Cancel (ask, then confirm), I'm here, I'll be there, and back to the list."""
    t = context.t
    args = unpack(update.callback_query.data)[1:]
    if args == ["list"]:
        text, keyboard = await _my_bookings(context)
        await edit_or_send(update, context, text, reply_markup=keyboard)
        return
    if len(args) != 2 or not args[1].isdigit():
        raise stale_button()
    action, booking_id = args[0], int(args[1])
    now = context.deps.clock.now()
    user_id = context.actor.id
    if action == "x":
        await _ask_cancel(update, context, booking_id)
    elif action == "xy":
        async with context.deps.db.transaction() as session:
            result = await bookings.cancel(session, user_id, booking_id, now=now)
            await notices.tell_promoted(session, result.promotions, now=now)
        if result.was_confirmed:
            text = t._("Cancelled. Thanks for letting us know: your place goes to someone else.")
        else:
            text = t._("Done: you're off the waitlist.")
        if result.late:
            text += "\n" + t._("It was recorded as a late cancel.")
        await edit_or_send(update, context, text)
    elif action == "keep":
        await edit_or_send(update, context, t._("Good: nothing changed. See you there!"))
    elif action == "here":
        async with context.deps.db.transaction() as session:
            info = await bookings.check_in(session, user_id, booking_id, now=now)
            await after_attendance(session, user_id, info.series.id, now=now)
        await answer_query(update, context, t._("✋ Thanks, you're checked in!"))
        await respond(
            update,
            context,
            t._(
                "✋ Checked in for <b>{title}</b>. Enjoy the class!",
                title=escape(info.series.title),
            ),
        )
    elif action == "ok":
        async with context.deps.db.reading() as session:
            booking, info, _ = await bookings.cancel_preview(session, user_id, booking_id, now=now)
        if booking.state != BookingState.CONFIRMED:
            raise stale_button()
        await answer_query(update, context, t._("👍 Great, see you there!"))
        await remove_buttons(update, context)
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
