"""The smallest bot the benchmark harness can drive: the baseline for throughput.

It answers every text with a message carrying one button, and every button press with an
answer and an edit, through the same python-telegram-bot Application machinery, polling the
same fake Bot API. Run: python -m bench.echo_bot (BOT_TOKEN and TELEGRAM_API_BASE_URL set).
With ECHO_HTTP=aiohttp it talks to the Bot API through the bot's own HTTP client
(bot/telegram_http.py) instead of python-telegram-bot's default (httpx).
"""

from __future__ import annotations

import os

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reply with the text and a button."""
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Press", callback_data="press")]])
    await context.bot.send_message(
        update.effective_chat.id, update.effective_message.text or "?", reply_markup=keyboard
    )


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the press and edit the message."""
    await update.callback_query.answer()
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Press", callback_data="press")]])
    text = update.callback_query.message.text
    await update.callback_query.edit_message_text(
        f"{text}+" if len(text) < 4000 else text[:10], reply_markup=keyboard
    )


def main() -> None:
    """Poll until interrupted."""
    builder = (
        ApplicationBuilder()
        .token(os.environ["BOT_TOKEN"])
        .base_url(os.environ["TELEGRAM_API_BASE_URL"])
        .concurrent_updates(64)
    )
    if os.environ.get("ECHO_HTTP") == "aiohttp":
        from bot.telegram_http import AiohttpRequest

        builder = builder.request(AiohttpRequest()).get_updates_request(
            AiohttpRequest(connection_pool_size=1)
        )
    application = builder.build()
    application.add_handler(MessageHandler(filters.TEXT, echo))
    application.add_handler(CallbackQueryHandler(pressed))
    application.run_polling(allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
