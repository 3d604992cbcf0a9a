"""/buddy: weekly class buddies. Introductions, "Did you two connect?", and the gentle
nudge when someone misses two sessions in a row."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler

from bot.context import BotContext
from bot.i18n import Translator
from bot.models import User
from bot.services import buddies
from bot.views.buddies import BUDDY
from bot.views.callbacks import pack, pattern, stale_button, unpack
from bot.views.keyboards import button, column
from handlers.guards import command, guard
from handlers.replies import answer_query, edit_or_send, respond


def _status(t: Translator, user: User) -> tuple[str, InlineKeyboardMarkup]:
    if user.buddy_opt_in:
        return (
            t._(
                "🤝 <b>Class buddies</b>: you're in. Each Monday I pair you with another member "
                "of your class (a trio when numbers are odd) and introduce you privately."
            ),
            column(button(t._("Stop pairing me"), pack(BUDDY, "off"))),
        )
    return (
        t._(
            "🤝 <b>Class buddies</b>: each Monday I pair members of a class who want a buddy, "
            "and introduce you privately with a conversation starter. Your buddy sees your "
            "first name and Telegram username (or a link to message you). Nothing about your "
            "check-ins."
        ),
        column(button(t._("Yes, find me a buddy"), pack(BUDDY, "on"))),
    )


async def show_buddy(update: Update, context: BotContext) -> None:
    """/buddy: opt in or out."""
    text, keyboard = _status(context.t, context.actor)
    await respond(update, context, text, reply_markup=keyboard)


@guard(private=True)
async def on_button(update: Update, context: BotContext) -> None:
    """Opt in / out, and the answers to "Did you two connect?"."""
    args = unpack(update.callback_query.data)[1:]
    now = context.deps.clock.now()
    if args in (["on"], ["off"]):
        async with context.deps.db.transaction() as session:
            context.actor = await buddies.set_opt_in(
                session, context.actor.id, args == ["on"], now=now
            )
        text, keyboard = _status(context.t, context.actor)
        await edit_or_send(update, context, text, reply_markup=keyboard)
        return
    if len(args) == 2 and args[0] in ("yes", "notyet") and args[1].isdigit():
        async with context.deps.db.transaction() as session:
            ok = await buddies.answer(session, context.actor.id, int(args[1]), args[0] == "yes")
        if not ok:
            raise stale_button()
        await answer_query(update, context, context.t._("Thanks for letting me know!"))
        await edit_or_send(
            update,
            context,
            context.t._("🙌 Lovely, keep it going!")
            if args[0] == "yes"
            else context.t._("No worries: there's always next class."),
        )
        return
    raise stale_button()


def register(application: Application) -> None:
    """Add /buddy and its buttons."""
    application.add_handler(command("buddy", show_buddy))
    application.add_handler(CallbackQueryHandler(on_button, pattern=pattern(BUDDY)))
