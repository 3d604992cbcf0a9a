"""Answering the update at hand, whether it came as a message or as a button press.

Messages are HTML (the application's default parse mode): escape anything a user typed.
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot.context import BotContext

ANSWER_LIMIT = 200  # Telegram's limit for a button press's notice or pop-up


async def answer_query(
    update: Update, context: BotContext, text: str | None = None, *, alert: bool = False
) -> None:
    """Stop the button's spinner (once per press), optionally with a notice or a pop-up."""
    query = update.callback_query
    if query is None or context.query_answered:
        return
    context.query_answered = True
    if text is not None and len(text) > ANSWER_LIMIT:
        text = text[: ANSWER_LIMIT - 1] + "…"
    await query.answer(text, show_alert=alert)


async def respond(
    update: Update,
    context: BotContext,
    text: str,
    *,
    reply_markup: InlineKeyboardMarkup | None = None,
    alert: bool = False,
) -> None:
    """Answer the user in the chat the update came from.

    For a button press the spinner is stopped; with `alert=True` the text is shown as a pop-up
    instead of a message (for refusals that should not clutter the chat), unless the press
    was already answered, in which case the text comes as a message so it is never lost.
    """
    if update.callback_query is not None and alert and not context.query_answered:
        await answer_query(update, context, text, alert=True)
        return
    await answer_query(update, context)
    chat = update.effective_chat
    if chat is None:
        return
    await context.bot.send_message(
        chat.id,
        text,
        reply_markup=reply_markup,
    )


async def edit_or_send(
    update: Update,
    context: BotContext,
    text: str,
    *,
    reply_markup: InlineKeyboardMarkup | None = None,
) -> None:
    """Replace the message whose button was pressed; send a new message if there is none.

    A message that already reads `text` with these buttons (the same button pressed twice,
    a double tap) is left as it is: that is success, not an error."""
    query = update.callback_query
    if query is not None and query.message is not None:
        await answer_query(update, context)
        try:
            await query.edit_message_text(text, reply_markup=reply_markup)
        except BadRequest as error:
            if not is_not_modified(error):
                raise
        return
    await respond(update, context, text, reply_markup=reply_markup)


async def remove_buttons(update: Update, context: BotContext) -> None:
    """Take the buttons off the message whose button was pressed (its words stay). One that
    has none left already (a double tap) is left as it is: that is success, not an error."""
    query = update.callback_query
    if query is None or query.message is None:
        return
    try:
        await query.edit_message_reply_markup(None)
    except BadRequest as error:
        if not is_not_modified(error):
            raise


def is_not_modified(error: BadRequest) -> bool:
    """True for Telegram's answer to an edit that would change nothing ("Bad Request: message
    is not modified"): the message already shows what was asked for."""
    return "message is not modified" in error.message.lower()
