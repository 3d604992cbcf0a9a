"""/help: the commands the user's role can use, one line each."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application

from bot.context import BotContext
from bot.models import Role
from handlers.commands import help_lines, visible_commands
from handlers.guards import command
from handlers.keyboards import column, deep_link, link_button
from handlers.replies import respond


async def show_help(update: Update, context: BotContext) -> None:
    """/help: in private, every command of the user's role; in a group, what works there."""
    role = context.actor.role if context.actor else Role.CLIENT
    private = update.effective_chat.type == ChatType.PRIVATE
    lines = help_lines(visible_commands(role, private=private))
    if private:
        intro = "Here is what I can do for you:" if context.actor else "Send /start to begin."
        await respond(update, context, f"{intro}\n\n{lines}")
        return
    await respond(
        update,
        context,
        f"In this group:\n{lines}\n\nBooking, reminders, tips and check-ins happen in our "
        "private chat.",
        reply_markup=column(link_button("Open private chat", deep_link(context.bot.username))),
    )


def register(application: Application) -> None:
    """Add /help."""
    application.add_handler(command("help", show_help))
