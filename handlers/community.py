"""Community groups: linking a group to classes, welcoming members, and what the bot posts
there. Posts carry nothing personal: schedules, reminders, invitations to check in
privately, and anonymous averages of at least three people."""

from __future__ import annotations

from html import escape

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot.context import BotContext
from bot.i18n import resolve_language, translator
from bot.models import Role
from bot.services import classes, community, groups
from bot.views.callbacks import pack, pattern, stale_button, unpack
from bot.views.keyboards import button, column, deep_link, link_button
from handlers.guards import command, guard
from handlers.replies import edit_or_send, respond

PREFIX = "grp"


async def link_group(update: Update, context: BotContext) -> None:
    """/linkgroup (in the group): choose which of your classes this group belongs to."""
    async with context.deps.db.reading() as session:
        own = await classes.trainer_series(session, context.actor.id)
        linked = {s.id for s in await community.linked_series(session, update.effective_chat.id)}
    t = context.t
    if not own:
        await respond(
            update, context, t._("You have no classes to link yet: /newclass creates one.")
        )
        return
    await respond(
        update,
        context,
        t._("Which class is this group for? (You can link several.)"),
        reply_markup=column(
            *(
                button(("✅ " if s.id in linked else "") + s.title, pack(PREFIX, "link", s.id))
                for s in own
            )
        ),
    )


async def unlink_group(update: Update, context: BotContext) -> None:
    """/unlinkgroup (in the group): unlink it from your classes."""
    async with context.deps.db.transaction() as session:
        removed = await community.unlink(session, context.actor, chat_id=update.effective_chat.id)
    t = context.t
    await respond(
        update,
        context,
        t.n_(
            "Unlinked from {n} class. I'll post nothing more here for it.",
            "Unlinked from {n} classes. I'll post nothing more here for them.",
            removed,
        )
        if removed
        else t._("This group isn't linked to any of your classes."),
    )


@guard(Role.TRAINER)
async def on_link_button(update: Update, context: BotContext) -> None:
    """A class chosen under /linkgroup; only a trainer (of that class) may press it."""
    args = unpack(update.callback_query.data)[1:]
    chat = update.effective_chat
    if len(args) != 2 or args[0] != "link" or not args[1].isdigit():
        raise stale_button()
    if chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
        raise stale_button()
    async with context.deps.db.transaction() as session:
        created = await community.link(
            session,
            context.actor,
            chat_id=chat.id,
            title=chat.title or "",
            series_id=int(args[1]),
            now=context.deps.clock.now(),
        )
        titles = [s.title for s in await community.linked_series(session, chat.id)]
    t = context.t
    names = t.list([escape(title) for title in titles])
    linked = (
        t._("✅ Linked. This group now belongs to: {classes}.", classes=names)
        if created
        else t._("✅ Already linked. This group now belongs to: {classes}.", classes=names)
    )
    what = t._(
        "I'll post the week's schedule on Mondays, a reminder on class days, a weekly "
        "invitation to check in privately, and an anonymous summary when enough people "
        "checked in. Nobody's check-in is ever shown here."
    )
    await edit_or_send(update, context, f"{linked}\n\n{what}")


async def on_new_members(update: Update, context: BotContext) -> None:
    """Welcome people who join a group, with a button to start the bot privately."""
    message = update.effective_message
    people = [m for m in message.new_chat_members or [] if not m.is_bot]
    if not people:
        return
    # Not a guarded handler: the group's language, else the first newcomer's app's.
    async with context.deps.db.reading() as session:
        language = await groups.language_of(session, message.chat_id)
    t = translator(language or resolve_language(people[0].language_code))
    names = t.list(escape(p.first_name) for p in people)
    await context.bot.send_message(
        message.chat_id,
        t.n_(
            "👋 Welcome, {names}! I'm the class assistant. Book classes, get reminders and "
            "check in privately with me: tap below to start.",
            "👋 Welcome, {names}! I'm the class assistant. Book classes, get reminders and "
            "check in privately with me: tap below to start.",
            len(people),
            names=names,
        ),
        reply_markup=column(link_button(t._("Start the bot"), deep_link(context.bot.username))),
    )


# --------------------------------------------------------------------- milestones


def register(application: Application) -> None:
    """Add /linkgroup, /unlinkgroup, their buttons and the welcome for new members."""
    application.add_handler(command("linkgroup", link_group))
    application.add_handler(command("unlinkgroup", unlink_group))
    application.add_handler(CallbackQueryHandler(on_link_button, pattern=pattern(PREFIX)))
    application.add_handler(MessageHandler(filters.StatusUpdate.NEW_CHAT_MEMBERS, on_new_members))
