"""/calendar: an .ics file of the client's booked classes, or of a trainer's teaching."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application

from bot.context import BotContext
from bot.models import Role
from bot.services import calendar
from handlers.guards import command
from handlers.replies import respond


async def send_calendar(update: Update, context: BotContext) -> None:
    """/calendar: send the file; importing it again updates the events instead of doubling them."""
    now = context.deps.clock.now()
    actor = context.actor
    teaching = actor.role.at_least(Role.TRAINER)
    async with context.deps.db.reading() as session:
        if teaching:
            entries = await calendar.trainer_entries(session, actor, now=now)
        else:
            entries = await calendar.client_entries(session, actor.id, now=now)
    if not entries:
        what = "no sessions to teach" if teaching else "no booked classes"
        await respond(
            update, context, f"You have {what} coming up, so there is nothing to export yet."
        )
        return
    name = "My teaching" if teaching else "My exercise classes"
    data = calendar.render(entries, name=name, now=now)
    await context.bot.send_document(
        update.effective_chat.id,
        document=data,
        filename="teaching.ics" if teaching else "classes.ics",
        caption=(
            f"🗓 {len(entries)} session{'s' if len(entries) != 1 else ''}. Open the file to add "
            "them to your calendar; importing a newer file updates them (cancelled ones are "
            "removed)."
        ),
    )


def register(application: Application) -> None:
    """Add /calendar."""
    application.add_handler(command("calendar", send_calendar))
