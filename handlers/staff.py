"""/trainer: admins add, remove and list trainers."""

from __future__ import annotations

from html import escape

from telegram import Update
from telegram.ext import Application

from bot.context import BotContext
from bot.i18n import reader_language
from bot.models import Role, User
from bot.services import users
from handlers.commands import publish_menu_for
from handlers.guards import command
from handlers.replies import respond

USAGE = (
    "Usage:\n"
    "/trainer add &lt;user id or @username&gt; – make a client a trainer\n"
    "/trainer remove &lt;user id or @username&gt; – make a trainer a client again\n"
    "/trainer list – show admins and trainers\n\n"
    "People find their user id in /settings. They must have pressed Start first."
)


def _who(user: User) -> str:
    handle = f" @{escape(user.username)}" if user.username else ""
    return f"{escape(user.full_name)}{handle} (<code>{user.id}</code>)"


async def trainer_command(update: Update, context: BotContext) -> None:
    """/trainer add|remove|list."""
    args = context.args or []
    action = args[0].lower() if args else ""
    now = context.deps.clock.now()
    if action == "list" and len(args) == 1:
        await _list(update, context)
        return
    if action not in ("add", "remove") or len(args) != 2:
        await respond(update, context, USAGE)
        return
    async with context.deps.db.transaction() as session:
        if action == "add":
            user, changed = await users.make_trainer(session, args[1], now=now)
        else:
            user, changed = await users.remove_trainer(session, args[1], now=now), True
    if action == "add" and not changed:
        await respond(update, context, f"{_who(user)} is already a trainer.")
        return
    await publish_menu_for(
        context.bot, user.id, user.role, reader_language(user.language, user.language_code)
    )
    if action == "add":
        text = f"✅ {_who(user)} is now a trainer."
    else:
        text = f"✅ {_who(user)} is no longer a trainer."
    await respond(update, context, text)


async def _list(update: Update, context: BotContext) -> None:
    async with context.deps.db.reading() as session:
        staff = await users.list_staff(session)
    admins = [user for user in staff if user.role == Role.ADMIN]
    trainers = [user for user in staff if user.role == Role.TRAINER]
    known = {user.id for user in admins}
    missing = sorted(set(context.deps.settings.admin_ids) - known)
    lines = ["<b>Admins</b>"]
    lines += [f"• {_who(user)}" for user in admins]
    lines += [f"• <code>{user_id}</code> (hasn't started the bot yet)" for user_id in missing]
    lines.append("\n<b>Trainers</b>")
    lines += [f"• {_who(user)}" for user in trainers] or [
        "No trainers yet. Add one with /trainer add &lt;user id&gt;."
    ]
    await respond(update, context, "\n".join(lines))


def register(application: Application) -> None:
    """Add /trainer."""
    application.add_handler(command("trainer", trainer_command))
