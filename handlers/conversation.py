"""Free text in private chat: answers to the bot's open question, /cancel, and fallbacks.

A handler that asks a question stores what it waits for with the user
(`users.await_input(..., "broadcast:all_clients")`) and registers an answer handler for the
prefix with `expect()`. The next private message goes there, even after a restart.

A question is open only while its screen is the person's last step: any button press or
command closes it first (the role guard calls `users.end_pending`), and so does time
(`users.OPEN_QUESTION_LIFETIME`). Typed text never triggers a destructive action by itself;
answers that would (a cancellation reason, a session's new place) are held with
`users.hold_answer` and shown back with a confirmation that spells out the consequence.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from html import escape

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot.context import BotContext
from bot.i18n import N_
from bot.services import users
from bot.views.callbacks import stale_button
from handlers.guards import command, guard
from handlers.replies import respond

# (update, context, argument after the prefix) -> reply; the handler reads the message itself.
AnswerHandler = Callable[[Update, BotContext, str], Awaitable[None]]

_answers: dict[str, AnswerHandler] = {}
_reopen: dict[str, str] = {}


def expect(prefix: str, handler: AnswerHandler, *, reopen: str) -> None:
    """Route private messages to `handler` while the user's awaited input starts with `prefix`.

    `reopen` tells the person how to ask the question again once it has closed: a msgid
    marked with `N_`, translated for whoever reads it.
    """
    _answers[prefix] = handler
    _reopen[prefix] = reopen


async def cancel(update: Update, context: BotContext) -> None:
    """/cancel: the open question is closed (the guard closes it, as every command does) and
    the draft of its flow, if it has one, is dropped: nothing of it is saved."""
    if context.pending.awaiting is None and context.pending.held is None:
        await respond(update, context, context.t._("There is nothing to cancel."))
        return
    flow = (context.pending.awaiting or "").partition(":")[0]
    if flow and users.draft_of(context.actor, flow) is not None:
        async with context.deps.db.transaction() as session:
            user = await users.require_user(session, context.actor.id)
            users.set_draft(user, flow, None)
    await respond(
        update, context, context.t._("OK, cancelled: nothing was changed. /help shows what else.")
    )


@guard(private=True, needs_start=False)
async def on_private_message(update: Update, context: BotContext) -> None:
    """A private message that is not a command: an awaited answer, or a pointer to /help."""
    actor = context.actor
    t = context.t
    if actor is None:
        await respond(update, context, t._("Hello! Send /start to set things up."))
        return
    if actor.awaiting_input:
        prefix, _, argument = actor.awaiting_input.partition(":")
        handler = _answers.get(prefix)
        now = context.deps.clock.now()
        if handler is not None and not users.question_expired(actor, now):
            await handler(update, context, argument)
            return
        async with context.deps.db.transaction() as session:
            await users.end_pending(session, actor.id, now=now)
        # Two sentences: that the question closed, and how to open it again.
        closed = t._("My last question was a while ago, so I've closed it and changed nothing.")
        again = t._(_reopen.get(prefix, N_("/help shows what I can do.")))
        await respond(update, context, f"{closed} {again}")
        return
    if update.effective_message.text is None:
        text = t._("I can only read text messages and button presses. /help shows more.")
    else:
        text = t._("I'm not sure what you mean. /help shows what I can do for you.")
    await respond(update, context, text)


@guard(private=True, needs_start=False)
async def on_unknown_command(update: Update, context: BotContext) -> None:
    """A command nobody handles, in private chat."""
    word = (update.effective_message.text or "").split()[0]
    await respond(
        update,
        context,
        context.t._(
            "I don't know {command}. /help lists the commands I understand.",
            command=escape(word),
        ),
    )


def register(application: Application) -> None:
    """Add /cancel."""
    application.add_handler(command("cancel", cancel))


@guard(needs_start=False)
async def on_unknown_button(update: Update, context: BotContext) -> None:
    """A button nobody handles (from an old version of the bot, or forged)."""
    raise stale_button()


def register_fallbacks(application: Application) -> None:
    """Add the handlers for updates no other handler took. Call after all others."""
    application.add_handler(CallbackQueryHandler(on_unknown_button))
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    application.add_handler(MessageHandler(private & filters.COMMAND, on_unknown_command))
    application.add_handler(
        MessageHandler(private & ~filters.COMMAND & ~filters.StatusUpdate.ALL, on_private_message)
    )
