"""/schedule: a trainer sends this or next week's sessions to their clients, with Book
buttons, each client reading the times in their own time zone."""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler

from bot.context import BotContext
from bot.i18n import Translator, translator
from bot.models import Role, User
from bot.services import broadcasts, classes
from bot.services.classes import SessionInfo
from bot.views.callbacks import pack, pattern, stale_button, unpack
from bot.views.formatting import count, short_when, zone_of
from bot.views.keyboards import button, column
from handlers.broadcasts import show_status
from handlers.classes import LIST
from handlers.guards import command, guard
from handlers.replies import answer_query, edit_or_send, respond

# TODO(i18n): each reader's schedule is rendered in English until it becomes a template.
ENGLISH = translator(None)

PREFIX = "sch"
WEEKS = {"0": "this week", "1": "next week"}
MAX_BUTTONS = 10


def _week(zone: str, now: dt.datetime, offset: int) -> tuple[dt.datetime, dt.datetime]:
    """Monday 00:00 to the next Monday, `offset` weeks on, in `zone`, as UTC instants."""
    today = classes.today_in(zone, now)
    monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=offset)
    start = classes.local_start(monday, dt.time(0, 0), zone)
    end = classes.local_start(monday + dt.timedelta(days=7), dt.time(0, 0), zone)
    return max(start, now), end


async def _sessions(context: BotContext, audience: str, offset: int) -> list[SessionInfo]:
    zone = zone_of(context.actor, context.deps.settings.default_timezone)
    now = context.deps.clock.now()
    start, end = _week(zone, now, offset)
    series_id = (
        int(audience.removeprefix(broadcasts.SERIES))
        if audience.startswith(broadcasts.SERIES)
        else None
    )
    async with context.deps.db.reading() as session:
        return await classes.upcoming(
            session, now=start, until=end, trainer_id=context.actor.id, series_id=series_id
        )


def render(
    sessions: list[SessionInfo],
    reader: User | None,
    *,
    trainer: str,
    default_zone: str,
    week: str,
    t: Translator = ENGLISH,
) -> tuple[str, dict[str, Any] | None]:
    """The schedule as one reader sees it: times in their zone, a Book button per session."""
    zone = zone_of(reader, default_zone)
    lines = [f"🗓 <b>{escape(trainer)}'s classes {week}</b> (times in {escape(zone)})", ""]
    rows = []
    for info in sessions:
        when = short_when(t, info.session.starts_at, zone)
        lines.append(
            f"• {when} – <b>{escape(info.series.title)}</b>, {escape(info.session.location)}"
        )
        if len(rows) < MAX_BUTTONS:
            rows.append(
                [button(f"Book {when} {info.series.title}"[:60], pack(LIST, "b", info.session.id))]
            )
    lines.append("\nTap a class to book it (or join its waitlist). /classes shows everything.")
    return "\n".join(lines), InlineKeyboardMarkup(rows).to_dict() if rows else None


async def start_schedule(update: Update, context: BotContext) -> None:
    """/schedule: choose the week."""
    await respond(
        update,
        context,
        "🗓 Which week's schedule should your clients get?",
        reply_markup=column(
            button("This week", pack(PREFIX, "w", 0)),
            button("Next week", pack(PREFIX, "w", 1)),
        ),
    )


@guard(Role.TRAINER, private=True)
async def on_button(update: Update, context: BotContext) -> None:
    """Week, audience, then Send."""
    args = unpack(update.callback_query.data)[1:]
    if len(args) < 2 or args[1] not in WEEKS:
        raise stale_button()
    action, week = args[0], args[1]
    if action == "w" and len(args) == 2:
        async with context.deps.db.reading() as session:
            audiences = await broadcasts.audiences_for(session, context.actor)
        audiences = [a for a in audiences if a.key != broadcasts.ALL_CLIENTS]
        if not audiences:
            await edit_or_send(
                update,
                context,
                "Nobody has booked your classes yet, so there is no one to send a schedule to.",
            )
            return
        await edit_or_send(
            update,
            context,
            f"Who should get {WEEKS[week]}'s schedule?",
            reply_markup=column(
                *(
                    button(f"{a.label} ({a.recipients})", pack(PREFIX, "a", week, a.key))
                    for a in audiences
                )
            ),
        )
        return
    if action not in ("a", "go") or len(args) != 3:
        raise stale_button()
    audience = args[2]
    sessions = await _sessions(context, audience, int(week))
    if not sessions:
        await edit_or_send(update, context, f"You have no sessions {WEEKS[week]} to send.")
        return
    default_zone = context.deps.settings.default_timezone
    name = context.actor.first_name
    preview, _ = render(
        sessions, context.actor, trainer=name, default_zone=default_zone, week=WEEKS[week]
    )
    if action == "a":
        async with context.deps.db.reading() as session:
            found = await broadcasts.audience(session, context.actor, audience)
        await answer_query(update, context)
        await update.callback_query.edit_message_text(
            f"Preview for <b>{escape(found.label)}</b> "
            f"({count(found.recipients, 'person', 'people')}); each "
            "reads the times in their own time zone:"
        )
        await respond(
            update,
            context,
            preview,
            reply_markup=column(
                button(f"✅ Send to {found.recipients}", pack(PREFIX, "go", week, audience)),
                button("✖️ Cancel", pack(PREFIX, "no", week)),
            ),
        )
        return
    now = context.deps.clock.now()
    async with context.deps.db.transaction() as session:
        broadcast = await broadcasts.queue_personal(
            session,
            context.actor,
            audience,
            preview=preview,
            personalise=lambda reader: render(
                sessions, reader, trainer=name, default_zone=default_zone, week=WEEKS[week]
            ),
            now=now,
        )
        (status,) = await broadcasts.statuses(session, now=now, broadcast_ids=[broadcast.id])
    await show_status(update, context, status)


@guard(Role.TRAINER, private=True)
async def on_cancel(update: Update, context: BotContext) -> None:
    """Cancel under a schedule preview."""
    await answer_query(update, context)
    await update.callback_query.edit_message_reply_markup(None)
    await respond(update, context, "Cancelled. Nothing was sent.")


def register(application: Application) -> None:
    """Add /schedule and its buttons."""
    application.add_handler(command("schedule", start_schedule))
    application.add_handler(CallbackQueryHandler(on_cancel, pattern=f"^{PREFIX}:no:"))
    application.add_handler(CallbackQueryHandler(on_button, pattern=pattern(PREFIX)))
