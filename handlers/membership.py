"""Telegram's notices about the bot's place in chats: blocked or unblocked by a user, added
to or removed from a group, a group upgraded to a supergroup."""

from __future__ import annotations

from telegram import ChatMember, Update
from telegram.constants import ChatType
from telegram.ext import Application, ChatMemberHandler, MessageHandler, filters

from bot.context import BotContext
from bot.services import groups, users

_GONE = (ChatMember.BANNED, ChatMember.LEFT)


async def on_my_chat_member(update: Update, context: BotContext) -> None:
    """Record whether the bot can write to the chat: a user blocking it, a group removing it."""
    change = update.my_chat_member
    if change is None:
        return
    gone = change.new_chat_member.status in _GONE
    now = context.deps.clock.now()
    async with context.deps.db.transaction() as session:
        if change.chat.type == ChatType.PRIVATE:
            await users.set_blocked(session, change.from_user.id, gone, now=now)
        else:
            await groups.record_membership(
                session, change.chat.id, change.chat.title or "", present=not gone, now=now
            )


async def on_migration(update: Update, context: BotContext) -> None:
    """A group became a supergroup: its queued messages follow it to the new chat id."""
    message = update.effective_message
    if message.migrate_to_chat_id:
        old, new = message.chat.id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:
        old, new = message.migrate_from_chat_id, message.chat.id
    else:
        return
    async with context.deps.db.transaction() as session:
        await groups.migrate(session, old, new, now=context.deps.clock.now())


def register(application: Application) -> None:
    """Add the membership and migration handlers."""
    application.add_handler(
        ChatMemberHandler(on_my_chat_member, chat_member_types=ChatMemberHandler.MY_CHAT_MEMBER)
    )
    application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, on_migration))
