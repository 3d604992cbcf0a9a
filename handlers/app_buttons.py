"""The Mini App's entry points in the chat: the chat menu button, set per person, and the
buttons under /classes and /myclasses. Offered only when PUBLIC_BASE_URL is an https URL
(Telegram opens Web Apps over HTTPS only), and only in private chats (Telegram refuses Web
App buttons in groups)."""

from __future__ import annotations

import logging

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MenuButtonWebApp,
    Update,
    WebAppInfo,
)
from telegram.constants import ChatType
from telegram.error import TelegramError

from bot.config import Settings
from bot.context import BotContext
from bot.i18n import translator
from bot.models import Role
from bot.views import app_buttons as views

log = logging.getLogger(__name__)

APP_PATH = "/app"


def app_url(settings: Settings) -> str | None:
    """The Mini App's URL, or None when this bot offers no Mini App (no https
    PUBLIC_BASE_URL)."""
    base = settings.public_base_url
    if base is None or not base.startswith("https://"):
        return None
    return f"{base}{APP_PATH}"


async def publish_app_button(
    bot: Bot, settings: Settings, user_id: int, role: Role, language: str
) -> bool:
    """Set the person's chat menu button to open the Mini App, labelled for their role in
    their language ("Dashboard" for trainers and admins, "Timetable" for clients); nothing
    without a Mini App. False if Telegram refused (logged, not fatal)."""
    url = app_url(settings)
    if url is None:
        return False
    text = views.menu_button_text(translator(language), teaching=role.at_least(Role.TRAINER))
    try:
        await bot.set_chat_menu_button(
            chat_id=user_id, menu_button=MenuButtonWebApp(text, WebAppInfo(url))
        )
    except TelegramError as exc:
        log.warning("could not set the menu button for user %s: %s", user_id, exc)
        return False
    return True


def with_app_button(
    update: Update, context: BotContext, keyboard: InlineKeyboardMarkup, *, teaching: bool
) -> InlineKeyboardMarkup:
    """`keyboard` with a last row that opens the Mini App ("📊 Dashboard" for `teaching`,
    else "🗓 Open timetable"), in a private chat of a bot with a Mini App; else unchanged."""
    url = app_url(context.deps.settings)
    chat = update.effective_chat
    if url is None or chat is None or chat.type != ChatType.PRIVATE:
        return keyboard
    t = context.t
    label = views.dashboard_label(t) if teaching else views.timetable_label(t)
    opener = InlineKeyboardButton(label, web_app=WebAppInfo(url))
    return InlineKeyboardMarkup([*keyboard.inline_keyboard, [opener]])
