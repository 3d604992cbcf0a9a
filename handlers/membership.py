"""Telegram's notices that a user blocked or unblocked the bot in their private chat."""

from __future__ import annotations

from telegram import ChatMember, Update
from telegram.ext import Application, ChatMemberHandler

from bot.context import BotContext
from bot.services import users


async def on_my_chat_member(update: Update, context: BotContext) -> None:
    """Record whether the user can be messaged: blocked when they block the bot, back on unblock."""
    change = update.my_chat_member
    if change is None or change.chat.type != "private":
        return
    blocked = change.new_chat_member.status in (ChatMember.BANNED, ChatMember.LEFT)
    async with context.deps.db.transaction() as session:
        await users.set_blocked(session, change.from_user.id, blocked, now=context.deps.clock.now())


def register(application: Application) -> None:
    """Add the my_chat_member handler."""
    application.add_handler(
        ChatMemberHandler(on_my_chat_member, chat_member_types=ChatMemberHandler.MY_CHAT_MEMBER)
    )
