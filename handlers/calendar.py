"""/calendar: an .ics file of the client's booked classes, or of a trainer's teaching."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application

from bot.context import BotContext
from bot.models import Role
from bot.services import calendar
from bot.views.calendar import file_name, ics
from handlers.guards import command
from handlers.replies import respond


async def send_calendar(update: Update, context: BotContext) -> None:
    """/calendar: send the file; importing it again updates the events instead of doubling them."""
    t = context.t
    now = context.deps.clock.now()
    actor = context.actor
    teaching = actor.role.at_least(Role.TRAINER)
    async with context.deps.db.reading() as session:
        if teaching:
            entries = await calendar.trainer_entries(session, actor, now=now)
        else:
            entries = await calendar.client_entries(session, actor.id, now=now)
    if not entries:
        if teaching:
            text = t._(
                "You have no sessions to teach coming up, so there is nothing to export yet."
            )
        else:
            text = t._("You have no booked classes coming up, so there is nothing to export yet.")
        await respond(update, context, text)
        return
    await context.bot.send_document(
        update.effective_chat.id,
        document=ics(t, entries, teaching=teaching, now=now),
        filename=file_name(t, teaching=teaching),
        caption=t.n_(
            "🗓 {n} session. Open the file to add it to your calendar; importing a newer file "
            "updates it (if it is cancelled, it is removed).",
            "🗓 {n} sessions. Open the file to add them to your calendar; importing a newer file "
            "updates them (cancelled ones are removed).",
            len(entries),
        ),
    )


def register(application: Application) -> None:
    """Add /calendar."""
    application.add_handler(command("calendar", send_calendar))
