"""The one error handler: user-caused errors get their message, anything else an apology,
in the reader's language.

The role guard hands every failure of a guarded handler to `report` with the handler's own
context (the reader's translator, whether the button press was answered); PTB's error hook
`on_error` gets what escapes elsewhere, with a fresh context that knows neither.
"""

from __future__ import annotations

import logging
from html import escape

from telegram import Update
from telegram.error import Forbidden, NetworkError, TelegramError

from bot.context import BotContext
from bot.i18n import N_, resolve_language, translator
from bot.intake import record_failure
from bot.services.errors import DomainError
from bot.views.errors import error_text
from handlers.replies import answer_query, respond

log = logging.getLogger(__name__)

APOLOGY = N_(
    "😔 Sorry, something went wrong on my side and nothing was changed. "
    "Please try again in a moment."
)


def describe_update(update: object) -> str:
    """A one-line summary of an update for logs: kind, user, chat, and the text or button data."""
    if not isinstance(update, Update):
        return repr(update)[:200]
    parts = [f"update {update.update_id}"]
    if update.effective_user:
        parts.append(f"user {update.effective_user.id}")
    if update.effective_chat:
        parts.append(f"chat {update.effective_chat.id} ({update.effective_chat.type})")
    if update.callback_query:
        parts.append(f"button {update.callback_query.data!r}")
    elif update.effective_message and update.effective_message.text:
        parts.append(f"text {update.effective_message.text[:80]!r}")
    return ", ".join(parts)


async def on_error(update: object, context: BotContext) -> None:
    """PTB's error hook: failures outside a guarded handler (the guard itself, unguarded
    handlers, jobs). Its context is fresh, so the person is answered in their Telegram app's
    language."""
    error = context.error
    if not isinstance(update, Update):
        log.error("error outside an update (%s)", describe_update(update), exc_info=error)
        return
    person = update.effective_user
    context.t = translator(resolve_language(person.language_code if person else None))
    await report(update, context, error)


async def report(update: Update, context: BotContext, error: BaseException | None) -> None:
    """Answer the user for a failure in handling `update`, in `context.t`'s language; log
    what they could not have caused with context."""
    if isinstance(error, DomainError):
        log.info("refused %s: %s %s", describe_update(update), error.code, error.params)
        await _tell(update, context, error_text(context.t, error))
        return
    if isinstance(error, Forbidden):
        # The user blocked the bot while we were answering: nobody to apologise to.
        log.info("cannot answer %s: %s", describe_update(update), error)
        return
    level = logging.WARNING if isinstance(error, NetworkError) else logging.ERROR
    log.log(level, "failed to handle %s", describe_update(update), exc_info=error)
    if error is not None:
        record_failure(error)  # the inbox keeps the update as failed, with the error
    await _tell(update, context, context.t._(APOLOGY))


async def _tell(update: Update, context: BotContext, text: str) -> None:
    """Show plain `text`: as a pop-up for a button press, else as a message."""
    try:
        if update.callback_query is not None and not context.query_answered:
            await answer_query(update, context, text, alert=True)
        else:
            await respond(update, context, escape(text))
    except TelegramError as exc:
        log.warning("could not send the error reply for %s: %s", describe_update(update), exc)
