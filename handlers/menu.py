"""/help: the commands the user's role can use, one line each."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application

from bot.context import BotContext
from bot.models import Role
from bot.views.keyboards import column, deep_link, link_button
from handlers.commands import help_lines, visible_commands
from handlers.guards import command
from handlers.replies import respond


async def show_help(update: Update, context: BotContext) -> None:
    """/help: in private, every command of the user's role; in a group, what works there."""
    role = context.actor.role if context.actor else Role.CLIENT
    private = update.effective_chat.type == ChatType.PRIVATE
    lines = help_lines(context.t, visible_commands(role, private=private))
    t = context.t
    if private:
        if context.actor:
            text = t._("Here is what I can do for you:\n\n{commands}", commands=lines)
        else:
            text = t._("Send /start to begin.\n\n{commands}", commands=lines)
        await respond(update, context, text)
        return
    await respond(
        update,
        context,
        t._(
            "In this group:\n{commands}\n\nBooking, reminders, tips and check-ins happen in "
            "our private chat.",
            commands=lines,
        ),
        reply_markup=column(link_button(t._("Open private chat"), deep_link(context.bot.username))),
    )


def register(application: Application) -> None:
    """Add /help."""
    application.add_handler(command("help", show_help))
