"""/trainer: admins add, remove and list trainers."""

from __future__ import annotations

import datetime as dt
from html import escape

from telegram import Update
from telegram.ext import Application

from bot.context import BotContext
from bot.i18n import reader_language
from bot.models import Priority, Role, User
from bot.services import outbox, users
from handlers.app_buttons import publish_app_button
from handlers.commands import publish_menu_for
from handlers.guards import command
from handlers.replies import respond


def _who(user: User) -> str:
    """ "Tom Hill @tomhill (<code>42</code>)": a person's name, handle and id (HTML)."""
    handle = f" @{escape(user.username)}" if user.username else ""
    return f"{escape(user.full_name)}{handle} (<code>{user.id}</code>)"


def _told(user: User, now: dt.datetime) -> outbox.Notice:
    """The message that tells `user` their new role, rendered in their language as it goes
    out (bot/views/roles.py)."""
    return outbox.Notice(
        chat_id=user.id,
        template="role_changed",
        params={"role": user.role.value},
        dedupe_key=f"role:{user.id}:{user.role.value}:{now.timestamp()}",
        kind="role_changed",
        priority=Priority.URGENT,
    )


async def trainer_command(update: Update, context: BotContext) -> None:
    """/trainer add|remove|list; the person whose role changes is told, in their language."""
    t = context.t
    args = context.args or []
    action = args[0].lower() if args else ""
    now = context.deps.clock.now()
    if action == "list" and len(args) == 1:
        await _list(update, context)
        return
    if action not in ("add", "remove") or len(args) != 2:
        await respond(
            update,
            context,
            t._(
                "Usage:\n"
                "/trainer add &lt;user id or @username&gt; – make a client a trainer\n"
                "/trainer remove &lt;user id or @username&gt; – make a trainer a client again\n"
                "/trainer list – show admins and trainers\n\n"
                "People find their user id in /settings. They must have pressed Start first."
            ),
        )
        return
    async with context.deps.db.transaction() as session:
        if action == "add":
            user, changed = await users.make_trainer(session, args[1], now=now)
        else:
            user, changed = await users.remove_trainer(session, args[1], now=now), True
        if changed:
            await outbox.enqueue(session, [_told(user, now)], now=now)
    if not changed:
        await respond(update, context, t._("{person} is already a trainer.", person=_who(user)))
        return
    language = reader_language(user.language, user.language_code)
    await publish_menu_for(context.bot, user.id, user.role, language)
    if user.is_onboarded:
        # Before onboarding ends, the button comes then (handlers/timezone.py).
        await publish_app_button(context.bot, context.deps.settings, user.id, user.role, language)
    if action == "add":
        text = t._("✅ {person} is now a trainer.", person=_who(user))
    else:
        text = t._("✅ {person} is no longer a trainer.", person=_who(user))
    await respond(update, context, text)


async def _list(update: Update, context: BotContext) -> None:
    t = context.t
    async with context.deps.db.reading() as session:
        staff = await users.list_staff(session)
    admins = [user for user in staff if user.role == Role.ADMIN]
    trainers = [user for user in staff if user.role == Role.TRAINER]
    known = {user.id for user in admins}
    missing = sorted(set(context.deps.settings.admin_ids) - known)
    lines = [t._("<b>Admins</b>")]
    lines += [f"• {_who(user)}" for user in admins]
    lines += [
        t._("• <code>{id}</code> (hasn't started the bot yet)", id=user_id) for user_id in missing
    ]
    lines.append("\n" + t._("<b>Trainers</b>"))
    lines += [f"• {_who(user)}" for user in trainers] or [
        t._("No trainers yet. Add one with /trainer add &lt;user id&gt;.")
    ]
    await respond(update, context, "\n".join(lines))


def register(application: Application) -> None:
    """Add /trainer."""
    application.add_handler(command("trainer", trainer_command))
