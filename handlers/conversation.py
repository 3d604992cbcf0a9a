"""Free text in private chat: answers to the bot's open question, /cancel, and fallbacks.

A handler that asks a question stores what it waits for with the user
(`users.await_input(..., "broadcast:all_clients")`) and registers an answer handler for the
prefix with `expect()`. The next private message goes there, even after a restart.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from html import escape

from telegram import Update
from telegram.ext import Application, MessageHandler, filters

from bot.context import BotContext
from bot.services import users
from handlers.guards import command, guard
from handlers.replies import respond

# (update, context, argument after the prefix) -> reply; the handler reads the message itself.
AnswerHandler = Callable[[Update, BotContext, str], Awaitable[None]]

_answers: dict[str, AnswerHandler] = {}


def expect(prefix: str, handler: AnswerHandler) -> None:
    """Route private messages to `handler` while the user's awaited input starts with `prefix`."""
    _answers[prefix] = handler


async def cancel(update: Update, context: BotContext) -> None:
    """/cancel: stop waiting for an answer."""
    if context.actor.awaiting_input is None:
        await respond(update, context, "There is nothing to cancel.")
        return
    async with context.deps.db.transaction() as session:
        await users.await_input(session, context.actor.id, None, now=context.deps.clock.now())
    await respond(update, context, "OK, cancelled. /help shows what else I can do.")


@guard(private=True, needs_start=False)
async def on_private_message(update: Update, context: BotContext) -> None:
    """A private message that is not a command: an awaited answer, or a pointer to /help."""
    actor = context.actor
    if actor is None:
        await respond(update, context, "Hello! Send /start to set things up.")
        return
    if actor.awaiting_input:
        prefix, _, argument = actor.awaiting_input.partition(":")
        handler = _answers.get(prefix)
        if handler is not None:
            await handler(update, context, argument)
            return
    if update.effective_message.text is None:
        text = "I can only read text messages and button presses. /help shows more."
    else:
        text = "I'm not sure what you mean. /help shows what I can do for you."
    await respond(update, context, text)


@guard(private=True, needs_start=False)
async def on_unknown_command(update: Update, context: BotContext) -> None:
    """A command nobody handles, in private chat."""
    word = (update.effective_message.text or "").split()[0]
    await respond(
        update, context, f"I don't know {escape(word)}. /help lists the commands I understand."
    )


def register(application: Application) -> None:
    """Add /cancel."""
    application.add_handler(command("cancel", cancel))


def register_fallbacks(application: Application) -> None:
    """Add the handlers for private messages no other handler took. Call after all others."""
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    application.add_handler(MessageHandler(private & filters.COMMAND, on_unknown_command))
    application.add_handler(
        MessageHandler(private & ~filters.COMMAND & ~filters.StatusUpdate.ALL, on_private_message)
    )
