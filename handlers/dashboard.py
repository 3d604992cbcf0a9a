"""/dashboard (trainers and admins, private chat): a one-time link that signs the trainer in
to the Mini App in a desktop browser."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application

from bot.context import BotContext
from bot.services import signin
from bot.views.dashboard import link_button_label, link_text, not_offered
from bot.views.keyboards import column, link_button
from handlers.guards import command
from handlers.replies import respond


async def send_link(update: Update, context: BotContext) -> None:
    """/dashboard: a sign-in link valid ten minutes, bound to this trainer (a client is
    refused by the role guard; without PUBLIC_BASE_URL the chat says it is not offered)."""
    t, base = context.t, context.deps.settings.public_base_url
    if base is None:
        await respond(update, context, not_offered(t))
        return
    async with context.deps.db.transaction() as session:
        token = await signin.create_link(session, context.actor.id, now=context.deps.clock.now())
    await respond(
        update,
        context,
        link_text(t),
        reply_markup=column(link_button(link_button_label(t), f"{base}/app/link/{token}")),
    )


def register(application: Application) -> None:
    """Add /dashboard."""
    application.add_handler(command("dashboard", send_link))
