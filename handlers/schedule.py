"""/schedule: a trainer sends this or next week's sessions to their clients, with Book
buttons, each client reading it in their own language and time zone as it goes out."""

from __future__ import annotations

import datetime as dt
from html import escape

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.context import BotContext
from bot.i18n import Translator
from bot.models import Role
from bot.services import broadcasts, classes
from bot.services.classes import SessionInfo
from bot.views.broadcasts import audience_label
from bot.views.callbacks import pack, pattern, stale_button, unpack
from bot.views.classes import SCHEDULE, schedule_params
from bot.views.formatting import zone_of
from bot.views.keyboards import button, column
from bot.views.notices import Reader, render
from handlers.broadcasts import show_status
from handlers.guards import command, guard
from handlers.replies import answer_query, edit_or_send, remove_buttons, respond

PREFIX = "sch"
WEEKS = ("0", "1")  # this week, next week


def _week(zone: str, now: dt.datetime, offset: int) -> tuple[dt.datetime, dt.datetime]:
    """Monday 00:00 to the next Monday, `offset` weeks on, in `zone`, as UTC instants."""
    today = classes.today_in(zone, now)
    monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=offset)
    start = classes.local_start(monday, dt.time(0, 0), zone)
    end = classes.local_start(monday + dt.timedelta(days=7), dt.time(0, 0), zone)
    return max(start, now), end


def _zone(context: BotContext) -> str:
    return zone_of(context.actor, context.deps.settings.default_timezone)


async def _sessions(context: BotContext, audience: str, offset: int) -> list[SessionInfo]:
    now = context.deps.clock.now()
    start, end = _week(_zone(context), now, offset)
    series_id = (
        int(audience.removeprefix(broadcasts.SERIES))
        if audience.startswith(broadcasts.SERIES)
        else None
    )
    async with context.deps.db.reading() as session:
        return await classes.upcoming(
            session, now=start, until=end, trainer_id=context.actor.id, series_id=series_id
        )


def _who_question(t: Translator, week: str) -> str:
    if week == "0":
        return t._("Who should get this week's schedule?")
    return t._("Who should get next week's schedule?")


def _nothing_to_send(t: Translator, week: str) -> str:
    if week == "0":
        return t._("You have no sessions this week to send.")
    return t._("You have no sessions next week to send.")


async def start_schedule(update: Update, context: BotContext) -> None:
    """/schedule: choose the week."""
    t = context.t
    await respond(
        update,
        context,
        t._("🗓 Which week's schedule should your clients get?"),
        reply_markup=column(
            button(t.p_("button", "This week"), pack(PREFIX, "w", 0)),
            button(t.p_("button", "Next week"), pack(PREFIX, "w", 1)),
        ),
    )


@guard(Role.TRAINER, private=True)
async def on_button(update: Update, context: BotContext) -> None:
    """Week, audience, then Send."""
    t = context.t
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
                t._(
                    "Nobody has booked your classes yet, so there is no one to send a schedule to."
                ),
            )
            return
        await edit_or_send(
            update,
            context,
            _who_question(t, week),
            reply_markup=column(
                *(
                    button(
                        t.p_(
                            "button",
                            "{audience} ({n})",
                            audience=audience_label(t, a.key, a.title),
                            n=t.number(a.recipients),
                        ),
                        pack(PREFIX, "a", week, a.key),
                    )
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
        await edit_or_send(update, context, _nothing_to_send(t, week))
        return
    now = context.deps.clock.now()
    params = schedule_params(context.actor.first_name, int(week), sessions)
    # The trainer's preview is the template as they read it; each client's copy is
    # rendered for them as it goes out.
    preview = render(SCHEDULE, params, Reader(t=t, timezone=_zone(context), now=now)).text
    if action == "a":
        async with context.deps.db.reading() as session:
            found = await broadcasts.audience(session, context.actor, audience)
        await edit_or_send(
            update,
            context,
            t.n_(
                "Preview for <b>{audience}</b> ({n} person); each reads the times in their own "
                "time zone:",
                "Preview for <b>{audience}</b> ({n} people); each reads the times in their own "
                "time zone:",
                found.recipients,
                audience=escape(audience_label(t, found.key, found.title)),
            ),
        )
        await respond(
            update,
            context,
            preview,
            reply_markup=column(
                button(
                    t.p_("button", "✅ Send to {n}", n=t.number(found.recipients)),
                    pack(PREFIX, "go", week, audience),
                ),
                button(t.p_("button", "✖️ Cancel"), pack(PREFIX, "no", week)),
            ),
        )
        return
    async with context.deps.db.transaction() as session:
        broadcast = await broadcasts.queue_personal(
            session,
            context.actor,
            audience,
            preview=preview,
            template=SCHEDULE,
            params=params,
            now=now,
        )
        (status,) = await broadcasts.statuses(session, now=now, broadcast_ids=[broadcast.id])
    await show_status(update, context, status)


@guard(Role.TRAINER, private=True)
async def on_cancel(update: Update, context: BotContext) -> None:
    """Cancel under a schedule preview."""
    await answer_query(update, context)
    await remove_buttons(update, context)
    await respond(update, context, context.t._("Cancelled. Nothing was sent."))


def register(application: Application) -> None:
    """Add /schedule and its buttons."""
    application.add_handler(command("schedule", start_schedule))
    application.add_handler(CallbackQueryHandler(on_cancel, pattern=f"^{PREFIX}:no:"))
    application.add_handler(CallbackQueryHandler(on_button, pattern=pattern(PREFIX)))
