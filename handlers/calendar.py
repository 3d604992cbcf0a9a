"""/calendar: an .ics file of the client's booked classes, or of a trainer's teaching; with
PUBLIC_BASE_URL set, also a private subscription link that keeps a calendar app current
(web/feeds.py serves it)."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler

from bot.context import BotContext
from bot.models import Role
from bot.services import calendar, feeds
from bot.views import calendar as views
from bot.views.callbacks import pack, pattern, stale_button, unpack
from bot.views.keyboards import button, column
from handlers.guards import command, guard
from handlers.replies import edit_or_send, respond

PREFIX = "cal"
SUBSCRIBE = "sub"
RESET = "rst"
CONFIRM = "yes"
KEEP = "no"


def _feed_buttons(context: BotContext) -> InlineKeyboardMarkup | None:
    """Subscribe and Reset link, when this bot serves feeds (PUBLIC_BASE_URL is set)."""
    if context.deps.settings.public_base_url is None:
        return None
    t = context.t
    return InlineKeyboardMarkup(
        [
            [
                button(views.subscribe_label(t), pack(PREFIX, SUBSCRIBE)),
                button(views.reset_label(t), pack(PREFIX, RESET)),
            ]
        ]
    )


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
        # A subscription is still worth having: what is booked later appears by itself.
        await respond(update, context, text, reply_markup=_feed_buttons(context))
        return
    await context.bot.send_document(
        update.effective_chat.id,
        document=views.ics(t, entries, teaching=teaching, now=now),
        filename=views.file_name(t, teaching=teaching),
        caption=t.n_(
            "🗓 {n} session. Open the file to add it to your calendar; importing a newer file "
            "updates it (if it is cancelled, it is removed).",
            "🗓 {n} sessions. Open the file to add them to your calendar; importing a newer file "
            "updates them (cancelled ones are removed).",
            len(entries),
        ),
        reply_markup=_feed_buttons(context),
    )


def _link_text(context: BotContext, token: str, *, new: bool) -> str:
    base = context.deps.settings.public_base_url
    assert base is not None
    url, webcal = views.feed_urls(base, feeds.feed_path(token))
    teaching = context.actor.role.at_least(Role.TRAINER)
    return views.feed_link(context.t, url, webcal, teaching=teaching, new=new)


@guard(private=True)
async def on_button(update: Update, context: BotContext) -> None:
    """Subscribe (the link, made now and shown once), Reset link (asks first), and the
    answer to that question."""
    t = context.t
    args = unpack(update.callback_query.data)[1:]
    if context.deps.settings.public_base_url is None:
        await respond(update, context, views.feeds_unavailable(t), alert=True)
        return
    now = context.deps.clock.now()
    if args == [RESET]:
        async with context.deps.db.reading() as session:
            if not await feeds.has_feed(session, context.actor.id):
                # Nothing to revoke, so nothing to confirm: this is a first Subscribe.
                args = [SUBSCRIBE]
    if args == [SUBSCRIBE]:
        async with context.deps.db.transaction() as session:
            token = await feeds.subscribe(session, context.actor.id, now=now)
        if token is None:
            keyboard = column(button(views.reset_label(t), pack(PREFIX, RESET)))
            await respond(update, context, views.feed_exists(t), reply_markup=keyboard)
            return
        await respond(update, context, _link_text(context, token, new=False))
    elif args == [RESET]:
        await respond(
            update,
            context,
            views.confirm_reset(t),
            reply_markup=column(
                button(views.confirm_reset_label(t), pack(PREFIX, RESET, CONFIRM)),
                button(views.keep_link_label(t), pack(PREFIX, RESET, KEEP)),
            ),
        )
    elif args == [RESET, CONFIRM]:
        async with context.deps.db.transaction() as session:
            token = await feeds.reset(session, context.actor.id, now=now)
        await edit_or_send(update, context, _link_text(context, token, new=True))
    elif args == [RESET, KEEP]:
        await edit_or_send(update, context, views.link_kept(t))
    else:
        raise stale_button()


def register(application: Application) -> None:
    """Add /calendar and its Subscribe and Reset link buttons."""
    application.add_handler(command("calendar", send_calendar))
    application.add_handler(CallbackQueryHandler(on_button, pattern=pattern(PREFIX)))
