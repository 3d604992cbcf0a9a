"""An offline stand-in for Telegram's Bot API, and the client tests use to drive it."""

from tests.fake_telegram.client import BotMessage, TelegramControl, TelegramUser
from tests.fake_telegram.server import BOT_USERNAME, FakeTelegram, ServerThread

__all__ = [
    "BOT_USERNAME",
    "BotMessage",
    "FakeTelegram",
    "ServerThread",
    "TelegramControl",
    "TelegramUser",
]
